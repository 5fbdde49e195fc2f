// daemon/store/key_index.cpp: the ordered key index (see key_index.h).
#include "daemon/store/key_index.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "daemon/store/alloc.h"

namespace shardcache::store {

namespace {
bool starts_with(std::string_view s, std::string_view p) { return s.size() >= p.size() && s.compare(0, p.size(), p) == 0; }

size_t common_prefix(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size()), i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

/// Bytes [lcp, lcp+8) of key, big-endian, zero-padded: ordered like the keys that share the
/// first lcp bytes (a < b implies window(a) <= window(b)).
uint64_t window(std::string_view key, size_t lcp) {
  if (lcp + 8 <= key.size()) {
    uint64_t v;
    std::memcpy(&v, key.data() + lcp, 8);
    return __builtin_bswap64(v);
  }
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | (lcp + i < key.size() ? static_cast<unsigned char>(key[lcp + i]) : 0u);
  return v;
}

/// The 8 highest set bits of v (fewer when v has fewer).
uint64_t top8(uint64_t v) {
  uint64_t sel = 0;
  for (int i = 0; i < 8 && v; ++i) {
    uint64_t b = uint64_t{1} << (63 - __builtin_clzll(v));
    sel |= b;
    v &= ~b;
  }
  return sel;
}

/// The bits of w at the positions of sel, highest first: for windows that differ only at bits
/// of var (sel = top8(var)), w1 < w2 implies fingerprint(w1) <= fingerprint(w2).
uint8_t fingerprint(uint64_t w, uint64_t sel) {
  unsigned f = 0;
  while (sel) {
    int b = 63 - __builtin_clzll(sel);
    f = (f << 1) | static_cast<unsigned>((w >> b) & 1);
    sel &= ~(uint64_t{1} << b);
  }
  return static_cast<uint8_t>(f);
}

/// The shortest prefix of `hi` that is greater than `lo` (lo < hi): a valid separator.
std::string_view shortest_separator(std::string_view lo, std::string_view hi) {
  size_t d = 0;
  while (d < lo.size() && d < hi.size() && lo[d] == hi[d]) ++d;
  return hi.substr(0, std::min(hi.size(), d + 1));
}
}  // namespace

KeyIndex::KeyIndex() : base_(SlabArena::instance().base()), dir_(Directory::allocator_type(&bytes_)) {}

KeyIndex::~KeyIndex() { clear(); }

KeyIndex::Leaf* KeyIndex::new_leaf() {
  void* p = std::malloc(sizeof(Leaf));
  if (!p) throw std::bad_alloc();
  bytes_ += malloc_usable_size(p);
  auto* l = static_cast<Leaf*>(p);
  l->n = 0;
  l->loose = 0;
  l->lcp = 0;
  l->ref = l->var = 0;
  return l;
}

void KeyIndex::free_leaf(Leaf* l) {
  bytes_ -= malloc_usable_size(l);
  std::free(l);
}

void KeyIndex::add_leaf(Directory::const_iterator at, std::string_view separator, Leaf* l) {
  Dir d{l, static_cast<uint32_t>(separator.size()), {}};
  if (separator.size() <= sizeof d.inl) {
    std::memcpy(d.inl, separator.data(), separator.size());
  } else {
    char* p = static_cast<char*>(std::malloc(separator.size()));
    if (!p) throw std::bad_alloc();
    bytes_ += malloc_usable_size(p);
    std::memcpy(p, separator.data(), separator.size());
    std::memcpy(d.inl, &p, sizeof p);
  }
  try {
    dir_.insert(at, d);
  } catch (...) {
    if (d.len > sizeof d.inl) {
      bytes_ -= malloc_usable_size(const_cast<char*>(d.data()));
      std::free(const_cast<char*>(d.data()));
    }
    throw;
  }
}

KeyIndex::Directory::iterator KeyIndex::drop_row(Directory::iterator it) {
  if (it->len > sizeof it->inl) {
    char* p = const_cast<char*>(it->data());
    bytes_ -= malloc_usable_size(p);
    std::free(p);
  }
  return dir_.erase(it);
}

size_t KeyIndex::insert_reserve(size_t key_len) const {
  size_t grow = dir_.size() == dir_.capacity() ? std::max<size_t>(1, dir_.capacity() * 2) * sizeof(Dir) : 0;
  return alloc_rounded_size(sizeof(Leaf)) + grow + (key_len > sizeof(Dir::inl) ? alloc_rounded_size(key_len) : 0);
}

namespace {
struct SepLess {
  bool operator()(std::string_view key, const auto& row) const { return key < row.sep(); }
};
}  // namespace

KeyIndex::Directory::const_iterator KeyIndex::leaf_for(std::string_view key) const {
  auto it = std::upper_bound(dir_.begin(), dir_.end(), key, SepLess{});  // the first separator is "": it != begin()
  return --it;
}

KeyIndex::Directory::iterator KeyIndex::leaf_for(std::string_view key) {
  auto it = std::upper_bound(dir_.begin(), dir_.end(), key, SepLess{});
  return --it;
}

size_t KeyIndex::bisect(const Leaf& l, std::string_view key, size_t lo, size_t hi) const {
  if (hi - lo > 1 && hi - lo <= 16)  // ties: fetch the candidates together, not one miss at a time
    for (size_t i = lo; i < hi; ++i) __builtin_prefetch(at(l.e[i]));
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (key_at(l, mid) < key) lo = mid + 1; else hi = mid;
  }
  return lo;
}

