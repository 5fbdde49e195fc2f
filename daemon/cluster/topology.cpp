// daemon/cluster/topology.cpp: the nodes.conf reader (Redis 7.0's clusterLoadConfig rules) and
// writer (clusterGenNodesDescription), and the questions CLUSTER INFO / SLOTS ask of a topology.
#include "daemon/cluster/topology.h"

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>

#include "base/ascii.h"
#include "base/numbers.h"
#include "base/split_args.h"

namespace shardcache::cluster {

namespace {

constexpr std::pair<uint16_t, std::string_view> kFlagNames[] = {
    {kMyself, "myself"}, {kMaster, "master"},       {kSlave, "slave"},   {kPfail, "fail?"},
    {kFail, "fail"},     {kHandshake, "handshake"}, {kNoaddr, "noaddr"}, {kNofailover, "nofailover"}};

std::optional<long long> number(std::string_view s) { return base::parse_ll(s); }

/// A slot number 0..16383, or -1.
int slot_number(std::string_view s) {
  auto v = number(s);
  return v && *v >= 0 && *v < static_cast<long long>(kSlots) ? static_cast<int>(*v) : -1;
}

}  // namespace

bool valid_node_id(std::string_view id) {
  if (id.size() != 40) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

NodeIndex Topology::find(std::string_view id) const {
  for (size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].id == id) return static_cast<NodeIndex>(i);
  return kNone;
}

unsigned Topology::size() const {
  std::vector<bool> serving(nodes.size());
  for (NodeIndex o : owner)
    if (o != kNone) serving[static_cast<size_t>(o)] = true;
  unsigned n = 0;
  for (size_t i = 0; i < nodes.size(); ++i) n += serving[i] && (nodes[i].flags & kMaster);
  return n;
}

std::vector<std::pair<unsigned, unsigned>> Topology::ranges_of(NodeIndex n) const {
  std::vector<std::pair<unsigned, unsigned>> out;
  for (unsigned s = 0; s < kSlots; ++s) {
    if (owner[s] != n) continue;
    if (!out.empty() && out.back().second + 1 == s) out.back().second = s;
    else out.emplace_back(s, s);
  }
  return out;
}

std::string Topology::nodes_description() const {
  std::string out;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node& n = nodes[i];
    out += n.id;
    out += ' ' + n.ip + ':' + std::to_string(n.port) + '@' + std::to_string(n.cport);
    if (!n.hostname.empty()) out += ',' + n.hostname;
    out += ' ';
    std::string flags;
    for (const auto& [bit, name] : kFlagNames)
      if (n.flags & bit) flags.append(name).append(",");
    if (flags.empty()) flags = "noflags,";
    flags.pop_back();
    out += flags;
    out += " - " + std::to_string(n.ping_sent) + ' ' + std::to_string(n.pong_received) + ' ' +
           std::to_string(n.config_epoch) + " connected";
    for (const auto& [a, b] : ranges_of(static_cast<NodeIndex>(i)))
      out += a == b ? ' ' + std::to_string(a) : ' ' + std::to_string(a) + '-' + std::to_string(b);
    if (static_cast<NodeIndex>(i) == myself) {
      for (unsigned s = 0; s < kSlots; ++s) {
        if (migrating_to[s] != kNone)
          out += " [" + std::to_string(s) + "->-" + nodes[static_cast<size_t>(migrating_to[s])].id + "]";
        else if (importing_from[s] != kNone)
          out += " [" + std::to_string(s) + "-<-" + nodes[static_cast<size_t>(importing_from[s])].id + "]";
      }
    }
    out += '\n';
  }
  return out;
}

