// client/src/value.cpp: Error and Value helpers, reply conversion, and the SET/multi-key
// encoders shared by Client and Pipeline.
#include <string>

#include "client/src/convert.h"

namespace shardcache {

// Value::Type mirrors protocol::Reply::Type value for value (to_value casts between them).
static_assert(static_cast<int>(Value::Type::BigNumber) == static_cast<int>(protocol::Reply::Type::BigNumber));
static_assert(static_cast<int>(Value::Type::Push) == static_cast<int>(protocol::Reply::Type::Push));
static_assert(static_cast<int>(Value::Type::Null) == static_cast<int>(protocol::Reply::Type::Null));

const char* to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::Io: return "io";
    case ErrorCode::Timeout: return "timeout";
    case ErrorCode::Unavailable: return "unavailable";
    case ErrorCode::Server: return "server";
    case ErrorCode::Protocol: return "protocol";
    case ErrorCode::UnexpectedReply: return "unexpected reply";
    case ErrorCode::InvalidArgument: return "invalid argument";
    case ErrorCode::Closed: return "closed";
  }
  return "unknown";
}

std::string Error::server_code() const {
  if (code != ErrorCode::Server) return "";
  return message.substr(0, message.find(' '));
}

bool Error::is_unknown_command() const {
  return code == ErrorCode::Server && message.rfind("ERR unknown command", 0) == 0;
}

std::string Error::to_string() const { return std::string(shardcache::to_string(code)) + ": " + message; }

std::string Value::to_string() const {
  switch (type) {
    case Type::Null: return "(nil)";
    case Type::Error: return "(error) " + str;
    case Type::Integer: return std::to_string(integer);
    case Type::Boolean: return boolean ? "true" : "false";
    case Type::Simple:
    case Type::Bulk:
    case Type::Verbatim:
    case Type::Double:
    case Type::BigNumber: return "\"" + str + "\"";
    default: break;
  }
  std::string s = type == Type::Map ? "{" : "[";
  for (size_t i = 0; i < elements.size(); ++i) {
    if (i) s += type == Type::Map && i % 2 == 1 ? ": " : ", ";
    s += elements[i].to_string();
  }
  return s + (type == Type::Map ? "}" : "]");
}

namespace detail {

Value to_value(protocol::Reply&& r) {
  Value v;
  v.type = static_cast<Value::Type>(static_cast<int>(r.type));
  v.str = std::move(r.str);
  v.integer = r.type == protocol::Reply::Type::Boolean ? (r.boolean ? 1 : 0) : r.integer;
  v.dbl = r.dbl;
  v.boolean = r.boolean;
  v.elements.reserve(r.elements.size());
  for (auto& e : r.elements) v.elements.push_back(to_value(std::move(e)));
  return v;
}

std::optional<Error> check_set_options(const SetOptions& o) {
  if (o.nx && o.xx) return Error{ErrorCode::InvalidArgument, "SET: nx and xx exclude each other"};
  int expiries = (o.ex ? 1 : 0) + (o.px ? 1 : 0) + (o.exat ? 1 : 0) + (o.pxat ? 1 : 0) + (o.keepttl ? 1 : 0);
  if (expiries > 1) return Error{ErrorCode::InvalidArgument, "SET: use only one of ex, px, exat, pxat, keepttl"};
  return std::nullopt;
}

void encode_set(protocol::RequestWriter& w, std::string_view key, std::string_view value, const SetOptions& o) {
  size_t argc = 3 + (o.nx || o.xx ? 1 : 0) + (o.get ? 1 : 0) + (o.keepttl ? 1 : 0) +
                (o.ex || o.px || o.exat || o.pxat ? 2 : 0) + (o.tags.empty() ? 0 : 1 + o.tags.size());
  w.begin(argc).arg("SET").arg(key).arg(value);
  if (o.nx) w.arg("NX");
  if (o.xx) w.arg("XX");
  if (o.get) w.arg("GET");
  if (o.ex) w.arg("EX").arg(static_cast<long long>(o.ex->count()));
  if (o.px) w.arg("PX").arg(static_cast<long long>(o.px->count()));
  if (o.exat) w.arg("EXAT").arg(*o.exat);
  if (o.pxat) w.arg("PXAT").arg(*o.pxat);
  if (o.keepttl) w.arg("KEEPTTL");
  if (!o.tags.empty()) {
    w.arg("TAGS");
    for (auto& t : o.tags) w.arg(t);
  }
}

Result<SetReply> set_reply(Result<protocol::Reply> r, const SetOptions& opts) {
  if (!r) return r.error();
  SetReply out;
  if (opts.get) {
    if (!r->is_null() && !is_text(*r)) return unexpected("SET", *r);
    if (!r->is_null()) out.previous = std::move(r->str);
    out.written = opts.nx ? !out.previous : opts.xx ? out.previous.has_value() : true;
    return out;
  }
  if (r->is_null()) return out;  // NX / XX condition not met
  if (r->type != protocol::Reply::Type::Simple) return unexpected("SET", *r);
  out.written = true;
  return out;
}

Result<std::vector<std::optional<std::string>>> mget_reply(Result<protocol::Reply> r, size_t n) {
  if (!r) return r.error();
  if (r->type != protocol::Reply::Type::Array || r->elements.size() != n) return unexpected("MGET", *r);
  std::vector<std::optional<std::string>> out;
  out.reserve(n);
  for (auto& e : r->elements) {
    if (e.is_null()) out.emplace_back();
    else if (is_text(e)) out.emplace_back(std::move(e.str));
    else return unexpected("MGET", e);
  }
  return out;
}

void encode_keys(protocol::RequestWriter& w, std::string_view name, const KeyList& keys) {
  w.begin(1 + keys.size()).arg(name);
  for (auto k : keys.items()) w.arg(k);
}

}  // namespace detail
}  // namespace shardcache
