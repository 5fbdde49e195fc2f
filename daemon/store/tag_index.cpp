// daemon/store/tag_index.cpp: tag membership (see tag_index.h).
#include "daemon/store/tag_index.h"

#include <algorithm>

namespace shardcache::store {

TagIndex::TagIndex()
    : groups_(0, SvHash{}, SvEq{}, Groups::allocator_type(&bytes_)),
      owners_(0, std::hash<const Entry*>{}, std::equal_to<const Entry*>{}, Owners::allocator_type(&bytes_)) {}

TagIndex::~TagIndex() { clear(); }

TagIndex::Group& TagIndex::group_for(std::string_view tag) {
  auto it = groups_.find(tag);
  if (it == groups_.end()) {
    it = groups_.emplace(std::piecewise_construct, std::forward_as_tuple(tag, Alloc<char>(&bytes_)),
                         std::forward_as_tuple(Alloc<Entry*>(&bytes_)))
             .first;
  }
  return *it;
}

void TagIndex::attach(Entry* e, std::span<const std::string_view> tags) {
  if (tags.empty()) return;
  auto [oit, fresh] = owners_.try_emplace(e, TagList(Alloc<Membership>(&bytes_)));
  TagList& list = oit->second;
  for (std::string_view t : tags) {
    bool dup = std::any_of(list.begin(), list.end(), [&](const Membership& m) { return m.group->first == t; });
    if (dup) continue;
    Group& g = group_for(t);
    g.second.push_back(e);
    list.push_back({&g, g.second.size() - 1});
  }
}

/// Swap-removes slot `pos` of `g`, fixing the moved member's back-reference; drops empty groups.
void TagIndex::remove_member(Group& g, size_t pos) {
  Members& m = g.second;
  if (pos + 1 != m.size()) {
    Entry* moved = m.back();
    m[pos] = moved;
    for (Membership& ms : owners_.find(moved)->second)
      if (ms.group == &g) ms.pos = pos;
  }
  m.pop_back();
  if (m.empty()) groups_.erase(groups_.find(std::string_view(g.first)));
}

void TagIndex::detach(const Entry* e) {
  auto it = owners_.find(e);
  if (it == owners_.end()) return;
  TagList list = std::move(it->second);
  owners_.erase(it);
  for (const Membership& ms : list) remove_member(*ms.group, ms.pos);
  if (owners_.empty()) clear();  // give the bucket arrays back too
}

void TagIndex::move(const Entry* from, Entry* to) {
  auto node = owners_.extract(from);
  if (node.empty()) return;
  for (const Membership& ms : node.mapped()) ms.group->second[ms.pos] = to;
  node.key() = to;
  owners_.insert(std::move(node));
}

bool TagIndex::has_any(const Entry* e, const std::vector<std::string>& tags) const {
  auto it = owners_.find(e);
  if (it == owners_.end()) return false;
  for (const Membership& ms : it->second)
    for (const std::string& t : tags)
      if (std::string_view(ms.group->first) == t) return true;
  return false;
}

std::span<Entry* const> TagIndex::members(std::string_view tag) const {
  auto it = groups_.find(tag);
  if (it == groups_.end()) return {};
  return {it->second.data(), it->second.size()};
}

std::vector<std::string> TagIndex::tags_of(const Entry* e) const {
  std::vector<std::string> out;
  auto it = owners_.find(e);
  if (it == owners_.end()) return out;
  for (const Membership& ms : it->second) out.emplace_back(ms.group->first);
  return out;
}

void TagIndex::clear() {
  // Fresh maps rather than clear(): clear() keeps the bucket arrays allocated.
  Owners(0, std::hash<const Entry*>{}, std::equal_to<const Entry*>{}, Owners::allocator_type(&bytes_)).swap(owners_);
  Groups(0, SvHash{}, SvEq{}, Groups::allocator_type(&bytes_)).swap(groups_);
}

}  // namespace shardcache::store
