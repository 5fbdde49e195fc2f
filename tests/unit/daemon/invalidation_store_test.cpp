// tests/unit/daemon/invalidation_store_test.cpp: the store side of invalidation on its own: the
// ordered key index against a brute-force model, the tag index, glob classification, and the
// marks' ordering rules (lookups, overwrites, eviction and expiry during a running call).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "daemon/store/glob.h"
#include "daemon/store/invalidation_job.h"
#include "daemon/store/store.h"

using namespace shardcache::store;

namespace {

Entry* put(Shard& s, const std::string& k, const std::string& v = "v", int64_t exp = 0) {
  return s.put_locked(k, Store::hash(k), v, exp);
}
Entry* find(Shard& s, const std::string& k, int64_t now = 1000) { return s.find_locked(k, Store::hash(k), now); }

std::vector<std::string> collect_all(const KeyIndex& idx, const std::string& prefix, size_t batch) {
  std::vector<std::string> keys;
  std::string resume;
  bool has = false;
  for (int guard = 0; guard < 1000000; ++guard) {
    std::vector<Entry*> out;
    bool done = idx.collect_prefix(prefix, has ? &resume : nullptr, batch, out);
    for (Entry* e : out) keys.emplace_back(e->key());
    if (!out.empty()) { resume = keys.back(); has = true; }
    if (done) break;
  }
  return keys;
}

std::vector<std::string> model_prefix(const std::set<std::string>& m, const std::string& prefix) {
  std::vector<std::string> r;
  for (auto it = m.lower_bound(prefix); it != m.end() && it->starts_with(prefix); ++it) r.push_back(*it);
  return r;
}

}  // namespace

TEST_CASE("key index: random inserts and erases keep order, prefix ranges match a model") {
  Shard s;
  std::set<std::string> model;
  std::mt19937 rng(7);
  const char* stems[] = {"course:", "student:", "dashboard:", "analytics:", "c", ""};
  for (int i = 0; i < 20000; ++i) {
    std::string k = std::string(stems[rng() % 6]) + std::to_string(rng() % 3000) + (rng() % 2 ? ":x" : "");
    if (rng() % 3 == 0 && model.count(k)) {
      s.erase_locked(find(s, k));
      model.erase(k);
    } else {
      put(s, k);
      model.insert(k);
    }
  }
  const KeyIndex& idx = s.key_index_locked();
  CHECK(idx.check());
  CHECK(idx.size() == model.size());
  for (std::string p : {"", "course:", "course:1", "course:12:", "student:29", "zzz", "c", "dash"}) {
    for (size_t batch : {size_t{1}, size_t{7}, size_t{1000}}) {
      INFO("prefix ", p, " batch ", batch);
      CHECK(collect_all(idx, p, batch) == model_prefix(model, p));
    }
  }
  // Emptying the shard gives every index byte back.
  for (const auto& k : model) s.erase_locked(find(s, k));
  CHECK(idx.size() == 0);
  CHECK(idx.bytes() == 0);
  CHECK(s.used_bytes() == s.table_locked().slot_bytes());
}

TEST_CASE("key index: ascending, descending and binary keys; replace keeps the position") {
  Shard s;
  for (int i = 0; i < 5000; ++i) put(s, "k" + std::string(6 - std::to_string(i).size(), '0') + std::to_string(i));
  for (int i = 5000; i > 0; --i) put(s, "z" + std::to_string(i));
  std::string bin("b\0\xff", 3);
  put(s, bin);
  put(s, std::string("b\0", 2));
  CHECK(s.key_index_locked().check());
  CHECK(collect_all(s.key_index_locked(), std::string("b\0", 2), 10).size() == 2);
  CHECK(collect_all(s.key_index_locked(), "k00490", 3).size() == 10);
  Entry* e = put(s, "k000100", "a much longer value than before");  // overwrite: a new block
  CHECK(collect_all(s.key_index_locked(), "k000100", 5) == std::vector<std::string>{"k000100"});
  CHECK(find(s, "k000100") == e);
  Entry* r = s.resize_value_locked(e, 3);
  CHECK(collect_all(s.key_index_locked(), "k00010", 50).size() == 10);
  CHECK(s.key_index_locked().check());
  CHECK(r->value() == "a m");
}

