// HttpClient's keep-alive pool: reuse, servers that close or drop connections, retries of
// idempotent requests only, bounds on idle connections, concurrent coroutines.
#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "net/client/harness.h"

namespace rafiki::testing::http_client {
namespace {

TEST_F(HttpClientTest, SequentialRequestsReuseOneConnection) {
  TestServer server(io_, http_server(echo, seen_));
  HttpClient client(io_.get_executor());
  std::vector<Result<ClientResponse>> responses;

  run([&]() -> asio::awaitable<void> {
    for (int i = 0; i < 10; ++i)
      responses.push_back(co_await client.get(server.url(fmt::format("/{}", i))));
  });

  ASSERT_EQ(responses.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(responses[i]) << responses[i].error().message;
    EXPECT_EQ(responses[i]->body, fmt::format("GET /{} ", i));
  }
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(client.idle_connections(), 1u);
}

TEST_F(HttpClientTest, WorksWhenServerClosesAfterEachResponse) {
  TestServer server(
      io_, http_server(
               [](const RawRequest&) { return http_response(200, "bye", "Connection: close\r\n"); },
               seen_, {.close_after_response = true}));
  HttpClient client(io_.get_executor());
  int ok = 0;

  run([&]() -> asio::awaitable<void> {
    for (int i = 0; i < 5; ++i) {
      auto response = co_await client.get(server.url("/"));
      if (response && response->body == "bye") ++ok;
    }
  });

  EXPECT_EQ(ok, 5);
  EXPECT_EQ(server.connections(), 5);
  EXPECT_EQ(client.idle_connections(), 0u);
}

TEST_F(HttpClientTest, WorksWhenServerSilentlyDropsIdleConnections) {
  // No "Connection: close": the client pools each connection and finds it closed (or has its
  // request dropped) next time.
  TestServer server(io_, http_server(echo, seen_, {.close_after_response = true}));
  HttpClient client(io_.get_executor());
  int ok = 0;

  run([&]() -> asio::awaitable<void> {
    for (int i = 0; i < 5; ++i) {
      auto response = co_await client.get(server.url("/"));
      if (response && response->status == 200) ++ok;
    }
  });

  EXPECT_EQ(ok, 5);
  EXPECT_EQ(server.connections(), 5);
}

TEST_F(HttpClientTest, RetriesIdempotentRequestDroppedOnAPooledConnection) {
  // Each connection answers one request, then reads the next and drops it unanswered: the
  // server closed a kept-alive connection just as the request arrived.
  TestServer server(io_, http_server(echo, seen_, {.answers_per_connection = 1}));
  HttpClient client(io_.get_executor());
  Result<ClientResponse> first, second;

  run([&]() -> asio::awaitable<void> {
    first = co_await client.get(server.url("/first"));
    second = co_await client.get(server.url("/second"));
  });

  ASSERT_TRUE(first) << first.error().message;
  ASSERT_TRUE(second) << second.error().code << ": " << second.error().message;
  EXPECT_EQ(second->body, "GET /second ");
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(seen_->count(), 3u);  // /first, /second dropped, /second again
}

TEST_F(HttpClientTest, NeverResendsAPostThatMayHaveReachedTheServer) {
  TestServer server(io_, http_server(echo, seen_, {.answers_per_connection = 1}));
  HttpClient client(io_.get_executor());
  Result<ClientResponse> first, second;

  run([&]() -> asio::awaitable<void> {
    first = co_await client.get(server.url("/first"));
    second = co_await client.post(server.url("/pay"), "once");
  });

  ASSERT_TRUE(first) << first.error().message;
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, "http.connect");
  EXPECT_EQ(server.connections(), 1);
  auto seen = seen_->all();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].method, "POST");
}

