// daemon/persist/persister.h: the daemon's persistence state and policy, as Redis's rdb.c and
// serverCron have them: SAVE (in the caller's thread), BGSAVE (one background thread at a time,
// whose encoders run at a lower priority), save points checked by the cron, the final save on
// SHUTDOWN or SIGTERM, stop-writes-on-bgsave-error, and the facts INFO persistence reports.
// Files are written by snapshot.h and read at start-up by loader.h.
#pragma once
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "daemon/config.h"
#include "daemon/persist/loader.h"
#include "daemon/persist/snapshot.h"
#include "daemon/store/store.h"

namespace shardcache::persist {

/// One `save` point: snapshot when at least `changes` writes happened in `seconds`.
struct SavePoint {
  int64_t seconds = 0;
  uint64_t changes = 0;
};
/// Parses Redis's `save` syntax ("3600 1 300 100"; "" = none); nullopt when invalid (an odd
/// count, seconds < 1, a non-number), as CONFIG SET save refuses it.
std::optional<std::vector<SavePoint>> parse_save_points(std::string_view s);

/// What INFO persistence shows.
struct PersistenceStatus {
  uint64_t changes_since_last_save = 0;
  bool bgsave_in_progress = false;
  int64_t last_save_time = 0;          ///< unix seconds of the last successful save (start time before any)
  bool last_bgsave_ok = true;
  int64_t last_bgsave_time_sec = -1;
  int64_t current_bgsave_time_sec = -1;
  uint64_t saves = 0;                  ///< rdb_saves: saves started
  uint64_t current_save_keys_processed = 0, current_save_keys_total = 0;
  uint64_t last_load_keys_loaded = 0, last_load_keys_expired = 0;
  bool bgsave_scheduled = false;
};

class Persister {
 public:
  Persister(store::Store& store, const Config& cfg, unsigned threads);
  ~Persister();  ///< cancels a running BGSAVE (its temp file is removed) and waits for it
  Persister(const Persister&) = delete;
  Persister& operator=(const Persister&) = delete;

  /// Loads dir/dbfilename into the (empty) store, logging what it did.
  LoadResult load();

  enum class BgStart { Started, InProgress, Scheduled };
  /// BGSAVE [SCHEDULE]: starts a background save; with one running already, InProgress, or
  /// Scheduled when `schedule` (it starts when the running one ends).
  BgStart bgsave(bool schedule);
  /// SAVE: writes the snapshot in the calling thread. False with Redis's error text when a
  /// BGSAVE is running or the write failed.
  bool save(std::string& err);
  /// The final save of SHUTDOWN / SIGTERM: when `force_save`, or when save points are set and
  /// not `nosave`. A running BGSAVE is cancelled first. False when the save failed.
  bool save_for_shutdown(bool force_save, bool nosave, std::string& err);
  /// Whether SHUTDOWN / SIGTERM would save (save points set, or forced).
  bool would_save_on_shutdown(bool force_save, bool nosave) const;
  /// The cron's step (about 10 times a second): collects a finished BGSAVE, starts one for a
  /// save point whose time and changes have come, or a scheduled one.
  void cron();
  /// stop-writes-on-bgsave-error: the last background save failed while save points are set.
  bool writes_denied() const { return writes_denied_.load(std::memory_order_relaxed); }
  /// LASTSAVE: unix seconds of the last successful save.
  int64_t lastsave() const { return last_save_time_.load(std::memory_order_relaxed); }
  PersistenceStatus status() const;

 private:
  SnapshotResult write(bool background);
  void start_bgsave_locked();
  void reap_locked();
  void finish_bgsave_locked();
  void update_denied_locked();
  std::vector<SavePoint> save_points() const;

  store::Store& store_;
  const Config& cfg_;
  unsigned threads_;
  mutable std::mutex mu_;              // everything below but the atomics
  std::thread bg_;
  std::atomic<bool> bg_running_{false};
  bool bg_scheduled_ = false;
  SnapshotProgress progress_;
  SnapshotResult bg_result_;
  int64_t bg_start_ms_ = 0;
  uint64_t bg_changes_at_start_ = 0;
  uint64_t changes_at_last_save_ = 0;
  std::atomic<int64_t> last_save_time_{0};
  int64_t last_bgsave_try_ = 0;        // unix seconds
  bool last_bgsave_ok_ = true;
  int64_t last_bgsave_time_sec_ = -1;
  uint64_t saves_ = 0;
  uint64_t keys_at_start_ = 0;
  LoadResult last_load_;
  std::atomic<bool> writes_denied_{false};
};

}  // namespace shardcache::persist
