// base/split_args.cpp: split_args over split_args_token (see split_args.h).
#include "base/split_args.h"

namespace shardcache::base {

std::optional<std::vector<std::string>> split_args(std::string_view line) {
  std::vector<std::string> out;
  size_t i = 0;
  for (;;) {
    while (i < line.size() && is_c_space(line[i])) ++i;
    if (i >= line.size()) return out;
    std::string cur;
    if (!split_args_token(line.data(), line.size(), i, [&cur](char c) { cur += c; })) return std::nullopt;
    out.push_back(std::move(cur));
  }
}

}  // namespace shardcache::base
