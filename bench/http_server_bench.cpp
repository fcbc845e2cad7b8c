// Load target for `make bench`: our HttpServer serving a trivial JSON route on ONE event-loop
// thread. Usage: http_server_bench <port>. Runs until SIGINT/SIGTERM.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <cstdio>
#include <cstdlib>

#include "base/log.h"
#include "net/server.h"

namespace asio = boost::asio;
using namespace rafiki::net;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: http_server_bench <port>\n");
    return 2;
  }
  (void)rafiki::log::init("warn", "text");
  asio::io_context io(1);
  Router router;
  router.get("/hello", [](Request&) -> asio::awaitable<Response> {
    co_return Response::json(200, R"({"hello":"world"})");
  });
  HttpServer server(io, "bench", router.handler());
  auto port = server.listen("127.0.0.1", static_cast<std::uint16_t>(std::atoi(argv[1])));
  if (!port) {
    std::fprintf(stderr, "%s\n", port.error().message.c_str());
    return 1;
  }
  server.start();
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](auto, int) { asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    co_await server.shutdown();
    io.stop();
  }, asio::detached); });
  io.run();
  return 0;
}
