// tests/unit/daemon/config_file_test.cpp: the redis.conf-syntax configuration file: Redis's
// quoting rules, memory units, include (nested, loops), errors with file and line, save
// accumulation, CONFIG REWRITE (comments and order kept, round trip), the shipped
// shardcached.conf and docs/configuration.md.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "daemon/config_file.h"
#include "harness.h"

using shardcache::test::Harness;
using shardcache::test::Val;
namespace fs = std::filesystem;
using shardcache::load_config_text;
using shardcache::split_config_args;
using Args = std::vector<std::string>;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "sc-conf-test.XXXXXX").string();
    REQUIRE(::mkdtemp(t.data()) != nullptr);
    path = t;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary) << text;
    return (path / name).string();
  }
};

std::string read(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The flags a text sets (no error expected).
std::vector<std::string> flags_of(const std::string& text) {
  auto r = load_config_text(text, "t.conf");
  INFO((r.error ? r.error->report() : std::string()));
  REQUIRE(!r.error);
  return r.settings.flags;
}

/// The error a text gives (one expected).
shardcache::ConfigFileError error_of(const std::string& text) {
  auto r = load_config_text(text, "t.conf");
  REQUIRE(r.error.has_value());
  return *r.error;
}

std::map<std::string, std::string> default_values() {
  shardcache::Config def;
  std::map<std::string, std::string> m;
  const auto registry = shardcache::make_config_registry(def, nullptr);
  for (const auto& p : registry.params()) m[p.name] = p.get();
  return m;
}

std::string repo_root() { return std::string(SHARDCACHE_TEST_DIR) + "/../../.."; }

}  // namespace

TEST_CASE("config file tokenizer: Redis's sdssplitargs quoting rules") {
  CHECK(split_config_args("maxmemory   1gb ") == Args{"maxmemory", "1gb"});
  CHECK(split_config_args("  \t") == Args{});
  CHECK(split_config_args(R"(requirepass "a b\n\t\x41\"\\")") == Args{"requirepass", "a b\n\tA\"\\"});
  CHECK(split_config_args(R"(x "\q\xZZ")") == Args{"x", "qxZZ"});  // unknown escapes: the character itself
  CHECK(split_config_args(R"(requirepass 'it\'s "raw" \n')") == Args{"requirepass", "it's \"raw\" \\n"});
  CHECK(split_config_args(R"(save "")") == Args{"save", ""});
  CHECK(split_config_args("save ''") == Args{"save", ""});
  CHECK(split_config_args("a\"b c\"") == Args{"ab c"});  // a quote may open mid-word
  CHECK_FALSE(split_config_args(R"(requirepass "open)").has_value());
  CHECK_FALSE(split_config_args("requirepass 'open").has_value());
  CHECK_FALSE(split_config_args(R"(requirepass "closed"x)").has_value());  // a closing quote must end the argument
  CHECK_FALSE(split_config_args("requirepass 'closed'x").has_value());
}

TEST_CASE("memory units (config file, CONFIG SET, flags): Redis's memtoull") {
  using shardcache::parse_memory;
  CHECK(parse_memory("1k") == 1000u);
  CHECK(parse_memory("1kb") == 1024u);
  CHECK(parse_memory("1KB") == 1024u);
  CHECK(parse_memory("2m") == 2000000u);
  CHECK(parse_memory("2Mb") == 2u * 1024 * 1024);
  CHECK(parse_memory("1g") == 1000000000u);
  CHECK(parse_memory("1gB") == 1024ull * 1024 * 1024);
  CHECK(parse_memory("100") == 100u);
  CHECK(parse_memory("100b") == 100u);
  CHECK_FALSE(parse_memory("").has_value());
  CHECK_FALSE(parse_memory("gb").has_value());
  CHECK_FALSE(parse_memory("-1").has_value());
  CHECK_FALSE(parse_memory("1 gb").has_value());
  CHECK_FALSE(parse_memory("1tb").has_value());
  CHECK_FALSE(parse_memory("99999999999999999999gb").has_value());
  CHECK(parse_memory("17179869183gb") == 17179869183ull << 30);
  CHECK_FALSE(parse_memory("17179869184gb").has_value());  // 2^64: refused, not wrapped to 0
  // In the file: maxmemory takes them.
  CHECK(flags_of("maxmemory 1gb\n") == Args{"--maxmemory=1gb"});
  CHECK(error_of("maxmemory 1tb\n").reason == "argument must be a memory value");
}

