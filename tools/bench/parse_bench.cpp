// tools/bench/parse_bench.cpp: protocol/ microbenchmark. Measures RequestParser on a large
// pipelined buffer of SET/GET commands (GB/s, commands/s), and ReplyReader against hiredis's
// redisReader on the same mixed replies, both fed in 16 KiB reads as from a socket.
// Prints a markdown table. Usage: parse_bench [commands] [replies] [repeats]
#include <hiredis/hiredis.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocol/reply_reader.h"
#include "protocol/reply_writer.h"
#include "protocol/request_parser.h"

namespace {

using shardcache::protocol::ParseStatus;
using shardcache::protocol::Reply;
using shardcache::protocol::ReplyReader;
using shardcache::protocol::ReplyWriter;
using shardcache::protocol::RequestParser;

constexpr size_t kReadSize = 16 * 1024;  // one socket read

void append_bulk(std::string& out, std::string_view s) {
  out += '$';
  out += std::to_string(s.size());
  out += "\r\n";
  out += s;
  out += "\r\n";
}

/// `n` commands as redis-benchmark sends them: SET key:N value / GET key:N, alternating.
std::string make_requests(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    const std::string key = "key:" + std::to_string(i);
    out += (i % 2 == 0) ? "*3\r\n" : "*2\r\n";
    append_bulk(out, i % 2 == 0 ? "SET" : "GET");
    append_bulk(out, key);
    if (i % 2 == 0) append_bulk(out, "value");
  }
  return out;
}

/// `n` replies, mixed: bulk, integer, 3-element array, bulk of 100 bytes, null bulk.
std::string make_replies(size_t n) {
  std::string out;
  ReplyWriter w(out, 2);
  const std::string big(100, 'x');
  for (size_t i = 0; i < n; ++i) {
    switch (i % 5) {
      case 0: w.bulk("value:" + std::to_string(i)); break;
      case 1: w.integer(static_cast<long long>(i)); break;
      case 2:
        w.array(3);
        w.bulk("key:" + std::to_string(i));
        w.integer(static_cast<long long>(i));
        w.bulk("field");
        break;
      case 3: w.bulk(big); break;
      default: w.null(); break;
    }
  }
  return out;
}

template <class F>
double best_seconds(int repeats, F&& f) {
  double best = 1e30;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    const std::chrono::duration<double> d = std::chrono::steady_clock::now() - t0;
    best = std::min(best, d.count());
  }
  return best;
}

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "parse_bench: %s\n", what);
  std::exit(1);
}

/// Parses the whole buffer in one go; returns the number of commands (and checks them).
[[gnu::noinline]] size_t requests_whole(std::string_view buf) {
  RequestParser p;
  size_t n = 0;
  while (p.parse(buf) == ParseStatus::Complete) {
    n += p.args().size() > 1 ? 1 : 0;
    buf.remove_prefix(p.consumed());
  }
  return n;
}

/// Feeds the buffer in 16 KiB reads into a connection buffer that is compacted after each read.
[[gnu::noinline]] size_t requests_chunked(std::string_view all) {
  RequestParser p;
  std::string buf;
  size_t n = 0;
  for (size_t off = 0; off < all.size(); off += kReadSize) {
    buf.append(all.substr(off, kReadSize));
    size_t used = 0;
    while (p.parse(std::string_view(buf).substr(used)) == ParseStatus::Complete) {
      n += p.args().size() > 1 ? 1 : 0;
      used += p.consumed();
    }
    buf.erase(0, used);
  }
  return n;
}

/// Our reader, fed in 16 KiB reads. `reuse`: the caller passes the same Reply each time.
[[gnu::noinline]] size_t replies_ours(std::string_view all, bool reuse) {
  ReplyReader reader;
  Reply kept;
  std::string buf;
  size_t n = 0;
  for (size_t off = 0; off < all.size(); off += kReadSize) {
    buf.append(all.substr(off, kReadSize));
    size_t used = 0;
    for (;;) {
      Reply fresh;
      Reply& r = reuse ? kept : fresh;
      const ParseStatus st = reader.parse(std::string_view(buf).substr(used), r);
      if (st == ParseStatus::Error) die("our reader failed");
      if (st == ParseStatus::Incomplete) break;
      ++n;
      used += reader.consumed();
    }
    buf.erase(0, used);
  }
  return n;
}

