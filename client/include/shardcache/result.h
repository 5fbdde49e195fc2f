// shardcache/result.h: the result-or-error type every libshardcache call returns. A cache miss
// is a value (an empty optional), never an error; errors are values too, never exceptions.
#pragma once
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace shardcache {

/// What went wrong, coarsely; the message has the details (server errors verbatim).
enum class ErrorCode {
  Io,               ///< connect refused, reset, closed by the peer, name not resolved
  Timeout,          ///< no reply (or no connection) within the configured timeout
  Unavailable,      ///< the connection is down and waiting out its reconnect backoff
  Server,           ///< the server answered with an error reply (message: "ERR ...", "OOM ...")
  Protocol,         ///< the server sent bytes that are not valid RESP
  UnexpectedReply,  ///< a valid reply of a type the call did not expect
  InvalidArgument,  ///< bad input detected before anything was sent (e.g. a malformed URL)
  Closed,           ///< the client is shutting down
};

/// Returns a stable lowercase name ("io", "timeout", ...).
const char* to_string(ErrorCode code);

/// An error: a code and a human-readable message.
struct Error {
  ErrorCode code = ErrorCode::Io;
  std::string message;

  /// The server's error code word ("ERR", "OOM", "WRONGTYPE", ...), or "" for other errors.
  std::string server_code() const;
  /// True for an error reply starting with OOM (the daemon's memory budget is full).
  bool is_oom() const { return code == ErrorCode::Server && server_code() == "OOM"; }
  /// True for "ERR unknown command ..." (a server without the command).
  bool is_unknown_command() const;
  /// "timeout: read timed out after 100 ms" style text.
  std::string to_string() const;
};

/// Thrown only by Result::value() when the Result holds an error (a programming error).
class BadResultAccess : public std::logic_error {
 public:
  explicit BadResultAccess(const Error& e) : std::logic_error("shardcache: value() on an error: " + e.to_string()) {}
};

/// Either a T or an Error. Check ok() (or contextual bool) before value().
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T v) : v_(std::in_place_index<0>, std::move(v)) {}  // NOLINT: implicit by design
  Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { check(); return std::get<0>(v_); }
  const T& value() const& { check(); return std::get<0>(v_); }
  T&& value() && { check(); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  /// The error; only meaningful when !ok() (an empty Error otherwise).
  const Error& error() const {
    static const Error none{};
    return ok() ? none : std::get<1>(v_);
  }
  /// The value, or `fallback` when this holds an error.
  template <class U>
  T value_or(U&& fallback) const& { return ok() ? std::get<0>(v_) : static_cast<T>(std::forward<U>(fallback)); }

 private:
  void check() const {
    if (!ok()) throw BadResultAccess(std::get<1>(v_));
  }
  std::variant<T, Error> v_;
};

/// A Result with no value: success, or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error e) : err_(std::move(e)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return err_; }
  void value() const {
    if (!ok_) throw BadResultAccess(err_);
  }

 private:
  Error err_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace shardcache
