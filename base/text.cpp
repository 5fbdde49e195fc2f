// base/text.cpp: percent-decoding and UTF-8 validation/repair (see text.h).
#include "base/text.h"

#include "base/ascii.h"

namespace shardcache::base {
namespace {

/// Length of the valid UTF-8 sequence starting at s[i], or 0 if the bytes there are invalid;
/// `bad_len` receives how many bytes form the maximal invalid subpart (at least 1).
size_t utf8_sequence(std::string_view s, size_t i, size_t& bad_len) {
  auto c = static_cast<unsigned char>(s[i]);
  bad_len = 1;
  if (c < 0x80) return 1;
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {  // no overlongs (E0 80..9F), no surrogates (ED A0..BF)
    need = 2;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {  // no overlongs (F0 80..8F), nothing past U+10FFFF
    need = 3;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  size_t j = i + 1;
  for (size_t k = 0; k < need; ++k, ++j) {
    if (j >= s.size()) { bad_len = j - i; return 0; }
    auto d = static_cast<unsigned char>(s[j]);
    if (d < lo || d > hi) { bad_len = j - i; return 0; }
    lo = 0x80;
    hi = 0xBF;
  }
  return need + 1;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') { out += in[i]; continue; }
    if (i + 2 >= in.size()) return std::nullopt;
    int hi = hex_digit(in[i + 1]), lo = hex_digit(in[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

bool valid_utf8(std::string_view s) {
  size_t bad = 0;
  for (size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) { ++i; continue; }
    size_t n = utf8_sequence(s, i, bad);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

void append_utf8_repaired(std::string_view in, std::string& out) {
  size_t bad = 0;
  for (size_t i = 0; i < in.size();) {
    size_t n = utf8_sequence(in, i, bad);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      i += bad;
    } else {
      out.append(in.data() + i, n);
      i += n;
    }
  }
}

}  // namespace shardcache::base