TEST_CASE("config file: directives, comments, blank lines, case, yes/no, last value wins") {
  auto f = flags_of("# a comment\n\n   \t\nMAXMEMORY 100mb\r\nmaxmemory-policy ALLKEYS-LRU\n  # indented comment\n"
                    "protected-mode YES\nport 7000\nport 7001\nrequirepass \"p w\"\nio-threads 2\n");
  CHECK(f == Args{"--maxmemory=100mb", "--maxmemory-policy=ALLKEYS-LRU", "--protected-mode=YES", "--port=7001",
                  "--requirepass=p w", "--io-threads=2"});
  auto r = load_config_text("hz 50\nclient-query-buffer-limit 2mb\ndatabases 1\n", "t.conf");
  REQUIRE(!r.error);
  CHECK(r.settings.flags.empty());
  CHECK(r.settings.params == std::vector<std::pair<std::string, std::string>>{{"hz", "50"}, {"client-query-buffer-limit", "2mb"}});
}

TEST_CASE("config file errors: Redis's FATAL CONFIG FILE ERROR with file and line") {
  auto e = error_of("# comment\nport 7000\nmaxmemroy 1gb\n");
  CHECK(e.line == 3);
  CHECK(e.file == "t.conf");
  CHECK(e.text == "maxmemroy 1gb");
  CHECK(e.reason == "Bad directive or wrong number of arguments");
  const std::string report = e.report();
  CHECK(report.find("*** FATAL CONFIG FILE ERROR (shardcached ") != std::string::npos);
  CHECK(report.find("Reading the configuration file t.conf, at line 3\n>>> 'maxmemroy 1gb'\n"
                    "Bad directive or wrong number of arguments\n") != std::string::npos);
  CHECK(error_of("port 1 2\n").reason == "wrong number of arguments");
  CHECK(error_of("maxmemory\n").reason == "wrong number of arguments");
  CHECK(error_of("\nrequirepass \"open\n").reason == "Unbalanced quotes in configuration line");
  CHECK(error_of("\nrequirepass \"open\n").line == 2);
  CHECK(error_of("protected-mode maybe\n").reason == "argument must be 'yes' or 'no'");
  CHECK(error_of("port 70000\n").reason == "argument must be between 0 and 65535 inclusive");
  CHECK(error_of("port x\n").reason == "argument couldn't be parsed into an integer");
  CHECK(error_of("maxclients 0\n").reason == "argument must be between 1 and 4294967295 inclusive");
  CHECK(error_of("maxmemory-policy lfu\n").reason.rfind("argument(s) must be one of the following: ", 0) == 0);
  CHECK(error_of("shards 3\n").reason == "argument must be a power of two between 1 and 4096");
  CHECK(error_of("dbfilename a/b.rdb\n").reason == "dbfilename can't be a path, just a filename");
  CHECK(error_of("dir /nonexistent-sc-dir\n").reason == "No such file or directory");
  CHECK(error_of("bind 127.0.0.1 ::1\n").reason == "one address only (listening on several is not supported)");
  CHECK(error_of("databases 16\n").reason == "shardcached has one database: the only value is 1");
  CHECK(error_of("client-output-buffer-limit master 1 0 0\n").reason ==
        "Invalid client class specified in buffer limit configuration.");
  CHECK(error_of("rename-command FLUSHALL \"\"\n").reason == "Bad directive or wrong number of arguments");
  CHECK(error_of("include\n").reason == "Bad directive or wrong number of arguments");
}

