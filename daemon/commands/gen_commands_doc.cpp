// daemon/commands/gen_commands_doc.cpp: prints docs/commands.md generated from the command table.
#include <iostream>

#include "daemon/commands/command_table.h"

int main() {
  std::cout << shardcache::commands::commands_markdown();
  return 0;
}
