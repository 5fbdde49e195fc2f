// shardcache/json.h: JSON values stored exactly as @upstash/redis stores them, so a TypeScript
// service and a C++ service can share keys. Header-only; needs nlohmann::json (Debian
// nlohmann-json3-dev), which libshardcache itself does not link.
//
// Writing (@upstash/redis's serializer): a string is stored as its raw bytes, a number as its
// JavaScript text (Number#toString), a boolean as true/false, anything else as JSON.stringify
// text (compact, keys in the json object's order: use nlohmann::ordered_json to keep
// insertion order as JavaScript does).
// Reading (@upstash/redis's parseResponse): the stored text is JSON.parse'd; text that does not
// parse stays a string, and so does a number whose JavaScript text differs from the stored
// text ("0123", "1.50", "12345678901234567890").
#pragma once
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "shardcache/cache.h"
#include "shardcache/client.h"

namespace shardcache::json {

/// JavaScript's Number#toString for finite doubles ("1.5", "100", "1e+21", "1e-7");
/// JSON.stringify's "null" for NaN and infinities.
inline std::string js_number(double d) {
  if (std::isnan(d) || std::isinf(d)) return "null";
  if (d == 0) return "0";  // -0 prints as 0
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);  // shortest round trip
  std::string_view sci(buf, static_cast<size_t>(r.ptr - buf));
  std::string out;
  if (sci[0] == '-') {
    out = "-";
    sci.remove_prefix(1);
  }
  const size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e))
    if (c != '.') digits += c;
  const int k = static_cast<int>(digits.size());
  const int n = std::atoi(std::string(sci.substr(e + 1)).c_str()) + 1;  // decimal point position
  if (k <= n && n <= 21) return out + digits + std::string(static_cast<size_t>(n - k), '0');
  if (0 < n && n <= 21) return out + digits.substr(0, static_cast<size_t>(n)) + "." + digits.substr(static_cast<size_t>(n));
  if (-6 < n && n <= 0) return out + "0." + std::string(static_cast<size_t>(-n), '0') + digits;
  out += digits.substr(0, 1);
  if (k > 1) out += "." + digits.substr(1);
  return out + "e" + (n - 1 >= 0 ? "+" : "-") + std::to_string(std::abs(n - 1));
}

namespace detail {
inline void quote(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char hex[8];
          std::snprintf(hex, sizeof hex, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += hex;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

template <class J>
std::string number_text(const J& j) {
  constexpr double kSafe = 9007199254740992.0;  // 2^53: beyond it JavaScript rounds
  if (j.is_number_unsigned()) {
    auto u = j.template get<unsigned long long>();
    return static_cast<double>(u) < kSafe ? std::to_string(u) : js_number(static_cast<double>(u));
  }
  if (j.is_number_integer()) {
    auto i = j.template get<long long>();
    return std::abs(static_cast<double>(i)) < kSafe ? std::to_string(i) : js_number(static_cast<double>(i));
  }
  return js_number(j.template get<double>());
}

template <class J>
void stringify_into(std::string& out, const J& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::object: {
      out += '{';
      bool first = true;
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (!first) out += ',';
        first = false;
        quote(out, it.key());
        out += ':';
        stringify_into(out, it.value());
      }
      out += '}';
      return;
    }
    case nlohmann::json::value_t::array: {
      out += '[';
      for (size_t i = 0; i < j.size(); ++i) {
        if (i) out += ',';
        stringify_into(out, j[i]);
      }
      out += ']';
      return;
    }
    case nlohmann::json::value_t::string: quote(out, j.template get_ref<const typename J::string_t&>()); return;
    case nlohmann::json::value_t::boolean: out += j.template get<bool>() ? "true" : "false"; return;
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float: out += number_text(j); return;
    default: out += "null"; return;  // null, discarded, binary (JSON.stringify has no binary)
  }
}
}  // namespace detail

/// JSON.stringify(value): compact JSON text, numbers in JavaScript form.
template <class J>
std::string stringify(const J& value) {
  std::string out;
  detail::stringify_into(out, value);
  return out;
}

/// The bytes @upstash/redis would store for `value` (see the file comment).
template <class J>
std::string to_stored(const J& value) {
  if (value.is_string()) return value.template get<std::string>();
  if (value.is_number()) return detail::number_text(value);
  if (value.is_boolean()) return value.template get<bool>() ? "true" : "false";
  return stringify(value);
}

/// What @upstash/redis's get() returns for stored bytes `s` (see the file comment).
template <class J = nlohmann::json>
J from_stored(std::string_view s) {
  if (s.size() >= 3 && s.substr(0, 3) == "\xEF\xBB\xBF") return J(std::string(s));  // JSON.parse rejects a BOM
  J j = J::parse(s.begin(), s.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return J(std::string(s));
  if (!j.is_number()) return j;
  const double d = j.template get<double>();
  if (js_number(d) != s) return J(std::string(s));  // would not survive the round trip
  if (std::trunc(d) == d && std::abs(d) < 9007199254740992.0) return J(static_cast<long long>(d));
  return J(d);
}

/// SET key to `value` stored the @upstash/redis way.
template <class J>
Result<SetReply> set(Client& client, std::string_view key, const J& value, const SetOptions& opts = {}) {
  return client.set(key, to_stored(value), opts);
}

/// GET key decoded the @upstash/redis way; an empty optional on a miss.
template <class J = nlohmann::json>
Result<std::optional<J>> get(Client& client, std::string_view key) {
  auto r = client.get(key);
  if (!r) return r.error();
  if (!r->has_value()) return std::optional<J>();
  return std::optional<J>(from_stored<J>(**r));
}

}  // namespace shardcache::json

namespace shardcache {

namespace detail {
template <class T, class = void>
struct json_convertible : std::false_type {};
template <class T>
struct json_convertible<T, std::void_t<decltype(std::declval<nlohmann::json&>() = std::declval<const T&>()),
                                       decltype(std::declval<const nlohmann::json&>().template get<T>())>>
    : std::true_type {};
}  // namespace detail

/// Any type nlohmann::json converts (to_json/from_json, containers, numbers, nlohmann::json
/// itself) is stored by the helpers the @upstash/redis way. A stored value that does not
/// convert back decodes as nothing, and with_cache reloads it.
template <class T>
struct Codec<T, std::enable_if_t<!std::is_same_v<T, std::string> && detail::json_convertible<T>::value>> {
  using J = std::conditional_t<std::is_same_v<T, nlohmann::ordered_json>, nlohmann::ordered_json, nlohmann::json>;
  static std::string encode(const T& v) { return json::to_stored(J(v)); }
  static std::optional<T> decode(std::string_view s) {
    try {
      return json::from_stored<J>(s).template get<T>();
    } catch (const nlohmann::json::exception&) {
      return std::nullopt;
    }
  }
};

}  // namespace shardcache