TEST_CASE("key index: fingerprint ties, widening varying bits, narrowing prefixes, short and binary keys") {
  // Each family stresses one part of the leaf search: keys equal over the 8-byte window after
  // their shared prefix (every fingerprint ties), keys that first differ at a bit no earlier key
  // varied in (fingerprints recomputed), keys sharing less than the leaf's prefix, keys shorter
  // than the window and keys with zero and 0xff bytes.
  std::mt19937 rng(11);
  auto family = [&](int f) -> std::string {
    int i = static_cast<int>(rng() % 4000);
    switch (f) {
      case 0: return "tie:" + std::string(12, 'x') + std::to_string(i);             // ties
      case 1: return "w:" + std::string(1, static_cast<char>('0' + rng() % 75)) + std::to_string(i % 50);
      case 2: return std::string(1 + rng() % 6, static_cast<char>("ab"[rng() % 2]));  // short
      case 3: {
        std::string k(1 + rng() % 12, '\0');
        for (auto& c : k) c = static_cast<char>("\0\x01\x7f\x80\xff"[rng() % 5]);
        return k;  // binary
      }
      default: return "key:" + std::string(11 - std::to_string(i).size(), '0') + std::to_string(i);
    }
  };
  for (int order = 0; order < 3; ++order) {  // families interleaved, grouped, and reversed
    Shard s;
    std::set<std::string> model;
    std::vector<std::string> keys;
    for (int f = 0; f < 5; ++f)
      for (int i = 0; i < 1500; ++i) keys.push_back(family(order == 0 ? static_cast<int>(rng() % 5) : f));
    if (order == 2) std::reverse(keys.begin(), keys.end());
    for (size_t i = 0; i < keys.size(); ++i) {
      if (!model.count(keys[i])) {
        put(s, keys[i]);
        model.insert(keys[i]);
      } else if (i % 3 == 0) {
        s.erase_locked(find(s, keys[i]));
        model.erase(keys[i]);
      }
      if (i % 500 == 0) REQUIRE(s.key_index_locked().check());
    }
    const KeyIndex& idx = s.key_index_locked();
    REQUIRE(idx.check());
    CHECK(idx.size() == model.size());
    for (std::string p : std::vector<std::string>{"", "tie:", "tie:xxxxxxxxxxxx1", "w:", "w:K", "a", "aa", "b", std::string("\0", 1),
                          std::string("\xff\0", 2), "key:0000000", "key:00000001"}) {
      INFO("order ", order, " prefix ", p);
      CHECK(collect_all(idx, p, 13) == model_prefix(model, p));
    }
  }
}

TEST_CASE("key index: leaves split, shrink and merge; prefix runs cross many leaves; erase_run") {
  // A standalone index over entries the shard owns (the index never touches entries).
  Shard s;
  KeyIndex idx;
  std::set<std::string> model;
  auto key = [](int i) { return "course:" + std::to_string(i % 7) + ":student:" + std::to_string(i); };
  for (int i = 0; i < 20000; ++i) {
    idx.insert(put(s, key(i)));
    model.insert(key(i));
  }
  REQUIRE(idx.check());
  size_t full = idx.bytes();
  CHECK(full > 20000 * 5);  // at least a handle and a fingerprint per key
  // A prefix whose keys span many leaves, read back in small and large batches.
  for (size_t batch : {size_t{1}, size_t{199}, size_t{200}, size_t{201}, size_t{5000}})
    CHECK(collect_all(idx, "course:3:", batch) == model_prefix(model, "course:3:"));
  // Erase most keys of one prefix (leaves shrink and merge), then a whole prefix in one run.
  for (int i = 3; i < 20000; i += 7) {
    if (i % 5 == 0) continue;
    idx.erase(find(s, key(i)));
    model.erase(key(i));
  }
  REQUIRE(idx.check());
  CHECK(collect_all(idx, "course:3:", 64) == model_prefix(model, "course:3:"));
  std::vector<Entry*> run;
  CHECK(idx.collect_prefix("course:5:", nullptr, 100000, run));
  CHECK(run.size() > 2000);
  idx.erase_run(run);
  for (Entry* e : run) model.erase(std::string(e->key()));
  REQUIRE(idx.check());
  CHECK(idx.size() == model.size());
  CHECK(collect_all(idx, "course:5:", 10).empty());
  CHECK(collect_all(idx, "course:", 1000) == model_prefix(model, "course:"));
  CHECK(idx.bytes() < full);  // emptied leaves were freed
  // replace() keeps the position: a standalone swap of one entry for another with the same key.
  Entry* old_e = find(s, key(10));
  Entry* other = put(s, "course:3:student:10x");
  idx.replace(old_e, other);  // the index now points at `other` where key(10) was
  std::vector<Entry*> one;
  idx.collect_prefix("course:3:student:10", nullptr, 1, one);
  CHECK(one == std::vector<Entry*>{other});
  idx.clear();
  CHECK(idx.bytes() == 0);
}

