// daemon/http/encoding.h: base64 for `Upstash-Encoding: base64` (UTF-8 repair and
// percent-decoding, which the REST front end also needs, are in base/text.h).
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace shardcache::http {

/// Appends the standard (RFC 4648 alphabet, '=' padded) base64 form of `in` to `out`.
void base64_append(std::string_view in, std::string& out);

/// Decodes standard padded base64; nullopt if `in` is not exactly that (used by tests and tools).
std::optional<std::string> base64_decode(std::string_view in);

}  // namespace shardcache::http
