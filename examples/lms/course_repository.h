// examples/lms/course_repository.h: the LMS's plain repository over a fake, slow database
// (every query sleeps, as a real one would take tens of milliseconds), and its data types.
#pragma once
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace lms {

struct Course {
  int id = 0;
  std::string title;
  int enrolled = 0;
  double price = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Course, id, title, enrolled, price)

struct CourseStats {
  int course_id = 0;
  int students = 0;
  double revenue = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(CourseStats, course_id, students, revenue)

struct StudentDashboard {
  int student_id = 0;
  std::vector<Course> courses;
  double spent = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(StudentDashboard, student_id, courses, spent)

struct PlatformStats {
  int courses = 0;
  int enrolments = 0;
  double revenue = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(PlatformStats, courses, enrolments, revenue)

/// An in-memory "database" whose every query takes `latency` and is counted.
class FakeDatabase {
 public:
  explicit FakeDatabase(int courses, std::chrono::milliseconds latency) : latency_(latency) {
    for (int i = 1; i <= courses; ++i) courses_[i] = Course{i, "Course " + std::to_string(i), 0, 10.0 * i};
  }
  /// Runs one query: sleeps for the latency, logs `[Query] name: 45.23ms` at debug level.
  template <class F>
  auto query(const char* name, F&& f) {
    auto t0 = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(latency_);
    queries_++;
    std::lock_guard lk(mu_);
    auto result = f();
    spdlog::debug("[Query] {}: {:.2f}ms",
                  name, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    return result;
  }
  long queries() const { return queries_.load(); }

  std::map<int, Course> courses_;                 // guarded by query()'s lock
  std::map<int, std::vector<int>> enrolments_;    // student -> course ids
  std::map<int, double> spent_;                   // student -> total paid

 private:
  std::chrono::milliseconds latency_;
  std::mutex mu_;
  std::atomic<long> queries_{0};
};

/// The plain repository: every call is a database query. The cached one overrides it.
class CourseRepository {
 public:
  explicit CourseRepository(FakeDatabase& db) : db_(db) {}
  virtual ~CourseRepository() = default;

  virtual std::vector<Course> active_courses() {
    return db_.query("getActiveCourses", [&] {
      std::vector<Course> v;
      for (auto& [id, c] : db_.courses_) v.push_back(c);
      return v;
    });
  }
  virtual Course course(int id) {
    return db_.query("getCourseById", [&] { return db_.courses_.at(id); });
  }
  virtual CourseStats course_stats(int id) {
    return db_.query("getCourseStats", [&] {
      const Course& c = db_.courses_.at(id);
      return CourseStats{id, c.enrolled, c.enrolled * c.price};
    });
  }
  virtual StudentDashboard student_dashboard(int uid) {
    return db_.query("getStudentDashboard", [&] {
      StudentDashboard d{uid, {}, db_.spent_[uid]};
      for (int cid : db_.enrolments_[uid]) d.courses.push_back(db_.courses_.at(cid));
      return d;
    });
  }
  virtual PlatformStats platform_stats() {
    return db_.query("getPlatformStats", [&] {
      PlatformStats s{static_cast<int>(db_.courses_.size()), 0, 0};
      for (auto& [uid, list] : db_.enrolments_) s.enrolments += static_cast<int>(list.size());
      for (auto& [uid, paid] : db_.spent_) s.revenue += paid;
      return s;
    });
  }

  // Mutations (PUT /api/courses/[id], POST /api/enrol, the payment webhook).
  virtual void update_course(int id, const std::string& title) {
    db_.query("updateCourse", [&] { return db_.courses_.at(id).title = title; });
  }
  virtual void enrol(int uid, int course_id) {
    db_.query("enrolStudent", [&] {
      db_.enrolments_[uid].push_back(course_id);
      return ++db_.courses_.at(course_id).enrolled;
    });
  }
  virtual void complete_payment(int uid, double amount) {
    db_.query("completePayment", [&] { return db_.spent_[uid] += amount; });
  }

 protected:
  FakeDatabase& db_;
};

}  // namespace lms
