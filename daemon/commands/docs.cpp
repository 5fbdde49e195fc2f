// daemon/commands/docs.cpp: renders docs/commands.md from the command table, so the reference
// cannot drift from what the dispatcher runs (a unit test compares the file with this output).
// Subcommands get their own line (CLIENT LIST) with their own syntax, arity, flags and summary.
#include <map>
#include <string>

#include "daemon/commands/command_table.h"
#include "daemon/commands/util.h"

namespace shardcache::commands {

namespace {
std::string flag_list(uint32_t f) {
  std::string s;
  for (const auto& n : kFlagNames)
    if (f & n.bit) s += (s.empty() ? "" : ", ") + std::string(n.name);
  return s.empty() ? "-" : s;
}

std::string acl_list(uint32_t acl) {
  std::string s;
  for (size_t i = 0; i < std::size(kAclNames); ++i)
    if (acl & (1u << i)) s += (s.empty() ? "@" : " @") + std::string(kAclNames[i]);
  return s;
}

std::string arity_text(int arity) {
  return arity > 0 ? std::to_string(arity) : ">= " + std::to_string(-arity);
}

std::string escape_bars(std::string_view text) {
  std::string s(text);
  for (size_t p = 0; (p = s.find('|', p)) != std::string::npos; p += 2) s.replace(p, 1, "\\|");
  return s;
}

std::string row(const CommandSpec& c) {
  const std::string name = upper(c.parent ? c.parent->name + " " + std::string(c.subname()) : c.name);
  const std::string call = name + (c.syntax.empty() ? "" : " " + std::string(c.syntax));
  return "| " + name + " | `" + escape_bars(call) + "` | " + arity_text(c.arity) + " | " + flag_list(c.flags) + " | " +
         acl_list(c.acl) + " | " + std::string(c.since) + " | " + escape_bars(c.summary) + " |\n";
}
}  // namespace

std::string commands_markdown() {
  std::map<std::string, std::vector<const CommandSpec*>> groups;
  for (const CommandSpec* c : command_table().commands()) groups[std::string(c->group)].push_back(c);
  std::string md =
      "# Commands\n\n"
      "Generated from the command table (daemon/commands/*.cpp) by `tools/gen_commands_doc`;\n"
      "a unit test fails when this file and the table differ. Arity counts the command name (and\n"
      "the subcommand), as in Redis (`>= N`: at least N). Flags and ACL categories are those\n"
      "COMMAND INFO reports, plus shardcache's own: `no_rest` (refused over REST), `not_queued`\n"
      "(runs at once inside MULTI) and `may_replicate` (hidden by COMMAND INFO, as in Redis).\n"
      "`Since` is the Redis version that added the command (shardcache's, for its own). Replies,\n"
      "options and error texts follow Redis 7 unless a note says otherwise. CLIENT NO-EVICT\n"
      "exempts a connection from maxmemory-clients (Redis 7's client eviction);\n"
      "client-output-buffer-limit still applies.\n";
  for (auto& [group, cmds] : groups) {
    md += "\n## " + group +
          "\n\n| Command | Syntax | Arity | Flags | ACL categories | Since | Summary |\n|---|---|---|---|---|---|---|\n";
    for (const CommandSpec* c : cmds) {
      md += row(*c);
      for (const CommandSpec* s : c->subcommands) md += row(*s);
    }
  }
  return md;
}

}  // namespace shardcache::commands
