// daemon/store/invalidation.h: what an INVALIDATE / INVALIDATETAG call removes (a spec of key
// patterns and tags) and the mark it leaves in each shard while it runs. A mark makes every
// entry that matches the spec and existed when the call began ("not fresh") absent to all
// commands at once; the call then reclaims those entries shard by shard in bounded steps.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "daemon/store/entry.h"

namespace shardcache::store {

/// One KEYS-style glob, classified for the cheapest way to find its keys.
struct KeyPattern {
  enum class Kind { Exact, Prefix, Glob };
  Kind kind = Kind::Glob;
  std::string glob;     ///< the pattern as given
  std::string literal;  ///< Exact: the key; Prefix: the prefix; Glob: literal text before the first wildcard
  uint64_t hash = 0;    ///< Exact: the key's hash

  static KeyPattern parse(std::string_view glob);
  bool matches(std::string_view key) const;
};

/// What one call removes: keys matching any pattern, and entries carrying any tag.
struct InvalidationSpec {
  std::vector<KeyPattern> patterns;
  std::vector<std::string> tags;
  /// matches_key runs on every access to a marked shard while the call lasts: exact keys are
  /// answered by one set lookup, only prefixes and globs are tried one by one.
  struct StrHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_set<std::string, StrHash, std::equal_to<>> exact_keys;
  std::vector<size_t> wildcard;  ///< indexes in `patterns` of the Prefix and Glob ones

  static InvalidationSpec for_patterns(std::span<const std::string_view> globs);
  static InvalidationSpec for_tags(std::span<const std::string_view> tags);
  bool matches_key(std::string_view key) const;
};

/// A call's mark in one shard, present from the call's start until the shard is reclaimed.
struct ShardMark {
  std::shared_ptr<const InvalidationSpec> spec;
  int64_t start_ms = 0;                    ///< the call's time: entries expired by then count as expired
  uint64_t removed = 0;                    ///< dead entries reclaimed so far, by anyone
  std::unordered_set<const Entry*> fresh;  ///< entries written after the mark: they survive it
};

/// Where one mark's reclamation of one shard stands between bounded steps.
struct ReclaimCursor {
  size_t pattern = 0;       ///< next spec pattern
  bool has_resume = false;  ///< resume after `resume` in the key index
  std::string resume;
  size_t tag = 0;           ///< next spec tag
  bool tag_started = false;
  size_t tag_left = 0;      ///< members [0, tag_left) of the current tag are still to visit
};

}  // namespace shardcache::store
