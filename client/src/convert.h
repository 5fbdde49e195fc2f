// client/src/convert.h: internal helpers shared by the client's source files: reply to Value
// conversion, the checks of typed replies, and the encoders of commands with options (SET).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/reply_reader.h"
#include "protocol/request_writer.h"
#include "shardcache/client.h"
#include "shardcache/value.h"

namespace shardcache::detail {

/// Moves a decoded protocol reply into the public Value type.
Value to_value(protocol::Reply&& r);

/// A well-formed reply of a type the call did not expect.
inline Error unexpected(std::string_view cmd, const protocol::Reply& r) {
  return Error{ErrorCode::UnexpectedReply,
               std::string(cmd) + ": unexpected reply type " + std::to_string(static_cast<int>(r.type))};
}

inline bool is_text(const protocol::Reply& r) {
  using T = protocol::Reply::Type;
  return r.type == T::Bulk || r.type == T::Simple || r.type == T::Verbatim;
}

/// A string reply or a null (a miss).
inline Result<std::optional<std::string>> as_optional_string(std::string_view cmd, Result<protocol::Reply> r) {
  if (!r) return r.error();
  if (r->is_null()) return std::optional<std::string>();
  if (!is_text(*r)) return unexpected(cmd, *r);
  return std::optional<std::string>(std::move(r->str));
}

/// An integer reply (a RESP3 boolean counts as 1 or 0).
inline Result<long long> as_integer(std::string_view cmd, Result<protocol::Reply> r) {
  if (!r) return r.error();
  if (r->type == protocol::Reply::Type::Integer) return r->integer;
  if (r->type == protocol::Reply::Type::Boolean) return r->boolean ? 1LL : 0LL;
  return unexpected(cmd, *r);
}

inline Result<bool> as_bool(std::string_view cmd, Result<protocol::Reply> r) {
  auto n = as_integer(cmd, std::move(r));
  if (!n) return n.error();
  return *n != 0;
}

/// The reply of SET with `opts` (OK, a null when NX / XX did not write, or with GET the old value).
Result<SetReply> set_reply(Result<protocol::Reply> r, const SetOptions& opts);
/// The reply of MGET for `n` keys.
Result<std::vector<std::optional<std::string>>> mget_reply(Result<protocol::Reply> r, size_t n);

/// Checks SET options for contradictions (NX with XX, two expiries); nullopt when fine.
std::optional<Error> check_set_options(const SetOptions& o);
/// Encodes SET with its options (assumes check_set_options passed).
void encode_set(protocol::RequestWriter& w, std::string_view key, std::string_view value, const SetOptions& o);
/// Encodes `name key...` (DEL, EXISTS, MGET, INVALIDATE, ...).
void encode_keys(protocol::RequestWriter& w, std::string_view name, const KeyList& keys);

}  // namespace shardcache::detail
