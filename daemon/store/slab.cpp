// daemon/store/slab.cpp: the slab arena (see slab.h). Lock order: a class's mutex, then the
// page mutex; callers may hold shard locks (the arena takes no other lock).
#include "daemon/store/slab.h"

#include <sys/mman.h>

#include <array>
#include <new>
#include <thread>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
// Freed blocks are poisoned, so ASan builds catch a use of an entry after it was freed or moved.
#define SLAB_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define SLAB_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define SLAB_POISON(p, n) ((void)(p), (void)(n))
#define SLAB_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace shardcache::store {
namespace {

constexpr uint32_t kNone = UINT32_MAX;
constexpr uint16_t kNoClass = UINT16_MAX;
constexpr size_t kCommitPages = 64;     // commit the region 2 MB at a time
constexpr size_t kKeepDirty = 32;       // empty pages kept resident for reuse (1 MB)

// Class sizes: 4 bytes apart to 256, then 8, 16, 64 and 128 bytes apart up to 4096.
constexpr size_t kNumClasses = 61 + 32 + 32 + 16 + 16;
constexpr auto kClassSizes = [] {
  std::array<uint16_t, kNumClasses> s{};
  size_t i = 0;
  for (size_t v = 16; v <= 256; v += 4) s[i++] = static_cast<uint16_t>(v);
  for (size_t v = 264; v <= 512; v += 8) s[i++] = static_cast<uint16_t>(v);
  for (size_t v = 528; v <= 1024; v += 16) s[i++] = static_cast<uint16_t>(v);
  for (size_t v = 1088; v <= 2048; v += 64) s[i++] = static_cast<uint16_t>(v);
  for (size_t v = 2176; v <= 4096; v += 128) s[i++] = static_cast<uint16_t>(v);
  return s;
}();
static_assert(kClassSizes[kNumClasses - 1] == SlabArena::kMaxBlock);

// Class index for a size, indexed by ceil(n / 4).
constexpr auto kClassOf = [] {
  std::array<uint8_t, SlabArena::kMaxBlock / SlabArena::kGranule + 1> t{};
  size_t c = 0;
  for (size_t q = 0; q < t.size(); ++q) {
    while (kClassSizes[c] < q * SlabArena::kGranule) ++c;
    t[q] = static_cast<uint8_t>(c);
  }
  return t;
}();

size_t class_of(size_t n) { return kClassOf[(n + SlabArena::kGranule - 1) / SlabArena::kGranule]; }

}  // namespace

struct SlabArena::Page {
  uint32_t next = kNone, prev = kNone;  // the class's list of pages with free blocks
  uint32_t free_head = kNone;           // offset of the first freed block in the page
  uint16_t used = 0;                    // live blocks
  uint16_t bump = 0;                    // blocks [bump, per_page) were never handed out
  uint16_t cls = kNoClass;
  uint16_t heap = 0;                    // which heap's class list the page is on
};

