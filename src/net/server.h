// HTTP/1.1 server on Asio coroutines (Beast inside server.cpp only). Keep-alive; every bound is
// a named limit answered in the protocol's own form with a JSON error body: a body over the
// limit → 413, headers over the limit → 431, a request not fully received in time → 408,
// too many connections → 503, a malformed request → 400; then the connection is closed. A
// handler that throws gets a 500 and a logged correlation id. The server keeps serving others.
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

struct ServerLimits {
  static constexpr std::size_t kBodyBytesMax = 1024 * 1024;
  static constexpr std::size_t kHeaderBytesMax = 16 * 1024;
  static constexpr std::chrono::milliseconds kRequestTimeout{30'000};
  static constexpr std::chrono::milliseconds kIdleTimeout{60'000};
  static constexpr std::size_t kConnectionsMax = 10'000;
  static constexpr std::chrono::milliseconds kShutdownGrace{10'000};

  std::size_t body_bytes_max = kBodyBytesMax;
  std::size_t header_bytes_max = kHeaderBytesMax;
  // From the first byte of a request until it is fully read; also bounds each response write.
  std::chrono::milliseconds request_timeout = kRequestTimeout;
  // How long a kept-alive connection may wait for its next request.
  std::chrono::milliseconds idle_timeout = kIdleTimeout;
  std::size_t connections_max = kConnectionsMax;
  // How long shutdown() lets in-flight requests finish before closing their connections.
  std::chrono::milliseconds shutdown_grace = kShutdownGrace;
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

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace rafiki::net
