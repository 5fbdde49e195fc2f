// daemon/store/alloc.cpp: allocator facade (see alloc.h). jemalloc when SHARDCACHE_JEMALLOC is
// defined (the build links it into every binary that uses the store), glibc otherwise.
#include "daemon/store/alloc.h"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#ifdef SHARDCACHE_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

namespace shardcache::store {

#ifdef SHARDCACHE_JEMALLOC
namespace {
template <typename T>
bool ctl_read(const char* name, T& out) {
  size_t len = sizeof(T);
  return mallctl(name, &out, &len, nullptr, 0) == 0;
}

/// jemalloc's size classes as the accounting needs them: the largest small (slab) size, the pad
/// it adds to every larger allocation, and every small class by request size. The table exists
/// because the accounting asks on every write (used_bytes(): the table's slots, the TTL list)
/// and nallocx costs ~80 instructions a call; a small request of n bytes rounds to the class of
/// n rounded up to 8, because every class boundary is a multiple of 8.
struct SizeClasses {
  size_t small_max = 14336;
  size_t pad = 0;
  std::vector<uint16_t> small_by_eighth;  // [i]: the class of a request of 8*i bytes, i <= small_max/8
};

SizeClasses read_size_classes() {
  SizeClasses sc;
  unsigned nbins = 0;
  size_t size = 0, page = 4096;
  bool oblivious = true;
  if (ctl_read("arenas.nbins", nbins) && nbins > 0) {
    std::string name = "arenas.bin." + std::to_string(nbins - 1) + ".size";
    if (ctl_read(name.c_str(), size)) sc.small_max = size;
  }
  ctl_read("arenas.page", page);
  ctl_read("opt.cache_oblivious", oblivious);
  sc.pad = oblivious ? page : 0;
  if (sc.small_max % 8 == 0 && sc.small_max <= UINT16_MAX) {  // else: nallocx for every size
    sc.small_by_eighth.resize(sc.small_max / 8 + 1);
    for (size_t i = 1; i < sc.small_by_eighth.size(); ++i)
      sc.small_by_eighth[i] = static_cast<uint16_t>(nallocx(i * 8, 0));
  }
  return sc;
}

const SizeClasses& size_classes() {
  static const SizeClasses sc = read_size_classes();  // constant for the process's life
  return sc;
}

size_t with_pad(size_t usable) {
  const SizeClasses& sc = size_classes();
  return usable + (usable > sc.small_max ? sc.pad : 0);
}
}  // namespace
#endif

size_t alloc_rounded_size(size_t n) {
#ifdef SHARDCACHE_JEMALLOC
  if (n == 0) return 0;
  const SizeClasses& sc = size_classes();
  const size_t eighth = (n + 7) >> 3;
  if (eighth < sc.small_by_eighth.size()) return sc.small_by_eighth[eighth];
  return with_pad(nallocx(n, 0));
#else
  // glibc: chunks are 16-byte aligned with an 8-byte header, at least 32 bytes.
  size_t c = (n + 8 + 15) & ~size_t{15};
  return (c < 32 ? 32 : c) - 8;
#endif
}

size_t alloc_usable_size(const void* p) {
#ifdef SHARDCACHE_JEMALLOC
  return with_pad(malloc_usable_size(const_cast<void*>(p)));
#else
  return malloc_usable_size(const_cast<void*>(p));
#endif
}

namespace {
size_t page_size() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));  // constant for the process
  return page;
}
}  // namespace

void* alloc_zeroed(size_t n) {
  if (n < kPagesFrom) {
    void* p = std::calloc(1, n);
    if (!p) throw std::bad_alloc();
    return p;
  }
  void* p = mmap(nullptr, zeroed_rounded_size(n), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  return p;
}

void free_zeroed(void* p, size_t n) {
  if (!p) return;
  if (n < kPagesFrom) {
    std::free(p);
  } else {
    munmap(p, zeroed_rounded_size(n));
  }
}

void release_zeroed_pages(void* p, size_t n) {
  if (p && zeroed_is_mapped(n)) madvise(p, zeroed_rounded_size(n), MADV_DONTNEED);
}

size_t zeroed_rounded_size(size_t n) {
  if (n < kPagesFrom) return alloc_rounded_size(n);
  size_t page = page_size();
  return (n + page - 1) / page * page;
}

AllocatorStats allocator_stats() {
  AllocatorStats s;
#ifdef SHARDCACHE_JEMALLOC
  uint64_t epoch = 1;
  size_t len = sizeof(epoch);
  mallctl("epoch", &epoch, &len, &epoch, len);  // refresh the cached statistics
  s.available = ctl_read("stats.allocated", s.allocated) && ctl_read("stats.active", s.active) &&
                ctl_read("stats.resident", s.resident);
  ctl_read("stats.retained", s.retained);
  ctl_read("stats.mapped", s.mapped);
  ctl_read("background_thread", s.background_thread);
  ssize_t decay = -1;
  if (ctl_read("arenas.dirty_decay_ms", decay)) s.dirty_decay_ms = static_cast<long>(decay);
  const char* version = nullptr;
  s.name = ctl_read("version", version) && version ? std::string("jemalloc-") + version : "jemalloc";
  // "5.3.0-0-g54eaed1d8b56b1aa528be3bdd1877e59c56fa90c" -> "jemalloc-5.3.0"
  if (auto dash = s.name.find('-', 9); dash != std::string::npos) s.name.resize(dash);
#endif
  return s;
}

bool allocator_purge() {
#ifdef SHARDCACHE_JEMALLOC
  char name[64];
  std::snprintf(name, sizeof name, "arena.%u.purge", static_cast<unsigned>(MALLCTL_ARENAS_ALL));
  return mallctl(name, nullptr, nullptr, nullptr, 0) == 0;
#else
  malloc_trim(0);
  return true;
#endif
}

bool allocator_retains_freed_memory() {
#ifdef SHARDCACHE_JEMALLOC
  // With opt.retain jemalloc never unmaps; it "decommits" unused extents, which is a no-op
  // (pages stay mapped, purged with madvise) unless the kernel is in strict overcommit mode
  // (vm.overcommit_memory = 2), where jemalloc maps them PROT_NONE instead.
  static const bool retain = [] {
    bool r = false;
    if (!ctl_read("opt.retain", r) || !r) return false;
    int mode = 0;
    if (FILE* f = std::fopen("/proc/sys/vm/overcommit_memory", "r")) {
      if (std::fscanf(f, "%d", &mode) != 1) mode = 2;  // unknown: assume the unsafe case
      std::fclose(f);
    }
    return mode != 2;
  }();
  return retain;
#else
  return false;  // glibc and the sanitizers' allocators unmap large blocks
#endif
}

std::string allocator_report() {
#ifdef SHARDCACHE_JEMALLOC
  std::string out;
  auto write = [](void* opaque, const char* text) { static_cast<std::string*>(opaque)->append(text); };
  malloc_stats_print(write, &out, nullptr);
  return out;
#else
  return "Stats not supported for the current allocator";
#endif
}

}  // namespace shardcache::store
