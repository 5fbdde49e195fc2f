// daemon/commands/sparkline.h: ASCII sparklines as Redis draws them (sparkline.c), for
// LATENCY GRAPH: samples scaled to rows x 3 steps with the characters "_o#" (and '|' below the
// top row of a filled bar), each sample's label printed vertically under its column.
#pragma once

#include <string>
#include <vector>

namespace shardcache::commands {

struct SparkSample {
  double value = 0;
  std::string label;  // empty: no label
};

/// Renders `samples` `columns` per block (blocks separated by an empty line), `rows` rows high,
/// filled as Redis's SPARKLINE_FILL; appends to `out`.
void render_sparkline(std::string& out, const std::vector<SparkSample>& samples, int columns, int rows);

}  // namespace shardcache::commands
