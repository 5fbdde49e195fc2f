// tests/unit/daemon/harness.h: runs commands in process through the dispatcher, without sockets
// (Dragonfly's Run({"set","k","v"}) style), and records replies as a small tree.
#pragma once
#include <initializer_list>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "daemon/commands/command_table.h"
#include "daemon/config.h"
#include "daemon/store/store.h"

namespace shardcache::test {

/// One recorded reply.
struct Val {
  enum Kind { Simple, Error, Int, Bulk, Null, NullArray, Array, Map, Set, Double, Bool, Verbatim } kind = Null;
  std::string str;
  long long num = 0;
  double d = 0;
  std::vector<Val> elems;  // Map: flat k, v, ...
  bool ok() const { return kind == Simple && str == "OK"; }
  static Val of(Kind k, std::string s = {}) {
    Val v;
    v.kind = k;
    v.str = std::move(s);
    return v;
  }
};

/// Builds a reply tree from the sink calls.
class RecordingSink : public commands::ReplySink {
 public:
  explicit RecordingSink(int proto = 2) : proto_(proto) {}
  std::vector<Val> replies;
  void simple(std::string_view s) override { push(Val::of(Val::Simple, std::string(s))); }
  void write_error(std::string_view s) override { push(Val::of(Val::Error, std::string(s))); }
  void integer(long long v) override { Val x = Val::of(Val::Int); x.num = v; push(x); }
  void bulk(std::string_view s) override { push(Val::of(Val::Bulk, std::string(s))); }
  void null() override { push(Val::of(Val::Null)); }
  void null_array() override { push(Val::of(Val::NullArray)); }
  void array(size_t n) override { open(Val::Array, n); }
  void map(size_t n) override { open(Val::Map, n * 2); }
  void set(size_t n) override { open(Val::Set, n); }
  void dbl(double v) override { Val x = Val::of(Val::Double); x.d = v; push(x); }
  void boolean(bool b) override { Val x = Val::of(Val::Bool); x.num = b; push(x); }
  void verbatim(std::string_view s) override { push(Val::of(Val::Verbatim, std::string(s))); }
  int proto() const override { return proto_; }
  int proto_ = 2;

 private:
  struct Frame { Val v; size_t left; };
  void open(Val::Kind k, size_t n) {
    Val v = Val::of(k);
    if (n == 0) return push(v);
    stack_.push_back({v, n});
  }
  void push(Val v) {
    while (true) {
      if (stack_.empty()) { replies.push_back(std::move(v)); return; }
      Frame& f = stack_.back();
      f.v.elems.push_back(std::move(v));
      if (--f.left > 0) return;
      v = std::move(f.v);
      stack_.pop_back();
    }
  }
  std::vector<Frame> stack_;
};

/// Positions (in command_table().all()) of the rows some test ran through the dispatcher
/// (main.cpp fails a full run when a row with a handler is missing).
inline std::set<size_t>& dispatched_rows() {
  static std::set<size_t> rows;
  return rows;
}

/// A store + server state + one client, and Run().
class Harness {
 public:
  explicit Harness(size_t shards = 8) : store(shards), state(store, cfg, 1) {
    state.config_params = make_config_registry(cfg, [this] {
      store.set_maxmemory(cfg.maxmemory.load());
      store.set_policy(store::policy_from_name(cfg.get_policy()).value_or(store::EvictionPolicy::AllKeysLru));
    });
    cfg.maxmemory = 0;
    store.set_maxmemory(0);
    client = std::make_shared<commands::ClientState>();
    state.clients.add(client);
  }
  /// Runs one command and returns its reply.
  Val Run(std::vector<std::string> args) {
    RecordingSink sink(client->proto);
    std::vector<std::string_view> views(args.begin(), args.end());
    commands::CmdContext ctx{state, *client, *state.thread_stats[0]};
    commands::dispatch(ctx, commands::Args(views.data(), views.size()), sink);
    note_dispatched();
    return sink.replies.empty() ? Val::of(Val::Error, "no reply") : sink.replies.front();
  }
  /// Records every row whose per-command call counter is nonzero (dispatched_rows()).
  void note_dispatched() {
    const size_t n = commands::command_table().all().size();
    for (const auto& ts : state.thread_stats)
      for (size_t i = 0; i < n; ++i)
        if (ts->per_command.row(i).calls.load(std::memory_order_relaxed) != 0) dispatched_rows().insert(i);
  }
  /// Another connected client (WATCH tests need a second writer).
  std::shared_ptr<commands::ClientState> add_client() {
    auto c = std::make_shared<commands::ClientState>();
    state.clients.add(c);
    return c;
  }
  /// Runs one command as client `c`.
  Val RunAs(commands::ClientState& c, std::vector<std::string> args) {
    RecordingSink sink(c.proto);
    std::vector<std::string_view> views(args.begin(), args.end());
    commands::CmdContext ctx{state, c, *state.thread_stats[0]};
    commands::dispatch(ctx, commands::Args(views.data(), views.size()), sink);
    note_dispatched();
    return sink.replies.empty() ? Val::of(Val::Error, "no reply") : sink.replies.front();
  }
  Config cfg;
  store::Store store;
  commands::ServerState state;
  std::shared_ptr<commands::ClientState> client;
};

}  // namespace shardcache::test
