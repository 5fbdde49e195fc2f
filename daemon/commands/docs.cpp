// daemon/commands/docs.cpp: renders docs/commands.md from the command table, so the reference
// cannot drift from what the dispatcher runs (a unit test compares the file with this output).
#include <map>
#include <string>

#include "daemon/commands/command_table.h"

namespace shardcache::commands {

namespace {
std::string flag_list(uint32_t f) {
  std::string s;
  auto add = [&](uint32_t bit, const char* name) {
    if (f & bit) s += (s.empty() ? "" : ", ") + std::string(name);
  };
  add(kWrite, "write");
  add(kReadonly, "readonly");
  add(kDenyOom, "denyoom");
  add(kFast, "fast");
  add(kAdmin, "admin");
  add(kNoAuth, "no-auth");
  add(kNoMulti, "no-multi");
  return s.empty() ? "-" : s;
}

std::string arity_text(int arity) {
  return arity > 0 ? std::to_string(arity) : ">= " + std::to_string(-arity);
}
}  // namespace

std::string commands_markdown() {
  std::map<std::string, std::vector<const CommandSpec*>> groups;
  for (const auto& c : command_table().all()) groups[std::string(c.group)].push_back(&c);
  std::string md =
      "# Commands\n\n"
      "Generated from the command table (daemon/commands/*.cpp) by `tools/gen_commands_doc`;\n"
      "a unit test fails when this file and the table differ. Arity counts the command name,\n"
      "as in Redis (`>= N`: at least N). Replies, options and error texts follow Redis 7 unless\n"
      "a note says otherwise.\n";
  for (auto& [group, cmds] : groups) {
    md += "\n## " + group + "\n\n| Command | Syntax | Arity | Flags | Summary |\n|---|---|---|---|---|\n";
    for (const CommandSpec* c : cmds) {
      std::string syntax(c->syntax);
      for (size_t p = 0; (p = syntax.find('|', p)) != std::string::npos; p += 2) syntax.replace(p, 1, "\\|");
      const std::string name = base::upper(c->name);
      md += "| " + name + " | `" + name + (syntax.empty() ? "" : " " + syntax) + "` | " + arity_text(c->arity) +
            " | " + flag_list(c->flags) + " | " + std::string(c->summary) + " |\n";
    }
  }
  return md;
}

}  // namespace shardcache::commands
