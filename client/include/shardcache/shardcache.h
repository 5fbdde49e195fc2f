// shardcache/shardcache.h: everything of libshardcache except the optional JSON layer
// (<shardcache/json.h>, which needs nlohmann::json).
#pragma once
#include "shardcache/cache.h"
#include "shardcache/circuit_breaker.h"
#include "shardcache/client.h"
#include "shardcache/cluster.h"
#include "shardcache/near_cache.h"
#include "shardcache/options.h"
#include "shardcache/result.h"
#include "shardcache/value.h"
#include "shardcache/version.h"