TEST_CASE("config file: harmless Redis directives are accepted with a warning, others refused") {
  auto r = load_config_text("daemonize no\nalways-show-logo yes\nappendonly no\n", "t.conf");
  REQUIRE(!r.error);
  CHECK(r.settings.flags.empty());
  REQUIRE(r.settings.warnings.size() == 3);
  CHECK(r.settings.warnings[0].rfind("t.conf:1: 'daemonize no' is accepted and ignored: ", 0) == 0);
  CHECK(flags_of("loglevel warning\nlogfile /tmp/x.log\nsyslog-enabled yes\n") ==
        Args{"--loglevel=warning", "--logfile=/tmp/x.log", "--syslog-enabled=yes"});
  CHECK(error_of("loglevel loud\n").reason.rfind("argument(s) must be one of the following: debug", 0) == 0);
  CHECK(error_of("daemonize yes\n").reason == "shardcached does not implement this; the only value accepted is 'no'");
  CHECK(error_of("\nappendonly yes\n").line == 2);
}

TEST_CASE("config file: save lines accumulate, save \"\" clears, as Redis") {
  CHECK(flags_of("save 900 1\nsave 300 10\n") == Args{"--save=900 1 300 10"});
  CHECK(flags_of("save \"900 1 300 10\"\n") == Args{"--save=900 1 300 10"});
  CHECK(flags_of("save \"\"\n") == Args{"--save="});
  CHECK(flags_of("save 900 1\nsave \"\"\nsave 60 5\n") == Args{"--save=60 5"});
  CHECK(flags_of("port 1\n").size() == 1);  // no save line: the default stays
  CHECK(error_of("save 900\n").reason == "Invalid save parameters");
  CHECK(error_of("save 0 1\n").reason == "Invalid save parameters");
  // client-output-buffer-limit lines each change their class.
  CHECK(flags_of("client-output-buffer-limit normal 1mb 0 0\nclient-output-buffer-limit pubsub 2mb 1mb 5\n") ==
        Args{"--client-output-buffer-limit=normal 1mb 0 0 pubsub 2mb 1mb 5"});
}

TEST_CASE("config file include: nested, relative to the working directory, loops refused") {
  TempDir d;
  const std::string inner = d.write("inner.conf", "maxmemory 2mb\n");
  const std::string mid = d.write("mid.conf", "port 7100\ninclude " + inner + "\n");
  const std::string top = d.write("top.conf", "maxmemory 1mb\ninclude " + mid + "\nport 7200\n");
  auto r = shardcache::load_config_file(top);
  REQUIRE(!r.error);
  CHECK(r.settings.flags == Args{"--maxmemory=2mb", "--port=7200"});

  // Relative paths are taken from the working directory, as Redis's fopen does.
  const auto cwd = fs::current_path();
  fs::current_path(d.path);
  d.write("rel.conf", "include inner.conf\n");
  r = shardcache::load_config_file("rel.conf");
  fs::current_path(cwd);
  REQUIRE(!r.error);
  CHECK(r.settings.flags == Args{"--maxmemory=2mb"});

  // A pattern includes every match; no match includes nothing.
  d.write("p1.part", "port 7301\n");
  d.write("p2.part", "timeout 5\n");
  const std::string globbed = d.write("glob.conf", "include " + (d.path / "*.part").string() + "\ninclude " +
                                                    (d.path / "none-*.x").string() + "\n");
  r = shardcache::load_config_file(globbed);
  REQUIRE(!r.error);
  CHECK(r.settings.flags == Args{"--port=7301", "--timeout=5"});

  // An error inside an included file names that file and its line.
  const std::string bad = d.write("bad.conf", "# first\nport 1\nnosuch yes\n");
  const std::string incbad = d.write("incbad.conf", "include " + bad + "\n");
  r = shardcache::load_config_file(incbad);
  REQUIRE(r.error);
  CHECK(r.error->file == bad);
  CHECK(r.error->line == 3);

  // Loops: a file including itself, and a -> b -> a.
  const std::string self = d.write("self.conf", "port 1\ninclude " + (d.path / "self.conf").string() + "\n");
  r = shardcache::load_config_file(self);
  REQUIRE(r.error);
  CHECK(r.error->line == 2);
  CHECK(r.error->reason.find("include loop") != std::string::npos);
  d.write("a.conf", "include " + (d.path / "b.conf").string() + "\n");
  d.write("b.conf", "\ninclude " + (d.path / "a.conf").string() + "\n");
  r = shardcache::load_config_file((d.path / "a.conf").string());
  REQUIRE(r.error);
  CHECK(r.error->file == (d.path / "b.conf").string());
  CHECK(r.error->line == 2);
  CHECK(r.error->reason.find("include loop") != std::string::npos);

  // A missing file: at the include line; the top file: no line.
  const std::string missing = d.write("missing.conf", "include " + (d.path / "nope.conf").string() + "\n");
  r = shardcache::load_config_file(missing);
  REQUIRE(r.error);
  CHECK(r.error->line == 1);
  CHECK(r.error->reason.find("can't open config file") != std::string::npos);
  r = shardcache::load_config_file((d.path / "absent.conf").string());
  REQUIRE(r.error);
  CHECK(r.error->line == 0);
  CHECK(r.error->report().find("Fatal error, can't open config file") != std::string::npos);
}

