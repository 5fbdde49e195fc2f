// daemon/gen_config_doc.cpp: prints docs/configuration.md generated from the directive table.
#include <iostream>

#include "daemon/config_file.h"

int main() {
  std::cout << shardcache::config_markdown();
  return 0;
}
