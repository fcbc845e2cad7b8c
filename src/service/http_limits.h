// The HTTP limits an operator sets for every listener of the process, from environment
// variables (docs/configuration.md); whatever is not set keeps net::ServerLimits' default.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/config.h"
#include "net/server.h"

namespace rafiki::service {

// The smallest per-client and per-listener request-byte budgets accepted: room for a chunked
// request with the largest body (charged twice the body limit) and its header.
inline constexpr std::size_t kHttpRequestBytesMin = 4 * 1024 * 1024;
inline constexpr std::size_t kHttpRequestBytesMaxAccepted = std::size_t{64} * 1024 * 1024 * 1024;
inline constexpr std::int64_t kHttpIdleTimeoutMsMax = 3'600'000;

// Reads HTTP_CONNECTIONS_PER_CLIENT_MAX, HTTP_REQUEST_BYTES_PER_CLIENT_MAX,
// HTTP_REQUEST_BYTES_MAX and HTTP_IDLE_TIMEOUT_MS. A value that is not a whole number within
// its range is recorded in `env`'s errors (the default is returned for it).
net::ServerLimits load_http_limits(config::EnvReader& env);

}  // namespace rafiki::service