TEST_F(HttpClientTest, BoundsIdleConnectionsPerOrigin) {
  TestServer server(io_, http_server(echo, seen_));
  HttpClient client(io_.get_executor(), ClientOptions{.idle_connections_per_origin_max = 2});
  std::vector<Task> tasks;
  std::atomic<int> ok = 0;
  for (int i = 0; i < 5; ++i)
    tasks.push_back([&]() -> asio::awaitable<void> {
      auto response = co_await client.get(server.url("/"));
      if (response && response->status == 200) ++ok;
    });

  // All five start before any finishes, so each needs a connection of its own.
  run_all(io_, std::move(tasks));

  EXPECT_EQ(ok, 5);
  EXPECT_EQ(server.connections(), 5);
  EXPECT_EQ(client.idle_connections(), 2u);
  auto again = fetch(client, server.url("/"));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(server.connections(), 5);
}

TEST_F(HttpClientTest, NoReuseWhenIdleConnectionsAreDisabled) {
  TestServer server(io_, http_server(echo, seen_));
  HttpClient client(io_.get_executor(), ClientOptions{.idle_connections_per_origin_max = 0});

  for (int i = 0; i < 3; ++i) ASSERT_TRUE(fetch(client, server.url("/")));

  EXPECT_EQ(server.connections(), 3);
  EXPECT_EQ(client.idle_connections(), 0u);
}

TEST_F(HttpClientTest, ClosesIdleConnectionsAfterTheIdleTimeout) {
  TestServer server(io_, http_server(echo, seen_));
  HttpClient client(io_.get_executor(), ClientOptions{.idle_timeout_ms = 100});
  std::size_t idle_before = 0;

  run([&]() -> asio::awaitable<void> {
    co_await client.get(server.url("/"));
    idle_before = client.idle_connections();
    asio::steady_timer wait(io_, std::chrono::milliseconds(800));
    co_await wait.async_wait(kAsTuple);
  });

  EXPECT_EQ(idle_before, 1u);
  EXPECT_EQ(client.idle_connections(), 0u);
  EXPECT_EQ(seen_->closed_by_peer, 1);
  ASSERT_TRUE(fetch(client, server.url("/")));
  EXPECT_EQ(server.connections(), 2);
}

TEST_F(HttpClientTest, CloseIdleClosesPooledConnections) {
  TestServer server(io_, http_server(echo, seen_));
  HttpClient client(io_.get_executor());

  ASSERT_TRUE(fetch(client, server.url("/")));
  EXPECT_EQ(client.idle_connections(), 1u);
  client.close_idle();
  EXPECT_EQ(client.idle_connections(), 0u);
  ASSERT_TRUE(fetch(client, server.url("/")));

  EXPECT_EQ(server.connections(), 2);
}

TEST_F(HttpClientTest, ConcurrentRequestsFromManyCoroutinesGetTheirOwnResponses) {
  constexpr int kCoroutines = 64;
  constexpr int kRequestsEach = 5;
  TestServer server(io_, http_server(echo, seen_));
  HttpClient client(io_.get_executor());
  std::atomic<int> matched = 0;
  std::atomic<int> failed = 0;
  std::vector<Task> tasks;
  for (int i = 0; i < kCoroutines; ++i)
    tasks.push_back([&, i]() -> asio::awaitable<void> {
      for (int j = 0; j < kRequestsEach; ++j) {
        std::string tag = fmt::format("{}-{}", i, j);
        Headers headers;
        headers.set("X-Test", tag);
        // Named, not a temporary in the co_await: g++ 12 destroys such aggregates twice.
        ClientRequest request{
            .method = Method::kPost, .url = server.url("/" + tag), .headers = headers, .body = tag};
        auto response = co_await client.request(std::move(request));
        if (!response)
          ++failed;
        else if (response->body == fmt::format("POST /{} {}", tag, tag) &&
                 response->headers.get("x-echo") == tag)
          ++matched;
      }
    });

  run_all(io_, std::move(tasks), 4);

  EXPECT_EQ(failed, 0);
  EXPECT_EQ(matched, kCoroutines * kRequestsEach);
  EXPECT_LE(server.connections(), kCoroutines);
  EXPECT_LE(client.idle_connections(), rafiki::net::kClientIdleConnectionsPerOriginMaxDefault);
}

}  // namespace
}  // namespace rafiki::testing::http_client