TEST_CASE("key index: separators longer than a directory row's 20 bytes; every byte given back") {
  Shard s;
  KeyIndex idx;
  std::set<std::string> model;
  const std::string stem = "tenant:alpha:course:" + std::string(30, 'c') + ":student:";
  std::mt19937 rng(5);
  for (int i = 0; i < 6000; ++i) {  // random order: leaves split in half at long separators
    std::string k = stem + std::to_string(rng() % 100000);
    if (model.insert(k).second) idx.insert(put(s, k));
  }
  REQUIRE(idx.check());
  CHECK(collect_all(idx, stem + "1", 77) == model_prefix(model, stem + "1"));
  CHECK(collect_all(idx, stem.substr(0, 25), 500) == model_prefix(model, stem.substr(0, 25)));
  CHECK(idx.insert_reserve(stem.size() + 5) > idx.insert_reserve(3));  // a long separator may be allocated
  for (const auto& k : model) idx.erase(find(s, k));  // leaves merge and drop, rows and separators freed
  CHECK(idx.size() == 0);
  CHECK(idx.bytes() == 0);
  CHECK(idx.check());
}

TEST_CASE("key index memory is counted and modest") {
  Shard s;
  size_t before = s.used_bytes();
  for (int i = 0; i < 10000; ++i) put(s, "course:" + std::to_string(i % 100) + ":student:" + std::to_string(i));
  size_t idx = s.key_index_locked().bytes();
  CHECK(idx > 10000 * 4);   // at least a slab handle per key
  CHECK(idx < 10000 * 12);  // 5 bytes a slot, leaves about 2/3 full, short separators
  CHECK(s.used_bytes() > before + idx);
  // Keys arriving in order fill each leaf before starting the next (about 5.5 bytes a key).
  Shard seq;
  for (int i = 0; i < 10000; ++i) {
    char k[24];
    std::snprintf(k, sizeof k, "key:%011d", i);
    put(seq, k);
  }
  CHECK(seq.key_index_locked().check());
  CHECK(seq.key_index_locked().bytes() < 10000 * 6);
}

TEST_CASE("tag index: attach, detach, move, members and bytes") {
  Shard s;
  Entry* a = put(s, "a");
  Entry* b = put(s, "b");
  std::vector<std::string_view> t1{"t1", "t2", "t1"};
  s.attach_tags_locked(a, t1);
  std::vector<std::string_view> t2{"t2"};
  s.attach_tags_locked(b, t2);
  const TagIndex& ti = s.tag_index_locked();
  CHECK(s.tags_of_locked(a) == std::vector<std::string>{"t1", "t2"});
  CHECK(ti.members("t2").size() == 2);
  CHECK(ti.members("t1").size() == 1);
  CHECK(ti.members("none").empty());
  CHECK(ti.bytes() > 0);
  CHECK(ti.has_any(a, {"zz", "t1"}));
  CHECK_FALSE(ti.has_any(b, {"t1"}));
  Entry* a2 = s.resize_value_locked(a, 100);  // realloc keeps tags
  CHECK(s.tags_of_locked(a2) == std::vector<std::string>{"t1", "t2"});
  CHECK(ti.members("t1")[0] == a2);
  put(s, "a", "overwritten");  // an overwrite drops them
  CHECK(ti.members("t1").empty());
  CHECK(ti.members("t2").size() == 1);
  CHECK(ti.members("t2")[0] == b);
  s.erase_locked(b);
  CHECK(ti.empty());
  CHECK(ti.tag_count() == 0);
  CHECK(ti.bytes() == 0);
}

