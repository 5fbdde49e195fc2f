// base/split_args.h: Redis's sdssplitargs (sds.c), the tokenizer of inline commands (protocol/)
// and of redis.conf lines (daemon/config_file.cpp): blanks separate arguments; "double quotes"
// take \xHH, \n \r \t \b \a and \<any> escapes, 'single quotes' take \'; a closing quote must end
// the argument, and an unterminated quote makes the whole line invalid.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ascii.h"

namespace shardcache::base {

/// C isspace() in the "C" locale, as sdssplitargs uses it.
constexpr bool is_c_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/// Reads one argument from s[i] (i < len, not a blank; or inside an argument whose plain start
/// the caller already copied), handing each unescaped byte to put(char); i ends just past the
/// argument's terminating blank. False on unbalanced quotes or a closing quote not followed by
/// a blank.
template <class Put>
bool split_args_token(const char* s, size_t len, size_t& i, Put&& put) {
  int mode = 0;  // 0 outside quotes, 1 in "double", 2 in 'single'
  for (;;) {
    const char c = i < len ? s[i] : '\0';
    const char next = i + 1 < len ? s[i + 1] : '\0';
    bool done = false;
    if (mode == 1) {
      if (c == '\\' && next == 'x' && i + 3 < len && hex_digit(s[i + 2]) >= 0 && hex_digit(s[i + 3]) >= 0) {
        put(static_cast<char>(hex_digit(s[i + 2]) * 16 + hex_digit(s[i + 3])));
        i += 3;
      } else if (c == '\\' && next != '\0') {
        const char e = s[++i];
        put(e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e == 'b' ? '\b' : e == 'a' ? '\a' : e);
      } else if (c == '"') {
        if (next != '\0' && !is_c_space(next)) return false;
        done = true;
      } else if (c == '\0') {
        return false;  // unterminated quotes
      } else {
        put(c);
      }
    } else if (mode == 2) {
      if (c == '\\' && next == '\'') {
        ++i;
        put('\'');
      } else if (c == '\'') {
        if (next != '\0' && !is_c_space(next)) return false;
        done = true;
      } else if (c == '\0') {
        return false;
      } else {
        put(c);
      }
    } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0') {
      done = true;
    } else if (c == '"') {
      mode = 1;
    } else if (c == '\'') {
      mode = 2;
    } else {
      put(c);
    }
    if (i < len) ++i;
    if (done) return true;
  }
}

/// The whole line split into arguments; nullopt when a quote is unbalanced.
std::optional<std::vector<std::string>> split_args(std::string_view line);

}  // namespace shardcache::base
