// tests/unit/daemon/main.cpp: doctest's main for daemon_tests, plus the coverage rule: after a
// full run (no filters), every row of the command table with a handler (commands and
// subcommands such as client|list) must have been run through the dispatcher by some test
// (Harness records the rows whose per-command counters moved), else the run fails naming them.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

#include "tests/unit/daemon/harness.h"

int main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  const int rc = context.run();
  if (context.shouldExit() || rc != 0) return rc;
  bool filtered = false;
  for (int i = 1; i < argc; ++i) filtered = filtered || std::string_view(argv[i]).find("-t") != std::string_view::npos ||
                                           std::string_view(argv[i]).find("-s") != std::string_view::npos;
  if (filtered) return rc;
  const auto& rows = shardcache::commands::command_table().all();
  int missing = 0;
  size_t with_handler = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].handler) ++with_handler;
    if (!rows[i].handler || shardcache::test::dispatched_rows().count(i)) continue;
    std::fprintf(stderr, "coverage: no test ran '%s' through the dispatcher\n", rows[i].name.c_str());
    ++missing;
  }
  if (missing) std::fprintf(stderr, "coverage: %d command table rows never dispatched\n", missing);
  else std::fprintf(stderr, "coverage: every one of the %zu command table rows with a handler was dispatched\n", with_handler);
  return missing ? 1 : 0;
}
