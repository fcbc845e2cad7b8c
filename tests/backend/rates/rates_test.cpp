// The exchange-rates client against a real loopback HTTP server that counts requests.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backend/rates/client.h"
#include "net/server.h"
#include "store/async_util.h"

namespace rafiki::testing {
namespace {

namespace asio = boost::asio;
namespace rates = rafiki::backend::rates;
using std::chrono::milliseconds;

// What the rates server answers; changed by the tests between requests.
struct RatesState {
  std::mutex mutex;
  int status = 200;
  std::string body = R"({"base":"USD","rates":{"EUR":1.1602,"ZAR":17.3792}})";
  int delay_ms = 0;
  std::vector<std::string> queries;  // base parameter of each request
  std::size_t count() {
    std::lock_guard lock(mutex);
    return queries.size();
  }
};

asio::awaitable<net::Response> serve(std::shared_ptr<RatesState> state, net::Request& request) {
  int status = 200, delay = 0;
  std::string body;
  {
    std::lock_guard lock(state->mutex);
    state->queries.push_back(request.query_param("base").value_or("<none>"));
    status = state->status;
    body = state->body;
    delay = state->delay_ms;
  }
  if (delay > 0) co_await sleep_ms(delay);
  co_return net::Response::json(status, body);
}

struct RatesServer {
  explicit RatesServer(asio::io_context& io) : state(std::make_shared<RatesState>()) {
    net::ServerLimits limits;
    limits.shutdown_grace = milliseconds(50);
    auto s = state;
    server = std::make_unique<net::HttpServer>(
        io, "rates", [s](net::Request& r) { return serve(s, r); }, limits);
    auto port = server->listen("127.0.0.1", 0);
    if (!port) throw std::runtime_error(port.error().message);
    url = "http://127.0.0.1:" + std::to_string(*port) + "/rates";
    server->start();
  }
  std::shared_ptr<RatesState> state;
  std::unique_ptr<net::HttpServer> server;
  std::string url;
};

std::atomic<std::int64_t> g_clock_ms{0};
std::int64_t fake_clock() {
  return g_clock_ms.load();
}

rates::RatesClientOptions options(std::int64_t lifetime_ms = 15'000) {
  rates::RatesClientOptions o;
  o.lifetime_ms = lifetime_ms;
  o.clock = fake_clock;
  return o;
}

template <class F>
void run_test(F body, int threads = 1) {
  asio::io_context io(threads);
  std::exception_ptr failure;
  asio::co_spawn(io, body(io), [&](std::exception_ptr e) { failure = e; });
  std::vector<std::thread> helpers;
  for (int i = 1; i < threads; ++i) helpers.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : helpers) t.join();
  if (failure) std::rethrow_exception(failure);
}

TEST(RatesClient, FetchesWithTheBaseParameterAndParsesTheContract) {
  run_test([](asio::io_context& io) -> asio::awaitable<void> {
    RatesServer server(io);
    rates::RatesClient client(io.get_executor(), rates::RatesClient::fixed_url(server.url),
                              options());
    auto table = co_await client.rates("tenant-1", "USD");
    CO_ASSERT_OK(table);
    EXPECT_EQ((*table)->base, "USD");
    EXPECT_EQ((*table)->rates.at("EUR").mantissa, 11602u);
    EXPECT_EQ((*table)->rates.at("ZAR").exponent, -4);
    EXPECT_EQ(server.state->queries, std::vector<std::string>{"USD"});
    auto converted = co_await client.convert(10'000, rates::AssetRef{"USD", 2},
                                             rates::AssetRef{"EUR", 2}, "tenant-1");
    CO_ASSERT_OK(converted);
    EXPECT_EQ(*converted, 11'602u);
    // Same code: no rates needed.
    auto same = co_await client.convert(5, rates::AssetRef{"XYZ", 0}, rates::AssetRef{"XYZ", 2},
                                        "tenant-1");
    CO_ASSERT_OK(same);
    EXPECT_EQ(*same, 500u);
    EXPECT_EQ(server.state->count(), 1u);  // the second convert used the cache
    co_await server.server->shutdown();
  });
}

TEST(RatesClient, AnExistingQueryStringIsKept) {
  run_test([](asio::io_context& io) -> asio::awaitable<void> {
    RatesServer server(io);
    rates::RatesClient client(io.get_executor(), rates::RatesClient::fixed_url(std::nullopt),
                              options());
    auto table = co_await client.rates_from(server.url + "?key=abc", "USD");
    CO_ASSERT_OK(table);
    EXPECT_EQ(server.state->queries, std::vector<std::string>{"USD"});
    co_await server.server->shutdown();
  });
}

TEST(RatesClient, CachesPerBaseForTheLifetime) {
  run_test([](asio::io_context& io) -> asio::awaitable<void> {
    RatesServer server(io);
    rates::RatesClient client(io.get_executor(), rates::RatesClient::fixed_url(server.url),
                              options(15'000));
    g_clock_ms = 1'000'000;
    CO_ASSERT_OK(co_await client.rates("t", "USD"));
    CO_ASSERT_OK(co_await client.rates("t", "USD"));
    EXPECT_EQ(server.state->count(), 1u);
    {
      std::lock_guard lock(server.state->mutex);
      server.state->body = R"({"base":"EUR","rates":{"USD":0.86}})";
    }
    CO_ASSERT_OK(co_await client.rates("t", "EUR"));  // another base: its own entry
    EXPECT_EQ(server.state->count(), 2u);
    g_clock_ms += 14'999;
    CO_ASSERT_OK(co_await client.rates("t", "EUR"));
    EXPECT_EQ(server.state->count(), 2u);
    g_clock_ms += 1;  // expired
    {
      std::lock_guard lock(server.state->mutex);
      server.state->body = R"({"base":"EUR","rates":{"USD":0.9}})";
    }
    auto fresh = co_await client.rates("t", "EUR");
    CO_ASSERT_OK(fresh);
    EXPECT_EQ((*fresh)->rates.at("USD").mantissa, 9u);
    EXPECT_EQ(server.state->count(), 3u);
    EXPECT_EQ(client.fetches(), 3u);
    EXPECT_EQ(client.cache_size(), 2u);
    co_await server.server->shutdown();
  });
}

TEST(RatesClient, ConcurrentCallersShareOneFetch) {
  run_test(
      [](asio::io_context& io) -> asio::awaitable<void> {
        RatesServer server(io);
        server.state->delay_ms = 100;
        rates::RatesClient client(io.get_executor(), rates::RatesClient::fixed_url(server.url),
                                  options());
        g_clock_ms = 5'000'000;
        std::atomic<int> ok{0};
        std::vector<asio::awaitable<void>> callers;
        for (int i = 0; i < 50; ++i) {
          callers.push_back(
              [](rates::RatesClient& c, std::atomic<int>& n) -> asio::awaitable<void> {
                auto t = co_await c.rates("t", "USD");
                if (t && (*t)->rates.count("EUR") == 1) ++n;
              }(client, ok));
        }
        co_await join_all(std::move(callers));
        EXPECT_EQ(ok.load(), 50);
        EXPECT_EQ(server.state->count(), 1u);
        EXPECT_EQ(client.fetches(), 1u);
        co_await server.server->shutdown();
      },
      4);
}

TEST(RatesClient, ServerErrorsAndGarbageAreCouldNotFetchAndNotCached) {
  run_test([](asio::io_context& io) -> asio::awaitable<void> {
    RatesServer server(io);
    rates::RatesClient client(io.get_executor(), rates::RatesClient::fixed_url(server.url),
                              options());
    struct Case {
      int status;
      std::string body;
      const char* code;
    };
    std::vector<Case> cases = {
        {500, R"({"base":"USD","rates":{}})", rates::kErrCouldNotFetch},
        {404, "", rates::kErrCouldNotFetch},
        {201, R"({"base":"USD","rates":{}})", rates::kErrCouldNotFetch},
        {200, "<html>not json</html>", rates::kErrCouldNotFetch},
        {200, "", rates::kErrCouldNotFetch},
        {200, R"([1,2,3])", rates::kErrCouldNotFetch},
        {200, R"({"rates":{"EUR":1}})", rates::kErrMissingBaseAsset},
        {200, R"({"base":7,"rates":{"EUR":1}})", rates::kErrInvalidBaseAsset},
        {200, R"({"base":"USD"})", rates::kErrCouldNotFetch},
        {200, R"({"base":"USD","rates":[1]})", rates::kErrCouldNotFetch},
        {200, R"({"base":"GBP","rates":{"EUR":1}})", rates::kErrCouldNotFetch},  // other base
        {200, R"({"base":"USD","rates":{"EUR":1)", rates::kErrCouldNotFetch},    // truncated
    };
    std::size_t requests = 0;
    for (const auto& c : cases) {
      {
        std::lock_guard lock(server.state->mutex);
        server.state->status = c.status;
        server.state->body = c.body;
      }
      auto r = co_await client.rates("t", "USD");
      ++requests;
      EXPECT_FALSE(r) << c.status << " " << c.body;
      if (!r) {
        EXPECT_EQ(r.error().code, c.code) << c.body << ": " << r.error().message;
      }
      EXPECT_EQ(server.state->count(), requests);  // failures are not cached
    }
    EXPECT_EQ(client.cache_size(), 0u);
    // Odd rate values are kept as unusable rates: conversion says InvalidDestinationPrice.
    {
      std::lock_guard lock(server.state->mutex);
      server.state->status = 200;
      server.state->body =
          R"({"base":"USD","rates":{"EUR":"1.1","GBP":null,"JPY":-3,"CHF":0,"XRP":2}})";
    }
    for (auto code : {"EUR", "GBP", "JPY", "CHF", "NOK"}) {
      auto r =
          co_await client.convert(100, rates::AssetRef{"USD", 2}, rates::AssetRef{code, 2}, "t");
      CO_ASSERT(!r);
      EXPECT_EQ(r.error().code, rates::kErrInvalidDestinationPrice) << code;
    }
    auto xrp =
        co_await client.convert(100, rates::AssetRef{"USD", 2}, rates::AssetRef{"XRP", 2}, "t");
    CO_ASSERT_OK(xrp);
    EXPECT_EQ(*xrp, 200u);
    co_await server.server->shutdown();
  });
}

TEST(RatesClient, OversizedAnswersAreRefused) {
  run_test([](asio::io_context& io) -> asio::awaitable<void> {
    RatesServer server(io);
    rates::RatesClient client(io.get_executor(), rates::RatesClient::fixed_url(server.url),
                              options());
    std::string body = R"({"base":"USD","rates":{)";
    for (std::size_t i = 0; i <= rates::RatesClientOptions::kRatesPerTableMax; ++i) {
      body += (i ? "," : "") + std::string("\"C") + std::to_string(i) + "\":1";
    }
    body += "}}";
    server.state->body = body;
    auto r = co_await client.rates("t", "USD");
    CO_ASSERT(!r);
    EXPECT_EQ(r.error().code, rates::kErrCouldNotFetch);
    server.state->body = std::string(rates::RatesClientOptions::kResponseBytesMax + 1, ' ');
    r = co_await client.rates("t", "USD");
    CO_ASSERT(!r);
    EXPECT_EQ(r.error().code, rates::kErrCouldNotFetch);
    co_await server.server->shutdown();
  });
}

TEST(RatesClient, ATimeoutIsCouldNotFetchAndWaitersAllGetIt) {
  run_test([](asio::io_context& io) -> asio::awaitable<void> {
    RatesServer server(io);
    server.state->delay_ms = 1'000;
    auto o = options();
    o.timeout_ms = 100;
    rates::RatesClient client(io.get_executor(), rates::RatesClient::fixed_url(server.url), o);
    std::atomic<int> timed_out{0};
    std::vector<asio::awaitable<void>> callers;
    for (int i = 0; i < 5; ++i) {
      callers.push_back([](rates::RatesClient& c, std::atomic<int>& n) -> asio::awaitable<void> {
        auto t = co_await c.rates("t", "USD");
        if (!t && t.error().code == rates::kErrCouldNotFetch) ++n;
      }(client, timed_out));
    }
    co_await join_all(std::move(callers));
    EXPECT_EQ(timed_out.load(), 5);
    EXPECT_EQ(client.fetches(), 1u);
    co_await server.server->shutdown();
  });
}

TEST(RatesClient, NoServerIsCouldNotFetch) {
  run_test([](asio::io_context& io) -> asio::awaitable<void> {
    std::string url;
    {
      RatesServer server(io);  // bound then closed: nothing listens on the port
      url = server.url;
      co_await server.server->shutdown();
    }
    rates::RatesClient client(io.get_executor(), rates::RatesClient::fixed_url(url), options());
    auto r = co_await client.rates("t", "USD");
    CO_ASSERT(!r);
    EXPECT_EQ(r.error().code, rates::kErrCouldNotFetch);
  });
}

TEST(RatesClient, MissingUrlAndBadBases) {
  run_test([](asio::io_context& io) -> asio::awaitable<void> {
    rates::RatesClient none(io.get_executor(), rates::RatesClient::fixed_url(std::nullopt),
                            options());
    auto r = co_await none.rates("t", "USD");
    CO_ASSERT(!r);
    EXPECT_EQ(r.error().code, rates::kErrMissingUrl);
    EXPECT_EQ(r.error().message, "Exchange rate conversion currently not supported");
    auto empty = co_await none.rates_from("http://127.0.0.1:1/rates", "");
    CO_ASSERT(!empty);
    EXPECT_EQ(empty.error().code, rates::kErrInvalidBaseAsset);
    auto huge = co_await none.rates_from("http://127.0.0.1:1/rates", std::string(1000, 'X'));
    CO_ASSERT(!huge);
    EXPECT_EQ(huge.error().code, rates::kErrInvalidBaseAsset);
    EXPECT_EQ(none.fetches(), 0u);
  });
}

TEST(RatesClient, PerTenantUrls) {
  run_test([](asio::io_context& io) -> asio::awaitable<void> {
    RatesServer a(io), b(io);
    {
      std::lock_guard lock(b.state->mutex);
      b.state->body = R"({"base":"USD","rates":{"EUR":2}})";
    }
    // "tr" is a tenant whose own URL obeys the outbound policy: public addresses only.
    std::map<std::string, std::string> urls = {{"ta", a.url}, {"tb", b.url}, {"tr", a.url}};
    rates::RatesClient client(
        io.get_executor(),
        [&urls](
            std::string tenant) -> asio::awaitable<Result<std::optional<rates::RatesEndpoint>>> {
          auto it = urls.find(tenant);
          if (it == urls.end()) co_return std::optional<rates::RatesEndpoint>{};
          rates::RatesEndpoint endpoint;
          endpoint.url = it->second;
          if (tenant == "tr") endpoint.address_policy = net::AddressPolicy::kPublicOnly;
          co_return std::optional<rates::RatesEndpoint>(std::move(endpoint));
        },
        options());
    auto ra =
        co_await client.convert(100, rates::AssetRef{"USD", 2}, rates::AssetRef{"EUR", 2}, "ta");
    auto rb =
        co_await client.convert(100, rates::AssetRef{"USD", 2}, rates::AssetRef{"EUR", 2}, "tb");
    CO_ASSERT_OK(ra);
    CO_ASSERT_OK(rb);
    EXPECT_EQ(*ra, 116u);
    EXPECT_EQ(*rb, 200u);
    auto rc = co_await client.rates("tc", "USD");
    CO_ASSERT(!rc);
    EXPECT_EQ(rc.error().code, rates::kErrMissingUrl);
    // The same URL, already cached for "ta", is not served to "tr", whose request is refused
    // before connecting (loopback) and reaches nothing.
    const std::size_t fetched = a.state->count();
    auto refused = co_await client.rates("tr", "USD");
    CO_ASSERT(!refused);
    EXPECT_EQ(refused.error().code, rates::kErrCouldNotFetch);
    EXPECT_EQ(a.state->count(), fetched);
    co_await a.server->shutdown();
    co_await b.server->shutdown();
  });
}

TEST(RatesClient, TheCacheIsBounded) {
  run_test([](asio::io_context& io) -> asio::awaitable<void> {
    RatesServer server(io);
    auto o = options();
    o.cache_entries_max = 3;
    rates::RatesClient client(io.get_executor(), rates::RatesClient::fixed_url(server.url), o);
    for (auto base : {"AAA", "BBB", "CCC", "DDD", "EEE"}) {
      {
        std::lock_guard lock(server.state->mutex);
        server.state->body = std::string(R"({"base":")") + base + R"(","rates":{}})";
      }
      CO_ASSERT_OK(co_await client.rates("t", base));
      EXPECT_LE(client.cache_size(), 3u);
    }
    co_await server.server->shutdown();
  });
}

}  // namespace
}  // namespace rafiki::testing
