// daemon/store/key_index.h: a shard's ordered index of entries by key, so a prefix pattern
// (`course:42:*`) is answered in O(log n + matches) instead of a walk over the keyspace.
// A small two-level B+tree: sorted leaves of up to 200 entries (one 1 KB block each) found
// through a sorted directory (one vector of 32-byte rows) by each leaf's lower-bound separator
// (a short, suffix-truncated copy of a key, inline in the row up to 20 bytes). A shard has a few
// hundred leaves (about 600 at 8M keys in 64 shards: a 20 KB directory), so a split's memmove
// is cheap. Entries are held as 32-bit slab handles (slab.h) with a 1-byte fingerprint each:
// 5 bytes a key. A leaf knows the prefix all its keys share (lcp bytes) and, over the 8 bytes
// after it (the window), the bits where its keys may differ (var); a key's fingerprint is its
// window's bits at the 8 highest positions of var, in order. Keys ordered a < b have
// fingerprints fp(a) <= fp(b), so a search inside a leaf counts bytes in one block and reads
// entries only to break ties; skipping the bits all keys share (a digit's high nibble, the
// letters of a common stem) makes 8 bits tell most neighbours apart. Erase and replace find the
// entry by its handle and read no keys. Only Entry::key() and entry identity are used, so the
// entry layout can change without touching this file. Not thread-safe: the owning shard's mutex
// guards it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/store/counting_allocator.h"
#include "daemon/store/entry.h"
#include "daemon/store/slab.h"

namespace shardcache::store {

class KeyIndex {
 public:
  static constexpr size_t kLeafCap = 200;  ///< 24-byte header + 200 x (1 + 4) bytes = one 1 KB block

  KeyIndex();
  ~KeyIndex();
  KeyIndex(const KeyIndex&) = delete;
  KeyIndex& operator=(const KeyIndex&) = delete;

  /// Adds `e`; no entry with its key may be present.
  void insert(Entry* e);
  /// Removes `e`, which must be present.
  void erase(const Entry* e);
  /// Removes `run`: present entries in key order (others may lie between them), in one pass.
  void erase_run(std::span<Entry* const> run);
  /// Puts `new_e` where `old_e` (present, same key) was.
  void replace(const Entry* old_e, Entry* new_e);
  /// Appends to `out`, in key order, at most `max` entries whose key starts with `prefix` and
  /// is greater than `*after` when `after` is given. Returns true when no further entry with
  /// the prefix follows (the range is exhausted).
  bool collect_prefix(std::string_view prefix, const std::string* after, size_t max, std::vector<Entry*>& out) const;

  /// Most bytes one insert of a key of `key_len` bytes can add (a new leaf, a directory row
  /// when the directory is full, a separator too long for the row).
  size_t insert_reserve(size_t key_len) const;

  size_t size() const { return size_; }
  /// Bytes held by leaves, the directory and long separators, allocator-rounded (0 when empty).
  size_t bytes() const { return bytes_; }
  /// Forgets every entry (they are the caller's to free).
  void clear();
  /// Verifies ordering, separators and counts (for tests).
  bool check() const;

 private:
  struct Leaf {
    uint16_t n;
    uint8_t loose;           ///< lcp or var may be looser than the keys need (split, erase at an end)
    uint8_t unused;
    uint32_t lcp;            ///< every key in the leaf starts with the same lcp bytes
    uint64_t ref;            ///< the window of some key in the leaf (or of one that was)
    uint64_t var;            ///< covers window(k) ^ ref for every key k in the leaf
    uint8_t fp[kLeafCap];    ///< fingerprint of each entry (bits of its window at top8(var))
    uint32_t e[kLeafCap];    ///< slab handles of the entries, sorted by key
  };
  static_assert(sizeof(Leaf) == 1024);
  static_assert(kLeafCap < 256, "lower_pos counts in bytes");
  /// A directory row: a leaf and its lower-bound separator (inline up to 20 bytes, else in a
  /// counted heap block whose address the inline bytes hold).
  struct Dir {
    Leaf* leaf;
    uint32_t len;
    char inl[20];
    const char* data() const {
      if (len <= sizeof inl) return inl;
      const char* p;
      std::memcpy(&p, inl, sizeof p);
      return p;
    }
    std::string_view sep() const { return {data(), len}; }
  };
  static_assert(sizeof(Dir) == 32);
  using Directory = std::vector<Dir, CountingAllocator<Dir>>;

  Directory::const_iterator leaf_for(std::string_view key) const;
  Directory::iterator leaf_for(std::string_view key);
  /// First position in `l` whose key is >= `key`. `admitted`: admit(l, key) holds (the key's
  /// window is covered by var), so fingerprints order it; otherwise keys are compared.
  /// `ties` (optional) receives how many entries shared the key's fingerprint.
  size_t lower_pos(const Leaf& l, std::string_view key, bool admitted, size_t* ties = nullptr) const;
  /// Bisection over positions [lo, hi) by comparing keys.
  size_t bisect(const Leaf& l, std::string_view key, size_t lo, size_t hi) const;
  /// Position of the entry with handle h in l, or l.n.
  static size_t find_handle(const Leaf& l, uint32_t h);
  /// Recomputes lcp, ref, var and fingerprints from the leaf's keys.
  void refresh(Leaf& l) const;
  /// Recomputes the fingerprints for the current lcp and var.
  void refingerprint(Leaf& l) const;
  /// Makes the leaf's lcp and var cover `key` (recomputing fingerprints if they change); the
  /// key's window is then ordered by fingerprints like the leaf's keys.
  void admit(Leaf& l, std::string_view key, size_t range_lcp) const;
  const Entry* at(uint32_t h) const { return reinterpret_cast<const Entry*>(base_ + size_t{h} * SlabArena::kGranule); }
  Entry* at_mut(uint32_t h) const { return reinterpret_cast<Entry*>(base_ + size_t{h} * SlabArena::kGranule); }
  uint32_t handle(const Entry* e) const {
    return static_cast<uint32_t>((reinterpret_cast<const char*>(e) - base_) / SlabArena::kGranule);
  }
  std::string_view key_at(const Leaf& l, size_t i) const { return at(l.e[i])->key(); }
  /// Length of the prefix every key in the leaf's separator range must share.
  size_t range_lcp(Directory::const_iterator it) const;
  Leaf* new_leaf();
  void free_leaf(Leaf* l);
  /// Inserts a directory row for `l` before `at`.
  void add_leaf(Directory::const_iterator at, std::string_view separator, Leaf* l);
  /// Removes a directory row (not its leaf); returns the row after it.
  Directory::iterator drop_row(Directory::iterator it);
  /// Splits a full leaf in half, or, when `key` goes after every key of the last leaf (keys
  /// arriving in order), starts an empty leaf for it so the full one stays full.
  void split(Directory::iterator it, std::string_view key);
  void shrink(Directory::iterator it);

  char* base_;        // the slab arena's base: handle -> entry
  size_t bytes_ = 0;  // declared before dir_: its allocator's allocator counts into it
  Directory dir_;     // the directory: rows sorted by separator, the first one's is ""

  size_t size_ = 0;
};

}  // namespace shardcache::store
