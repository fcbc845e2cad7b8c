// HTTP/1.1 server on Asio coroutines (Beast inside server.cpp only). Keep-alive; every bound is
// a named limit answered in the protocol's own form with a JSON error body: a body over the
// limit → 413, headers over the limit → 431, a request not fully received in time → 408,
// too many connections (in all, or from one client address) → 503, too many request bytes held
// for one client address or for the listener → 503, a malformed request → 400; then the
// connection is closed. A handler that throws gets a 500 and a logged correlation id. The server
// keeps serving others: one client address can hold at most its share of connections and of
// request memory, and a slow client is dropped after short header and idle timeouts.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/errors.h"
#include "net/router.h"

namespace rafiki::net {

// Bounds of one listener. Per-client bounds count by remote IP address (an IPv4-mapped IPv6
// address counts as the IPv4 address, any other IPv6 address as its /64; loopback addresses
// are clients like any other). Behind a
// load balancer or reverse proxy every request comes from the proxy's address: raise the
// per-client bounds to the listener's (HTTP_CONNECTIONS_PER_CLIENT_MAX,
// HTTP_REQUEST_BYTES_PER_CLIENT_MAX; docs/configuration.md).
struct ServerLimits {
  static constexpr std::size_t kBodyBytesMax = 1024 * 1024;
  static constexpr std::size_t kHeaderBytesMax = 16 * 1024;
  // A client sends its header in one go; one that trickles it (slowloris) is dropped after this.
  static constexpr std::chrono::milliseconds kHeaderTimeout{10'000};
  static constexpr std::chrono::milliseconds kRequestTimeout{30'000};
  // Node.js's default keep-alive timeout, so upstream's clients see what they are used to; our
  // own client drops idle connections after 4 s (net/client.h), before the server does. A load
  // balancer that keeps idle connections longer needs this raised above its own idle timeout.
  static constexpr std::chrono::milliseconds kIdleTimeout{5'000};
  static constexpr std::size_t kConnectionsMax = 10'000;
  // Twice the idle keep-alive connections a peer connector of ours keeps to one endpoint
  // (1,024, backend/connector), so a busy peer never meets it; a fifth of kConnectionsMax, so
  // one address cannot take every slot.
  static constexpr std::size_t kConnectionsPerClientMax = 2'048;
  // Request bytes held for one address: 16 requests with the largest body at once, or thousands
  // of ILP packets of usual size in flight from one peer.
  static constexpr std::size_t kRequestBytesPerClientMax = 16 * 1024 * 1024;
  // Request bytes held by the listener for all clients: the memory budget of request buffering
  // (docs/architecture.md, "Limits"). Eight addresses at their cap fill it.
  static constexpr std::size_t kRequestBytesMax = 128 * 1024 * 1024;
  static constexpr std::chrono::milliseconds kShutdownGrace{10'000};
  // How long accepting pauses when the process is out of descriptors (EMFILE/ENFILE) or kernel
  // buffers, instead of retrying at once in a spin.
  static constexpr std::chrono::milliseconds kAcceptPauseOnExhaustion{100};

  std::size_t body_bytes_max = kBodyBytesMax;
  std::size_t header_bytes_max = kHeaderBytesMax;
  // From the first byte of a request until its header is complete (→ 408).
  std::chrono::milliseconds header_timeout = kHeaderTimeout;
  // From the first byte of a request until it is fully read; also bounds each response write.
  std::chrono::milliseconds request_timeout = kRequestTimeout;
  // How long a kept-alive connection may wait for its next request (closed without an answer).
  std::chrono::milliseconds idle_timeout = kIdleTimeout;
  std::size_t connections_max = kConnectionsMax;
  // Connections open at once from one client address; more are answered 503 and closed at once.
  std::size_t connections_per_client_max = kConnectionsPerClientMax;
  // Bytes held for the requests of one client address being read or handled: each request's
  // read buffer, its header, and its body — the declared Content-Length, reserved as soon as
  // the header arrives (before any of the body), or twice body_bytes_max for a chunked body. A
  // request that would go past it is answered 503 and its connection closed.
  std::size_t request_bytes_per_client_max = kRequestBytesPerClientMax;
  // The same, summed over all clients of the listener.
  std::size_t request_bytes_max = kRequestBytesMax;
  // How long shutdown() lets in-flight requests finish before closing their connections.
  std::chrono::milliseconds shutdown_grace = kShutdownGrace;
};

// What one client address holds on a listener now.
struct ClientUsage {
  std::size_t connections = 0;
  std::size_t request_bytes = 0;
};

class HttpServer {
 public:
  // `name` appears in logs ("backend admin"). The handler must outlive the server's run.
  HttpServer(boost::asio::io_context& io, std::string name, Handler handler,
             ServerLimits limits = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens. Port 0 picks a free port. Returns the bound port, or an error
  // ("net.listen") when the address is in use or invalid.
  Result<std::uint16_t> listen(std::string_view address, std::uint16_t port);
  // Starts accepting on the io_context given at construction.
  void start();
  // Stops accepting, closes idle connections, lets in-flight requests finish within the grace
  // period (their responses carry Connection: close), then closes whatever is left.
  boost::asio::awaitable<void> shutdown();

  std::uint16_t port() const;
  std::size_t connections() const;
  const std::string& name() const;
  // Request bytes held now for all clients (ServerLimits::request_bytes_max bounds it).
  std::size_t request_bytes() const;
  // What `address` holds now; zeros for an address with no connection or that does not parse.
  // An IPv4-mapped IPv6 address reads the IPv4 address's usage.
  ClientUsage client_usage(std::string_view address) const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace rafiki::net
