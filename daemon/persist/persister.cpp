// daemon/persist/persister.cpp: SAVE, BGSAVE, save points and the shutdown save (persister.h).
#include "daemon/persist/persister.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>

namespace shardcache::persist {
namespace {

constexpr int64_t kBgsaveRetrySeconds = 5;  // Redis's CONFIG_BGSAVE_RETRY_DELAY after a failed save

int64_t unix_s() { return store::unix_ms() / 1000; }

template <typename T>
bool parse_num(std::string_view s, T& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::optional<std::vector<SavePoint>> parse_save_points(std::string_view s) {
  std::vector<std::string_view> words;
  for (size_t i = 0; i < s.size();) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ') ++j;
    if (j > i) words.push_back(s.substr(i, j - i));
    i = j;
  }
  if (words.size() % 2 != 0) return std::nullopt;
  std::vector<SavePoint> points;
  for (size_t i = 0; i < words.size(); i += 2) {
    SavePoint p;
    if (!parse_num(words[i], p.seconds) || !parse_num(words[i + 1], p.changes) || p.seconds < 1) return std::nullopt;
    points.push_back(p);
  }
  return points;
}

Persister::Persister(store::Store& store, const Config& cfg, unsigned threads)
    : store_(store), cfg_(cfg), threads_(std::max(1u, threads)) {
  last_save_time_ = unix_s();  // as Redis: the start time until a first save
}

Persister::~Persister() {
  progress_.cancel = true;
  std::thread t;
  {
    std::lock_guard g(mu_);  // the thread takes mu_ as it ends: join it without
    t = std::move(bg_);
  }
  if (t.joinable()) t.join();
}

std::vector<SavePoint> Persister::save_points() const { return parse_save_points(cfg_.get_save()).value_or(std::vector<SavePoint>{}); }

SnapshotResult Persister::write(bool background) {
  SnapshotOptions o;
  o.path = cfg_.rdb_path();
  o.compress = cfg_.rdbcompression.load();
  o.checksum = cfg_.rdbchecksum;
  o.threads = threads_;
  o.background = background;
  const store::StoreStats st = store_.stats();
  o.aux = {{"redis-ver", std::string(kRedisCompatVersion)}, {"redis-bits", "64"}, {"ctime", std::to_string(unix_s())},
           {"used-mem", std::to_string(st.used_bytes)}, {"aof-base", "0"}, {"shardcache-ver", std::string(kVersion)}};
  return write_snapshot(store_, o, background ? &progress_ : nullptr);
}

LoadResult Persister::load() {
  LoadOptions o;
  o.path = cfg_.rdb_path();
  o.skip_unsupported_types = cfg_.rdb_skip_unsupported_types;
  o.threads = threads_;
  auto t0 = std::chrono::steady_clock::now();
  LoadResult r = load_snapshot(store_, o);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (r.ok && !r.missing) {
    spdlog::info("DB loaded from disk: {} keys in {:.3f} seconds ({} bytes, RDB version {}{}{}), {} expired keys skipped",
                 r.loaded, secs, r.file_bytes, r.version, r.redis_ver.empty() ? "" : ", written by version ", r.redis_ver,
                 r.expired);
    if (r.evicted) spdlog::warn("the snapshot is larger than maxmemory: {} keys were evicted while loading", r.evicted);
    if (!r.skipped_types.empty()) {
      std::string counts;
      for (const auto& [type, n] : r.skipped_types) counts += (counts.empty() ? "" : ", ") + type + ": " + std::to_string(n);
      spdlog::warn("skipped keys shardcached cannot hold ({})", counts);
    }
  }
  std::lock_guard g(mu_);
  last_load_ = r;
  changes_at_last_save_ = store_.changes();
  return r;
}

bool Persister::save(std::string& err) {
  {
    std::lock_guard g(mu_);
    reap_locked();
    if (bg_running_) {
      err = "Background save already in progress";
      return false;
    }
    ++saves_;
  }
  const uint64_t changes = store_.changes();
  SnapshotResult r = write(false);
  std::lock_guard g(mu_);
  if (!r.ok) {
    spdlog::warn("{}", r.error);
    err = "ERR";  // Redis answers SAVE's failure with shared.err: "-ERR"
    return false;
  }
  spdlog::info("DB saved on disk ({} keys, {} bytes)", r.keys, r.bytes);
  changes_at_last_save_ = changes;
  last_save_time_ = unix_s();
  last_bgsave_ok_ = true;  // as Redis: a good SAVE clears a failed BGSAVE's status
  update_denied_locked();
  return true;
}

Persister::BgStart Persister::bgsave(bool schedule) {
  std::lock_guard g(mu_);
  reap_locked();
  if (bg_running_) {
    if (!schedule) return BgStart::InProgress;
    bg_scheduled_ = true;
    return BgStart::Scheduled;
  }
  start_bgsave_locked();
  return BgStart::Started;
}

void Persister::start_bgsave_locked() {
  bg_running_ = true;
  bg_scheduled_ = false;
  ++saves_;
  progress_.keys = 0;
  progress_.cancel = false;
  bg_start_ms_ = store::unix_ms();
  last_bgsave_try_ = bg_start_ms_ / 1000;
  bg_changes_at_start_ = store_.changes();
  keys_at_start_ = store_.stats().keys;
  spdlog::info("Background saving started");
  bg_ = std::thread([this] {
    SnapshotResult r = write(true);
    std::lock_guard g(mu_);
    bg_result_ = std::move(r);
    finish_bgsave_locked();  // the status is whole before bg_running_ drops
    bg_running_ = false;
  });
}

// Joins a finished BGSAVE's thread (mu_ held; the thread has done its last locked step).
void Persister::reap_locked() {
  if (bg_running_ || !bg_.joinable()) return;
  bg_.join();
}

// Records a BGSAVE's result (mu_ held, on the save's own thread).
void Persister::finish_bgsave_locked() {
  last_bgsave_time_sec_ = (store::unix_ms() - bg_start_ms_) / 1000;
  if (bg_result_.ok) {
    spdlog::info("Background saving terminated with success ({} keys, {} bytes)", bg_result_.keys, bg_result_.bytes);
    changes_at_last_save_ = bg_changes_at_start_;
    last_save_time_ = unix_s();
    last_bgsave_ok_ = true;
  } else {
    spdlog::warn("Background saving error: {}", bg_result_.error);
    last_bgsave_ok_ = false;
  }
  update_denied_locked();
}

void Persister::update_denied_locked() {
  writes_denied_ = cfg_.stop_writes_on_bgsave_error.load() && !last_bgsave_ok_ && !save_points().empty();
}

void Persister::cron() {
  std::lock_guard g(mu_);
  if (bg_.joinable() && !bg_running_) reap_locked();
  update_denied_locked();  // stop-writes-on-bgsave-error or save may have changed
  if (bg_running_) return;
  if (bg_scheduled_) return start_bgsave_locked();
  const uint64_t dirty = store_.changes() - changes_at_last_save_;
  const int64_t now = unix_s();
  for (const SavePoint& sp : save_points()) {
    if (dirty >= sp.changes && now - last_save_time_.load() > sp.seconds &&
        (last_bgsave_ok_ || now - last_bgsave_try_ > kBgsaveRetrySeconds)) {
      spdlog::info("{} changes in {} seconds. Saving...", sp.changes, sp.seconds);
      return start_bgsave_locked();
    }
  }
}

bool Persister::would_save_on_shutdown(bool force_save, bool nosave) const {
  return force_save || (!nosave && !save_points().empty());
}

bool Persister::save_for_shutdown(bool force_save, bool nosave, std::string& err) {
  if (!would_save_on_shutdown(force_save, nosave)) return true;
  {
    std::unique_lock g(mu_);
    if (bg_running_) {
      spdlog::warn("There is a background save running. Cancelling it!");
      progress_.cancel = true;
      g.unlock();
      while (bg_running_) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      g.lock();
    }
    reap_locked();
  }
  spdlog::info("Saving the final RDB snapshot before exiting.");
  if (!save(err)) {
    spdlog::warn("Error trying to save the DB, can't exit.");
    return false;
  }
  return true;
}

PersistenceStatus Persister::status() const {
  std::lock_guard g(mu_);
  PersistenceStatus s;
  s.changes_since_last_save = store_.changes() - changes_at_last_save_;
  s.bgsave_in_progress = bg_running_;
  s.last_save_time = last_save_time_;
  s.last_bgsave_ok = last_bgsave_ok_;
  s.last_bgsave_time_sec = last_bgsave_time_sec_;
  s.current_bgsave_time_sec = bg_running_ ? (store::unix_ms() - bg_start_ms_) / 1000 : -1;
  s.saves = saves_;
  if (bg_running_) {
    s.current_save_keys_processed = progress_.keys.load();
    s.current_save_keys_total = keys_at_start_;
  }
  s.last_load_keys_loaded = last_load_.loaded;
  s.last_load_keys_expired = last_load_.expired;
  s.bgsave_scheduled = bg_scheduled_;
  return s;
}

}  // namespace shardcache::persist
