// Process-wide logging on spdlog. LOG_FORMAT=json gives one JSON object per line (for log
// shippers), anything else readable text; LOG_LEVEL is trace|debug|info|warn|error|fatal|silent
// (upstream's pino names). Call sites use spdlog's functions directly: spdlog::info(...).
// Never log a secret, a token or a key.
#pragma once

#include <string>
#include <string_view>

#include "base/errors.h"

namespace rafiki::log {

enum class Format { kText, kJson };

// Fails (without changing anything) on an unknown level or format name.
Result<void> init(std::string_view level, std::string_view format);

// JSON string escaping, as used by the JSON line format (exposed for tests).
std::string json_escape(std::string_view text);

}  // namespace rafiki::log
