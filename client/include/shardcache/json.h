// shardcache/json.h: JSON values stored exactly as @upstash/redis stores them, so a TypeScript
// service and a C++ service can share keys. Header-only; needs nlohmann::json (Debian
// nlohmann-json3-dev), which libshardcache itself does not link.
//
// Writing (@upstash/redis's serializer): a string is stored as its raw bytes, a number as its
// JavaScript text (Number#toString), a boolean as true/false, anything else as JSON.stringify
// text (compact; object keys that are array indexes ("0", "7", "42") first in ascending order,
// then the others in the json object's order, as JavaScript objects do: use
// nlohmann::ordered_json to keep insertion order).
// Reading (@upstash/redis's get): the stored bytes are decoded the way its TextDecoder does (a
// leading UTF-8 BOM dropped, invalid UTF-8 replaced with U+FFFD), then JSON.parse'd
// (parseResponse): text that does not parse stays a string, and so does a number whose
// JavaScript text differs from the stored text ("0123", "1.50", "12345678901234567890").
// Numbers inside objects and arrays become what JavaScript holds: an integer beyond 2^53 is
// rounded to a double, an integral float (1.0) is an integer.
// The rules are checked against the real @upstash/redis by tests/client_it/json_interop_test.cpp.
#pragma once
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

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

/// True for an object key JavaScript treats as an array index: canonical decimal below 2^32 - 1.
inline bool is_array_index(std::string_view k) {
  if (k.empty() || k.size() > 10 || (k.size() > 1 && k[0] == '0')) return false;
  unsigned long long v = 0;
  for (char c : k) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  return v < 4294967295ULL;
}

/// The bytes as JavaScript's TextDecoder (WHATWG UTF-8, not fatal) gives them to @upstash/redis:
/// a leading BOM dropped, each maximal invalid subpart replaced with U+FFFD (in libshardcache).
std::string decode_utf8(std::string_view in);

/// Numbers as JavaScript holds them after JSON.parse: integers beyond 2^53 rounded to doubles,
/// integral doubles as integers (recursively through objects and arrays).
template <class J>
void to_js_numbers(J& j) {
  constexpr double kSafe = 9007199254740992.0;  // 2^53
  if (j.is_structured()) {
    for (auto& v : j) to_js_numbers(v);
  } else if (j.is_number()) {
    const double d = j.template get<double>();
    if (std::isfinite(d) && std::trunc(d) == d && std::abs(d) < kSafe) j = static_cast<long long>(d);
    else if (!j.is_number_float()) j = d;
  }
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
      // JavaScript orders array-index keys first, ascending; then the rest in insertion order.
      std::vector<std::pair<unsigned long long, const typename J::string_t*>> indexes;
      for (auto it = j.begin(); it != j.end(); ++it)
        if (is_array_index(it.key())) indexes.emplace_back(std::stoull(it.key()), &it.key());
      std::sort(indexes.begin(), indexes.end());
      out += '{';
      bool first = true;
      auto member = [&](const typename J::string_t& key, const J& v) {
        if (!first) out += ',';
        first = false;
        quote(out, key);
        out += ':';
        stringify_into(out, v);
      };
      for (const auto& ix : indexes) member(*ix.second, j.at(*ix.second));
      for (auto it = j.begin(); it != j.end(); ++it)
        if (indexes.empty() || !is_array_index(it.key())) member(it.key(), it.value());
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
  std::string text = detail::decode_utf8(s);
  J j = J::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return J(std::move(text));
  if (!j.is_number()) {
    detail::to_js_numbers(j);
    return j;
  }
  const double d = j.template get<double>();
  if (js_number(d) != text) return J(std::move(text));  // would not survive the round trip
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


/// MGET keys decoded the @upstash/redis way (its mget); an empty optional for a missing key.
template <class J = nlohmann::json>
Result<std::vector<std::optional<J>>> mget(Client& client, KeyList keys) {
  auto r = client.mget(std::move(keys));
  if (!r) return r.error();
  std::vector<std::optional<J>> out;
  out.reserve(r->size());
  for (const auto& v : *r) out.push_back(v ? std::optional<J>(from_stored<J>(*v)) : std::nullopt);
  return out;
}

/// MSET key/value pairs, each value stored the @upstash/redis way (its mset).
template <class J>
Status mset(Client& client, const std::vector<std::pair<std::string, J>>& pairs) {
  std::vector<std::pair<std::string, std::string>> stored;
  stored.reserve(pairs.size());
  for (const auto& [k, v] : pairs) stored.emplace_back(k, to_stored(v));
  return client.mset(stored);
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
