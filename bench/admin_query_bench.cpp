// Load driver for `make bench`: an Admin GraphQL query sent by `connections` concurrent
// keep-alive clients for `seconds`, each request signed (tenant-id + HMAC signature, a new
// header every time since the backend refuses replays). Prints "<requests/s> <p50 ms> <p99 ms>
// <failures>". Usage: admin_query_bench <url> <tenant-id> <secret> <seconds> <connections>
// <query>. A wrk script cannot compute the HMAC, hence this driver.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "backend/admin/signature.h"
#include "base/log.h"
#include "base/time.h"
#include "net/client.h"

namespace asio = boost::asio;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr,
                 "usage: admin_query_bench <url> <tenant-id> <secret> <seconds> <connections> "
                 "<query>\n");
    return 2;
  }
  (void)rafiki::log::init("warn", "text");
  const std::string url = argv[1], tenant = argv[2], secret = argv[3], query = argv[6];
  const auto seconds = std::chrono::seconds(std::atoi(argv[4]));
  const int connections = std::atoi(argv[5]);
  asio::io_context io(1);
  rafiki::net::ClientOptions options;
  options.idle_connections_per_origin_max = static_cast<std::size_t>(connections);
  rafiki::net::HttpClient client(io.get_executor(), options);
  std::vector<double> latencies_ms;
  long failures = 0;
  long sequence = 0;
  const auto end = Clock::now() + seconds;
  auto worker = [&]() -> asio::awaitable<void> {
    while (Clock::now() < end) {
      // A comment makes every body, hence every signature, unique.
      json::object body{{"query", query + "\n# " + std::to_string(sequence++)}};
      std::string text = json::serialize(body);
      auto signature = rafiki::backend::admin::sign_request_body(
          secret, 1, rafiki::now_ms().time_since_epoch().count(), text);
      rafiki::net::Headers headers;
      headers.set("content-type", "application/json");
      headers.set("tenant-id", tenant);
      headers.set("signature", *signature);
      const auto start = Clock::now();
      auto r = co_await client.post(url, std::move(text), std::move(headers));
      const auto elapsed = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      if (!r || r->status != 200 || r->body.find("\"errors\"") != std::string::npos) {
        if (failures++ == 0) {
          std::fprintf(stderr, "first failure: %s\n",
                       r ? (std::to_string(r->status) + " " + r->body.substr(0, 300)).c_str()
                         : r.error().message.c_str());
        }
        continue;
      }
      latencies_ms.push_back(elapsed);
    }
  };
  const auto started = Clock::now();
  for (int i = 0; i < connections; ++i) asio::co_spawn(io, worker(), asio::detached);
  io.run();
  const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    if (latencies_ms.empty()) return 0.0;
    return latencies_ms[std::min(
        latencies_ms.size() - 1,
        static_cast<std::size_t>(p * static_cast<double>(latencies_ms.size())))];
  };
  std::printf("%.0f %.2f %.2f %ld\n", static_cast<double>(latencies_ms.size()) / elapsed, pct(0.50),
              pct(0.99), failures);
  return 0;
}
