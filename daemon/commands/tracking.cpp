// daemon/commands/tracking.cpp: client-side caching's commands (CLIENT TRACKING, CACHING,
// GETREDIR, TRACKINGINFO), the minimum of pub/sub it needs (SUBSCRIBE / UNSUBSCRIBE, so a RESP2
// connection can take the invalidations of others on __redis__:invalidate) and the dispatcher's
// hooks: RESP2's subscribed context, remembering the keys a tracking client reads, and the end
// of CLIENT CACHING's one-command scope. The tables are in state/tracking.h.
#include <algorithm>
#include <string>
#include <vector>

#include "daemon/commands/command_table.h"
#include "daemon/commands/util.h"

namespace shardcache::commands {

namespace {

constexpr std::string_view kCachingNeedsMode =
    "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled";

bool overlaps(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  return a.substr(0, n) == b.substr(0, n);
}

// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX prefix ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP],
// with Redis 7.0's checks and texts in its order.
void ClientTracking(CmdContext& ctx, Args args, ReplySink& out) {
  ClientState& c = ctx.client;
  long long redirect = 0;
  uint32_t options = 0;
  std::vector<std::string> prefixes;
  for (size_t j = 3; j < args.size(); ++j) {
    const bool more = j + 1 < args.size();
    if (iequals(args[j], "redirect") && more) {
      ++j;
      if (redirect != 0) return out.error("ERR A client can only redirect to a single other client");
      auto id = parse_ll(args[j]);
      if (!id) return out.error(kErrNotInt);
      redirect = *id;
      if (redirect <= 0 || !ctx.server.clients.find(static_cast<uint64_t>(redirect)))
        return out.error("ERR The client ID you want redirect to does not exist");
    } else if (iequals(args[j], "bcast")) {
      options |= ClientState::kTrackBcast;
    } else if (iequals(args[j], "optin")) {
      options |= ClientState::kTrackOptin;
    } else if (iequals(args[j], "optout")) {
      options |= ClientState::kTrackOptout;
    } else if (iequals(args[j], "noloop")) {
      options |= ClientState::kTrackNoloop;
    } else if (iequals(args[j], "prefix") && more) {
      prefixes.emplace_back(args[++j]);
    } else {
      return out.error(kErrSyntax);
    }
  }
  if (iequals(args[2], "off")) {
    ctx.server.tracking.disable(c);
    return out.simple("OK");
  }
  if (!iequals(args[2], "on")) return out.error(kErrSyntax);
  const uint32_t now = c.tracking.load(std::memory_order_relaxed);
  if (!(options & ClientState::kTrackBcast) && !prefixes.empty())
    return out.error("ERR PREFIX option requires BCAST mode to be enabled");
  if ((now & ClientState::kTrackOn) && !!(now & ClientState::kTrackBcast) != !!(options & ClientState::kTrackBcast))
    return out.error("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then "
                     "re-enabling it with a different mode.");
  if ((options & ClientState::kTrackBcast) && (options & (ClientState::kTrackOptin | ClientState::kTrackOptout)))
    return out.error("ERR OPTIN and OPTOUT are not compatible with BCAST");
  if ((options & ClientState::kTrackOptin) && (options & ClientState::kTrackOptout))
    return out.error("ERR You can't specify both OPTIN mode and OPTOUT mode");
  if (((options & ClientState::kTrackOptin) && (now & ClientState::kTrackOptout)) ||
      ((options & ClientState::kTrackOptout) && (now & ClientState::kTrackOptin)))
    return out.error("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then "
                     "re-enabling it with a different mode.");
  if (options & ClientState::kTrackBcast) {
    for (size_t i = 0; i < prefixes.size(); ++i) {
      for (const auto& have : c.tracking_prefixes)
        if (overlaps(have, prefixes[i]))
          return out.error("ERR Prefix '" + prefixes[i] + "' overlaps with an existing prefix '" + have +
                           "'. Prefixes for a single client must not overlap.");
      for (size_t j = i + 1; j < prefixes.size(); ++j)
        if (overlaps(prefixes[i], prefixes[j]))
          return out.error("ERR Prefix '" + prefixes[i] + "' overlaps with another provided prefix '" + prefixes[j] +
                           "'. Prefixes for a single client must not overlap.");
    }
  }
  ctx.server.tracking.enable(c, static_cast<uint64_t>(redirect), options, prefixes);
  out.simple("OK");
}

void ClientCaching(CmdContext& ctx, Args args, ReplySink& out) {
  ClientState& c = ctx.client;
  const uint32_t f = c.tracking.load(std::memory_order_relaxed);
  if (!(f & ClientState::kTrackOn)) return out.error(kCachingNeedsMode);
  if (iequals(args[2], "yes")) {
    if (!(f & ClientState::kTrackOptin))
      return out.error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
  } else if (iequals(args[2], "no")) {
    if (!(f & ClientState::kTrackOptout))
      return out.error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
  } else {
    return out.error(kErrSyntax);
  }
  c.tracking.fetch_or(ClientState::kTrackCaching, std::memory_order_relaxed);
  out.simple("OK");
}

long long redirect_shown(const ClientState& c) {
  if (!(c.tracking.load(std::memory_order_relaxed) & ClientState::kTrackOn)) return -1;
  return static_cast<long long>(c.tracking_redirect.load(std::memory_order_relaxed));
}

void ClientGetredir(CmdContext& ctx, Args, ReplySink& out) { out.integer(redirect_shown(ctx.client)); }

void ClientTrackinginfo(CmdContext& ctx, Args, ReplySink& out) {
  const ClientState& c = ctx.client;
  const uint32_t f = c.tracking.load(std::memory_order_relaxed);
  std::vector<std::string_view> flags;
  if (!(f & ClientState::kTrackOn)) {
    flags.push_back("off");
  } else {
    flags.push_back("on");
    if (f & ClientState::kTrackBcast) flags.push_back("bcast");
    if (f & ClientState::kTrackOptin) {
      flags.push_back("optin");
      if (f & ClientState::kTrackCaching) flags.push_back("caching-yes");
    }
    if (f & ClientState::kTrackOptout) {
      flags.push_back("optout");
      if (f & ClientState::kTrackCaching) flags.push_back("caching-no");
    }
    if (f & ClientState::kTrackNoloop) flags.push_back("noloop");
    if (f & ClientState::kTrackBrokenRedir) flags.push_back("broken_redirect");
  }
  std::vector<std::string> prefixes = c.tracking_prefixes;
  std::sort(prefixes.begin(), prefixes.end());  // Redis lists them from its radix tree: in order
  out.map(3);
  out.bulk("flags");
  out.set(flags.size());
  for (auto fl : flags) out.bulk(fl);
  out.bulk("redirect");
  out.integer(redirect_shown(c));
  out.bulk("prefixes");
  out.array(prefixes.size());
  for (const auto& p : prefixes) out.bulk(p);
}

void set_subscribed(ClientState& c) {
  c.subscriptions.store(static_cast<uint32_t>(c.channels.size()), std::memory_order_relaxed);
  if (c.channels.empty()) c.push_mode &= static_cast<uint8_t>(~ClientState::kPushSubscribed);
  else c.push_mode |= ClientState::kPushSubscribed;
}

void CmdSubscribe(CmdContext& ctx, Args args, ReplySink& out) {
  ClientState& c = ctx.client;
  for (size_t i = 1; i < args.size(); ++i) {
    if (std::find(c.channels.begin(), c.channels.end(), args[i]) == c.channels.end()) c.channels.emplace_back(args[i]);
    set_subscribed(c);
    out.push(3);
    out.bulk("subscribe");
    out.bulk(args[i]);
    out.integer(static_cast<long long>(c.channels.size()));
  }
}

void CmdUnsubscribe(CmdContext& ctx, Args args, ReplySink& out) {
  ClientState& c = ctx.client;
  std::vector<std::string> which;
  if (args.size() == 1) which = c.channels;
  else which.assign(args.begin() + 1, args.end());
  if (which.empty()) {  // nothing to leave: one reply with a null channel, as Redis
    out.push(3);
    out.bulk("unsubscribe");
    out.null();
    out.integer(0);
    return;
  }
  for (const auto& ch : which) {
    std::erase(c.channels, ch);
    set_subscribed(c);
    out.push(3);
    out.bulk("unsubscribe");
    out.bulk(ch);
    out.integer(static_cast<long long>(c.channels.size()));
  }
}

}  // namespace

bool push_mode_allows(CmdContext& ctx, const CommandSpec& spec, ReplySink& out) {
  if (!(ctx.client.push_mode & ClientState::kPushSubscribed) || ctx.client.proto.load(std::memory_order_relaxed) >= 3)
    return true;
  static constexpr std::string_view kAllowed[] = {"subscribe", "unsubscribe", "psubscribe", "punsubscribe",
                                                  "ssubscribe", "sunsubscribe", "ping", "quit", "reset"};
  const std::string_view top = spec.parent ? std::string_view(spec.parent->name) : std::string_view(spec.name);
  if (std::find(std::begin(kAllowed), std::end(kAllowed), top) != std::end(kAllowed)) return true;
  out.error("ERR Can't execute '" + spec.name +
            "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context");
  return false;
}

bool run_tracked(CmdContext& ctx, const CommandSpec& spec, Args args, ReplySink& out) {
  ClientState& c = ctx.client;
  const uint32_t f = c.tracking.load(std::memory_order_relaxed);
  if (!(spec.flags & kReadonly) || spec.keys.empty() || (f & ClientState::kTrackBcast)) return false;
  const bool optin = f & ClientState::kTrackOptin, optout = f & ClientState::kTrackOptout;
  const bool caching = f & ClientState::kTrackCaching;
  if ((optin && !caching) || (optout && caching)) return false;
  std::vector<std::pair<size_t, size_t>> pos;
  if (!key_positions(spec, args, pos) || pos.empty()) return false;
  std::vector<std::string_view> keys;
  keys.reserve(pos.size());
  for (const auto& p : pos) keys.push_back(args[p.first]);
  // The read and the remembering happen under the keys' shard locks, so a write to one of them
  // either comes before the read (the client reads the new value) or after the key is
  // remembered (the write's invalidation reaches the client).
  {
    MultiKeyLock lock(ctx, keys);
    const bool was_locked = ctx.all_locked;
    ctx.all_locked = true;  // the handler's own key locks are held here
    execute(ctx, spec, args, out);
    ctx.all_locked = was_locked;
    for (auto k : keys) ctx.server.tracking.remember(c, k, 0);
  }
  const uint64_t max_keys = ctx.server.config.tracking_table_max_keys.load(std::memory_order_relaxed);
  if (max_keys) ctx.server.tracking.limit(max_keys);
  return true;
}

void after_tracked_command(CmdContext& ctx, Args args) {
  // Redis's resetClient: CLIENT CACHING's choice applies to the next command only (not across
  // MULTI, and another CLIENT subcommand keeps it).
  ClientState& c = ctx.client;
  if (c.in_multi || iequals(args[0], "client")) return;
  if (c.tracking.load(std::memory_order_relaxed) & ClientState::kTrackCaching)
    c.tracking.fetch_and(~static_cast<uint32_t>(ClientState::kTrackCaching), std::memory_order_relaxed);
}

void reset_push_state(CmdContext& ctx) {
  ctx.server.tracking.disable(ctx.client);
  ctx.client.channels.clear();
  set_subscribed(ctx.client);
}

void register_tracking(CommandTable& t) {
  const char* g = "connection";
  const auto sub = [&](CommandSpec spec) { t.add_sub("client", std::move(spec)); };
  const uint32_t conn = kNoScript | kLoading | kStale;
  sub({.name = "tracking", .arity = -3, .flags = conn | kNoRest, .acl = kAclConnection, .handler = ClientTracking,
       .group = g, .since = "6.0.0", .complexity = "O(1). Some options may introduce additional complexity.",
       .syntax = "ON|OFF [REDIRECT client-id] [PREFIX prefix [PREFIX prefix ...]] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]",
       .summary = "Turns client-side caching's key tracking on or off: invalidations as RESP3 pushes, or to "
                  "another connection subscribed to __redis__:invalidate (REDIRECT)."});
  sub({.name = "caching", .arity = 3, .flags = conn | kNoRest, .acl = kAclConnection, .handler = ClientCaching,
       .group = g, .since = "6.0.0", .complexity = "O(1)", .syntax = "YES|NO",
       .summary = "Tracks (OPTIN: YES) or does not track (OPTOUT: NO) the keys of the next command."});
  sub({.name = "getredir", .arity = 2, .flags = conn, .acl = kAclConnection, .handler = ClientGetredir, .group = g,
       .since = "6.0.0", .complexity = "O(1)",
       .summary = "Returns the id tracking invalidations are redirected to (0: none, -1: tracking off)."});
  sub({.name = "trackinginfo", .arity = 2, .flags = conn, .acl = kAclConnection, .handler = ClientTrackinginfo,
       .group = g, .since = "6.2.0", .complexity = "O(1)",
       .summary = "Returns the connection's tracking flags, redirect and BCAST prefixes."});
  const char* ps = "pubsub";
  t.add({.name = "subscribe", .arity = -2, .flags = kNoScript | kLoading | kStale | kNoRest, .acl = kAclPubsub,
         .handler = CmdSubscribe, .group = ps, .since = "2.0.0",
         .complexity = "O(N) where N is the number of channels to subscribe to.", .syntax = "channel [channel ...]",
         .summary = "Subscribes to channels; only __redis__:invalidate carries messages (tracking invalidations "
                    "redirected here), there is no PUBLISH."});
  t.add({.name = "unsubscribe", .arity = -1, .flags = kNoScript | kLoading | kStale | kNoRest, .acl = kAclPubsub,
         .handler = CmdUnsubscribe, .group = ps, .since = "2.0.0",
         .complexity = "O(N) where N is the number of clients already subscribed to a channel.",
         .syntax = "[channel [channel ...]]", .summary = "Unsubscribes from the channels given, or from all."});
}

}  // namespace shardcache::commands
