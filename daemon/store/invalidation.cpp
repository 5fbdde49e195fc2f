// daemon/store/invalidation.cpp: pattern classification and matching for invalidation specs.
#include "daemon/store/invalidation.h"

#include "daemon/store/glob.h"
#include "daemon/store/store.h"

namespace shardcache::store {

KeyPattern KeyPattern::parse(std::string_view glob) {
  KeyPattern p;
  p.glob.assign(glob);
  switch (glob_shape(glob, p.literal)) {
    case GlobShape::Literal:
      p.kind = Kind::Exact;
      p.hash = Store::hash(p.literal);
      break;
    case GlobShape::Prefix: p.kind = Kind::Prefix; break;
    case GlobShape::Other: p.kind = Kind::Glob; break;
  }
  return p;
}

bool KeyPattern::matches(std::string_view key) const {
  switch (kind) {
    case Kind::Exact: return key == literal;
    case Kind::Prefix: return key.starts_with(literal);
    case Kind::Glob: return key.starts_with(literal) && glob_match(glob, key);
  }
  return false;
}

InvalidationSpec InvalidationSpec::for_patterns(std::span<const std::string_view> globs) {
  InvalidationSpec s;
  for (std::string_view g : globs) {
    s.patterns.push_back(KeyPattern::parse(g));
    if (s.patterns.back().kind == KeyPattern::Kind::Exact) s.exact_keys.insert(s.patterns.back().literal);
    else s.wildcard.push_back(s.patterns.size() - 1);
  }
  return s;
}

InvalidationSpec InvalidationSpec::for_tags(std::span<const std::string_view> tags) {
  InvalidationSpec s;
  for (std::string_view t : tags) s.tags.emplace_back(t);
  return s;
}

bool InvalidationSpec::matches_key(std::string_view key) const {
  if (!exact_keys.empty() && exact_keys.find(key) != exact_keys.end()) return true;
  for (size_t i : wildcard)
    if (patterns[i].matches(key)) return true;
  return false;
}

}  // namespace shardcache::store
