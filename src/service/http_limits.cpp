#include "service/http_limits.h"

namespace rafiki::service {

net::ServerLimits load_http_limits(config::EnvReader& env) {
  using Limits = net::ServerLimits;
  Limits limits;
  limits.connections_per_client_max = static_cast<std::size_t>(
      env.integer("HTTP_CONNECTIONS_PER_CLIENT_MAX", Limits::kConnectionsPerClientMax, 1,
                  static_cast<std::int64_t>(Limits::kConnectionsMax)));
  limits.request_bytes_per_client_max = static_cast<std::size_t>(
      env.integer("HTTP_REQUEST_BYTES_PER_CLIENT_MAX", Limits::kRequestBytesPerClientMax,
                  kHttpRequestBytesMin, kHttpRequestBytesMaxAccepted));
  limits.request_bytes_max =
      static_cast<std::size_t>(env.integer("HTTP_REQUEST_BYTES_MAX", Limits::kRequestBytesMax,
                                           kHttpRequestBytesMin, kHttpRequestBytesMaxAccepted));
  limits.idle_timeout = std::chrono::milliseconds(
      env.integer("HTTP_IDLE_TIMEOUT_MS", Limits::kIdleTimeout.count(), 1, kHttpIdleTimeoutMsMax));
  return limits;
}

}  // namespace rafiki::service
