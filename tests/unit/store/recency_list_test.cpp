// tests/unit/store/recency_list_test.cpp: the policy list on its own: insertion and use order
// (LRU), unlink and replace at either end, SIEVE's hand (victims, visited bits, wrap-around, a
// hand on a moved or removed entry), the bounded walk volatile-lru uses, and clear.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "daemon/store/recency_list.h"
#include "tests/unit/store/entries.h"

using namespace shardcache::store;
using shardcache::test::Entries;

namespace {
bool visited(const Entry* e) { return (e->flags & Entry::kVisited) != 0; }
/// Keys from the newest to the oldest end, checking the links agree both ways.
std::string order(const RecencyList& l) {
  std::string fwd, back;
  for (Entry* e = l.newest(); e; e = l.older(e)) fwd += std::string(e->key()) + " ";
  for (Entry* e = l.oldest(); e; e = l.newer(e)) back.insert(0, std::string(e->key()) + " ");
  CHECK(fwd == back);
  return fwd;
}
}  // namespace

TEST_CASE("recency list: inserts at the newest end, a use moves an entry there") {
  Entries es;
  RecencyList l(Entries::base());
  CHECK(l.empty());
  CHECK(l.newest() == nullptr);
  CHECK(l.oldest() == nullptr);
  Entry* a = es.make("a");
  Entry* b = es.make("b");
  Entry* c = es.make("c");
  l.push_newest(a);
  l.push_newest(b);
  l.push_newest(c);
  CHECK(order(l) == "c b a ");
  CHECK(l.oldest() == a);
  l.move_to_newest(a);
  CHECK(order(l) == "a c b ");
  l.move_to_newest(a);  // already the newest
  CHECK(order(l) == "a c b ");
  l.move_to_newest(c);
  CHECK(order(l) == "c a b ");
  CHECK(l.oldest() == b);
}

TEST_CASE("recency list: unlink at the head, middle and tail") {
  Entries es;
  RecencyList l(Entries::base());
  std::vector<Entry*> v;
  for (const char* k : {"a", "b", "c", "d"}) {
    v.push_back(es.make(k));
    l.push_newest(v.back());
  }
  l.unlink(v[1]);
  CHECK(order(l) == "d c a ");
  CHECK(v[1]->newer == 0);
  CHECK(v[1]->older == 0);
  l.unlink(v[3]);
  CHECK(order(l) == "c a ");
  l.unlink(v[0]);
  CHECK(order(l) == "c ");
  CHECK(l.oldest() == v[2]);
  l.unlink(v[2]);
  CHECK(l.empty());
  CHECK(l.oldest() == nullptr);
  l.push_newest(v[1]);  // an unlinked entry can come back
  CHECK(order(l) == "b ");
}

TEST_CASE("recency list: replace keeps the place and is not a use") {
  Entries es;
  RecencyList l(Entries::base());
  Entry* a = es.make("a");
  Entry* b = es.make("b");
  Entry* c = es.make("c");
  l.push_newest(a);
  l.push_newest(b);
  l.push_newest(c);
  Entry* b2 = es.make("B");
  l.replace(b, b2);
  CHECK(order(l) == "c B a ");
  Entry* a2 = es.make("A");
  l.replace(a, a2);
  CHECK(order(l) == "c B A ");
  CHECK(l.oldest() == a2);
  Entry* c2 = es.make("C");
  l.replace(c, c2);
  CHECK(order(l) == "C B A ");
  CHECK(l.newest() == c2);
}

TEST_CASE("recency list: SIEVE evicts the oldest unvisited entry and spares visited ones once") {
  Entries es;
  RecencyList l(Entries::base());
  Entry* a = es.make("a");
  Entry* b = es.make("b");
  Entry* c = es.make("c");
  l.push_newest(a);
  l.push_newest(b);
  l.push_newest(c);
  RecencyList::mark_visited(a);
  RecencyList::mark_visited(c);
  CHECK(order(l) == "c b a ");  // a SIEVE use does not reorder
  Entry* v = l.sieve_victim(3);
  CHECK(v == b);
  CHECK_FALSE(visited(a));  // the hand passed a: spared once
  CHECK(visited(c));        // not reached yet
  l.unlink(b);
  // The hand is on c: c is spared (its bit cleared), the hand wraps to a, now unvisited.
  CHECK(l.sieve_victim(2) == a);
  CHECK_FALSE(visited(c));
  l.unlink(a);
  CHECK(l.sieve_victim(1) == c);
}

TEST_CASE("recency list: SIEVE with every entry visited takes one full pass") {
  Entries es;
  RecencyList l(Entries::base());
  std::vector<Entry*> v;
  for (const char* k : {"a", "b", "c"}) {
    v.push_back(es.make(k));
    l.push_newest(v.back());
    RecencyList::mark_visited(v.back());
  }
  CHECK(l.sieve_victim(3) == v[0]);  // every bit cleared, the hand back at the oldest
  for (Entry* e : v) CHECK_FALSE(visited(e));
  CHECK(RecencyList(Entries::base()).sieve_victim(0) == nullptr);  // an empty list has none
}

TEST_CASE("recency list: SIEVE's hand follows a replaced entry and skips a removed one") {
  Entries es;
  RecencyList l(Entries::base());
  Entry* a = es.make("a");
  Entry* b = es.make("b");
  Entry* c = es.make("c");
  l.push_newest(a);
  l.push_newest(b);
  l.push_newest(c);
  CHECK(l.sieve_victim(3) == a);  // hand now on b
  l.unlink(a);
  Entry* b2 = es.make("B");
  l.replace(b, b2);  // the hand moves with the entry
  CHECK(l.sieve_victim(2) == b2);
  l.unlink(b2);
  // The hand is on c (b2's newer side); removing c moves it on to d, which a visited bit spares.
  Entry* d = es.make("d");
  Entry* e = es.make("e");
  l.push_newest(d);
  l.push_newest(e);
  RecencyList::mark_visited(d);
  l.unlink(c);
  CHECK(l.sieve_victim(2) == e);
  CHECK_FALSE(visited(d));
}

TEST_CASE("recency list: oldest_where walks at most max_steps from the oldest end") {
  Entries es;
  RecencyList l(Entries::base());
  std::vector<Entry*> v;
  for (const char* k : {"a", "b", "c", "d"}) {
    v.push_back(es.make(k));
    l.push_newest(v.back());
  }
  auto is = [](char k) { return [k](const Entry* e) { return e->key()[0] == k; }; };
  CHECK(l.oldest_where(4, is('a')) == v[0]);
  CHECK(l.oldest_where(4, is('c')) == v[2]);
  CHECK(l.oldest_where(2, is('c')) == nullptr);  // beyond the walk
  CHECK(l.oldest_where(3, is('c')) == v[2]);
  CHECK(l.oldest_where(4, is('z')) == nullptr);
}

TEST_CASE("recency list: clear hands every entry to drop, newest first, and empties the list") {
  Entries es;
  RecencyList l(Entries::base());
  for (const char* k : {"a", "b", "c"}) l.push_newest(es.make(k));
  l.sieve_victim(3);  // leaves a hand set
  std::string dropped;
  l.clear([&](Entry* e) { dropped += e->key(); });
  CHECK(dropped == "cba");
  CHECK(l.empty());
  Entry* d = es.make("d");
  l.push_newest(d);
  CHECK(l.sieve_victim(1) == d);  // the old hand is gone
}
