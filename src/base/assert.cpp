#include "base/assert.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>

namespace rafiki {

void assertion_failed(std::string_view expression, std::string_view message,
                      std::source_location where) {
  const std::string text = fmt::format("invariant broken: {}: {} at {}:{} ({})", expression, message,
                                       where.file_name(), where.line(), where.function_name());
  // Straight to stderr too: the log may be buffered, filtered or not set up yet.
  std::fputs((text + "\n").c_str(), stderr);
  spdlog::critical("{}", text);
  spdlog::default_logger()->flush();
  std::abort();
}

}  // namespace rafiki
