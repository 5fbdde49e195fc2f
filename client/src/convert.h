// client/src/convert.h: internal helpers shared by the client's source files: reply to Value
// conversion and the encoders of commands with options (SET).
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "protocol/reply_reader.h"
#include "protocol/request_writer.h"
#include "shardcache/client.h"
#include "shardcache/value.h"

namespace shardcache::detail {

/// Moves a decoded protocol reply into the public Value type.
Value to_value(protocol::Reply&& r);

/// Checks SET options for contradictions (NX with XX, two expiries); nullopt when fine.
std::optional<Error> check_set_options(const SetOptions& o);
/// Encodes SET with its options (assumes check_set_options passed).
void encode_set(protocol::RequestWriter& w, std::string_view key, std::string_view value, const SetOptions& o);
/// Encodes `name key...` (DEL, EXISTS, MGET, INVALIDATE, ...).
void encode_keys(protocol::RequestWriter& w, std::string_view name, const KeyList& keys);

}  // namespace shardcache::detail
