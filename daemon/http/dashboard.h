// daemon/http/dashboard.h: the live dashboard served at GET / (one self-contained HTML page that
// polls /metrics every two seconds; no external assets).
#pragma once
#include <string_view>

namespace shardcache::http {

/// The page.
std::string_view dashboard_html();

}  // namespace shardcache::http
