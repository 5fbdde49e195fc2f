// base/ascii.cpp: lower() and upper() (see ascii.h).
#include "base/ascii.h"

namespace shardcache::base {

std::string lower(std::string_view s) {
  std::string r(s);
  for (auto& c : r) c = to_lower(c);
  return r;
}

std::string upper(std::string_view s) {
  std::string r(s);
  for (auto& c : r) c = to_upper(c);
  return r;
}

}  // namespace shardcache::base