size_t KeyIndex::lower_pos(const Leaf& l, std::string_view key, bool admitted, size_t* ties) const {
  if (l.n == 0) return 0;
  uint64_t w = 0;
  if (!admitted) {  // a key outside the shared prefix sorts before or after all of them
    std::string_view first = key_at(l, 0);
    size_t c = common_prefix(key, first);
    if (c < l.lcp) return (c == key.size() || static_cast<unsigned char>(key[c]) < static_cast<unsigned char>(first[c])) ? 0 : l.n;
    w = window(key, l.lcp);
    if ((w ^ l.ref) & ~l.var) return bisect(l, key, 0, l.n);  // differs where the keys do not
  } else {
    w = window(key, l.lcp);
  }
  uint8_t f = fingerprint(w, top8(l.var));
  // Count instead of bisect: independent loads over a few cache lines beat dependent hops on
  // a cold leaf, and the loop vectorizes.
  // Byte-wide counters (a leaf holds fewer than 256 entries) keep the vector loop byte-wide.
  uint8_t lo = 0, end = 0;
  for (size_t i = 0; i < l.n; ++i) {
    lo = static_cast<uint8_t>(lo + (l.fp[i] < f));
    end = static_cast<uint8_t>(end + (l.fp[i] <= f));
  }
  if (ties) *ties = size_t{end} - lo;
  return bisect(l, key, lo, end);  // ties: compare the keys themselves
}

size_t KeyIndex::find_handle(const Leaf& l, uint32_t h) {
  size_t i = 0;
  while (i < l.n && l.e[i] != h) ++i;
  return i;
}

void KeyIndex::refingerprint(Leaf& l) const {
  uint64_t sel = top8(l.var);
  for (size_t i = 0; i < l.n; ++i) {
    if (i + 8 < l.n) __builtin_prefetch(at(l.e[i + 8]));
    l.fp[i] = fingerprint(window(key_at(l, i), l.lcp), sel);
  }
}

/// Recomputes the shared prefix (of the first and last key: the leaf is sorted), the varying
/// bits and the fingerprints.
void KeyIndex::refresh(Leaf& l) const {
  l.loose = 0;
  if (l.n == 0) return;
  l.lcp = static_cast<uint32_t>(common_prefix(key_at(l, 0), key_at(l, l.n - 1)));
  l.ref = window(key_at(l, 0), l.lcp);
  l.var = 0;
  for (size_t i = 1; i < l.n; ++i) {
    if (i + 8 < l.n) __builtin_prefetch(at(l.e[i + 8]));
    l.var |= window(key_at(l, i), l.lcp) ^ l.ref;
  }
  refingerprint(l);
}