TEST_CASE("tag index: many members removed in any order keep back-references right") {
  Shard s;
  std::vector<std::string> keys;
  for (int i = 0; i < 500; ++i) {
    keys.push_back("k" + std::to_string(i));
    Entry* e = put(s, keys.back());
    std::vector<std::string_view> tags{"all", i % 2 ? "odd" : "even"};
    s.attach_tags_locked(e, tags);
  }
  std::mt19937 rng(3);
  std::shuffle(keys.begin(), keys.end(), rng);
  for (size_t i = 0; i < keys.size(); ++i) {
    s.erase_locked(find(s, keys[i]));
    REQUIRE(s.tag_index_locked().members("all").size() == keys.size() - i - 1);
    for (Entry* m : s.tag_index_locked().members("all")) REQUIRE(find(s, std::string(m->key())) == m);
  }
  CHECK(s.tag_index_locked().bytes() == 0);
}

TEST_CASE("glob shapes: literal, prefix, other; escapes unescaped in the literal") {
  std::string lit;
  CHECK(glob_shape("course:42", lit) == GlobShape::Literal);
  CHECK(lit == "course:42");
  CHECK(glob_shape("course:42:*", lit) == GlobShape::Prefix);
  CHECK(lit == "course:42:");
  CHECK(glob_shape("course:42:**", lit) == GlobShape::Prefix);
  CHECK(glob_shape("*", lit) == GlobShape::Prefix);
  CHECK(lit.empty());
  CHECK(glob_shape("a\\*b", lit) == GlobShape::Literal);
  CHECK(lit == "a*b");
  CHECK(glob_shape("a\\**", lit) == GlobShape::Prefix);
  CHECK(lit == "a*");
  CHECK(glob_shape("ab\\", lit) == GlobShape::Literal);  // a trailing backslash is literal
  CHECK(lit == "ab\\");
  CHECK(glob_shape("course:[0-9]*:students", lit) == GlobShape::Other);
  CHECK(lit == "course:");
  CHECK(glob_shape("*:progress", lit) == GlobShape::Other);
  CHECK(lit.empty());
  CHECK(glob_shape("a?c*", lit) == GlobShape::Other);
  CHECK(glob_shape("a*c", lit) == GlobShape::Other);
  CHECK(lit == "a");
}

TEST_CASE("marks: matching entries vanish at once; fresh writes survive; count is exact") {
  Store st(4);
  auto put_s = [&](const std::string& k, int64_t exp = 0) {
    uint64_t h = Store::hash(k);
    std::lock_guard g(st.shard_for(h).mutex());
    return st.shard_for(h).put_locked(k, h, "old", exp) != nullptr;
  };
  auto get_s = [&](const std::string& k) -> std::string {
    uint64_t h = Store::hash(k);
    std::lock_guard g(st.shard_for(h).mutex());
    Entry* e = st.shard_for(h).find_locked(k, h, 5000);
    return e ? std::string(e->value()) : "(nil)";
  };
  for (int i = 0; i < 100; ++i) put_s("course:1:" + std::to_string(i));
  for (int i = 0; i < 10; ++i) put_s("course:2:" + std::to_string(i));
  put_s("course:1:expired", 4000);  // expired before the call's time (5000)
  InvalidationJob job(st, InvalidationSpec::for_patterns(std::vector<std::string_view>{"course:1:*"}), 5000, false);
  // Nothing reclaimed yet, but every matching key is already absent to lookups.
  CHECK(get_s("course:1:5") == "(nil)");
  CHECK(get_s("course:2:5") == "old");
  // Written after the mark: survives the call. An overwrite of a dead key creates it anew.
  {
    uint64_t h = Store::hash("course:1:new");
    std::lock_guard g(st.shard_for(h).mutex());
    st.shard_for(h).put_locked("course:1:new", h, "new", 0);
  }
  {
    uint64_t h = Store::hash("course:1:7");
    std::lock_guard g(st.shard_for(h).mutex());
    st.shard_for(h).put_locked("course:1:7", h, "rewritten", 0);
  }
  job.run_to_end();
  CHECK(job.removed() == 100);  // 98 reclaimed by the job, 2 by the lookup and the overwrite
  CHECK(get_s("course:1:new") == "new");
  CHECK(get_s("course:1:7") == "rewritten");
  CHECK(get_s("course:2:9") == "old");
  StoreStats ss = st.stats();
  CHECK(ss.keys == 12);
  CHECK(ss.invalidated == 100);
  CHECK(ss.expired == 1);
  CHECK(ss.invalidation_calls == 1);
  for (size_t i = 0; i < st.shard_count(); ++i) CHECK(st.shard(i).mark_count_locked() == 0);
}

