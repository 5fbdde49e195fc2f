// daemon/persist/loader.cpp: the parallel snapshot loader (see loader.h).
#include "daemon/persist/loader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "daemon/persist/rdb_format.h"

namespace shardcache::persist {
namespace {

constexpr size_t kSegmentBytes = 4 << 20;  // the walker hands out about this much at a time

struct Segment {
  size_t begin = 0, end = 0;
  uint64_t db = 0;  ///< the database selected where the segment begins
};

/// Segments from the walker to the loading threads.
class SegmentQueue {
 public:
  void push(Segment s) {
    { std::lock_guard g(mu_); q_.push_back(s); }
    cv_.notify_one();
  }
  void close() {
    { std::lock_guard g(mu_); closed_ = true; }
    cv_.notify_all();
  }
  std::optional<Segment> pop() {
    std::unique_lock g(mu_);
    cv_.wait(g, [&] { return !q_.empty() || closed_; });
    if (q_.empty()) return std::nullopt;
    Segment s = q_.front();
    q_.pop_front();
    return s;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Segment> q_;
  bool closed_ = false;
};

/// The first error any thread met (the walker's or a loader's), with its offset.
class FirstError {
 public:
  void set(const RdbError& e) {
    std::lock_guard g(mu_);
    if (!has_) {
      has_ = true;
      err_ = e;
    }
    failed_.store(true, std::memory_order_relaxed);
  }
  bool failed() const { return failed_.load(std::memory_order_relaxed); }
  RdbError get() {
    std::lock_guard g(mu_);
    return err_;
  }