TEST_CASE("CONFIG REWRITE content: comments and order kept, changed lines replaced, new ones appended") {
  Harness h;
  auto defaults = default_values();
  h.cfg.maxmemory = 256ull * 1024 * 1024;  // the harness starts unlimited; back to the daemon's default
  const std::string old =
      "# top comment\n"
      "maxmemory 100mb\n"
      "\n"
      "# policy\n"
      "maxmemory-policy allkeys-lru\n"
      "daemonize no\n"
      "timeout 0\n"
      "timeout 5\n"
      "include /etc/other.conf\n"
      "gone-directive 1\n";
  REQUIRE(h.Run({"config", "set", "maxmemory", "64mb", "hz", "20"}).ok());
  const std::string out = shardcache::rewrite_config_content(old, h.state.config_params, defaults);
  CHECK(out ==
        "# top comment\n"
        "maxmemory 64mb\n"
        "\n"
        "# policy\n"
        "maxmemory-policy allkeys-lru\n"
        "daemonize no\n"
        "timeout 0\n"
        "\n"
        "include /etc/other.conf\n"
        "# ??? gone-directive 1\n"
        "\n"
        "# Generated by CONFIG REWRITE\n"
        "hz 20\n"
        "save 3600 1\n"
        "save 300 100\n"
        "save 60 10000\n");
  // Rewriting again adds no second signature; as in Redis, the file's last newline becomes one
  // blank line at the end, and from then on the content stays the same.
  const std::string again = shardcache::rewrite_config_content(out, h.state.config_params, defaults);
  CHECK(again == out + "\n");
  CHECK(shardcache::rewrite_config_content(again, h.state.config_params, defaults) == again);
  // Quoted strings, `save ""`, a directive back at its default keeps its line, with the new value.
  REQUIRE(h.Run({"config", "set", "requirepass", "a \"b\"", "save", "", "maxmemory", "256mb"}).ok());
  const std::string out2 = shardcache::rewrite_config_content("maxmemory 1gb\nsave 1 1\nsave 2 2\n", h.state.config_params, defaults);
  CHECK(out2 == "maxmemory 256mb\nsave \"\"\n\n# Generated by CONFIG REWRITE\nhz 20\nrequirepass \"a \\\"b\\\"\"\n");
  auto reread = load_config_text(out2, "t.conf");
  REQUIRE(!reread.error);
  CHECK(reread.settings.flags == Args{"--maxmemory=256mb", "--requirepass=a \"b\"", "--save="});
}