TEST_CASE("marks: eviction and active expiry of dead entries credit the call") {
  Store st(1);
  Shard& s = st.shard(0);
  for (int i = 0; i < 50; ++i) put(s, "a:" + std::to_string(i), std::string(100, 'x'));
  for (int i = 0; i < 50; ++i) put(s, "vol:" + std::to_string(i), "v", 10000 + i);
  InvalidationJob job(st, InvalidationSpec::for_patterns(std::vector<std::string_view>{"a:*", "vol:*"}), 5000, false);
  // The LRU tail is dead: eviction reclaims it for the call instead of counting an eviction.
  size_t used = s.used_bytes();
  s.set_budget(used - 1000);
  s.evict_to_budget_locked(used - 1000, 5000);
  CHECK(s.stats_locked().evicted == 0);
  CHECK(s.stats_locked().invalidated > 0);
  // Volatile keys that expire after the call began were live then: they count for the call.
  size_t n = 0;
  for (int i = 0; i < 100 && n < 50; ++i) n += s.active_expire_locked(20000, 20);
  CHECK(n == 50);
  job.run_to_end();
  CHECK(job.removed() == 100);
  CHECK(s.size_locked() == 0);
  CHECK(s.stats_locked().expired == 0);
}

TEST_CASE("marks: two overlapping calls count each key once; the later call sees writes between them") {
  Store st(2);
  for (int i = 0; i < 40; ++i) {
    std::string k = "x:" + std::to_string(i);
    uint64_t h = Store::hash(k);
    st.shard_for(h).put_locked(k, h, "v", 0);
  }
  InvalidationJob a(st, InvalidationSpec::for_patterns(std::vector<std::string_view>{"x:*"}), 1, false);
  std::string k = "x:new";
  uint64_t h = Store::hash(k);
  st.shard_for(h).put_locked(k, h, "v", 0);  // fresh for a, existing for b
  InvalidationJob b(st, InvalidationSpec::for_patterns(std::vector<std::string_view>{"x:1*"}), 1, false);
  b.run_to_end();
  a.run_to_end();
  CHECK(a.removed() + b.removed() == 40);
  CHECK(st.stats().keys == 1);
  InvalidationJob c(st, InvalidationSpec::for_patterns(std::vector<std::string_view>{"x:*"}), 1, false);
  c.run_to_end();
  CHECK(c.removed() == 1);
}

TEST_CASE("marks: a tag call reclaims members written before it, not after") {
  Store st(2);
  auto tagged = [&](const std::string& k, std::vector<std::string_view> tags) {
    uint64_t h = Store::hash(k);
    Entry* e = st.shard_for(h).put_locked(k, h, "v", 0);
    st.shard_for(h).attach_tags_locked(e, tags);
  };
  for (int i = 0; i < 1000; ++i) tagged("d:" + std::to_string(i), {"course:42", i % 2 ? "course:7" : "x"});
  InvalidationJob job(st, InvalidationSpec::for_tags(std::vector<std::string_view>{"course:42"}), 1, false);
  for (int i = 0; i < 5 && !job.done(); ++i) job.step();
  for (int i = 1000; i < 1010; ++i) tagged("d:" + std::to_string(i), {"course:42"});  // during the call
  job.run_to_end();
  CHECK(job.removed() == 1000);
  CHECK(st.stats().keys == 10);
  for (size_t i = 0; i < st.shard_count(); ++i) CHECK(st.shard(i).tag_index_locked().members("course:7").empty());
}

