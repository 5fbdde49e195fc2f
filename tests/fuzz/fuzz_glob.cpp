// tests/fuzz/fuzz_glob.cpp: libFuzzer target for store::glob_match. Splits the input into a
// pattern and a key (and a nocase bit), checks the answer against the table-filling reference
// (and, for inputs small enough, the old backtracking matcher), and aborts if the matcher takes
// more than (key + 1) x (pattern + 1) steps: the polynomial bound that keeps a crafted pattern
// from hanging a thread (CVE-2022-36021).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "daemon/store/glob.h"
#include "tests/fuzz/glob_reference.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 4096) return 0;
  bool nocase = data[0] & 1;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  // The first NUL splits pattern from key; without one, the first half is the pattern.
  size_t cut = rest.find('\0');
  std::string_view pattern = cut == std::string_view::npos ? rest.substr(0, rest.size() / 2) : rest.substr(0, cut);
  std::string_view key = cut == std::string_view::npos ? rest.substr(rest.size() / 2) : rest.substr(cut + 1);

  size_t steps = 0;
  bool got = shardcache::store::glob_match_counted(pattern, key, nocase, steps);
  if (steps > (key.size() + 1) * (pattern.size() + 1)) {
    std::fprintf(stderr, "glob_match took %zu steps for a %zu-byte pattern and %zu-byte key\n", steps,
                 pattern.size(), key.size());
    std::abort();
  }
  if (got != glob_reference::reference_dp(pattern, key, nocase)) {
    std::fprintf(stderr, "glob_match disagrees with the DP reference\n");
    std::abort();
  }
  size_t stars = 0;
  for (char c : pattern) stars += c == '*';
  if (stars <= 3 && key.size() <= 48 && got != glob_reference::reference_backtrack(pattern, key, nocase)) {
    std::fprintf(stderr, "glob_match disagrees with the backtracking reference\n");
    std::abort();
  }
  return 0;
}
