// The Admin API over real loopback HTTP, mounted as in production (the signature middleware
// included), and a helper that signs a body as a tenant.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "backend/admin/signature.h"
#include "backend/admin_harness.h"
#include "net/client.h"
#include "net/router.h"
#include "net/server.h"

namespace rafiki::backend::test {

// The Admin API mounted as in production (signature middleware included) on a loopback server.
struct SignedServer {
  explicit SignedServer(AdminHarness& h) : harness(h) {
    mount_admin_api(router, h.schema(), h.backend());
    server = std::make_unique<net::HttpServer>(h.io(), "admin test", router.handler());
    auto bound = server->listen("127.0.0.1", 0);
    if (!bound) throw std::runtime_error(bound.error().message);
    port = *bound;
    server->start();
  }
  ~SignedServer() { harness.wait(server->shutdown()); }

  // Sends one request to `target` (e.g. "/graphql"); returns (status, body).
  std::pair<int, std::string> send(net::Method method, const std::string& target,
                                   const std::string& body, net::Headers headers) {
    return harness.wait([&]() -> asio::awaitable<std::pair<int, std::string>> {
      net::HttpClient client(harness.io().get_executor());
      if (!body.empty()) headers.set("content-type", "application/json");
      net::ClientRequest request;
      request.method = method;
      request.url = "http://127.0.0.1:" + std::to_string(port) + target;
      request.headers = headers;
      request.body = body;
      auto r = co_await client.request(std::move(request));
      if (!r) co_return std::pair<int, std::string>{-1, r.error().message};
      co_return std::pair<int, std::string>{r->status, r->body};
    }());
  }

  // POSTs `body` to /graphql with the given headers; returns (status, body).
  std::pair<int, std::string> post(const std::string& body, net::Headers headers) {
    return send(net::Method::kPost, "/graphql", body, std::move(headers));
  }

  AdminHarness& harness;
  net::Router router;
  std::unique_ptr<net::HttpServer> server;
  std::uint16_t port = 0;
};

inline net::Headers signed_headers(const std::string& tenant, const std::string& secret,
                                   const std::string& body, std::int64_t at_ms) {
  net::Headers headers;
  headers.set("tenant-id", tenant);
  headers.set("signature", *admin::sign_request_body(secret, 1, at_ms, body));
  return headers;
}

}  // namespace rafiki::backend::test