TEST_CASE("key index stays consistent under random writes, resizes, tags, expiry and running calls") {
  for (int seed = 0; seed < 12; ++seed) {
    std::mt19937 rng(seed);
    Store st(2);
    std::unique_ptr<InvalidationJob> job;
    for (int i = 0; i < 6000; ++i) {
      int op = static_cast<int>(rng() % 100);
      std::string k = std::string(rng() % 2 ? "inv:" : "dash:") + std::to_string(rng() % 3) + ":" + std::to_string(rng() % 500);
      uint64_t h = Store::hash(k);
      Shard& s = st.shard_for(h);
      int64_t now = 1000 + i;
      if (op < 50) {
        Entry* e = s.put_locked(k, h, std::string(rng() % 20, 'x'), rng() % 10 == 0 ? now + rng() % 50 : 0);
        std::string_view tags[] = {"course:1", "course:2"};
        if (rng() % 2) s.attach_tags_locked(e, std::span(tags, 1 + rng() % 2));
      } else if (op < 60) {
        if (Entry* e = s.find_locked(k, h, now)) s.resize_value_locked(e, rng() % 40);
      } else if (op < 70) {
        if (Entry* e = s.find_locked(k, h, now)) s.erase_locked(e);
      } else if (op < 75) {
        s.active_expire_locked(now, 20);
      } else if (op < 78 && !job) {
        std::vector<std::string_view> p{"inv:1*"}, t{"course:1"};
        job = std::make_unique<InvalidationJob>(st, rng() % 2 ? InvalidationSpec::for_patterns(p) : InvalidationSpec::for_tags(t), now, false);
      } else if (job && job->step()) {
        job.reset();
      }
      for (size_t j = 0; j < st.shard_count(); ++j) {
        const Shard& x = st.shard(j);
        INFO("seed ", seed, " op ", i);
        REQUIRE(x.key_index_locked().check());
        REQUIRE(x.key_index_locked().size() == const_cast<Shard&>(x).size_locked());
      }
    }
  }
}

TEST_CASE("an entry's first TTL moves it: the key index, its tags and a running call's fresh set follow") {
  constexpr int64_t kFar = int64_t{1} << 50;
  Shard s;
  for (int i = 0; i < 300; ++i) put(s, "course:" + std::to_string(i));  // several index leaves
  std::vector<std::string_view> tags{"t"};
  Entry* e42 = find(s, "course:42");
  s.attach_tags_locked(e42, tags);
  // A call that began before: course:1* is dead except what is written after it.
  auto spec = std::make_shared<const InvalidationSpec>(
      InvalidationSpec::for_patterns(std::vector<std::string_view>{"course:1*"}));
  ShardMark* m = s.add_mark_locked(spec, 500);
  Entry* fresh = put(s, "course:1000");
  Entry* moved = s.set_expire_locked(fresh, kFar);
  CHECK(moved != fresh);
  CHECK(find(s, "course:1000") == moved);  // still fresh after the move
  Entry* moved42 = s.set_expire_locked(e42, kFar);
  CHECK(moved42 != e42);
  CHECK(s.key_index_locked().check());
  std::vector<Entry*> out;
  s.key_index_locked().collect_prefix("course:42", nullptr, 10, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0] == moved42);
  REQUIRE(s.tag_index_locked().members("t").size() == 1);
  CHECK(s.tag_index_locked().members("t")[0] == moved42);
  ReclaimCursor c;
  for (int guard = 0; guard < 1000 && !s.reclaim_step_locked(*m, c, 16); ++guard) {
  }
  CHECK(s.remove_mark_locked(m) == 111);  // course:1, course:10..19, course:100..199
  CHECK(find(s, "course:1000") == moved);
  CHECK(find(s, "course:150") == nullptr);
  CHECK(s.key_index_locked().check());
  CHECK(s.key_index_locked().size() == s.size_locked());
}
