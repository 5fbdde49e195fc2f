// base/text.h: byte-level text repairs shared by the REST front end and the client: URL
// percent-decoding and UTF-8 validation/repair with the WHATWG decoder's rule.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace shardcache::base {

/// Decodes %XX escapes ('+' stays '+'); nullopt on a malformed escape ('%' not followed by two
/// hex digits).
std::optional<std::string> percent_decode(std::string_view in);

/// True if `s` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool valid_utf8(std::string_view s);

/// Appends `in` to `out`, replacing each maximal invalid UTF-8 subpart with U+FFFD (the WHATWG
/// decoder's rule, which is what a browser or Node's TextDecoder shows).
void append_utf8_repaired(std::string_view in, std::string& out);

}  // namespace shardcache::base
