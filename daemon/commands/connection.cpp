// daemon/commands/connection.cpp: connection-level commands: PING, ECHO, QUIT, RESET, SELECT,
// AUTH, HELLO (RESP3 negotiation) and CLIENT.
#include <algorithm>
#include <optional>
#include <string>

#include "daemon/commands/client_memory.h"
#include "daemon/commands/command_table.h"
#include "daemon/commands/util.h"

namespace shardcache::commands {
namespace {

constexpr std::string_view kServerVersion = "7.2.0";  // what clients feature-detect against

/// Checks user/password against requirepass; writes the error and returns false on failure.
/// As in Redis 7.0, with no password the default user is "nopass": AUTH default <anything> and
/// HELLO AUTH default <anything> succeed, the one-argument AUTH is an error (not counted as a
/// failed authentication), and any other user name is WRONGPASS.
bool check_auth(CmdContext& ctx, std::string_view user, std::string_view pass, ReplySink& out, std::string_view how) {
  std::string required = ctx.server.config.get_requirepass();
  if (required.empty() && user.empty()) {
    out.error("ERR AUTH <password> called without any password configured for the default user. "
              "Are you sure your configuration is correct?");
    return false;
  }
  bool ok = required.empty() ? user == "default" : (user.empty() || user == "default") && secret_equals(pass, required);
  if (!ok) {
    note_auth_failure(ctx.server, ctx.client.addr, how);
    out.error("WRONGPASS invalid username-password pair or user is disabled.");
    return false;
  }
  ctx.client.authenticated = true;
  return true;
}

void CmdPing(CmdContext& ctx, Args args, ReplySink& out) {
  if (args.size() > 2) return out.error(arity_error("ping"));
  if ((ctx.client.push_mode & ClientState::kPushSubscribed) && ctx.client.proto < 3) {  // Redis: subscribed RESP2
    out.array(2);
    out.bulk("pong");
    return out.bulk(args.size() == 2 ? args[1] : std::string_view());
  }
  args.size() == 2 ? out.bulk(args[1]) : out.simple("PONG");
}

void CmdEcho(CmdContext& ctx, Args args, ReplySink& out) { out.bulk(args[1]); }

void CmdQuit(CmdContext& ctx, Args, ReplySink& out) {
  ctx.client.close_after_reply = true;
  out.simple("OK");
}

void CmdReset(CmdContext& ctx, Args, ReplySink& out) {
  unwatch_all(ctx.server, ctx.client);
  reset_push_state(ctx);
  ctx.client.reset_session(ctx.server.config.get_requirepass().empty());
  out.simple("RESET");
}

void CmdSelect(CmdContext& ctx, Args args, ReplySink& out) {
  auto db = parse_ll(args[1]);
  if (!db) return out.error(kErrNotInt);
  if (*db != 0) return out.error("ERR DB index is out of range");
  out.simple("OK");
}

void CmdAuth(CmdContext& ctx, Args args, ReplySink& out) {
  if (args.size() > 3) return out.error(kErrSyntax);
  std::string_view user = args.size() == 3 ? args[1] : std::string_view();
  if (check_auth(ctx, user, args.back(), out, "AUTH")) out.simple("OK");
}

bool valid_client_name(std::string_view n) {
  for (char c : n)
    if (c < '!' || c > '~') return false;
  return true;
}

void hello_reply(CmdContext& ctx, ReplySink& out) {
  out.map(7);
  out.bulk("server"); out.bulk("redis");
  out.bulk("version"); out.bulk(kServerVersion);
  out.bulk("proto"); out.integer(ctx.client.proto);
  out.bulk("id"); out.integer(static_cast<long long>(ctx.client.id));
  out.bulk("mode"); out.bulk("standalone");
  out.bulk("role"); out.bulk("master");
  out.bulk("modules"); out.array(0);
}

void CmdHello(CmdContext& ctx, Args args, ReplySink& out) {
  int ver = ctx.client.proto;
  size_t i = 1;
  if (args.size() >= 2) {
    auto v = parse_ll(args[1]);
    if (!v) return out.error("ERR Protocol version is not an integer or out of range");
    if (*v < 2 || *v > 3) return out.error("NOPROTO unsupported protocol version");
    ver = static_cast<int>(*v);
    i = 2;
  }
  std::string_view setname;
  bool has_setname = false;
  for (; i < args.size(); ++i) {
    if (iequals(args[i], "auth") && i + 2 < args.size()) {
      if (!check_auth(ctx, args[i + 1], args[i + 2], out, "HELLO AUTH")) return;
      i += 2;
    } else if (iequals(args[i], "setname") && i + 1 < args.size()) {
      setname = args[++i];
      has_setname = true;
      if (!valid_client_name(setname))
        return out.error("ERR Client names cannot contain spaces, newlines or special characters.");
    } else {
      return out.error("ERR Syntax error in HELLO option '" + std::string(args[i]) + "'");
    }
  }
  if (!ctx.client.authenticated)
    return out.error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
                     "AUTH <user> <pass> option can be used to authenticate the client and select the "
                     "RESP protocol version at the same time");
  if (has_setname) ctx.client.set_name(std::string(setname));
  ctx.client.proto = ver;
  hello_reply(ctx, out);
}

/// Redis's client flags letters for what we have, in its order: P (subscribed), x (in MULTI),
/// t (tracking), R (tracking redirect broken), B (tracking BCAST), d (a watched key changed),
/// e (no-evict), N (none).
std::string client_flags(const ClientState& c) {
  std::string f;
  const uint32_t tr = c.tracking.load(std::memory_order_relaxed);
  if (c.subscriptions.load(std::memory_order_relaxed) > 0) f += 'P';
  if (c.multi_count.load(std::memory_order_relaxed) >= 0) f += 'x';
  if (tr & ClientState::kTrackOn) f += 't';
  if (tr & ClientState::kTrackBrokenRedir) f += 'R';
  if (tr & ClientState::kTrackBcast) f += 'B';
  if (c.watch_dirty.load(std::memory_order_relaxed)) f += 'd';
  if (c.no_evict.load(std::memory_order_relaxed)) f += 'e';
  return f.empty() ? "N" : f;
}

/// One CLIENT LIST / CLIENT INFO line, fields in Redis 7.2's order (plus 7.4's watch= after
/// multi=). `current` is the running command's arguments when `c` is the caller (argv-mem);
/// obl: reply bytes not sent yet; omem: what the output buffer holds allocated.
std::string client_info_line(const ClientState& c, int64_t now_ms, Args current = {}) {
  size_t argv_mem = 0;
  for (auto a : current) argv_mem += a.size();
  const uint64_t qbuf = c.qbuf.load(std::memory_order_relaxed), qfree = c.qbuf_free.load(std::memory_order_relaxed);
  const uint64_t rbs = qbuf + qfree, rbp = std::max<uint64_t>(rbs, c.rbuf_peak.load(std::memory_order_relaxed));
  const uint64_t pending = c.out_pending.load(std::memory_order_relaxed);
  const uint64_t omem = std::max<uint64_t>(pending, c.out_mem.load(std::memory_order_relaxed));
  const uint64_t multi_mem = c.multi_mem.load(std::memory_order_relaxed);
  auto n = [](auto v) { return std::to_string(v); };
  std::string s;
  s.reserve(320);
  const ClientState::Info info = c.info();
  s += "id=" + n(c.id) + " addr=" + c.addr + " laddr=" + c.laddr + " fd=" + n(c.fd.load(std::memory_order_relaxed));
  s += " name=" + info.name + " age=" + n((now_ms - c.created_ms) / 1000);
  s += " idle=" + n((now_ms - c.last_interaction_ms.load(std::memory_order_relaxed)) / 1000);
  s += " flags=" + client_flags(c) + " db=0 sub=" + n(c.subscriptions.load(std::memory_order_relaxed)) + " psub=0 ssub=0";
  s += " multi=" + n(c.multi_count.load(std::memory_order_relaxed)) + " watch=" + n(c.watch_count.load(std::memory_order_relaxed));
  s += " qbuf=" + n(qbuf) + " qbuf-free=" + n(qfree) + " argv-mem=" + n(argv_mem) + " multi-mem=" + n(multi_mem);
  s += " rbs=" + n(rbs) + " rbp=" + n(rbp) + " obl=" + n(pending) + " oll=0 omem=" + n(omem);
  s += " tot-mem=" + n(rbs + argv_mem + multi_mem + omem) + " events=" + (pending ? "w" : "r");
  s += " cmd=" + command_display_name(c);
  const uint32_t tracking = c.tracking.load(std::memory_order_relaxed);
  const long long redir = tracking & ClientState::kTrackOn ? static_cast<long long>(c.tracking_redirect.load(std::memory_order_relaxed)) : -1;
  s += " user=default redir=" + n(redir) + " resp=" + n(c.proto.load()) + " lib-name=" + info.lib_name + " lib-ver=" + info.lib_ver + "\n";
  return s;
}

/// CLIENT KILL's filters (Redis 7.0: ID, TYPE, USER, ADDR, LADDR, SKIPME; MAXAGE came in 7.4).
struct KillFilter {
  std::optional<uint64_t> id;
  std::optional<std::string_view> addr, laddr;
  bool type_matches_none = false;  ///< TYPE master|replica|slave|pubsub: no such clients here
  bool skipme = true;
};

/// Parses the filter form; writes Redis's error and returns false when it is invalid.
bool parse_kill_filters(Args args, KillFilter& f, ReplySink& out) {
  if ((args.size() - 2) % 2 != 0) return out.error(kErrSyntax), false;
  for (size_t i = 2; i + 1 < args.size(); i += 2) {
    std::string_view k = args[i], v = args[i + 1];
    if (iequals(k, "id")) {
      auto n = parse_ll(v);
      if (!n || *n < 1) return out.error("ERR client-id should be greater than 0"), false;
      f.id = static_cast<uint64_t>(*n);
    } else if (iequals(k, "type")) {
      if (iequals(v, "normal")) continue;
      if (!iequals(v, "master") && !iequals(v, "replica") && !iequals(v, "slave") && !iequals(v, "pubsub"))
        return out.error("ERR Unknown client type '" + std::string(v) + "'"), false;
      f.type_matches_none = true;
    } else if (iequals(k, "user")) {
      if (v != "default") return out.error("ERR No such user '" + std::string(v) + "'"), false;
    } else if (iequals(k, "addr")) {
      f.addr = v;
    } else if (iequals(k, "laddr")) {
      f.laddr = v;
    } else if (iequals(k, "skipme")) {
      if (iequals(v, "yes")) f.skipme = true;
      else if (iequals(v, "no")) f.skipme = false;
      else return out.error(kErrSyntax), false;
    } else {
      return out.error(kErrSyntax), false;
    }
  }
  return true;
}

void client_kill(CmdContext& ctx, Args args, ReplySink& out) {
  // CLIENT KILL addr:port (old form: OK or "No such client", may kill the caller)
  // CLIENT KILL <filter> <value> ... (new form: the number killed; skips the caller unless SKIPME no)
  const bool old_form = args.size() == 3;
  KillFilter f;
  if (old_form) {
    f.addr = args[2];
    f.skipme = false;
  } else if (!parse_kill_filters(args, f, out)) {
    return;
  }
  long long killed = 0;
  if (!f.type_matches_none) {
    for (auto& c : ctx.server.clients.snapshot()) {
      if ((f.skipme && c->id == ctx.client.id) || (f.id && c->id != *f.id) || (f.addr && c->addr != *f.addr) ||
          (f.laddr && c->laddr != *f.laddr))
        continue;
      ++killed;
      if (c->id == ctx.client.id) ctx.client.close_after_reply = true;
      else if (c->kill) c->kill();
    }
  }
  if (old_form) return killed ? out.simple("OK") : out.error("ERR No such client");
  out.integer(killed);
}

void ClientId(CmdContext& ctx, Args, ReplySink& out) { out.integer(static_cast<long long>(ctx.client.id)); }

void ClientGetname(CmdContext& ctx, Args, ReplySink& out) {
  ctx.client.name().empty() ? out.null() : out.bulk(ctx.client.name());
}

void ClientSetname(CmdContext& ctx, Args args, ReplySink& out) {
  if (!valid_client_name(args[2]))
    return out.error("ERR Client names cannot contain spaces, newlines or special characters.");
  ctx.client.set_name(std::string(args[2]));
  out.simple("OK");
}

void ClientSetinfo(CmdContext& ctx, Args args, ReplySink& out) {
  if (iequals(args[2], "lib-name")) ctx.client.set_lib_name(std::string(args[3]));
  else if (iequals(args[2], "lib-ver")) ctx.client.set_lib_ver(std::string(args[3]));
  else return out.error("ERR Unrecognized option '" + std::string(args[2]) + "'");
  out.simple("OK");
}

void ClientInfo(CmdContext& ctx, Args args, ReplySink& out) { out.verbatim(client_info_line(ctx.client, ctx.now_ms, args)); }

// CLIENT LIST [TYPE NORMAL|MASTER|REPLICA|SLAVE|PUBSUB] | [ID id [id ...]], with Redis 7.0's
// checks: TYPE takes exactly one name; ID lists the clients in the order given (unknown ids
// skipped). A client with subscriptions is of type pubsub, every other one normal.
void ClientList(CmdContext& ctx, Args args, ReplySink& out) {
  auto clients = ctx.server.clients.snapshot();
  auto line = [&](const ClientState& cl) { return client_info_line(cl, ctx.now_ms, &cl == &ctx.client ? args : Args()); };
  std::string all;
  if (args.size() == 4 && iequals(args[2], "type")) {
    const std::string_view t = args[3];
    if (!iequals(t, "normal") && !iequals(t, "master") && !iequals(t, "replica") && !iequals(t, "slave") &&
        !iequals(t, "pubsub"))
      return out.error("ERR Unknown client type '" + std::string(t) + "'");
    // normal: every client not subscribed; pubsub: the subscribed ones (SUBSCRIBE for tracking's
    // REDIRECT); no masters or replicas here.
    const bool pubsub = iequals(t, "pubsub");
    if (!pubsub && !iequals(t, "normal")) return out.verbatim(all);
    for (const auto& cl : clients)
      if ((cl->subscriptions.load(std::memory_order_relaxed) > 0) == pubsub) all += line(*cl);
    return out.verbatim(all);
  } else if (args.size() > 3 && iequals(args[2], "id")) {
    std::vector<uint64_t> ids;
    for (size_t i = 3; i < args.size(); ++i) {
      auto id = parse_ll(args[i]);
      if (!id) return out.error("ERR Invalid client ID");
      ids.push_back(static_cast<uint64_t>(*id));
    }
    for (uint64_t id : ids)
      for (const auto& cl : clients)
        if (cl->id == id) all += line(*cl);
    return out.verbatim(all);
  } else if (args.size() != 2) {
    return out.error(kErrSyntax);
  }
  for (const auto& cl : clients) all += line(*cl);
  out.verbatim(all);
}

void ClientNoEvict(CmdContext& ctx, Args args, ReplySink& out) {
  if (!iequals(args[2], "on") && !iequals(args[2], "off")) return out.error(kErrSyntax);
  ctx.client.no_evict.store(iequals(args[2], "on"), std::memory_order_relaxed);
  out.simple("OK");
}

// CLIENT REPLY ON | OFF | SKIP (dispatch() holds the replies back; see ClientState::reply_mode).
void ClientReply(CmdContext& ctx, Args args, ReplySink& out) {
  auto& mode = ctx.client.reply_mode;
  if (iequals(args[2], "on")) {
    mode = 0;
    return out.simple("OK");
  }
  if (iequals(args[2], "off")) return void(mode |= ClientState::kReplyOff);
  if (iequals(args[2], "skip")) {
    if (!(mode & ClientState::kReplyOff)) mode |= ClientState::kReplySkipNext;
    return;
  }
  out.error(kErrSyntax);
}

void ClientHelp(CmdContext&, Args, ReplySink& out) { subcommand_help(*command_table().find("client"), out); }

}  // namespace

