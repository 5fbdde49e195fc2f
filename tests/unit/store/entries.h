// tests/unit/store/entries.h: real entries for the store's part tests: blocks of the process's
// slab arena with a key (and optionally a TTL block), freed when the Entries set goes away.
#pragma once
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/store/entry.h"
#include "daemon/store/slab.h"

namespace shardcache::test {

class Entries {
 public:
  Entries() = default;
  Entries(const Entries&) = delete;
  Entries& operator=(const Entries&) = delete;
  ~Entries() {
    for (store::Entry* e : made_) arena().free(e);
  }

  /// An entry for `key` with an empty value, in no list.
  store::Entry* make(std::string_view key, bool ttl = false) {
    bool external = false;
    size_t block = store::Entry::block_bytes(key.size(), 0, ttl, store::SlabArena::kMaxBlock, external);
    auto* e = static_cast<store::Entry*>(arena().alloc(block));
    e->init(key.size(), 0, ttl, external);
    std::memcpy(e->key_data(), key.data(), key.size());
    made_.push_back(e);
    return e;
  }
  static char* base() { return arena().base(); }

 private:
  static store::SlabArena& arena() { return store::SlabArena::instance(); }
  std::vector<store::Entry*> made_;
};

}  // namespace shardcache::test
