// daemon/commands/sparkline.cpp: Redis's sparkline renderer (sparkline.c, SPARKLINE_FILL, linear
// scale), kept character for character so LATENCY GRAPH prints what redis-server prints.
#include "daemon/commands/sparkline.h"

#include <algorithm>

namespace shardcache::commands {
namespace {

constexpr char kFill[] = "_o#";
constexpr int kCharsetLen = 3;
constexpr int kLabelMarginTop = 1;

void render_range(std::string& out, const std::vector<SparkSample>& seq, double min, double max, bool labels,
                  int rows, size_t offset, size_t len) {
  double relmax = max - min;
  if (relmax == 0) relmax = 1;
  const int steps = kCharsetLen * rows;
  std::string chars(len, ' ');
  for (int row = 0;; ++row) {
    bool loop = false;
    std::fill(chars.begin(), chars.end(), ' ');
    for (size_t j = 0; j < len; ++j) {
      const SparkSample& s = seq[j + offset];
      const double relval = s.value - min;
      // Redis: step = (int) (relval*steps)/relmax; the cast binds to the product.
      int step = static_cast<int>(static_cast<int>(relval * steps) / relmax);
      step = std::clamp(step, 0, steps - 1);
      if (row < rows) {
        const int charidx = step - ((rows - row - 1) * kCharsetLen);
        loop = true;
        if (charidx >= 0 && charidx < kCharsetLen) {
          chars[j] = kFill[charidx];
        } else if (charidx >= kCharsetLen) {
          chars[j] = '|';
        }
      } else {
        if (labels && row - rows < kLabelMarginTop) {  // the blank line between bars and labels
          loop = true;
          break;
        }
        const int label_char = row - rows - kLabelMarginTop;
        if (static_cast<int>(s.label.size()) > label_char) {
          loop = true;
          chars[j] = s.label[static_cast<size_t>(label_char)];
        }
      }
    }
    if (!loop) break;
    out.append(chars).push_back('\n');
  }
}

}  // namespace

void render_sparkline(std::string& out, const std::vector<SparkSample>& samples, int columns, int rows) {
  if (samples.empty()) return;
  double min = samples[0].value, max = samples[0].value;
  bool labels = false;
  for (const auto& s : samples) {
    min = std::min(min, s.value);
    max = std::max(max, s.value);
    labels = labels || !s.label.empty();
  }
  const size_t cols = static_cast<size_t>(columns);
  for (size_t j = 0; j < samples.size(); j += cols) {
    if (j != 0) out.push_back('\n');
    render_range(out, samples, min, max, labels, rows, j, std::min(cols, samples.size() - j));
  }
}

}  // namespace shardcache::commands