void KeyIndex::admit(Leaf& l, std::string_view key, size_t range_lcp) const {
  if (l.n == 0) {
    l.lcp = static_cast<uint32_t>(std::min<size_t>(key.size(), UINT32_MAX));
    l.ref = window(key, l.lcp);
    l.var = 0;
    l.loose = 0;
    return;
  }
  if (l.lcp > range_lcp) {  // a key of this range need not share the leaf's prefix
    size_t c = common_prefix(key, key_at(l, 0));
    if (c < l.lcp) {  // it shares less: windows move
      l.lcp = static_cast<uint32_t>(c);
      l.ref = window(key_at(l, 0), c);
      l.var = 0;
      for (size_t i = 1; i < l.n; ++i) l.var |= window(key_at(l, i), c) ^ l.ref;
      l.var |= window(key, c) ^ l.ref;
      refingerprint(l);
      return;
    }
  }
  uint64_t add = (window(key, l.lcp) ^ l.ref) & ~l.var;
  if (!add) return;
  uint64_t sel = top8(l.var);
  l.var |= add;
  if (top8(l.var) != sel) refingerprint(l);  // a new high varying bit: fingerprints move
}

size_t KeyIndex::range_lcp(Directory::const_iterator it) const {
  auto next = std::next(it);
  return next == dir_.end() ? 0 : common_prefix(it->sep(), next->sep());
}

void KeyIndex::insert(Entry* e) {
  if (dir_.empty()) add_leaf(dir_.end(), "", new_leaf());
  std::string_view key = e->key();
  auto it = leaf_for(key);
  if (it->leaf->n == kLeafCap) {
    split(it, key);
    it = leaf_for(key);
  }
  Leaf& l = *it->leaf;
  size_t rl = range_lcp(it);
  admit(l, key, rl);
  size_t ties = 0;
  size_t pos = lower_pos(l, key, true, &ties);
  if (ties > 4 && l.loose) {
    refresh(l);  // fingerprints over fewer, or later, bits tell the keys apart
    admit(l, key, rl);
    pos = lower_pos(l, key, true);
  }
  std::memmove(&l.e[pos + 1], &l.e[pos], (l.n - pos) * sizeof(uint32_t));
  std::memmove(&l.fp[pos + 1], &l.fp[pos], l.n - pos);
  l.e[pos] = handle(e);
  l.fp[pos] = fingerprint(window(key, l.lcp), top8(l.var));
  ++l.n;
  ++size_;
}

void KeyIndex::split(Directory::iterator it, std::string_view key) {
  Leaf& l = *it->leaf;
  Leaf* r = new_leaf();
  if (std::next(it) == dir_.end() && key_at(l, l.n - 1) < key) {  // appending: keep this leaf full
    add_leaf(std::next(it), shortest_separator(key_at(l, l.n - 1), key), r);
    return;
  }
  size_t h = l.n / 2;
  r->n = static_cast<uint16_t>(l.n - h);
  std::memcpy(r->e, &l.e[h], r->n * sizeof(uint32_t));
  std::memcpy(r->fp, &l.fp[h], r->n);
  l.n = static_cast<uint16_t>(h);
  // Prefix, reference and varying bits still cover both halves; refreshed when a search finds
  // too many ties.
  r->lcp = l.lcp;
  r->ref = l.ref;
  r->var = l.var;
  r->loose = l.loose = 1;
  add_leaf(std::next(it), shortest_separator(key_at(l, h - 1), key_at(*r, 0)), r);
}

void KeyIndex::erase(const Entry* e) {
  auto it = leaf_for(e->key());
  Leaf& l = *it->leaf;
  size_t pos = find_handle(l, handle(e));
  if (pos >= l.n) return;  // not indexed: nothing to do
  std::memmove(&l.e[pos], &l.e[pos + 1], (l.n - pos - 1) * sizeof(uint32_t));
  std::memmove(&l.fp[pos], &l.fp[pos + 1], l.n - pos - 1);
  --l.n;
  if (pos == 0 || pos == l.n) l.loose = 1;  // new first or last key: the shared prefix may be longer
  --size_;
  shrink(it);
}

