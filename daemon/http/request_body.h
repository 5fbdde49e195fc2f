// daemon/http/request_body.h: turns a REST request's JSON body into command argument lists:
// one command (["set","k","v","ex",100]) or a batch ([["get","a"],["incr","c"]]). Numbers and
// booleans become their literal JSON text (1.5, 1e+21, true), never re-printed; null, objects and
// nested arrays are refused. Parsing is in situ: the arguments are views into the body buffer.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/commands/context.h"

namespace shardcache::http {

/// Limits on what one request may carry.
struct BodyLimits {
  size_t max_commands = 10000;        ///< commands in one /pipeline or /multi-exec body
  size_t max_args = 1024 * 1024;      ///< arguments in one command (Redis's max multibulk length)
};

/// Parsed commands: views into the request body (valid while the body buffer is).
class CommandBatch {
 public:
  size_t size() const { return ranges_.size(); }
  commands::Args command(size_t i) const { return commands::Args(args_.data() + ranges_[i].first, ranges_[i].second); }
  void clear() { args_.clear(); ranges_.clear(); }
  void begin_command() { ranges_.emplace_back(args_.size(), 0); }
  void add_arg(std::string_view a) { args_.push_back(a); ++ranges_.back().second; }
  size_t args_in_last() const { return ranges_.empty() ? 0 : ranges_.back().second; }

 private:
  std::vector<std::string_view> args_;
  std::vector<std::pair<size_t, size_t>> ranges_;  // (first arg, count) per command
};

/// What a body must hold.
enum class BodyShape {
  Command,  ///< POST /: one JSON array of arguments
  Batch,    ///< POST /pipeline, /multi-exec: a JSON array of such arrays
};

/// Parses `body` (modified in place) into `out`. Returns "" on success, otherwise the error text
/// for a 400 reply (starting with "ERR ").
std::string parse_commands(std::string& body, BodyShape shape, const BodyLimits& limits, CommandBatch& out);

}  // namespace shardcache::http
