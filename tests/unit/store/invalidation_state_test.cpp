// tests/unit/store/invalidation_state_test.cpp: the marks on their own: which entries a key or
// tag mark kills, that entries written after it survive and keep surviving when moved, that a
// forgotten or flushed entry loses that, the oldest mark answers first, removal returns the
// mark's count, and credit tells invalidated entries from ones that had expired.
#include <doctest/doctest.h>

#include <memory>
#include <string_view>
#include <vector>

#include "daemon/store/invalidation_state.h"
#include "daemon/store/tag_index.h"
#include "tests/unit/store/entries.h"

using namespace shardcache::store;
using shardcache::test::Entries;

namespace {
std::shared_ptr<const InvalidationSpec> patterns(std::vector<std::string_view> globs) {
  return std::make_shared<const InvalidationSpec>(InvalidationSpec::for_patterns(globs));
}
std::shared_ptr<const InvalidationSpec> tags(std::vector<std::string_view> ts) {
  return std::make_shared<const InvalidationSpec>(InvalidationSpec::for_tags(ts));
}
}  // namespace

TEST_CASE("invalidation state: no marks, nothing is dead") {
  Entries es;
  TagIndex ti;
  InvalidationState st(ti);
  CHECK_FALSE(st.active());
  CHECK(st.count() == 0);
  CHECK(st.killer(es.make("user:1")) == nullptr);
}

TEST_CASE("invalidation state: a key mark kills matching entries that existed before it") {
  Entries es;
  TagIndex ti;
  InvalidationState st(ti);
  Entry* u1 = es.make("user:1");
  Entry* x = es.make("session:1");
  Entry* exact = es.make("cfg");
  ShardMark* m = st.add(patterns({"user:*", "cfg"}), 1000);
  CHECK(st.active());
  CHECK(st.killer(u1) == m);
  CHECK(st.killer(exact) == m);
  CHECK(st.killer(x) == nullptr);
  Entry* u2 = es.make("user:2");  // written after the mark
  st.note_created(u2);
  CHECK(st.killer(u2) == nullptr);
  st.note_created(x);  // no pattern matches it: not recorded, and still alive
  CHECK(m->fresh.size() == 1);
  CHECK(st.killer(x) == nullptr);
}

TEST_CASE("invalidation state: a moved fresh entry stays fresh, a forgotten one does not") {
  Entries es;
  TagIndex ti;
  InvalidationState st(ti);
  ShardMark* m = st.add(patterns({"user:*"}), 1000);
  Entry* a = es.make("user:a");
  st.note_created(a);
  Entry* a2 = es.make("user:a");  // a reallocated (resize, first TTL)
  st.note_moved(a, a2);
  CHECK(st.killer(a2) == nullptr);
  CHECK(st.killer(a) == m);  // the old block is no longer fresh
  st.forget(a2);             // its value deleted: the same block would be dead again
  CHECK(st.killer(a2) == m);
  Entry* b = es.make("user:b");
  st.note_created(b);
  st.clear_fresh();  // FLUSH
  CHECK(st.killer(b) == m);
}

TEST_CASE("invalidation state: a tag mark kills tagged entries; every write after it is fresh") {
  Entries es;
  TagIndex ti;
  InvalidationState st(ti);
  Entry* t = es.make("a");
  Entry* other = es.make("b");
  Entry* plain = es.make("c");
  std::string_view t1[] = {"t1"}, t2[] = {"t2"};
  ti.attach(t, t1);
  ti.attach(other, t2);
  ShardMark* m = st.add(tags({"t1"}), 1000);
  CHECK(st.killer(t) == m);
  CHECK(st.killer(other) == nullptr);
  CHECK(st.killer(plain) == nullptr);
  Entry* later = es.make("d");
  st.note_created(later);  // its tags come after the write, so any new entry is fresh
  ti.attach(later, t1);
  CHECK(st.killer(later) == nullptr);
}

TEST_CASE("invalidation state: the oldest mark answers first; removal returns its count") {
  Entries es;
  TagIndex ti;
  InvalidationState st(ti);
  ShardMark* first = st.add(patterns({"user:*"}), 1000);
  ShardMark* second = st.add(patterns({"user:1"}), 2000);
  Entry* u1 = es.make("user:1");
  CHECK(st.count() == 2);
  CHECK(st.killer(u1) == first);
  first->removed = 7;
  CHECK(st.remove(first) == 7);
  CHECK(st.remove(first) == 0);  // not there any more
  CHECK(st.killer(u1) == second);
  CHECK(st.remove(second) == 0);
  CHECK_FALSE(st.active());
}

TEST_CASE("invalidation state: credit counts what the call removed, not what had expired before it") {
  Entries es;
  TagIndex ti;
  InvalidationState st(ti);
  ShardMark* m = st.add(patterns({"*"}), 1000);
  Entry* forever = es.make("a");
  Entry* later = es.make("b", true);
  later->set_expire(5000);
  Entry* gone = es.make("c", true);
  gone->set_expire(900);
  Entry* at_start = es.make("d", true);
  at_start->set_expire(1000);
  CHECK(InvalidationState::credit(forever, *m));
  CHECK(InvalidationState::credit(later, *m));
  CHECK_FALSE(InvalidationState::credit(gone, *m));
  CHECK_FALSE(InvalidationState::credit(at_start, *m));
  CHECK(m->removed == 2);
}