TEST_CASE("CONFIG REWRITE: without a config file, and a round trip through a real file") {
  Harness h;
  CHECK(h.Run({"CONFIG", "REWRITE"}).str == "ERR The server is running without a config file");
  TempDir d;
  h.state.config_defaults = default_values();
  h.cfg.maxmemory = 256ull * 1024 * 1024;
  h.state.config_file = d.write("s.conf", "# my cache\nport 6379\n\n# memory\nmaxmemory 100mb\nsave 3600 1\n");
  REQUIRE(h.Run({"config", "set", "maxmemory", "1gb", "maxmemory-policy", "allkeys-random"}).ok());
  const Val v = h.Run({"CONFIG", "REWRITE"});
  CHECK(v.ok());
  const std::string text = read(h.state.config_file);
  CHECK(text == "# my cache\nport 6379\n\n# memory\nmaxmemory 1gb\nsave 3600 1\n\n# Generated by CONFIG REWRITE\n"
                "maxmemory-policy allkeys-random\nsave 300 100\nsave 60 10000\n");
  // No temp file is left next to it.
  int files = 0;
  for (auto& e : fs::directory_iterator(d.path)) files += e.is_regular_file() ? 1 : 0;
  CHECK(files == 1);
  // Loading it gives what was set.
  auto r = shardcache::load_config_file(h.state.config_file);
  REQUIRE(!r.error);
  CHECK(r.settings.flags == Args{"--port=6379", "--maxmemory=1gb", "--maxmemory-policy=allkeys-random",
                                 "--save=3600 1 300 100 60 10000"});
  // An unwritable place: Redis's error text.
  h.state.config_file = (d.path / "no-such-dir" / "x.conf").string();
  CHECK(h.Run({"config", "rewrite"}).str == "ERR Rewriting config file: No such file or directory");
}

TEST_CASE("directive table: defaults are the daemon's, CONFIG SET-able as the registry says") {
  shardcache::Config def;
  const auto reg = shardcache::make_config_registry(def, nullptr);
  for (const auto& d : shardcache::config_directives()) {
    INFO("directive ", d.name);
    const auto* p = reg.find(d.name);
    REQUIRE(p != nullptr);  // every directive is a CONFIG parameter
    if (!p->set) CHECK_FALSE(d.settable);
    if (!d.settable) continue;
    // Setting the stated default on a fresh Config changes nothing.
    shardcache::Config scratch;
    const auto sreg = shardcache::make_config_registry(scratch, nullptr);
    const auto* sp = sreg.find(d.name);
    const std::string before = sp->get();
    CHECK(sp->set(std::string(d.def)) == "");
    CHECK(sp->get() == before);
  }
  CHECK_FALSE(shardcache::find_directive("dir")->settable);
  CHECK_FALSE(shardcache::find_directive("dbfilename")->settable);
}

TEST_CASE("the shipped shardcached.conf parses and states the daemon's defaults") {
  auto r = shardcache::load_config_file(repo_root() + "/shardcached.conf");
  INFO((r.error ? r.error->report() : std::string()));
  REQUIRE(!r.error);
  CHECK(r.settings.warnings.empty());
  size_t seen = 0;
  for (const auto& f : r.settings.flags) {
    const std::string flag = f.substr(0, f.find('=')), value = f.substr(f.find('=') + 1);
    const shardcache::Directive* d = nullptr;
    for (const auto& x : shardcache::config_directives())
      if (x.flag == flag) d = &x;
    INFO("flag ", flag);
    REQUIRE(d != nullptr);
    ++seen;
    shardcache::Config fresh, scratch;
    const auto freg = shardcache::make_config_registry(fresh, nullptr);
    const auto sreg = shardcache::make_config_registry(scratch, nullptr);
    if (d->settable) {
      CHECK(sreg.find(d->name)->set(value) == "");
      CHECK(sreg.find(d->name)->get() == freg.find(d->name)->get());
    } else {
      CHECK(value == d->def);
    }
  }
  for (const auto& param : r.settings.params) {
    const std::string& name = param.first;  // not a structured binding: INFO captures it (clang 14)
    const std::string& value = param.second;
    INFO("directive ", name);
    ++seen;
    CHECK(value == shardcache::find_directive(name)->def);
  }
  // Every directive but requirepass (no password by default) and databases is stated.
  CHECK(seen == shardcache::config_directives().size() - 2);
}

TEST_CASE("docs/configuration.md is generated from the directive table and up to date") {
  std::ifstream in(repo_root() + "/docs/configuration.md");
  std::stringstream ss;
  ss << in.rdbuf();
  INFO("run tools/gen_config_doc to regenerate docs/configuration.md");
  CHECK(ss.str() == shardcache::config_markdown());
}
