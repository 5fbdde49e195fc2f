// examples/lms/main.cpp: a small LMS service on libshardcache. Several worker threads replay a
// mix of page reads (course list, course details, course stats, student dashboards, platform
// analytics) with the three mutation events in between, through the cached repository; then
// it prints the hit ratio and latencies. With no daemon listening every read is served by the
// fake database and the run still succeeds (exit status 0).
//
//   lms_example [--host 127.0.0.1] [--port 6379] [--requests 400] [--threads 4]
//               [--db-latency-ms 10] [--timeout-ms 200] [--verbose]
#include <shardcache/cache.h>
#include <shardcache/client.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cached_course_repository.h"

namespace {

struct Args {
  std::string host = "127.0.0.1";
  int port = 6379;
  int requests = 400;
  int threads = 4;
  int db_latency_ms = 10;
  int timeout_ms = 200;
  bool verbose = false;
};

constexpr int kCourses = 8;
constexpr int kStudents = 16;

bool parse_int(const char* s, int lo, int hi, int& out) {
  char* end = nullptr;
  long v = std::strtol(s, &end, 10);
  if (end == s || *end != '\0' || v < lo || v > hi) return false;
  out = static_cast<int>(v);
  return true;
}

std::optional<Args> parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string f = argv[i];
    if (f == "--verbose") {
      a.verbose = true;
      continue;
    }
    if (f == "--help" || f == "-h") return std::nullopt;
    if (i + 1 >= argc) {
      std::fprintf(stderr, "lms_example: %s needs a value\n", f.c_str());
      return std::nullopt;
    }
    const char* v = argv[++i];
    bool ok = true;
    if (f == "--host") a.host = v;
    else if (f == "--port") ok = parse_int(v, 1, 65535, a.port);
    else if (f == "--requests") ok = parse_int(v, 1, 1000000, a.requests);
    else if (f == "--threads") ok = parse_int(v, 1, 256, a.threads);
    else if (f == "--db-latency-ms") ok = parse_int(v, 0, 10000, a.db_latency_ms);
    else if (f == "--timeout-ms") ok = parse_int(v, 1, 60000, a.timeout_ms);
    else {
      std::fprintf(stderr, "lms_example: unknown option %s\n", f.c_str());
      return std::nullopt;
    }
    if (!ok) {
      std::fprintf(stderr, "lms_example: bad value '%s' for %s\n", v, f.c_str());
      return std::nullopt;
    }
  }
  return a;
}

/// Request i of the replay: every 25th is a mutation event, the rest are page reads.
void run_request(lms::CachedCourseRepository& repo, int i, std::vector<double>& read_ms, int& events) {
  const int course = (i * 31) % kCourses + 1;
  const int student = (i * 17) % kStudents + 1;
  if (i % 25 == 24) {
    switch ((i / 25) % 3) {
      case 0: repo.update_course(course, "Course " + std::to_string(course) + " (rev " + std::to_string(i) + ")"); break;
      case 1: repo.enrol(student, course); break;
      default: repo.complete_payment(student, 49.0); break;
    }
    ++events;
    return;
  }
  auto t0 = std::chrono::steady_clock::now();
  const int pick = (i * 7919) % 100;
  if (pick < 20) (void)repo.active_courses();
  else if (pick < 45) (void)repo.course(course);
  else if (pick < 60) (void)repo.course_stats(course);
  else if (pick < 85) (void)repo.student_dashboard(student);
  else (void)repo.platform_stats();
  read_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t idx = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  auto args = parse_args(argc, argv);
  if (!args) {
    std::fprintf(stderr, "usage: lms_example [--host H] [--port P] [--requests N] [--threads T] "
                         "[--db-latency-ms MS] [--timeout-ms MS] [--verbose]\n");
    return 2;
  }
  spdlog::set_level(args->verbose ? spdlog::level::debug : spdlog::level::info);

  shardcache::ClientOptions opts;
  opts.host = args->host;
  opts.port = static_cast<uint16_t>(args->port);
  opts.connect_timeout = opts.command_timeout = std::chrono::milliseconds(args->timeout_ms);
  shardcache::Client client(opts);
  auto pong = client.ping();
  if (pong) std::printf("cache: connected to %s (RESP%d)\n", opts.address().c_str(), client.protocol());
  else std::printf("cache: unavailable (%s); reads go to the database\n", pong.error().to_string().c_str());

  shardcache::Cache cache(client);
  lms::FakeDatabase db(kCourses, std::chrono::milliseconds(args->db_latency_ms));
  lms::CachedCourseRepository repo(db, cache);

  const auto start = std::chrono::steady_clock::now();
  std::vector<std::vector<double>> per_thread(static_cast<size_t>(args->threads));
  std::vector<int> events(static_cast<size_t>(args->threads), 0);
  std::vector<std::thread> workers;
  for (int t = 0; t < args->threads; ++t)
    workers.emplace_back([&, t] {
      for (int i = t; i < args->requests; i += args->threads)
        run_request(repo, i, per_thread[static_cast<size_t>(t)], events[static_cast<size_t>(t)]);
    });
  for (auto& w : workers) w.join();
  const double wall = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

  std::vector<double> lat;
  for (auto& v : per_thread) lat.insert(lat.end(), v.begin(), v.end());
  std::sort(lat.begin(), lat.end());
  const double avg = lat.empty() ? 0 : std::accumulate(lat.begin(), lat.end(), 0.0) / static_cast<double>(lat.size());
  const auto s = cache.stats();
  const int n_events = std::accumulate(events.begin(), events.end(), 0);

  std::printf("requests: %zu reads + %d events on %d threads in %.0f ms\n", lat.size(), n_events, args->threads, wall);
  std::printf("cache: hit ratio %.1f%% (%llu hits, %llu misses, %llu bypassed, %llu errors)\n", 100.0 * s.hit_ratio(),
              static_cast<unsigned long long>(s.hits), static_cast<unsigned long long>(s.misses),
              static_cast<unsigned long long>(s.bypassed), static_cast<unsigned long long>(s.errors));
  std::printf("reads served from the cache: %ld/%zu\n", repo.served_from_cache(), lat.size());
  std::printf("reads served by the database: %ld/%zu (database queries: %ld)\n", repo.served_by_database(), lat.size(),
              db.queries());
  std::printf("latency: avg %.2f ms, p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms\n", avg, percentile(lat, 0.50),
              percentile(lat, 0.95), percentile(lat, 0.99), lat.empty() ? 0.0 : lat.back());
  return 0;
}