std::string client_description(const ClientState& c, int64_t now_ms) {
  std::string s = client_info_line(c, now_ms);
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

void register_connection(CommandTable& t) {
  const char* g = "connection";
  t.add({.name = "ping", .arity = -1, .flags = kFast, .acl = kAclConnection, .handler = CmdPing, .group = g,
         .since = "1.0.0", .complexity = "O(1)", .tips = "request_policy:all_shards response_policy:all_succeeded",
         .syntax = "[message]", .summary = "Returns PONG, or the message."});
  t.add({.name = "echo", .arity = 2, .flags = kLoading | kStale | kFast, .acl = kAclConnection, .handler = CmdEcho,
         .group = g, .since = "1.0.0", .complexity = "O(1)", .syntax = "message", .summary = "Returns the message."});
  t.add({.name = "quit", .arity = -1, .flags = kNoScript | kLoading | kStale | kFast | kNoAuth | kAllowBusy | kNotQueued,
         .acl = kAclConnection, .handler = CmdQuit, .group = g, .since = "1.0.0", .complexity = "O(1)",
         .summary = "Closes the connection after replying OK."});
  t.add({.name = "reset", .arity = 1, .flags = kNoScript | kLoading | kStale | kFast | kNoAuth | kAllowBusy | kNotQueued,
         .acl = kAclConnection, .handler = CmdReset, .group = g, .since = "6.2.0", .complexity = "O(1)",
         .summary = "Resets the connection's state."});
  t.add({.name = "select", .arity = 2, .flags = kLoading | kStale | kFast, .acl = kAclConnection, .handler = CmdSelect,
         .group = g, .since = "1.0.0", .complexity = "O(1)", .syntax = "index",
         .summary = "Selects a database (only 0 exists)."});
  t.add({.name = "auth", .arity = -2, .flags = kNoScript | kLoading | kStale | kFast | kNoAuth | kAllowBusy,
         .acl = kAclConnection, .handler = CmdAuth, .group = g, .since = "1.0.0",
         .complexity = "O(N) where N is the number of passwords defined for the user", .syntax = "[username] password",
         .summary = "Authenticates the connection."});
  t.add({.name = "hello", .arity = -1, .flags = kNoScript | kLoading | kStale | kFast | kNoAuth | kAllowBusy,
         .acl = kAclConnection, .handler = CmdHello, .group = g, .since = "6.0.0", .complexity = "O(1)",
         .syntax = "[protover [AUTH username password] [SETNAME clientname]]",
         .summary = "Negotiates the protocol (2 or 3) and authenticates."});
  t.add({.name = "client", .arity = -2, .flags = 0, .group = g, .since = "2.4.0", .complexity = "Depends on subcommand.",
         .summary = "Inspects and manages client connections."});
  const auto sub = [&](CommandSpec spec) { t.add_sub("client", std::move(spec)); };
  const uint32_t conn = kNoScript | kLoading | kStale;
  sub({.name = "id", .arity = 2, .flags = conn, .acl = kAclConnection, .handler = ClientId, .group = g, .since = "5.0.0",
       .complexity = "O(1)", .summary = "Returns the connection's id."});
  sub({.name = "getname", .arity = 2, .flags = conn, .acl = kAclConnection, .handler = ClientGetname, .group = g,
       .since = "2.6.9", .complexity = "O(1)", .summary = "Returns the connection's name (null when none)."});
  sub({.name = "setname", .arity = 3, .flags = conn, .acl = kAclConnection, .handler = ClientSetname, .group = g,
       .since = "2.6.9", .complexity = "O(1)", .syntax = "connection-name",
       .summary = "Names the connection (shown by CLIENT LIST); an empty name removes it."});
  sub({.name = "setinfo", .arity = 4, .flags = conn, .acl = kAclConnection, .handler = ClientSetinfo, .group = g,
       .since = "7.2.0", .complexity = "O(1)", .syntax = "LIB-NAME libname | LIB-VER libver",
       .summary = "Records the client library's name or version (shown by CLIENT LIST)."});
  sub({.name = "info", .arity = 2, .flags = conn, .acl = kAclConnection, .handler = ClientInfo, .group = g,
       .since = "6.2.0", .complexity = "O(1)", .tips = "nondeterministic_output",
       .summary = "Returns the connection's CLIENT LIST line."});
  sub({.name = "list", .arity = -2, .flags = kAdmin | conn, .acl = kAclConnection, .handler = ClientList, .group = g,
       .since = "2.4.0", .complexity = "O(N) where N is the number of client connections",
       .tips = "nondeterministic_output",
       .syntax = "[TYPE NORMAL|MASTER|REPLICA|PUBSUB] [ID client-id [client-id ...]]",
       .summary = "Lists the client connections (RESP and REST), one line each."});
  sub({.name = "kill", .arity = -3, .flags = kAdmin | conn, .acl = kAclConnection, .handler = client_kill, .group = g,
       .since = "2.4.0", .complexity = "O(N) where N is the number of client connections",
       .syntax = "ip:port | [ID client-id] [TYPE NORMAL|MASTER|REPLICA|PUBSUB] [USER username] [ADDR ip:port] "
                 "[LADDR ip:port] [SKIPME YES|NO]",
       .summary = "Closes client connections: the one at ip:port, or every one matching the filters."});
  sub({.name = "no-evict", .arity = 3, .flags = kAdmin | conn, .acl = kAclConnection, .handler = ClientNoEvict,
       .group = g, .since = "7.0.0", .complexity = "O(1)", .syntax = "ON | OFF",
       .summary = "Exempts the connection from maxmemory-clients (flag e in CLIENT LIST)."});
  sub({.name = "reply", .arity = 3, .flags = conn | kNoRest, .acl = kAclConnection, .handler = ClientReply, .group = g,
       .since = "3.2.0", .complexity = "O(1)", .syntax = "ON | OFF | SKIP",
       .summary = "Turns the replies to this connection's commands off (OFF), on (ON), or off for the next one (SKIP)."});
  sub({.name = "help", .arity = 2, .flags = kLoading | kStale, .acl = kAclConnection, .handler = ClientHelp, .group = g,
       .since = "5.0.0", .complexity = "O(1)", .summary = "Lists the subcommands."});
}

}  // namespace shardcache::commands
