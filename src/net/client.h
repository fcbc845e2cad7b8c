// HTTP/1.1 client for calls between services (token introspection, webhooks, ILP-over-HTTP,
// Open Payments to other wallets). Keeps a pool of idle keep-alive connections per origin,
// verifies TLS certificates and host names, bounds every phase with a timeout and the response
// with size limits, and follows redirects only when asked. Failures are values, never
// exceptions. Callers see our own Headers/Method types; Beast stays inside client.cpp.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/errors.h"
#include "net/address_policy.h"
#include "net/http.h"

namespace rafiki::net {

// Defaults. The idle timeout is below the 5 s keep-alive timeout of Node.js servers (upstream
// Rafiki's), so we drop a connection before the server does rather than race it.
inline constexpr std::uint32_t kClientConnectTimeoutMsDefault = 5'000;
inline constexpr std::uint32_t kClientRequestTimeoutMsDefault = 30'000;
inline constexpr std::size_t kClientResponseBodyBytesMaxDefault = 4 * 1024 * 1024;
inline constexpr std::size_t kClientResponseHeaderBytesMaxDefault = 16 * 1024;
inline constexpr std::size_t kClientIdleConnectionsPerOriginMaxDefault = 16;
inline constexpr std::uint32_t kClientIdleTimeoutMsDefault = 4'000;
// Hard ceiling on redirects followed for one request, whatever the options ask.
inline constexpr int kClientRedirectsMax = 20;

struct ClientOptions {
  // Resolving, connecting and the TLS handshake together.
  std::uint32_t connect_timeout_ms = kClientConnectTimeoutMsDefault;
  // Writing the request and reading the whole response together.
  std::uint32_t request_timeout_ms = kClientRequestTimeoutMsDefault;
  std::size_t response_body_bytes_max = kClientResponseBodyBytesMaxDefault;
  std::size_t response_header_bytes_max = kClientResponseHeaderBytesMaxDefault;
  // 0 disables keep-alive reuse: every request gets a new connection.
  std::size_t idle_connections_per_origin_max = kClientIdleConnectionsPerOriginMaxDefault;
  std::uint32_t idle_timeout_ms = kClientIdleTimeoutMsDefault;
  // 0: a 3xx is returned as is. N: up to N redirects are followed (at most kClientRedirectsMax).
  int redirects_max = 0;
  // Certificate chain and host-name verification against the system CA store. Turning it off
  // is for local development only.
  bool tls_verify = true;
  // A PEM file of extra trusted CAs (e.g. a test or private CA), added to the system store.
  std::string tls_extra_ca_file;
};

// Build a ClientRequest in a named variable, not as a braced temporary inside the co_await
// expression: g++ 12 destroys an aggregate temporary there twice (a compiler bug).
struct ClientRequest {
  Method method = Method::kGet;  // kOther is refused
  std::string url;               // absolute http:// or https:// URL
  Headers headers;               // Host, Content-Length and Transfer-Encoding are set by the client
  std::string body;
  std::optional<std::uint32_t> timeout_ms;  // overrides ClientOptions::request_timeout_ms
  std::optional<int> redirects_max;         // overrides ClientOptions::redirects_max
  // Addresses the request may connect to (net/address_policy.h), checked on every resolved
  // address before connecting, for every redirect too. Pooled connections are kept apart per
  // policy, so a restricted request never reuses a connection opened without the restriction.
  AddressPolicy address_policy = AddressPolicy::kAny;
};

struct ClientResponse {
  int status = 0;
  Headers headers;
  std::string body;
};

// Error codes of HttpClient::request:
//   "http.url"            not an absolute http(s) URL with a host (or userinfo given)
//   "http.request"        a method or header the client refuses to send (kOther, CR/LF, ...)
//   "http.connect"        name resolution or connection failed, or the connection was lost
//                         before a complete response arrived
//   "http.forbidden_address" every address the host resolves to is one the request's
//                         address_policy forbids; nothing was sent
//   "http.timeout"        the connect or request timeout passed
//   "http.tls"            TLS handshake or certificate/host-name verification failed, or the
//                         extra CA file could not be loaded
//   "http.body_too_large" the response body exceeds response_body_bytes_max
//   "http.protocol"       the response is not valid HTTP/1.1 (including headers larger than
//                         response_header_bytes_max, or a redirect without a usable Location)
//
// Thread-safe: one client may be used by many coroutines on an io_context run by many threads.
// Copies share the same pool. Requests in flight keep the pool alive; idle connections are
// closed when the last copy is destroyed.
class HttpClient {
 public:
  // Sockets and timers are created on `executor`; the io_context behind it must outlive the
  // client. A bad tls_extra_ca_file is reported by every https request ("http.tls").
  explicit HttpClient(boost::asio::any_io_executor executor, ClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&);
  HttpClient& operator=(const HttpClient&);
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;

  // Sends one request and reads the whole response. A request that failed on a reused
  // connection before any response byte arrived is retried once on a new connection, but only
  // when it was never written or its method is idempotent (GET, HEAD, PUT, DELETE, OPTIONS).
  boost::asio::awaitable<Result<ClientResponse>> request(ClientRequest request);
  boost::asio::awaitable<Result<ClientResponse>> get(std::string url, Headers headers = {});
  boost::asio::awaitable<Result<ClientResponse>> post(std::string url, std::string body,
                                                      Headers headers = {});

  // Idle connections currently pooled for all origins (for tests and metrics).
  std::size_t idle_connections() const;
  // Closes every idle connection now.
  void close_idle();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace rafiki::net
