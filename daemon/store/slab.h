// daemon/store/slab.h: the slab arena entries live in. One reserved virtual region (16 GB, pages
// committed as used) cut into 32 KB pages; each page serves one size class. Classes are 4 bytes
// apart up to 256 B and a few percent apart up to 4 KB, so a 131-byte entry costs 132 bytes, not
// jemalloc's 160. Blocks are addressed by 32-bit handles (offset / 4), which halves the links
// in entries, chains and lists. Empty pages go back to a free list and, past a small reserve,
// to the OS (madvise). Process-wide, like the malloc heap it complements: Store instances share it.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace shardcache::store {

/// Arena-wide numbers (MEMORY STATS, INFO memory).
struct SlabStats {
  size_t pages_used = 0;      ///< pages serving a size class
  size_t pages_free = 0;      ///< empty pages kept for reuse (resident)
  size_t pages_purged = 0;    ///< empty pages returned to the OS
  size_t block_bytes = 0;     ///< class-rounded bytes of live blocks
  size_t page_bytes = 32 * 1024;
};

class SlabArena {
 public:
  static constexpr size_t kPageBytes = 32 * 1024;
  static constexpr size_t kGranule = 4;          ///< handle unit and smallest size step
  static constexpr size_t kMaxBlock = 4096;      ///< larger requests belong to malloc
  static constexpr size_t kRegionBytes = size_t{16} << 30;
  /// Independent sets of size classes (own locks, own partially used pages). Shards spread
  /// over them so io threads storing same-sized values rarely meet on one class lock; each
  /// heap may keep one partly used page per class, so more heaps cost memory.
  static constexpr unsigned kHeaps = 2;

  /// The process's arena.
  static SlabArena& instance();

  SlabArena();
  ~SlabArena();
  SlabArena(const SlabArena&) = delete;
  SlabArena& operator=(const SlabArena&) = delete;

  /// A block of at least n bytes (1 <= n <= kMaxBlock), 4-byte aligned, from heap
  /// `heap % kHeaps`; nullptr when the region is exhausted.
  void* alloc(size_t n, unsigned heap = 0);
  /// Returns a block from alloc().
  void free(void* p);
  /// The class size alloc(n) would give.
  static size_t rounded(size_t n);
  /// The class size of a live block.
  size_t block_size(const void* p) const;

  /// Handle of a block (never 0) and back.
  uint32_t handle(const void* p) const {
    return static_cast<uint32_t>((static_cast<const char*>(p) - base_) / kGranule);
  }
  void* ptr(uint32_t h) const { return h ? base_ + size_t{h} * kGranule : nullptr; }
  char* base() const { return base_; }
  /// Bytes from base() that are readable (committed pages are never decommitted, only
  /// madvise'd): a block address below it may be read without the owner's lock without faulting.
  size_t readable_bytes() const { return readable_.load(std::memory_order_acquire); }

  SlabStats stats() const;

 private:
  struct Page;
  struct Class;
  class SpinLock;
  uint32_t take_page_locked_class(size_t cls, unsigned heap);
  void release_page(uint32_t page);

  char* base_ = nullptr;
  Page* pages_ = nullptr;                 // metadata for every page of the region (lazily touched)
  std::vector<Class> classes_;
  mutable std::mutex page_mu_;            // the free-page list and the committed end
  std::vector<uint32_t> free_pages_;      // empty pages, most recently freed last
  size_t next_page_ = 1;                  // page 0 is never used: handle 0 means null
  size_t committed_pages_ = 0;
  std::atomic<size_t> readable_{0};       // committed_pages_ * kPageBytes, for readers without locks
  size_t dirty_free_ = 0;                 // empty pages not yet returned to the OS
  std::atomic<size_t> pages_used_{0};
};

}  // namespace shardcache::store
