// daemon/persist/snapshot.cpp: the parallel, slice-by-slice snapshot writer (see snapshot.h).
#include "daemon/persist/snapshot.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <string_view>
#include <thread>

#include "daemon/persist/rdb_format.h"

namespace shardcache::persist {
namespace {

constexpr size_t kFlushBytes = 1 << 20;  // an encoder hands the file 1 MB at a time

std::string errno_text(int err) { return std::strerror(err); }

/// The file being written: appends (under a mutex) keep the CRC of everything written.
class SnapshotFile {
 public:
  explicit SnapshotFile(int fd) : fd_(fd) {}
  /// Appends buf and clears it; false (and error() set) once a write failed.
  bool append(std::string& buf) {
    std::lock_guard g(mu_);
    if (!error_.empty()) return false;
    crc_ = crc64(crc_, buf.data(), buf.size());
    for (size_t off = 0; off < buf.size();) {
      ssize_t n = ::write(fd_, buf.data() + off, buf.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        error_ = "Write error saving DB on disk: " + errno_text(n < 0 ? errno : ENOSPC);
        return false;
      }
      off += static_cast<size_t>(n);
    }
    bytes_ += buf.size();
    buf.clear();
    return true;
  }
  void fail(std::string why) {
    std::lock_guard g(mu_);
    if (error_.empty()) error_ = std::move(why);
  }
  bool failed() {
    std::lock_guard g(mu_);
    return !error_.empty();
  }
  std::string error() {
    std::lock_guard g(mu_);
    return error_;
  }
  uint64_t crc() const { return crc_; }
  uint64_t bytes() const { return bytes_; }

 private:
  int fd_;
  std::mutex mu_;
  uint64_t crc_ = 0, bytes_ = 0;
  std::string error_;
};

/// Encodes one shard, slice by slice, into buf (flushed to the file every kFlushBytes).
/// Returns the keys written, or stops early when the file failed or the save was cancelled.
uint64_t encode_shard(store::Shard& sh, const SnapshotOptions& o, RdbEncoder& enc, std::string& buf,
                      SnapshotFile& file, SnapshotProgress* progress) {
  std::vector<store::Entry*> batch;
  std::vector<std::string> tags;
  std::string after;
  bool have_after = false, done = false;
  uint64_t keys = 0;
  while (!done) {
    if (file.failed() || (progress && progress->cancel.load(std::memory_order_relaxed))) return keys;
    uint64_t n = 0;
    {
      std::lock_guard g(sh.mutex());
      batch.clear();
      done = sh.collect_ordered_locked(have_after ? &after : nullptr, o.slice, batch);
      const int64_t now = store::unix_ms();
      const bool tagged = !sh.tag_index_locked().empty();
      for (store::Entry* e : batch) {
        if (!sh.visible_locked(e, now)) continue;
        enc.string_key(buf, e->key(), e->value(), e->expire());
        if (tagged) {
          tags = sh.tags_of_locked(e);
          if (!tags.empty()) enc.tags(buf, e->key(), tags);
        }
        ++n;
      }
      if (!batch.empty()) {
        after.assign(batch.back()->key());  // copied under the lock: the entry may go after it
        have_after = true;
      }
    }
    keys += n;
    if (progress) progress->keys.fetch_add(n, std::memory_order_relaxed);
    if (buf.size() >= kFlushBytes && !file.append(buf)) return keys;
  }
  return keys;
}

/// fsync of the directory holding `path`, so the rename itself survives a crash.
int fsync_dir(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return errno;
  int rc = ::fsync(dfd) == 0 ? 0 : errno;
  ::close(dfd);
  return rc;
}

std::string temp_path_for(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  return dir + "temp-" + std::to_string(::getpid()) + ".rdb";
}

/// Header, AUX fields, SELECTDB 0 and the RESIZEDB hint.
std::string preamble(store::Store& store, const SnapshotOptions& o) {
  std::string buf;
  RdbEncoder enc(o.compress);
  RdbEncoder::header(buf);
  for (const auto& [k, v] : o.aux) enc.aux(buf, k, v);
  RdbEncoder::select_db(buf, 0);
  store::StoreStats st = store.stats();
  RdbEncoder::resize_db(buf, st.keys, st.volatile_keys);
  return buf;
}

/// Runs the encoder threads over every shard; returns the keys written.
uint64_t encode_all(store::Store& store, const SnapshotOptions& o, SnapshotFile& file, SnapshotProgress* progress) {
  std::atomic<size_t> next_shard{0};
  std::atomic<uint64_t> total{0};
  auto worker = [&] {
    if (o.background) ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 5);  // this thread only (Linux)
    RdbEncoder enc(o.compress);
    std::string buf;
    buf.reserve(kFlushBytes + 64 * 1024);
    uint64_t keys = 0;
    for (size_t i; (i = next_shard.fetch_add(1)) < store.shard_count();)
      keys += encode_shard(store.shard(i), o, enc, buf, file, progress);
    if (!buf.empty()) file.append(buf);
    total.fetch_add(keys);
  };
  unsigned n = std::max(1u, std::min<unsigned>(o.threads, static_cast<unsigned>(store.shard_count())));
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < n; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  return total.load();
}

}  // namespace

SnapshotResult write_snapshot(store::Store& store, const SnapshotOptions& o, SnapshotProgress* progress) {
  SnapshotResult r;
  const std::string tmp = temp_path_for(o.path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    r.error = "Failed opening the temp RDB file " + tmp + " for saving: " + errno_text(errno);
    return r;
  }
  SnapshotFile file(fd);
  std::string head = preamble(store, o);
  file.append(head);
  r.keys = encode_all(store, o, file, progress);
  if (progress && progress->cancel.load() && !file.failed()) file.fail("the save was cancelled");
  if (!file.failed()) {
    std::string tail;
    RdbEncoder::eof(tail);
    uint64_t crc = o.checksum ? crc64(file.crc(), tail.data(), tail.size()) : 0;
    for (int i = 0; i < 8; ++i) tail.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
    file.append(tail);
  }
  if (!file.failed() && ::fsync(fd) != 0) file.fail("Write error saving DB on disk (fsync): " + errno_text(errno));
  if (::close(fd) != 0 && !file.failed()) file.fail("Write error saving DB on disk (close): " + errno_text(errno));
  if (!file.failed() && ::rename(tmp.c_str(), o.path.c_str()) != 0)
    file.fail("Error moving temp DB file " + tmp + " on the final destination " + o.path + ": " + errno_text(errno));
  if (file.failed()) {
    ::unlink(tmp.c_str());
    r.error = file.error();
    return r;
  }
  if (int err = fsync_dir(o.path); err != 0) {
    r.error = "Failed to fsync the directory of " + o.path + ": " + errno_text(err);
    return r;
  }
  r.ok = true;
  r.bytes = file.bytes();
  return r;
}

}  // namespace shardcache::persist
