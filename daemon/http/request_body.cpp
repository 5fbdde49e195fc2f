// daemon/http/request_body.cpp: a rapidjson SAX handler over the body, parsing in situ and
// iteratively (no recursion, so deep nesting cannot exhaust the stack) and stopping at the first
// value that cannot be a command argument.
#include "daemon/http/request_body.h"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

namespace shardcache::http {
namespace {

constexpr std::string_view kScalarsOnly = "command arguments must be strings, numbers or booleans";

class Handler : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, Handler> {
 public:
  Handler(BodyShape shape, const BodyLimits& limits, CommandBatch& out) : shape_(shape), limits_(limits), out_(out) {}
  std::string error;

  bool StartArray() {
    ++depth_;
    if (depth_ == 1) {
      if (shape_ == BodyShape::Command) out_.begin_command();
      return true;
    }
    if (depth_ == 2 && shape_ == BodyShape::Batch) {
      if (out_.size() >= limits_.max_commands)
        return fail("ERR too many commands in one request (the limit is " + std::to_string(limits_.max_commands) + ")");
      out_.begin_command();
      return true;
    }
    return fail("ERR JSON nested too deeply: " + std::string(kScalarsOnly) + ", not arrays");
  }
  bool EndArray(rapidjson::SizeType) {
    --depth_;
    if (out_.size() > 0 && depth_ == arg_depth() - 1 && out_.args_in_last() == 0)
      return fail(shape_ == BodyShape::Command ? "ERR empty command: the body must be a JSON array like [\"get\",\"key\"]"
                                               : "ERR empty command at index " + std::to_string(out_.size() - 1) +
                                                     " of the batch");
    if (depth_ == 0 && shape_ == BodyShape::Batch && out_.size() == 0)
      return fail("ERR empty batch: the body must be a JSON array of commands like [[\"get\",\"key\"]]");
    return true;
  }
  bool StartObject() {
    if (depth_ == 0) return not_array();
    return fail("ERR JSON objects are not allowed: " + std::string(kScalarsOnly) + " (send objects as JSON strings)");
  }
  bool Null() { return depth_ == arg_depth() ? fail("ERR null is not a valid argument: " + std::string(kScalarsOnly)) : not_array(); }
  bool Bool(bool b) { return arg(b ? std::string_view("true") : std::string_view("false")); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) { return arg(std::string_view(s, n)); }
  bool String(const char* s, rapidjson::SizeType n, bool) { return arg(std::string_view(s, n)); }

 private:
  int arg_depth() const { return shape_ == BodyShape::Command ? 1 : 2; }
  bool arg(std::string_view a) {
    if (depth_ != arg_depth()) return not_array();
    if (out_.args_in_last() >= limits_.max_args)
      return fail("ERR too many arguments in one command (the limit is " + std::to_string(limits_.max_args) + ")");
    out_.add_arg(a);
    return true;
  }
  bool not_array() {
    if (shape_ == BodyShape::Command || depth_ == 0)
      return fail(shape_ == BodyShape::Command
                      ? "ERR the request body must be a JSON array of command arguments, like [\"get\",\"key\"]"
                      : "ERR the request body must be a JSON array of commands, like [[\"get\",\"key\"]]");
    return fail("ERR each entry of the batch must be a JSON array of command arguments, like [\"get\",\"key\"]");
  }
  bool fail(std::string msg) {
    error = std::move(msg);
    return false;
  }

  BodyShape shape_;
  const BodyLimits& limits_;
  CommandBatch& out_;
  int depth_ = 0;
};

}  // namespace

std::string parse_commands(std::string& body, BodyShape shape, const BodyLimits& limits, CommandBatch& out) {
  out.clear();
  if (body.find_first_not_of(" \t\r\n") == std::string::npos)
    return shape == BodyShape::Command ? "ERR empty request body: expected a JSON array like [\"get\",\"key\"]"
                                       : "ERR empty request body: expected a JSON array like [[\"get\",\"key\"]]";
  Handler h(shape, limits, out);
  rapidjson::Reader reader;
  rapidjson::InsituStringStream in(body.data());
  constexpr unsigned kFlags = rapidjson::kParseInsituFlag | rapidjson::kParseIterativeFlag |
                              rapidjson::kParseNumbersAsStringsFlag;
  rapidjson::ParseResult r = reader.Parse<kFlags>(in, h);
  if (!h.error.empty()) {
    out.clear();
    return h.error;
  }
  if (r.IsError()) {
    out.clear();
    return "ERR invalid JSON in the request body: " + std::string(rapidjson::GetParseError_En(r.Code())) +
           " (at byte " + std::to_string(r.Offset()) + ")";
  }
  if (in.Tell() != body.size()) {  // an unescaped NUL byte ends rapidjson's input early
    out.clear();
    return "ERR invalid JSON in the request body: unexpected NUL byte (at byte " + std::to_string(in.Tell()) + ")";
  }
  return {};
}

}  // namespace shardcache::http
