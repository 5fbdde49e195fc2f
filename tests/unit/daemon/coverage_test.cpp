// tests/unit/daemon/coverage_test.cpp: docs/commands.md matches the table. That every row of the
// table is run by some test through the dispatcher is checked by main.cpp after a full run.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "daemon/commands/command_table.h"

TEST_CASE("docs/commands.md is generated from the table and up to date") {
  std::ifstream in(std::string(SHARDCACHE_TEST_DIR) + "/../../../docs/commands.md");
  std::stringstream ss;
  ss << in.rdbuf();
  INFO("run tools/gen_commands_doc to regenerate docs/commands.md");
  CHECK(ss.str() == shardcache::commands::commands_markdown());
}