/// hiredis's redisReader, fed the same 16 KiB reads; each reply is freed as a client would.
[[gnu::noinline]] size_t replies_hiredis(std::string_view all) {
  redisReader* r = redisReaderCreate();
  size_t n = 0;
  for (size_t off = 0; off < all.size(); off += kReadSize) {
    const size_t len = std::min(kReadSize, all.size() - off);
    if (redisReaderFeed(r, all.data() + off, len) != REDIS_OK) die("redisReaderFeed failed");
    void* reply = nullptr;
    for (;;) {
      if (redisReaderGetReply(r, &reply) != REDIS_OK) die("hiredis reader failed");
      if (reply == nullptr) break;
      ++n;
      freeReplyObject(reply);
    }
  }
  redisReaderFree(r);
  return n;
}

void row(const char* what, double secs, size_t bytes, size_t items, const char* unit) {
  std::printf("| %-44s | %8.3f | %7.2f | %9.2f M%s/s | %7.1f |\n", what, secs * 1e3,
              static_cast<double>(bytes) / secs / 1e9, static_cast<double>(items) / secs / 1e6, unit,
              secs / static_cast<double>(items) * 1e9);
}

}  // namespace

int main(int argc, char** argv) {
  const size_t commands = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  const size_t replies = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1000000;
  const int repeats = argc > 3 ? std::atoi(argv[3]) : 7;
  const std::string req = make_requests(commands);
  const std::string rep = make_replies(replies);
  std::printf("requests: %zu commands, %.1f MB; replies: %zu, %.1f MB; best of %d runs\n\n", commands,
              static_cast<double>(req.size()) / 1e6, replies, static_cast<double>(rep.size()) / 1e6, repeats);
  std::printf("| %-44s | %8s | %7s | %15s | %7s |\n", "benchmark", "ms", "GB/s", "rate", "ns/item");
  std::printf("|%s|%s|%s|%s|%s|\n", std::string(46, '-').c_str(), std::string(10, '-').c_str(),
              std::string(9, '-').c_str(), std::string(17, '-').c_str(), std::string(9, '-').c_str());
  size_t got = 0;
  const double t_whole = best_seconds(repeats, [&] { got = requests_whole(req); });
  if (got != commands) die("request count mismatch (whole)");
  row("RequestParser, whole buffer", t_whole, req.size(), commands, "cmd");
  const double t_chunk = best_seconds(repeats, [&] { got = requests_chunked(req); });
  if (got != commands) die("request count mismatch (chunked)");
  row("RequestParser, 16 KiB reads", t_chunk, req.size(), commands, "cmd");
  const double t_ours = best_seconds(repeats, [&] { got = replies_ours(rep, true); });
  if (got != replies) die("reply count mismatch (ours)");
  row("ReplyReader, 16 KiB reads, Reply reused", t_ours, rep.size(), replies, "rep");
  const double t_fresh = best_seconds(repeats, [&] { got = replies_ours(rep, false); });
  if (got != replies) die("reply count mismatch (ours, fresh)");
  row("ReplyReader, 16 KiB reads, new Reply each", t_fresh, rep.size(), replies, "rep");
  const double t_hiredis = best_seconds(repeats, [&] { got = replies_hiredis(rep); });
  if (got != replies) die("reply count mismatch (hiredis)");
  row("hiredis redisReader, 16 KiB reads", t_hiredis, rep.size(), replies, "rep");
  std::printf("\nReplyReader speed vs hiredis: %.2fx (Reply reused), %.2fx (new Reply each)\n", t_hiredis / t_ours,
              t_hiredis / t_fresh);
  return 0;
}
