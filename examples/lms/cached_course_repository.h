// examples/lms/cached_course_repository.h: the cached repository, built with libshardcache's
// helpers exactly as the LMS builds its own on withCache / withCacheParam: it subclasses the
// plain repository (services switch by changing one type), caches reads with the LMS's TTL
// classes and key builders, and invalidates after each write with the Invalidator.
#pragma once
#include <shardcache/cache.h>
#include <shardcache/json.h>

#include <atomic>
#include <type_traits>

#include "course_repository.h"

namespace lms {

class CachedCourseRepository : public CourseRepository {
 public:
  CachedCourseRepository(FakeDatabase& db, shardcache::Cache& cache)
      : CourseRepository(db), cache_(cache), invalidator_(cache) {}

  std::vector<Course> active_courses() override {
    return fetch(shardcache::CacheKeys::courses_active(), shardcache::CacheTTL::LONG,
                 [&] { return CourseRepository::active_courses(); });
  }
  Course course(int id) override {
    return fetch(shardcache::CacheKeys::course(std::to_string(id)), shardcache::CacheTTL::LONG,
                 [&] { return CourseRepository::course(id); });
  }
  CourseStats course_stats(int id) override {
    return fetch(shardcache::CacheKeys::course_stats(std::to_string(id)), shardcache::CacheTTL::LONG,
                 [&] { return CourseRepository::course_stats(id); });
  }
  StudentDashboard student_dashboard(int uid) override {
    return fetch(shardcache::CacheKeys::student_dashboard(std::to_string(uid)), shardcache::CacheTTL::MEDIUM,
                 [&] { return CourseRepository::student_dashboard(uid); });
  }
  PlatformStats platform_stats() override {
    return fetch(shardcache::CacheKeys::analytics_platform(), shardcache::CacheTTL::HOUR,
                 [&] { return CourseRepository::platform_stats(); });
  }

  // Each mutation writes the database first, then invalidates (the three LMS events).
  void update_course(int id, const std::string& title) override {
    CourseRepository::update_course(id, title);
    (void)invalidator_.course_updated(std::to_string(id));
    (void)cache_.invalidate({shardcache::CacheKeys::courses_active()});  // the list shows titles too
  }
  void enrol(int uid, int course_id) override {
    CourseRepository::enrol(uid, course_id);
    (void)invalidator_.student_enrolled(std::to_string(uid), std::to_string(course_id));
  }
  void complete_payment(int uid, double amount) override {
    CourseRepository::complete_payment(uid, amount);
    (void)invalidator_.payment_completed(std::to_string(uid));
  }

  /// Reads answered from the cache, and by the database (directly or via a concurrent
  /// caller's query). with_cache_info is with_cache plus where the value came from.
  long served_from_cache() const { return from_cache_.load(); }
  long served_by_database() const { return from_db_.load(); }

 private:
  template <class F>
  auto fetch(const std::string& key, std::chrono::seconds ttl, F&& loader) -> std::decay_t<std::invoke_result_t<F&>> {
    auto r = cache_.with_cache_info(key, ttl, std::forward<F>(loader));
    (r.from_cache ? from_cache_ : from_db_)++;
    return std::move(r.value);
  }

  shardcache::Cache& cache_;
  shardcache::Invalidator invalidator_;
  std::atomic<long> from_cache_{0}, from_db_{0};
};

}  // namespace lms
