// daemon/malloc_conf.cpp: jemalloc options baked into shardcached (read once at allocator start;
// the MALLOC_CONF environment variable still overrides them). A background thread returns
// freed pages to the OS after 1 s instead of jemalloc's default 10 s, so RSS follows the
// store's budget under heavy overwrite churn (docs/benchmarks-memory.md has the measurements).
#ifdef SHARDCACHE_JEMALLOC
extern "C" {
// NOLINTNEXTLINE: jemalloc reads this symbol by name; it is constant data, not state.
const char* malloc_conf = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";
}
#endif