 private:
  std::mutex mu_;
  bool has_ = false;
  RdbError err_;
  std::atomic<bool> failed_{false};
};

struct Counters {
  std::atomic<uint64_t> inserted{0}, expired{0}, tagged{0}, refused{0}, other_db{0};
};

/// A mapped file, unmapped on destruction.
struct Mapping {
  const char* p = nullptr;
  size_t n = 0;
  ~Mapping() {
    if (p) ::munmap(const_cast<char*>(p), n);
  }
};

void restore_tags(store::Store& store, std::string_view aux_value, int64_t now, Counters& c) {
  std::string key;
  std::vector<std::string> tags;
  RdbError err;
  if (!parse_tags(aux_value, key, tags, err) || tags.empty()) return;
  std::vector<std::string_view> views(tags.begin(), tags.end());
  uint64_t h = store::Store::hash(key);
  store::Shard& sh = store.shard_for(h);
  std::lock_guard g(sh.mutex());
  if (store::Entry* e = sh.find_locked(key, h, now); e && sh.tags_of_locked(e).empty()) {
    sh.attach_tags_locked(e, views);
    c.tagged.fetch_add(1, std::memory_order_relaxed);
  }
}

/// Decodes one segment and inserts its string keys.
void load_segment(store::Store& store, std::string_view data, const Segment& seg, int64_t now, Counters& c,
                  FirstError& errors) {
  RdbDecoder d(data);
  d.seek(seg.begin);
  uint64_t db = seg.db;
  RdbItem item;
  RdbError err;
  uint64_t inserted = 0, expired = 0;
  while (d.offset() < seg.end && !errors.failed()) {
    if (!d.next(item, err, true)) return errors.set(err);
    if (item.kind == RdbItem::Kind::SelectDb) {
      db = item.db;
    } else if (item.kind == RdbItem::Kind::StringKey) {
      if (db != 0) {
        c.other_db.fetch_add(1, std::memory_order_relaxed);
      } else if (item.expire_ms != 0 && item.expire_ms <= now) {
        ++expired;
      } else {
        uint64_t h = store::Store::hash(item.key);
        store::Shard& sh = store.shard_for(h);
        std::lock_guard g(sh.mutex());
        if (sh.put_locked(item.key, h, item.value, item.expire_ms)) ++inserted;
        else c.refused.fetch_add(1, std::memory_order_relaxed);
      }
    } else if (item.kind == RdbItem::Kind::Aux && item.key == kTagsAux && db == 0) {
      restore_tags(store, item.value, now, c);
    }
  }
  c.inserted.fetch_add(inserted, std::memory_order_relaxed);
  c.expired.fetch_add(expired, std::memory_order_relaxed);
}

/// Walks the whole file without decoding values, handing segments to `q`; checks structure,
/// types and (at End) the checksum. Fills r's skipped types and AUX facts.
void walk(store::Store& store, size_t file_bytes, RdbDecoder& dec, const LoadOptions& o, SegmentQueue& q, FirstError& errors,
          LoadResult& r) {
  RdbItem item;
  RdbError err;
  Segment seg{dec.offset(), 0, 0};
  uint64_t db = 0;
  bool seg_has_keys = false;
  while (!errors.failed()) {
    if (!dec.next(item, err, false)) return errors.set(err);
    switch (item.kind) {
      case RdbItem::Kind::StringKey:
      case RdbItem::Kind::OtherKey:
        if (seg_has_keys && item.offset - seg.begin >= kSegmentBytes) {
          seg.end = item.offset;
          q.push(seg);
          seg = Segment{item.offset, 0, db};
        }
        seg_has_keys = true;
        if (item.kind == RdbItem::Kind::OtherKey) {
          if (!o.skip_unsupported_types)
            return errors.set({item.offset, "a key of type " + rdb_type_name(item.type) +
                                                 ": shardcached holds strings only (--rdb-skip-unsupported-types yes skips such keys)"});
          ++r.skipped_types[rdb_type_name(item.type)];
        }
        break;
      case RdbItem::Kind::SelectDb:
        db = item.db;
        break;
      case RdbItem::Kind::ResizeDb:
        // Comes before db 0's keys, so before the first segment reaches a loader thread. The hint
        // is the file's word: a key takes at least 4 bytes of it, which caps a crafted count.
        if (db == 0 && !seg_has_keys) store.reserve(std::min<uint64_t>(item.keys, file_bytes / 4));
        break;
      case RdbItem::Kind::Aux:
        if (item.key == "redis-ver") r.redis_ver = std::string(item.value);
        break;
      case RdbItem::Kind::End:
        seg.end = item.offset;
        q.push(seg);
        return;
      default:
        break;
    }
  }
}

void clear_store(store::Store& store) {
  for (size_t i = 0; i < store.shard_count(); ++i) {
    std::lock_guard g(store.shard(i).mutex());
    store.shard(i).clear_locked();
  }
}

}  // namespace

std::string rdb_type_name(uint8_t type) {
  switch (type) {
    case 0: return "string";
    case 1: case 10: case 14: case 18: return "list";
    case 2: case 11: return "set";
    case 3: case 5: case 12: case 17: return "zset";
    case 4: case 9: case 13: case 16: return "hash";
    case 6: case 7: return "module";
    case 15: case 19: return "stream";
    default: return "type " + std::to_string(type);
  }
}

LoadResult load_snapshot(store::Store& store, const LoadOptions& o) {
  LoadResult r;
  int fd = ::open(o.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      r.ok = r.missing = true;
      return r;
    }
    r.error = "cannot open " + o.path + ": " + std::strerror(errno);
    return r;
  }
  struct stat st{};
  Mapping map;
  if (::fstat(fd, &st) == 0 && st.st_size > 0) {
    map.n = static_cast<size_t>(st.st_size);
    void* p = ::mmap(nullptr, map.n, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED) {
      map.p = static_cast<const char*>(p);
      ::madvise(p, map.n, MADV_WILLNEED);
    }
  }
  int map_errno = errno;
  ::close(fd);
  r.file_bytes = map.n;
  if (map.n == 0) {
    r.error = "Bad file format reading the RDB file " + o.path + " at offset 0: the file is empty";
    return r;
  }
  if (!map.p) {
    r.error = "cannot map " + o.path + ": " + std::strerror(map_errno);
    return r;
  }
  const std::string_view data(map.p, map.n);
  RdbDecoder dec(data);
  RdbError err;
  if (!dec.header(err)) {
    r.error = "Bad file format reading the RDB file " + o.path + " at offset " + std::to_string(err.offset) + ": " + err.what;
    return r;
  }
  r.version = dec.version();
  const uint64_t evicted_before = store.stats().evicted;
  const int64_t now = store::unix_ms();
  SegmentQueue q;
  FirstError errors;
  Counters c;
  std::vector<std::thread> loaders;
  for (unsigned t = 0; t < std::max(1u, o.threads); ++t)
    loaders.emplace_back([&] {
      while (auto seg = q.pop())
        if (!errors.failed()) load_segment(store, data, *seg, now, c, errors);
    });
  walk(store, map.n, dec, o, q, errors, r);
  q.close();
  for (auto& t : loaders) t.join();
  if (errors.failed()) {
    clear_store(store);
    RdbError e = errors.get();
    r.error = "Bad file format reading the RDB file " + o.path + " at offset " + std::to_string(e.offset) + ": " + e.what;
    r.skipped_types.clear();
    return r;
  }
  store::StoreStats after = store.stats();
  r.ok = true;
  r.loaded = after.keys;
  r.expired = c.expired.load();
  r.evicted = after.evicted - evicted_before + c.refused.load();
  r.tagged = c.tagged.load();
  if (uint64_t n = c.other_db.load()) r.skipped_types["string (db other than 0)"] += n;
  return r;
}

}  // namespace shardcache::persist
