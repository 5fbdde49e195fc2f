// client/src/utf8.cpp: json::detail::decode_utf8, the TextDecoder step of <shardcache/json.h>
// (the UTF-8 repair itself is base/text.h's, shared with the daemon's REST front end).
#include <string>
#include <string_view>

#include "base/text.h"

namespace shardcache::json::detail {

// Declared in <shardcache/json.h> (not included here: it needs nlohmann::json).
std::string decode_utf8(std::string_view in) {
  if (in.substr(0, 3) == "\xEF\xBB\xBF") in.remove_prefix(3);
  std::string out;
  out.reserve(in.size());
  base::append_utf8_repaired(in, out);
  return out;
}

}  // namespace shardcache::json::detail