/// A class's lock. It is held for a few dozen instructions, so a waiter spins (then yields)
/// instead of sleeping in the kernel: a futex wait and wake-up costs more than the critical
/// section it waits for.
class SlabArena::SpinLock {
 public:
  void lock() noexcept {
    for (unsigned spins = 0; flag_.exchange(true, std::memory_order_acquire);) {
      while (flag_.load(std::memory_order_relaxed)) {
        if (++spins < 128) {
#if defined(__x86_64__) || defined(__i386__)
          __builtin_ia32_pause();
#endif
        } else {
          std::this_thread::yield();  // the holder may have been preempted
        }
      }
    }
  }
  void unlock() noexcept { flag_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> flag_{false};
};

// Own cache line each: classes used by different threads do not share one.
struct alignas(64) SlabArena::Class {
  SpinLock mu;
  /// Class-rounded bytes of this class's live blocks: written under `mu` (no contended
  /// read-modify-write on a process-wide counter), summed by stats().
  std::atomic<size_t> live_bytes{0};
  uint32_t size = 0;
  uint32_t per_page = 0;
  uint32_t partial = kNone;  // first page with a free block
};

SlabArena& SlabArena::instance() {
  static SlabArena arena;
  return arena;
}

SlabArena::SlabArena() : classes_(kNumClasses * kHeaps) {
  void* region = mmap(nullptr, kRegionBytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  size_t npages = kRegionBytes / kPageBytes;
  void* meta = mmap(nullptr, npages * sizeof(Page), PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (region == MAP_FAILED || meta == MAP_FAILED) throw std::bad_alloc();
  base_ = static_cast<char*>(region);
  pages_ = static_cast<Page*>(meta);  // zero pages: every field is set before it is read
  for (size_t i = 0; i < classes_.size(); ++i) {
    size_t c = i % kNumClasses;
    classes_[i].size = kClassSizes[c];
    classes_[i].per_page = static_cast<uint32_t>(kPageBytes / kClassSizes[c]);
  }
}

SlabArena::~SlabArena() {
  munmap(base_, kRegionBytes);
  munmap(pages_, kRegionBytes / kPageBytes * sizeof(Page));
}

size_t SlabArena::rounded(size_t n) { return kClassSizes[class_of(n)]; }

size_t SlabArena::block_size(const void* p) const {
  size_t pg = static_cast<size_t>(static_cast<const char*>(p) - base_) / kPageBytes;
  return classes_[pages_[pg].cls].size;
}

void* SlabArena::alloc(size_t n, unsigned heap) {
  size_t cls = class_of(n);
  heap %= kHeaps;
  Class& c = classes_[heap * kNumClasses + cls];
  std::lock_guard g(c.mu);
  uint32_t pg = c.partial;
  if (pg == kNone) {
    pg = take_page_locked_class(cls, heap);
    if (pg == kNone) return nullptr;
    c.partial = pg;
  }
  Page& p = pages_[pg];
  char* page_base = base_ + size_t{pg} * kPageBytes;
  uint32_t off;
  if (p.free_head != kNone) {
    off = p.free_head;
    SLAB_UNPOISON(page_base + off, c.size);
    p.free_head = *reinterpret_cast<uint32_t*>(page_base + off);
  } else {
    off = uint32_t{p.bump} * c.size;
    SLAB_UNPOISON(page_base + off, c.size);  // the page may have served another class before
    ++p.bump;
  }
  if (++p.used == c.per_page) {  // full: off the partial list (it is its head)
    c.partial = p.next;
    if (p.next != kNone) pages_[p.next].prev = kNone;
    p.next = p.prev = kNone;
  }
  c.live_bytes.store(c.live_bytes.load(std::memory_order_relaxed) + c.size, std::memory_order_relaxed);
  return page_base + off;
}

void SlabArena::free(void* ptr) {
  size_t pos = static_cast<size_t>(static_cast<char*>(ptr) - base_);
  uint32_t pg = static_cast<uint32_t>(pos / kPageBytes);
  Page& p = pages_[pg];
  Class& c = classes_[size_t{p.heap} * kNumClasses + p.cls];
  bool release = false;
  {
    std::lock_guard g(c.mu);
    uint32_t off = static_cast<uint32_t>(pos % kPageBytes);
    *static_cast<uint32_t*>(ptr) = p.free_head;
    SLAB_POISON(ptr, c.size);
    p.free_head = off;
    bool was_full = p.used == c.per_page;
    --p.used;
    c.live_bytes.store(c.live_bytes.load(std::memory_order_relaxed) - c.size, std::memory_order_relaxed);
    if (p.used == 0) {
      if (!was_full) {  // unlink from the partial list
        if (p.prev != kNone) pages_[p.prev].next = p.next; else c.partial = p.next;
        if (p.next != kNone) pages_[p.next].prev = p.prev;
      }
      p.next = p.prev = kNone;
      p.cls = kNoClass;
      release = true;
    } else if (was_full) {  // has a free block again: to the front of the partial list
      p.prev = kNone;
      p.next = c.partial;
      if (c.partial != kNone) pages_[c.partial].prev = pg;
      c.partial = pg;
    }
  }
  if (release) release_page(pg);
}

uint32_t SlabArena::take_page_locked_class(size_t cls, unsigned heap) {
  uint32_t pg;
  {
    std::lock_guard g(page_mu_);
    if (!free_pages_.empty()) {
      pg = free_pages_.back();
      free_pages_.pop_back();
      if (dirty_free_ > 0) --dirty_free_;  // the top of the stack is resident while any is
    } else {
      size_t limit = kRegionBytes / kPageBytes;
      if (next_page_ >= limit) return kNone;
      if (next_page_ >= committed_pages_) {
        size_t n = std::min(kCommitPages, limit - committed_pages_);
        if (mprotect(base_ + committed_pages_ * kPageBytes, n * kPageBytes, PROT_READ | PROT_WRITE) != 0) return kNone;
        committed_pages_ += n;
        readable_.store(committed_pages_ * kPageBytes, std::memory_order_release);
      }
      pg = static_cast<uint32_t>(next_page_++);
    }
  }
  Page& p = pages_[pg];
  p = Page{};
  p.cls = static_cast<uint16_t>(cls);
  p.heap = static_cast<uint16_t>(heap);
  pages_used_.fetch_add(1, std::memory_order_relaxed);
  return pg;
}

// Empty pages are reused most-recently-freed first; the reserve beyond kKeepDirty goes back to
// the OS. The free list is a stack whose bottom part is purged and top kKeepDirty are resident.
void SlabArena::release_page(uint32_t pg) {
  pages_used_.fetch_sub(1, std::memory_order_relaxed);
  std::lock_guard g(page_mu_);
  if (dirty_free_ >= kKeepDirty) {
    // Purge the oldest resident free page (just below the resident top of the stack).
    size_t idx = free_pages_.size() - dirty_free_;
    madvise(base_ + size_t{free_pages_[idx]} * kPageBytes, kPageBytes, MADV_DONTNEED);
    --dirty_free_;
  }
  free_pages_.push_back(pg);
  ++dirty_free_;
}

SlabStats SlabArena::stats() const {
  SlabStats s;
  s.pages_used = pages_used_.load(std::memory_order_relaxed);
  for (const Class& c : classes_) s.block_bytes += c.live_bytes.load(std::memory_order_relaxed);
  s.page_bytes = kPageBytes;
  std::lock_guard g(page_mu_);
  s.pages_free = dirty_free_;
  s.pages_purged = free_pages_.size() - dirty_free_;
  return s;
}

}  // namespace shardcache::store
