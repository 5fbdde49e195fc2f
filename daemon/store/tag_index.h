// daemon/store/tag_index.h: a shard's tags (SET ... TAGS t1 t2): tag -> the entries carrying it,
// and entry -> its tags, so INVALIDATETAG costs O(tagged entries) and a value's tags go away
// with it (overwrite, delete, expiry, eviction). Every block is charged to the shard's budget
// through a CountingAllocator. Only pointer identity of entries is used. Not thread-safe: the
// owning shard's mutex guards it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "daemon/store/counting_allocator.h"
#include "daemon/store/entry.h"

namespace shardcache::store {

class TagIndex {
 public:
  TagIndex();
  ~TagIndex();
  TagIndex(const TagIndex&) = delete;
  TagIndex& operator=(const TagIndex&) = delete;

  /// Gives `e`, which carries no tags yet, the tags (duplicates count once).
  void attach(Entry* e, std::span<const std::string_view> tags);
  /// Drops e's tags; a no-op when it has none.
  void detach(const Entry* e);
  /// Moves the tags of `from` to `to` (the same value reallocated).
  void move(const Entry* from, Entry* to);
  /// True when `e` carries at least one of `tags`.
  bool has_any(const Entry* e, const std::vector<std::string>& tags) const;
  /// The entries carrying `tag` (empty when none). Removing a member moves the last one into
  /// its slot and new members are appended, so a walk from the back to the front visits every
  /// member present throughout the walk.
  std::span<Entry* const> members(std::string_view tag) const;
  /// The tags of `e`, in the order given.
  std::vector<std::string> tags_of(const Entry* e) const;

  bool empty() const { return owners_.empty(); }
  size_t tag_count() const { return groups_.size(); }
  /// Bytes held by both maps and their vectors, allocator-rounded.
  size_t bytes() const { return bytes_; }
  void clear();

 private:
  template <typename T>
  using Alloc = CountingAllocator<T>;
  struct SvHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct SvEq {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const { return a == b; }
  };
  using Members = std::vector<Entry*, Alloc<Entry*>>;
  using Groups = std::unordered_map<CountedString, Members, SvHash, SvEq, Alloc<std::pair<const CountedString, Members>>>;
  using Group = Groups::value_type;
  struct Membership {
    Group* group;
    size_t pos;  ///< index of the owner in group->second
  };
  using TagList = std::vector<Membership, Alloc<Membership>>;
  using Owners = std::unordered_map<const Entry*, TagList, std::hash<const Entry*>, std::equal_to<const Entry*>,
                                    Alloc<std::pair<const Entry* const, TagList>>>;

  Group& group_for(std::string_view tag);
  void remove_member(Group& g, size_t pos);

  size_t bytes_ = 0;  // declared first: the maps' allocators count into it
  Groups groups_;
  Owners owners_;
};

}  // namespace shardcache::store
