// `make bench`: a simple parameterised query through our PostgreSQL pool, at several
// concurrencies, on one event-loop thread. Prints "concurrency queries/s p50_us p99_us".
// Usage: pg_query_bench <postgresql-url> [seconds]
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "base/log.h"
#include "store/pg.h"

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using namespace rafiki;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: pg_query_bench <postgresql-url> [seconds]\n");
    return 2;
  }
  (void)log::init("warn", "text");
  const auto duration = std::chrono::seconds(argc > 2 ? std::atoi(argv[2]) : 5);
  for (int concurrency : {1, 16, 64}) {
    asio::io_context io(1);
    store::PgConfig config;
    config.url = argv[1];
    config.max_connections = std::min(concurrency, 16);
    auto pool = store::PgPool::create(io.get_executor(), config);
    if (!pool) {
      std::fprintf(stderr, "%s\n", pool.error().message.c_str());
      return 1;
    }
    std::vector<std::vector<std::int64_t>> latencies(static_cast<std::size_t>(concurrency));
    int failures = 0;
    int running = concurrency;
    auto end = Clock::now() + duration;
    for (int i = 0; i < concurrency; ++i) {
      asio::co_spawn(io, [&, i]() -> asio::awaitable<void> {
        auto& mine = latencies[static_cast<std::size_t>(i)];
        std::int64_t n = 0;
        while (Clock::now() < end) {
          auto start = Clock::now();
          auto r = co_await pool->query("SELECT $1::bigint + 1", n++);
          if (!r && failures++ == 0) std::fprintf(stderr, "first failure: %s %s\n", r.error().code.c_str(), r.error().message.c_str());
          mine.push_back(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
        }
        if (--running == 0) io.stop();
      }, asio::detached);
    }
    auto started = Clock::now();
    io.run();
    double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    std::vector<std::int64_t> all;
    for (auto& v : latencies) all.insert(all.end(), v.begin(), v.end());
    std::sort(all.begin(), all.end());
    auto pct = [&](double p) { return all.empty() ? 0 : all[static_cast<std::size_t>(p * (all.size() - 1))]; };
    std::printf("%d %.0f %lld %lld %d\n", concurrency, all.size() / seconds, (long long)pct(0.5),
                (long long)pct(0.99), failures);
  }
  return 0;
}
