// tests/unit/daemon/persistence_test.cpp: SAVE, BGSAVE, LASTSAVE, SHUTDOWN's final save, save
// points, stop-writes-on-bgsave-error and INFO persistence through the dispatcher, and the
// snapshot writer and loader on a real store: round trips (values, TTLs, tags), expired keys,
// the memory budget, refused files (truncated, corrupt, other types) and a save under writes.
#include <doctest/doctest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "daemon/persist/persister.h"
#include "daemon/persist/rdb_format.h"
#include "harness.h"

using shardcache::test::Harness;
using shardcache::test::Val;
namespace persist = shardcache::persist;
namespace fs = std::filesystem;

namespace {

/// A fresh temporary directory, removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/sc-persist-test.XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

/// A Harness whose server has a Persister writing into its own directory.
struct PHarness : Harness {
  TempDir dir;
  std::unique_ptr<persist::Persister> p;
  explicit PHarness(std::string save = "3600 1") {
    cfg.dir = dir.path.string();
    cfg.save = std::move(save);
    p = std::make_unique<persist::Persister>(store, cfg, 2);
    state.persister = p.get();
  }
  fs::path file() const { return dir.path / "dump.rdb"; }
  /// Runs the cron until no BGSAVE runs (at most 10 s).
  void wait_bgsave() {
    for (int i = 0; i < 1000 && p->status().bgsave_in_progress; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    p->cron();
  }
  std::string info() { return Run({"info", "persistence"}).str; }
};

bool has_line(const std::string& info, const std::string& line) { return info.find(line + "\r\n") != std::string::npos; }

/// Loads `path` into a fresh store with maxmemory `budget` (0 = none).
persist::LoadResult load_into(shardcache::store::Store& st, const fs::path& path, bool skip = true) {
  persist::LoadOptions o;
  o.path = path.string();
  o.skip_unsupported_types = skip;
  o.threads = 2;
  return persist::load_snapshot(st, o);
}

std::string fixture() { return std::string(SHARDCACHE_TEST_DIR) + "/../fixtures/redis-7.0.15.rdb"; }

}  // namespace

TEST_CASE("SAVE writes a snapshot that loads back with values, TTLs and tags") {
  PHarness h;
  CHECK(h.Run({"set", "plain", "value"}).ok());
  CHECK(h.Run({"set", "num", "12345"}).ok());
  CHECK(h.Run({"set", "ttl", "v", "EX", "1000"}).ok());
  CHECK(h.Run({"set", "tagged", "t", "TAGS", "course:1", "student:2"}).ok());
  CHECK(h.Run({"set", "long", std::string(5000, 'z')}).ok());
  CHECK(has_line(h.info(), "rdb_changes_since_last_save:5"));
  CHECK(h.Run({"save"}).ok());
  CHECK(has_line(h.info(), "rdb_changes_since_last_save:0"));
  CHECK(has_line(h.info(), "rdb_saves:1"));
  CHECK(h.Run({"lastsave"}).num >= shardcache::store::unix_ms() / 1000 - 5);
  REQUIRE(fs::exists(h.file()));

  shardcache::store::Store fresh(8);
  auto r = load_into(fresh, h.file());
  REQUIRE(r.ok);
  CHECK(r.loaded == 5);
  CHECK(r.tagged == 1);
  Harness h2;  // a restarted server: its Persister loads the same directory
  h2.cfg.dir = h.dir.path.string();
  persist::Persister p2(h2.store, h2.cfg, 2);
  REQUIRE(p2.load().ok);
  CHECK(h2.Run({"get", "plain"}).str == "value");
  CHECK(h2.Run({"get", "num"}).str == "12345");
  CHECK(h2.Run({"get", "long"}).str == std::string(5000, 'z'));
  long long ttl = h2.Run({"ttl", "ttl"}).num;
  CHECK(ttl > 990);
  CHECK(ttl <= 1000);
  CHECK(h2.Run({"ttl", "plain"}).num == -1);
  CHECK(h2.Run({"invalidatetag", "student:2"}).num == 1);
  CHECK(h2.Run({"exists", "tagged"}).num == 0);
}

TEST_CASE("BGSAVE runs in the background; a second one is refused or scheduled") {
  PHarness h;
  std::string value(100, 'v');
  for (int i = 0; i < 200000; ++i) {
    std::string k = "key:" + std::to_string(i);
    uint64_t hh = shardcache::store::Store::hash(k);
    auto& sh = h.store.shard_for(hh);
    std::lock_guard g(sh.mutex());
    sh.put_locked(k, hh, value, 0);
  }
  CHECK(h.Run({"bgsave"}).str == "Background saving started");
  CHECK(h.Run({"bgsave"}).str == "ERR Background save already in progress");
  CHECK(h.Run({"save"}).str == "ERR Background save already in progress");
  CHECK(h.Run({"bgsave", "schedule"}).str == "Background saving scheduled");
  CHECK(h.Run({"bgsave", "now"}).str == "ERR syntax error");
  CHECK(has_line(h.info(), "rdb_bgsave_in_progress:1"));
  h.wait_bgsave();  // the cron starts the scheduled one
  h.wait_bgsave();
  std::string info = h.info();
  CHECK(has_line(info, "rdb_bgsave_in_progress:0"));
  CHECK(has_line(info, "rdb_last_bgsave_status:ok"));
  CHECK(has_line(info, "rdb_saves:2"));
  shardcache::store::Store fresh(16);
  auto r = load_into(fresh, h.file());
  REQUIRE(r.ok);
  CHECK(r.loaded == 200000);
}

TEST_CASE("a failed BGSAVE stops writes (MISCONF) until stop-writes-on-bgsave-error is off") {
  PHarness h;
  h.cfg.dir = (h.dir.path / "gone").string();  // does not exist: the temp file cannot be opened
  CHECK(h.Run({"set", "k", "v"}).ok());
  CHECK(h.Run({"bgsave"}).str == "Background saving started");
  h.wait_bgsave();
  CHECK(has_line(h.info(), "rdb_last_bgsave_status:err"));
  CHECK(h.Run({"set", "k", "v2"}).str.rfind("MISCONF Redis is configured to save RDB snapshots", 0) == 0);
  CHECK(h.Run({"get", "k"}).str == "v");  // reads still work
  CHECK(h.Run({"save"}).str == "ERR");
  CHECK(h.Run({"shutdown"}).str == "ERR Errors trying to SHUTDOWN. Check logs.");
  CHECK(h.Run({"shutdown", "save", "nosave"}).str == "ERR syntax error");
  CHECK(h.Run({"config", "set", "stop-writes-on-bgsave-error", "no"}).ok());
  h.p->cron();
  CHECK(h.Run({"set", "k", "v3"}).ok());
  CHECK(h.Run({"config", "set", "save", ""}).ok());
  CHECK(h.Run({"config", "set", "stop-writes-on-bgsave-error", "yes"}).ok());
  h.p->cron();
  CHECK(h.Run({"set", "k", "v4"}).ok());  // no save points: never MISCONF
  h.client->close_after_reply = false;
  CHECK(h.Run({"shutdown", "nosave"}).ok());
}

TEST_CASE("SHUTDOWN saves when save points are set or SAVE is given") {
  PHarness h("");
  CHECK(h.Run({"set", "a", "1"}).ok());
  CHECK(h.Run({"shutdown"}).ok());
  CHECK(!fs::exists(h.file()));
  h.client->close_after_reply = false;
  CHECK(h.Run({"shutdown", "save"}).ok());
  CHECK(fs::exists(h.file()));
  PHarness h2("60 1");
  CHECK(h2.Run({"set", "a", "1"}).ok());
  CHECK(h2.Run({"shutdown", "now"}).ok());
  CHECK(fs::exists(h2.file()));
}

TEST_CASE("FLUSHALL with save points saves the empty keyspace") {
  PHarness h("3600 1");
  CHECK(h.Run({"set", "a", "1"}).ok());
  CHECK(h.Run({"save"}).ok());
  CHECK(h.Run({"flushall"}).ok());
  shardcache::store::Store fresh(8);
  auto r = load_into(fresh, h.file());
  REQUIRE(r.ok);
  CHECK(r.loaded == 0);
  CHECK(has_line(h.info(), "rdb_saves:2"));
}

TEST_CASE("a save point starts a background save when its time and changes have come") {
  PHarness h("1 2");
  CHECK(h.Run({"set", "a", "1"}).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  h.p->cron();  // 1 change: not yet
  CHECK(!h.p->status().bgsave_in_progress);
  CHECK(!fs::exists(h.file()));
  CHECK(h.Run({"set", "b", "1"}).ok());
  h.p->cron();
  h.wait_bgsave();
  CHECK(fs::exists(h.file()));
  CHECK(has_line(h.info(), "rdb_changes_since_last_save:0"));
}

TEST_CASE("CONFIG for persistence: Redis's names, syntax and protected parameters") {
  PHarness h;
  CHECK(h.Run({"config", "get", "save"}).elems[1].str == "3600 1");
  CHECK(h.Run({"config", "set", "save", "100   5 60 1000"}).ok());
  CHECK(h.Run({"config", "get", "save"}).elems[1].str == "100 5 60 1000");
  CHECK(h.Run({"config", "set", "save", "1 2 3"}).str ==
        "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters");
  CHECK(h.Run({"config", "set", "save", "0 1"}).str ==
        "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters");
  CHECK(h.Run({"config", "get", "dir"}).elems[1].str == h.dir.path.string());
  CHECK(h.Run({"config", "get", "dbfilename"}).elems[1].str == "dump.rdb");
  CHECK(h.Run({"config", "set", "dir", "/tmp"}).str ==
        "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config");
  CHECK(h.Run({"config", "set", "rdbchecksum", "no"}).str ==
        "ERR CONFIG SET failed (possibly related to argument 'rdbchecksum') - can't set immutable config");
  CHECK(h.Run({"config", "set", "rdbcompression", "no"}).ok());
  CHECK(h.Run({"config", "get", "rdbcompression"}).elems[1].str == "no");
}

TEST_CASE("loading: expired keys are skipped, a snapshot over maxmemory loads what fits") {
  PHarness h;
  for (int i = 0; i < 5000; ++i) CHECK(h.Run({"set", "k" + std::to_string(i), std::string(200, 'x')}).ok());
  CHECK(h.Run({"set", "soon", "v", "PX", "50"}).ok());
  CHECK(h.Run({"save"}).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  shardcache::store::Store all(8);
  auto r = load_into(all, h.file());
  REQUIRE(r.ok);
  CHECK(r.loaded == 5000);
  CHECK(r.expired == 1);
  shardcache::store::Store small(8);
  small.set_maxmemory(256 * 1024);
  auto r2 = load_into(small, h.file());
  REQUIRE(r2.ok);
  CHECK(r2.evicted > 0);
  CHECK(r2.loaded < 5000);
  CHECK(small.stats().used_bytes <= 256 * 1024);
}

TEST_CASE("loading refuses a truncated or corrupt file, naming the offset, and leaves the store empty") {
  PHarness h;
  for (int i = 0; i < 300; ++i) CHECK(h.Run({"set", "k" + std::to_string(i), "v" + std::to_string(i)}).ok());
  CHECK(h.Run({"save"}).ok());
  std::string bytes;
  {
    std::ifstream in(h.file(), std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto write = [&](const std::string& b) {
    std::ofstream out(h.file(), std::ios::binary | std::ios::trunc);
    out << b;
  };
  for (size_t cut : {size_t{0}, size_t{5}, size_t{9}, size_t{40}, bytes.size() / 2, bytes.size() - 9, bytes.size() - 1}) {
    write(bytes.substr(0, cut));
    shardcache::store::Store st(8);
    auto r = load_into(st, h.file());
    INFO("cut at ", cut);
    CHECK(!r.ok);
    CHECK(r.error.find("at offset") != std::string::npos);
    CHECK(st.stats().keys == 0);
  }
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x20;
  write(flipped);
  shardcache::store::Store st(8);
  auto r = load_into(st, h.file());
  CHECK(!r.ok);
  CHECK(st.stats().keys == 0);
  fs::remove(h.file());
  auto missing = load_into(st, h.file());
  CHECK(missing.ok);
  CHECK(missing.missing);
}

TEST_CASE("loading a redis-server dump: strings load, other types are skipped and counted, or refused") {
  shardcache::store::Store st(8);
  auto r = load_into(st, fixture());
  REQUIRE(r.ok);
  CHECK(r.skipped_types.size() >= 4);
  CHECK(r.skipped_types["hash"] == 2);
  CHECK(r.loaded > 0);
  shardcache::store::Store st2(8);
  auto refused = load_into(st2, fixture(), false);
  CHECK(!refused.ok);
  CHECK(refused.error.find("shardcached holds strings only") != std::string::npos);
  CHECK(st2.stats().keys == 0);
}

TEST_CASE("a snapshot taken under concurrent writes holds each key once and every untouched key") {
  shardcache::store::Store st(16);
  auto put = [&](const std::string& k, const std::string& v) {
    uint64_t hh = shardcache::store::Store::hash(k);
    auto& sh = st.shard_for(hh);
    std::lock_guard g(sh.mutex());
    sh.put_locked(k, hh, v, 0);
  };
  for (int i = 0; i < 50000; ++i) put("stable:" + std::to_string(i), "s");
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) put("churn:" + std::to_string(i % 20000), std::to_string(i));
  });
  TempDir dir;
  persist::SnapshotOptions o;
  o.path = (dir.path / "dump.rdb").string();
  o.slice = 64;
  auto w = persist::write_snapshot(st, o);
  stop = true;
  writer.join();
  REQUIRE(w.ok);
  std::ifstream in(o.path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  persist::RdbDecoder d(bytes);
  persist::RdbError err;
  REQUIRE(d.header(err));
  std::set<std::string> seen;
  size_t stable = 0, dups = 0;
  persist::RdbItem item;
  while (d.next(item, err) && item.kind != persist::RdbItem::Kind::End) {
    if (item.kind != persist::RdbItem::Kind::StringKey) continue;
    if (!seen.insert(std::string(item.key)).second) ++dups;
    if (item.key.rfind("stable:", 0) == 0) ++stable;
  }
  CHECK(err.what.empty());
  CHECK(dups == 0);
  CHECK(stable == 50000);
}
