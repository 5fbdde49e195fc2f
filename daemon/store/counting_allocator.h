// daemon/store/counting_allocator.h: a std allocator that adds every block's allocator-rounded
// size (malloc_usable_size) to a counter, so the store's side indexes (key index, tags) are
// charged to the memory budget exactly like entries are.
#pragma once
#include <malloc.h>

#include <cstddef>
#include <cstdlib>
#include <new>
#include <string>

namespace shardcache::store {

/// Allocator over malloc that keeps `*counter` equal to the usable bytes it holds.
template <typename T>
class CountingAllocator {
 public:
  using value_type = T;
  explicit CountingAllocator(size_t* counter) noexcept : counter_(counter) {}
  template <typename U>
  CountingAllocator(const CountingAllocator<U>& o) noexcept : counter_(o.counter()) {}

  T* allocate(size_t n) {
    void* p = std::malloc(n * sizeof(T));
    if (!p) throw std::bad_alloc();
    *counter_ += malloc_usable_size(p);
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t) noexcept {
    *counter_ -= malloc_usable_size(p);
    std::free(p);
  }
  size_t* counter() const noexcept { return counter_; }
  template <typename U>
  bool operator==(const CountingAllocator<U>& o) const noexcept { return counter_ == o.counter(); }

 private:
  size_t* counter_;
};

/// A string whose heap buffer (when longer than the inline buffer) is counted.
using CountedString = std::basic_string<char, std::char_traits<char>, CountingAllocator<char>>;

}  // namespace shardcache::store
