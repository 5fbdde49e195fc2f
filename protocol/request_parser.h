// protocol/request_parser.h: incremental, zero-copy RESP request parser (multibulk + inline).
// Depends on nothing but the standard library; shared by the daemon and the tests.
#pragma once
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shardcache::protocol {

/// Limits with Redis's defaults (proto-max-bulk-len, inline buffer, argument count).
struct ParserLimits {
  size_t max_bulk_len = 512ull * 1024 * 1024;  ///< proto-max-bulk-len
  size_t max_inline_len = 64 * 1024;           ///< PROTO_INLINE_MAX_SIZE
  size_t max_args = 1024 * 1024;               ///< largest accepted multibulk count
  /// Set while the client has not authenticated (0 = off). Like Redis 7, a larger multibulk
  /// count fails with "unauthenticated multibulk length" (Redis uses 10) and a larger bulk with
  /// "unauthenticated bulk length" (Redis uses 16384), so no one buffers much before AUTH.
  size_t unauth_max_args = 0;
  size_t unauth_max_bulk_len = 0;  ///< see unauth_max_args
};

enum class ParseStatus { Complete, Incomplete, Error };

/// Parses one command at a time from the front of a connection's unconsumed input.
/// Contract: after Incomplete, call parse() again with input that starts at the same command
/// start (the buffer may have moved or been compacted) and holds at least as many bytes.
/// The parser remembers its progress as offsets, so a large bulk is not rescanned per read.
class RequestParser {
 public:
  explicit RequestParser(ParserLimits limits = {});

  /// Parse one command from `input`. On Complete, args() are views into `input` (or into
  /// the parser's own scratch for unescaped inline arguments) valid until the next parse()
  /// or until the caller discards or moves the bytes; consumed() says how many bytes it used.
  /// Empty inline lines (and "*0"/"*-1") are skipped (consumed) without producing a command;
  /// on Complete, consumed() includes them. On Incomplete, consumed() is the number of such
  /// skipped leading bytes, which the caller may drop (it is also fine to pass them again).
  ParseStatus parse(std::string_view input);

  const std::vector<std::string_view>& args() const { return args_; }
  size_t consumed() const { return consumed_; }
  /// Error text as Redis writes it, without '-' and CRLF, e.g. "Protocol error: invalid bulk length".
  const std::string& error() const { return error_; }
  /// Minimum total input length (from the command start) needed to make progress; 0 if unknown.
  size_t bytes_needed() const { return needed_; }
  /// Forget any partial progress (e.g. when the connection's buffer is discarded).
  void reset();
  void set_limits(ParserLimits limits) { limits_ = limits; }

  /// One request of a batch: its arguments are args[first_arg, first_arg + argc) of
  /// parse_batch()'s `args`, and its bytes end `end` bytes after the batch's input start.
  struct BatchedRequest {
    size_t first_arg = 0;
    size_t argc = 0;
    size_t end = 0;
  };
  /// Parses, in one pass, whole requests of the common shape ("*N" then N "$len" bulks, every
  /// byte present, within the limits) from the start of `input`: at most out.size() of them,
  /// stopping at the first that is not (incomplete, inline, malformed, over a limit), which
  /// parse() then decides about exactly as always. Replaces `args` with their arguments (views
  /// into `input`). Parses nothing while a command is partly parsed. Returns how many requests
  /// it parsed, each what parse() gives for it. A pipeline's keys are then all known before
  /// its first command runs (cache hints), from one scan of the bytes.
  size_t parse_batch(std::string_view input, std::vector<std::string_view>& args,
                     std::span<BatchedRequest> out) const;

 private:
  ParseStatus parse_multibulk(std::string_view input);
  ParseStatus parse_inline(std::string_view input);
  ParseStatus fail(std::string msg);
  ParseStatus parse_one(std::string_view input);
  ParseStatus read_count(std::string_view input, size_t& pos);
  ParseStatus read_bulk_header(std::string_view input, size_t& pos);
  bool split_inline(std::string_view line);
  void save_progress(std::string_view input, size_t pos);
  void clear_progress();

  ParserLimits limits_;
  std::vector<std::string_view> args_;
  std::vector<std::pair<size_t, size_t>> offsets_;  // (offset, len) of args parsed so far
  std::string scratch_;                               // unescaped inline arguments
  std::string error_;
  size_t consumed_ = 0;
  size_t needed_ = 0;
  // resumable multibulk state
  long long expected_args_ = -1;   // -1: no multibulk in progress
  size_t pos_ = 0;                  // next unparsed byte, from the command start
  long long bulk_len_ = -1;         // length of the bulk whose header was read, or -1
  size_t inline_scanned_ = 0;       // bytes of an inline line already searched for '\n'
};

}  // namespace shardcache::protocol
