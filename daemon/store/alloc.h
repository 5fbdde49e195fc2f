// daemon/store/alloc.h: the store's view of the process allocator: rounded sizes for honest
// accounting (jemalloc's nallocx / malloc_usable_size), allocator-wide statistics for INFO and
// MEMORY STATS (jemalloc's mallctl after an "epoch" refresh), and purging dirty pages.
// Without jemalloc (sanitizer builds) the statistics report available = false.
#pragma once
#include <cstddef>
#include <string>

namespace shardcache::store {

/// Bytes the allocator really holds for a request of n bytes: its size class and, for jemalloc's
/// large sizes (above 14 KB, page runs), the page it pads each run with (cache-oblivious layout).
size_t alloc_rounded_size(size_t n);
/// The same for the live block p (malloc_usable_size plus that pad).
size_t alloc_usable_size(const void* p);

/// Zeroed memory for n bytes (n > 0). Requests of kPagesFrom bytes or more are whole pages
/// mapped from the OS, not jemalloc large allocations: those carry a 4 KB pad page each
/// (cache-oblivious layout), which on a 64 KB hash-table bucket array is 6 % more. Smaller
/// requests come from calloc. Free with free_zeroed(p, n), count with zeroed_rounded_size(n).
void* alloc_zeroed(size_t n);
void free_zeroed(void* p, size_t n);
/// Bytes alloc_zeroed(n) really holds: page-rounded when mapped, alloc_rounded_size otherwise.
size_t zeroed_rounded_size(size_t n);
inline constexpr size_t kPagesFrom = 16384;
/// True when alloc_zeroed(n) maps pages (n >= kPagesFrom).
inline bool zeroed_is_mapped(size_t n) { return n >= kPagesFrom; }
/// Gives the pages of a mapped alloc_zeroed(n) block back to the OS but keeps the mapping: it
/// stays readable (as zeros, which also makes it a fresh zeroed block for reuse).
void release_zeroed_pages(void* p, size_t n);

/// Allocator-wide numbers, as Redis reports them in INFO memory.
struct AllocatorStats {
  bool available = false;   ///< false when not built with jemalloc
  size_t allocated = 0;     ///< stats.allocated: bytes in live allocations
  size_t active = 0;        ///< stats.active: bytes in active pages (allocated + slab slack)
  size_t resident = 0;      ///< stats.resident: bytes in physically resident allocator pages
  size_t retained = 0;      ///< stats.retained: virtual memory kept but returned to the OS
  size_t mapped = 0;        ///< stats.mapped
  bool background_thread = false;  ///< jemalloc's background purging thread is on
  long dirty_decay_ms = -1;        ///< arenas.dirty_decay_ms
  std::string name = "libc";       ///< mem_allocator value ("jemalloc-5.3.0")
};

/// Refreshes and reads the allocator statistics (takes a few microseconds).
AllocatorStats allocator_stats();
/// Returns dirty pages of every arena to the OS now (MEMORY PURGE). False if unsupported.
bool allocator_purge();
/// True when memory the allocator frees stays mapped (jemalloc's opt.retain): a stale pointer
/// to a freed block may then be read without a fault (the lock-free prefetch hints rely on it).
bool allocator_retains_freed_memory();
/// The allocator's own statistics report (MEMORY MALLOC-STATS); a note when unavailable.
std::string allocator_report();

}  // namespace shardcache::store
