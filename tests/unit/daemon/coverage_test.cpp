// tests/unit/daemon/coverage_test.cpp: every command in the table has a unit test (Garnet's rule):
// each name must appear as the first word of a Run({...}) call in this directory's tests.
#include <doctest/doctest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "daemon/commands/command_table.h"

TEST_CASE("every command in the table has a test") {
  std::string all;
  for (auto& f : std::filesystem::directory_iterator(SHARDCACHE_TEST_DIR)) {
    if (f.path().extension() != ".cpp" || f.path().filename() == "coverage_test.cpp") continue;
    std::ifstream in(f.path());
    std::stringstream ss;
    ss << in.rdbuf();
    all += ss.str();
  }
  for (auto& c : all) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& spec : shardcache::commands::command_table().all()) {
    std::string needle = "run({\"" + std::string(spec.name) + "\"";
    INFO("command without a test: ", spec.name);
    CHECK(all.find(needle) != std::string::npos);
  }
}

TEST_CASE("docs/commands.md is generated from the table and up to date") {
  std::ifstream in(std::string(SHARDCACHE_TEST_DIR) + "/../../../docs/commands.md");
  std::stringstream ss;
  ss << in.rdbuf();
  INFO("run tools/gen_commands_doc to regenerate docs/commands.md");
  CHECK(ss.str() == shardcache::commands::commands_markdown());
}