void KeyIndex::erase_run(std::span<Entry* const> run) {
  size_t k = 0;
  while (k < run.size()) {
    auto it = leaf_for(run[k]->key());
    Leaf& l = *it->leaf;
    size_t first = k, w = 0;
    for (size_t r = 0; r < l.n; ++r) {
      if (k < run.size() && l.e[r] == handle(run[k])) {
        ++k;
        continue;
      }
      l.e[w] = l.e[r];
      l.fp[w++] = l.fp[r];
    }
    if (k == first) {  // not indexed: nothing to do for it
      ++k;
      continue;
    }
    size_ -= l.n - w;
    l.n = static_cast<uint16_t>(w);
    l.loose = 1;
    shrink(it);  // may drop or merge leaves: the next round looks its leaf up again
  }
}

/// Keeps leaves from emptying out: drops an empty leaf, merges a sparse one into a neighbour.
void KeyIndex::shrink(Directory::iterator it) {
  Leaf* l = it->leaf;
  if (l->n > kLeafCap / 4) return;
  auto next = std::next(it);
  if (l->n == 0) {
    if (it != dir_.begin()) {  // the previous leaf's range absorbs this one
      free_leaf(l);
      drop_row(it);
    } else if (next != dir_.end()) {  // keep the "" separator: adopt the next leaf
      it->leaf = next->leaf;
      free_leaf(l);
      drop_row(next);
    } else {
      free_leaf(l);
      drop_row(it);
      Directory(dir_.get_allocator()).swap(dir_);  // an empty index holds no bytes
    }
    return;
  }
  // Merge the right one of (this, neighbour) into the left one when both fit comfortably.
  auto left = it, right = next;
  if (right == dir_.end()) {
    if (it == dir_.begin()) return;
    left = std::prev(it);
    right = it;
  }
  Leaf* a = left->leaf;
  Leaf* b = right->leaf;
  if (a->n + b->n > kLeafCap * 3 / 4) return;
  std::memcpy(&a->e[a->n], b->e, b->n * sizeof(uint32_t));
  a->n = static_cast<uint16_t>(a->n + b->n);
  refresh(*a);
  free_leaf(b);
  drop_row(right);
}

void KeyIndex::replace(const Entry* old_e, Entry* new_e) {
  Leaf& l = *leaf_for(old_e->key())->leaf;
  size_t pos = find_handle(l, handle(old_e));
  if (pos < l.n) l.e[pos] = handle(new_e);
}

bool KeyIndex::collect_prefix(std::string_view prefix, const std::string* after, size_t max,
                              std::vector<Entry*>& out) const {
  if (dir_.empty()) return true;
  std::string_view start = after ? std::string_view(*after) : prefix;
  auto it = leaf_for(start);
  size_t pos = lower_pos(*it->leaf, start, false);
  size_t taken = 0;
  for (; it != dir_.end(); ++it, pos = 0) {
    const Leaf& l = *it->leaf;
    for (; pos < l.n; ++pos) {
      std::string_view k = key_at(l, pos);
      if (after && k == *after) continue;
      if (!starts_with(k, prefix)) return true;
      if (taken == max) return false;
      out.push_back(at_mut(l.e[pos]));
      ++taken;
    }
  }
  return true;
}

void KeyIndex::clear() {
  while (!dir_.empty()) {
    free_leaf(dir_.back().leaf);
    drop_row(std::prev(dir_.end()));
  }
  Directory(dir_.get_allocator()).swap(dir_);
  size_ = 0;
}

bool KeyIndex::check() const {
  size_t n = 0;
  const Entry* prev = nullptr;
  for (auto it = dir_.begin(); it != dir_.end(); ++it) {
    const Leaf& l = *it->leaf;
    auto next = std::next(it);
    if (l.n == 0 || l.n > kLeafCap) return false;
    for (size_t i = 0; i < l.n; ++i) {
      std::string_view k = key_at(l, i);
      if (common_prefix(k, key_at(l, 0)) < l.lcp) return false;
      uint64_t w = window(k, l.lcp);
      if (((w ^ l.ref) & ~l.var) || l.fp[i] != fingerprint(w, top8(l.var))) return false;
      if (prev && !(prev->key() < k)) return false;
      if (k < it->sep()) return false;
      if (next != dir_.end() && !(k < next->sep())) return false;
      prev = at(l.e[i]);
    }
    n += l.n;
  }
  return n == size_ && (dir_.empty() || dir_.begin()->sep().empty());
}

}  // namespace shardcache::store
