// daemon/http/encoding.h: the byte-level encodings the REST front end needs: base64 for
// `Upstash-Encoding: base64`, UTF-8 repair (invalid sequences become U+FFFD, as Upstash does
// when no encoding is asked for) and URL percent-decoding for path-style commands.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace shardcache::http {

/// Appends the standard (RFC 4648 alphabet, '=' padded) base64 form of `in` to `out`.
void base64_append(std::string_view in, std::string& out);

/// Decodes standard padded base64; nullopt if `in` is not exactly that (used by tests and tools).
std::optional<std::string> base64_decode(std::string_view in);

/// True if `s` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool valid_utf8(std::string_view s);

/// Appends `in` to `out`, replacing each maximal invalid UTF-8 subpart with U+FFFD (the WHATWG
/// decoder's rule, which is what a browser or Node's TextDecoder would show).
void append_utf8_repaired(std::string_view in, std::string& out);

/// Decodes %XX escapes ('+' stays '+'); nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view in);

/// ASCII case-insensitive equality.
bool iequals_ascii(std::string_view a, std::string_view b);

}  // namespace shardcache::http
