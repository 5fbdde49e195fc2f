// tests/unit/http/request_body_test.cpp: JSON bodies -> command arguments (wire.md A4): literal
// number and boolean text, escapes, and a clear error for every shape that is not a command.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "daemon/http/request_body.h"

using namespace shardcache::http;

namespace {

using Cmds = std::vector<std::vector<std::string>>;

struct Parsed {
  std::string error;
  Cmds cmds;
};

Parsed parse(std::string body, BodyShape shape, BodyLimits limits = {}) {
  CommandBatch batch;
  Parsed p;
  p.error = parse_commands(body, shape, limits, batch);
  for (size_t i = 0; i < batch.size(); ++i) {
    auto args = batch.command(i);
    p.cmds.emplace_back(args.begin(), args.end());
  }
  return p;
}

Parsed one(std::string body) { return parse(std::move(body), BodyShape::Command); }
Parsed batch(std::string body) { return parse(std::move(body), BodyShape::Batch); }

}  // namespace

TEST_CASE("one command: strings, numbers by their JSON text, booleans as true/false") {
  auto p = one(R"(["set","k2","v2","ex",100])");
  CHECK(p.error == "");
  CHECK(p.cmds == Cmds{{"set", "k2", "v2", "ex", "100"}});
  p = one(R"(["zadd","z",1.5,"x",2,"y",1e+21,"w",0.30000000000000004,"v",-0,"u",1E5])");
  CHECK(p.cmds == Cmds{{"zadd", "z", "1.5", "x", "2", "y", "1e+21", "w", "0.30000000000000004", "v", "-0", "u", "1E5"}});
  p = one(R"(["set","bool",true,false])");
  CHECK(p.cmds == Cmds{{"set", "bool", "true", "false"}});
  p = one(" [ \"get\" , \"k\" ] \n");
  CHECK(p.cmds == Cmds{{"get", "k"}});
}

TEST_CASE("string escapes are decoded, bytes kept as sent") {
  auto p = one(R"(["set","obj","{\"a\":1,\"b\":[1,2]}"])");
  CHECK(p.cmds == Cmds{{"set", "obj", R"({"a":1,"b":[1,2]})"}});
  p = one(R"(["set","k","caf\u00e9 \ud83d\ude00 \n\t\\\/"])");
  CHECK(p.cmds[0][2] == "caf\xc3\xa9 \xf0\x9f\x98\x80 \n\t\\/");
  p = one(R"(["set","k","a\u0000b"])");
  CHECK(p.cmds[0][2] == std::string("a\0b", 3));
}

TEST_CASE("a batch: an array of command arrays") {
  auto p = batch(R"([["get","k1"],["incr","c"],["set","x",1]])");
  CHECK(p.error == "");
  CHECK(p.cmds == Cmds{{"get", "k1"}, {"incr", "c"}, {"set", "x", "1"}});
  CHECK(batch(R"([["ping"]])").cmds == Cmds{{"ping"}});
}

TEST_CASE("null, objects and nested arrays are refused with a clear error") {
  CHECK(one(R"(["set","k",null])").error ==
        "ERR null is not a valid argument: command arguments must be strings, numbers or booleans");
  CHECK(one(R"(["set","k",{"a":1}])").error.rfind("ERR JSON objects are not allowed", 0) == 0);
  CHECK(one(R"(["set","k",["a"]])").error.rfind("ERR JSON nested too deeply", 0) == 0);
  CHECK(one(R"([["get","k"]])").error.rfind("ERR JSON nested too deeply", 0) == 0);
  CHECK(batch(R"([[["get","k"]]])").error.rfind("ERR JSON nested too deeply", 0) == 0);
  CHECK(batch(R"([["set","k",null]])").error.rfind("ERR null is not a valid argument", 0) == 0);
  CHECK(one(R"(["get","k"])").cmds.size() == 1);
}

TEST_CASE("bodies that are not arrays of the right shape") {
  const std::string not_cmd = R"(ERR the request body must be a JSON array of command arguments, like ["get","key"])";
  const std::string not_batch = R"(ERR the request body must be a JSON array of commands, like [["get","key"]])";
  CHECK(one(R"({"cmd":"get"})").error == not_cmd);
  CHECK(one(R"("get")").error == not_cmd);
  CHECK(one("42").error == not_cmd);
  CHECK(one("null").error == not_cmd);
  CHECK(batch(R"({"a":1})").error == not_batch);
  CHECK(batch("true").error == not_batch);
  CHECK(batch(R"(["get","k"])").error ==
        R"(ERR each entry of the batch must be a JSON array of command arguments, like ["get","key"])");
  CHECK(batch(R"([["get","k"],"x"])").error.rfind("ERR each entry of the batch", 0) == 0);
}

TEST_CASE("empty bodies, commands and batches") {
  CHECK(one("").error.rfind("ERR empty request body", 0) == 0);
  CHECK(one("  \n").error.rfind("ERR empty request body", 0) == 0);
  CHECK(batch("").error.rfind("ERR empty request body", 0) == 0);
  CHECK(one("[]").error.rfind("ERR empty command", 0) == 0);
  CHECK(batch("[]").error.rfind("ERR empty batch", 0) == 0);
  CHECK(batch(R"([["get","k"],[]])").error == "ERR empty command at index 1 of the batch");
}

TEST_CASE("invalid JSON names the problem and where it is") {
  CHECK(one("[").error.rfind("ERR invalid JSON in the request body: ", 0) == 0);
  CHECK(one(R"(["get","k")").error.rfind("ERR invalid JSON in the request body: ", 0) == 0);
  CHECK(one(R"(["get" "k"])").error.find("(at byte 7)") != std::string::npos);
  CHECK(one(R"(["get","k"] x)").error.rfind("ERR invalid JSON", 0) == 0);  // trailing garbage
  CHECK(one(R"(["get",'k'])").error.rfind("ERR invalid JSON", 0) == 0);
  CHECK(one(std::string("[\"get\",\"k\"]\0[\"del\",\"k\"]", 24)).error ==
        "ERR invalid JSON in the request body: unexpected NUL byte (at byte 11)");
  CHECK(one(std::string("[\"get\",\"k\0\"]", 12)).error.rfind("ERR invalid JSON", 0) == 0);
}

TEST_CASE("limits: commands per batch, arguments per command, deep nesting without recursion") {
  BodyLimits lim;
  lim.max_commands = 3;
  lim.max_args = 4;
  CHECK(parse(R"([["ping"],["ping"],["ping"]])", BodyShape::Batch, lim).error == "");
  CHECK(parse(R"([["ping"],["ping"],["ping"],["ping"]])", BodyShape::Batch, lim).error ==
        "ERR too many commands in one request (the limit is 3)");
  CHECK(parse(R"(["mget","a","b","c"])", BodyShape::Command, lim).error == "");
  CHECK(parse(R"(["mget","a","b","c","d"])", BodyShape::Command, lim).error ==
        "ERR too many arguments in one command (the limit is 4)");
  std::string deep(200000, '[');
  CHECK(one(deep).error.rfind("ERR JSON nested too deeply", 0) == 0);
  CHECK(batch(deep + std::string(200000, ']')).error.rfind("ERR JSON nested too deeply", 0) == 0);
}

TEST_CASE("a failed parse leaves no commands behind") {
  CommandBatch b;
  std::string body = R"([["get","k"],["set","k",null]])";
  CHECK_FALSE(parse_commands(body, BodyShape::Batch, BodyLimits{}, b).empty());
  CHECK(b.size() == 0);
}
