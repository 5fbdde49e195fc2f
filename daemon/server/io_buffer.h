// daemon/server/io_buffer.h: the byte buffer sessions read into. Growing it leaves the new bytes
// uninitialised (a read fills them), so taking a 16 KB buffer for each read costs an allocation,
// not a 16 KB memset.
#pragma once
#include <memory>
#include <utility>
#include <vector>

namespace shardcache::server {

/// std::allocator whose value-initialisation (vector::resize) leaves the bytes as they are.
template <typename T>
struct NoInitAllocator : std::allocator<T> {
  using value_type = T;
  NoInitAllocator() noexcept = default;
  template <typename U>
  NoInitAllocator(const NoInitAllocator<U>&) noexcept {}
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... A>
  void construct(U* p, A&&... a) {
    ::new (static_cast<void*>(p)) U(std::forward<A>(a)...);
  }
};

/// A connection's read buffer.
using IoBuffer = std::vector<char, NoInitAllocator<char>>;

/// Free read buffers of one io thread, used only by that thread's connections: a connection
/// that goes idle gives its buffer back and takes one when it is readable again, without an
/// allocation. Keeps at most `keep` buffers of the common size.
class BufferPool {
 public:
  BufferPool(size_t size, size_t keep) : size_(size), keep_(keep) {}
  /// A buffer of the common size.
  IoBuffer take() {
    if (free_.empty()) return IoBuffer(size_);
    IoBuffer b = std::move(free_.back());
    free_.pop_back();
    return b;
  }
  /// Takes `b` back (kept if it has the common size and there is room), leaving it empty.
  void give(IoBuffer& b) {
    if (b.size() == size_ && free_.size() < keep_) free_.push_back(std::move(b));
    IoBuffer().swap(b);
  }

 private:
  size_t size_, keep_;
  std::vector<IoBuffer> free_;
};

}  // namespace shardcache::server