ParseResult parse_nodes_conf(std::string_view text) {
  ParseResult r;
  auto t = std::make_unique<Topology>();
  // Marks name nodes by id before their own line may have come: resolved after the last line.
  struct Mark {
    unsigned slot;
    bool migrating;
    std::string id;
    int line;
  };
  std::vector<Mark> marks;
  std::vector<std::vector<std::pair<unsigned, unsigned>>> slots;
  auto fail = [&](int line, std::string why) {
    r.error = std::move(why);
    r.line = line;
    r.topology.reset();
    return std::move(r);
  };
  int lineno = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    auto argv_opt = base::split_args(line);
    if (!argv_opt) return fail(lineno, "unbalanced quotes");
    auto& argv = *argv_opt;
    if (argv.empty()) continue;
    if (base::iequals(argv[0], "vars")) {
      if (argv.size() % 2 == 0) return fail(lineno, "vars needs name value pairs");
      for (size_t j = 1; j < argv.size(); j += 2) {
        auto v = number(argv[j + 1]);
        if (!v || *v < 0) return fail(lineno, "vars " + argv[j] + ": not a number");
        if (base::iequals(argv[j], "currentEpoch")) t->current_epoch = static_cast<uint64_t>(*v);
        else if (base::iequals(argv[j], "lastVoteEpoch")) t->last_vote_epoch = static_cast<uint64_t>(*v);
        // Redis skips unknown variables with a warning.
      }
      continue;
    }
    if (argv.size() < 8) return fail(lineno, "a node line has at least 8 fields: id ip:port@cport flags master ping pong epoch link");
    if (!valid_node_id(argv[0])) return fail(lineno, "node id '" + argv[0] + "' is not 40 characters 0-9 a-f");
    if (t->find(argv[0]) != kNone) return fail(lineno, "node " + argv[0] + " is listed twice");
    Node n;
    n.id = argv[0];
    std::string addr = argv[1];
    if (size_t comma = addr.find(','); comma != std::string::npos) {
      n.hostname = addr.substr(comma + 1);
      addr.resize(comma);
    }
    const size_t colon = addr.rfind(':');
    if (colon == std::string::npos) return fail(lineno, "address '" + argv[1] + "' is not ip:port@cport");
    n.ip = addr.substr(0, colon);
    std::string_view port = std::string_view(addr).substr(colon + 1), bus;
    if (size_t at = port.find('@'); at != std::string_view::npos) {
      bus = port.substr(at + 1);
      port = port.substr(0, at);
    }
    auto p = number(port);
    if (!p || *p <= 0 || *p > 65535 || n.ip.empty()) return fail(lineno, "address '" + argv[1] + "': bad ip or port");
    n.port = static_cast<int>(*p);
    auto cp = bus.empty() ? std::optional<long long>(n.port + 10000) : number(bus);
    if (!cp || *cp < 0 || *cp > 65535) return fail(lineno, "address '" + argv[1] + "': bad cluster bus port");
    n.cport = static_cast<int>(*cp);
    std::string_view fl = argv[2];
    while (true) {
      const size_t comma = fl.find(',');
      std::string_view f = fl.substr(0, comma);
      bool known = base::iequals(f, "noflags");
      for (const auto& [bit, name] : kFlagNames)
        if (base::iequals(f, name)) n.flags |= bit, known = true;
      if (!known) return fail(lineno, "unknown flag '" + std::string(f) + "'");
      if (comma == std::string_view::npos) break;
      fl = fl.substr(comma + 1);
    }
    if ((n.flags & kSlave) || argv[3] != "-")
      return fail(lineno, "replicas are not supported: every node is a master, with master id '-'");
    if (n.flags & kMyself) {
      if (t->myself != kNone) return fail(lineno, "a second node is flagged myself");
      t->myself = static_cast<NodeIndex>(t->nodes.size());
    }
    auto ping = number(argv[4]), pong = number(argv[5]), epoch = number(argv[6]);
    if (!ping || !pong || !epoch || *ping < 0 || *pong < 0 || *epoch < 0)
      return fail(lineno, "ping-sent, pong-recv and config-epoch must be numbers");
    n.ping_sent = static_cast<uint64_t>(*ping);
    n.pong_received = static_cast<uint64_t>(*pong);
    n.config_epoch = static_cast<uint64_t>(*epoch);
    if (t->nodes.size() >= 1000) return fail(lineno, "more than 1000 nodes");
    std::vector<std::pair<unsigned, unsigned>> mine;
    for (size_t j = 8; j < argv.size(); ++j) {
      std::string_view a = argv[j];
      if (a.empty()) return fail(lineno, "an empty slot field");
      if (a.front() == '[') {  // [slot->-id] migrating, [slot-<-id] importing
        const size_t dash = a.find('-');
        if (dash == std::string_view::npos || a.size() < dash + 4 || a.back() != ']' ||
            (a.substr(dash, 3) != "->-" && a.substr(dash, 3) != "-<-"))
          return fail(lineno, "bad slot mark '" + argv[j] + "' (expected [slot->-id] or [slot-<-id])");
        const int slot = slot_number(a.substr(1, dash - 1));
        std::string id(a.substr(dash + 3, a.size() - dash - 4));
        if (slot < 0) return fail(lineno, "bad slot in '" + argv[j] + "'");
        if (!valid_node_id(id)) return fail(lineno, "bad node id in '" + argv[j] + "'");
        marks.push_back({static_cast<unsigned>(slot), a[dash + 1] == '>', std::move(id), lineno});
        continue;
      }
      int start, stop;
      if (const size_t dash = a.find('-'); dash != std::string_view::npos) {
        start = slot_number(a.substr(0, dash));
        stop = slot_number(a.substr(dash + 1));
      } else {
        start = stop = slot_number(a);
      }
      if (start < 0 || stop < 0 || start > stop) return fail(lineno, "bad slot range '" + argv[j] + "'");
      mine.emplace_back(static_cast<unsigned>(start), static_cast<unsigned>(stop));
    }
    const auto idx = static_cast<NodeIndex>(t->nodes.size());
    for (const auto& [a, b] : mine)
      for (unsigned s = a; s <= b; ++s) {
        if (t->owner[s] != kNone && t->owner[s] != idx)
          return fail(lineno, "slot " + std::to_string(s) + " is already owned by " + t->nodes[static_cast<size_t>(t->owner[s])].id);
        if (t->owner[s] == kNone) ++t->assigned;
        t->owner[s] = idx;
      }
    t->nodes.push_back(std::move(n));
  }
  if (t->myself == kNone) return fail(0, "no node is flagged myself");
  for (const Mark& m : marks) {
    const NodeIndex other = t->find(m.id);
    if (other == kNone) return fail(m.line, "slot mark names node " + m.id + ", which has no line of its own");
    if (other == t->myself) return fail(m.line, "a slot mark names this node itself");
    if (m.migrating) {
      if (!t->owns(m.slot)) return fail(m.line, "slot " + std::to_string(m.slot) + " is marked migrating but this node does not own it");
      t->migrating_to[m.slot] = other;
    } else {
      if (t->owns(m.slot)) return fail(m.line, "slot " + std::to_string(m.slot) + " is marked importing but this node owns it");
      t->importing_from[m.slot] = other;
    }
  }
  for (const Node& n : t->nodes) t->current_epoch = std::max(t->current_epoch, n.config_epoch);
  for (unsigned s = 0; s < kSlots; ++s)
    t->local[s] = t->owns(s) && t->migrating_to[s] == kNone && t->importing_from[s] == kNone;
  r.topology = std::move(t);
  return r;
}

ParseResult load_nodes_conf(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ParseResult r;
    r.error = "cannot open " + path;
    return r;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    ParseResult r;
    r.error = "cannot read " + path;
    return r;
  }
  return parse_nodes_conf(ss.str());
}

}  // namespace shardcache::cluster
