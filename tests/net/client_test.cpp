// HttpClient against small loopback servers written with raw Asio sockets, so each test controls
// exactly what the server does: answer, keep or drop the connection, stall, send garbage, speak
// TLS with a certificate made here.
#include "net/client.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

// Designated initializers leave the other fields at their defaults, which is the point; g++ 12
// warns about it anyway.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using rafiki::Result;
using rafiki::net::AddressPolicy;
using rafiki::net::ClientOptions;
using rafiki::net::ClientRequest;
using rafiki::net::ClientResponse;
using rafiki::net::Headers;
using rafiki::net::HttpClient;
using rafiki::net::Method;

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
// A client that hangs fails its test after this long instead of hanging the whole run.
constexpr auto kTestDeadline = std::chrono::seconds(30);
// Timeouts the tests provoke, and the generous bound within which the error must arrive.
constexpr std::uint32_t kShortTimeoutMs = 200;
constexpr auto kTimeoutErrorBound = std::chrono::seconds(10);

using Task = std::function<asio::awaitable<void>()>;

// Runs `tasks` as coroutines on `io` (with `threads` threads) until all have finished.
void run_all(asio::io_context& io, std::vector<Task> tasks, int threads = 1) {
  struct State {
    std::atomic<std::size_t> left;
    std::atomic<bool> timed_out{false};
  };
  auto state = std::make_shared<State>();
  state->left = tasks.size();
  asio::steady_timer deadline(io, kTestDeadline);
  deadline.async_wait([state, &io](const boost::system::error_code& ec) {
    if (ec) return;
    state->timed_out = true;
    io.stop();
  });
  for (auto& task : tasks) {
    asio::co_spawn(io, task(), [state, &io, &deadline](std::exception_ptr error) {
      if (error) {
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          ADD_FAILURE() << "task threw: " << e.what();
        }
      }
      if (--state->left == 0) {
        deadline.cancel();
        io.stop();
      }
    });
  }
  io.restart();
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& thread : pool) thread.join();
  EXPECT_FALSE(state->timed_out) << "test coroutines did not finish in time";
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP on the server side.

struct RawRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::optional<std::string> header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (rafiki::net::iequals(k, name)) return v;
    return std::nullopt;
  }
};

// Reads one request framed by Content-Length; nullopt when the peer closed or sent garbage.
template <class Stream>
asio::awaitable<std::optional<RawRequest>> read_request(Stream& stream, std::string& buffer) {
  auto [ec, head_size] =
      co_await asio::async_read_until(stream, asio::dynamic_buffer(buffer), "\r\n\r\n", kAsTuple);
  if (ec) co_return std::nullopt;
  std::string head = buffer.substr(0, head_size - 2);
  buffer.erase(0, head_size);
  RawRequest request;
  std::size_t line_end = head.find("\r\n");
  std::string line = head.substr(0, line_end);
  auto first_space = line.find(' ');
  auto second_space = line.find(' ', first_space + 1);
  if (first_space == std::string::npos || second_space == std::string::npos) co_return std::nullopt;
  request.method = line.substr(0, first_space);
  request.target = line.substr(first_space + 1, second_space - first_space - 1);
  for (std::size_t at = line_end + 2; at < head.size();) {
    std::size_t end = head.find("\r\n", at);
    std::string field = head.substr(at, end - at);
    at = end + 2;
    auto colon = field.find(':');
    if (colon == std::string::npos) co_return std::nullopt;
    std::string value = field.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    request.headers.emplace_back(field.substr(0, colon), value);
  }
  std::size_t length = std::stoul(request.header("content-length").value_or("0"));
  if (buffer.size() < length) {
    auto [read_ec, read] =
        co_await asio::async_read(stream, asio::dynamic_buffer(buffer),
                                  asio::transfer_exactly(length - buffer.size()), kAsTuple);
    if (read_ec) co_return std::nullopt;
  }
  request.body = buffer.substr(0, length);
  buffer.erase(0, length);
  co_return request;
}

std::string http_response(int status, std::string_view body, std::string_view extra_headers = "",
                          std::string_view reason = "Whatever") {
  return fmt::format("HTTP/1.1 {} {}\r\nContent-Length: {}\r\n{}\r\n{}", status, reason,
                     body.size(), extra_headers, body);
}

// What the servers of one test have seen, shared across connections and threads.
struct Seen {
  void add(RawRequest request) {
    std::lock_guard lock(mutex);
    requests.push_back(std::move(request));
  }
  std::vector<RawRequest> all() const {
    std::lock_guard lock(mutex);
    return requests;
  }
  std::size_t count() const {
    std::lock_guard lock(mutex);
    return requests.size();
  }
  mutable std::mutex mutex;
  std::vector<RawRequest> requests;
  std::atomic<int> closed_by_peer{0};  // connections the client closed
};

// Accepts loopback connections and hands each to `serve`, counting them.
class TestServer {
 public:
  using Serve = std::function<asio::awaitable<void>(tcp::socket)>;

  TestServer(asio::io_context& io, Serve serve)
      : acceptor_(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0)),
        serve_(std::move(serve)) {
    asio::co_spawn(io, accept_loop(), asio::detached);
  }
  ~TestServer() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  }

  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  std::string url(std::string_view path = "/") const {
    return fmt::format("http://127.0.0.1:{}{}", port(), path);
  }
  int connections() const { return connections_; }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kAsTuple);
      if (ec) co_return;
      ++connections_;
      asio::co_spawn(acceptor_.get_executor(), serve_(std::move(socket)), asio::detached);
    }
  }

  tcp::acceptor acceptor_;
  Serve serve_;
  std::atomic<int> connections_{0};
};

using Answer = std::function<std::string(const RawRequest&)>;

struct ServeOptions {
  bool close_after_response = false;  // drop the connection after each answer
  int answers_per_connection = -1;    // after that many, read one more request and drop it
};

template <class Stream>
asio::awaitable<void> serve_http_on(Stream& stream, Answer answer, ServeOptions options,
                                    std::shared_ptr<Seen> seen) {
  std::string buffer;
  for (int answered = 0;; ++answered) {
    auto request = co_await read_request(stream, buffer);
    if (!request) {
      ++seen->closed_by_peer;
      co_return;
    }
    seen->add(*request);
    if (answered == options.answers_per_connection) co_return;  // as if a keep-alive race
    std::string reply = answer(*request);
    auto [ec, written] = co_await asio::async_write(stream, asio::buffer(reply), kAsTuple);
    if (ec || options.close_after_response) co_return;
  }
}

asio::awaitable<void> serve_http(tcp::socket socket, Answer answer, ServeOptions options,
                                 std::shared_ptr<Seen> seen) {
  co_await serve_http_on(socket, std::move(answer), options, std::move(seen));
}

TestServer::Serve http_server(Answer answer, std::shared_ptr<Seen> seen,
                              ServeOptions options = {}) {
  return [answer = std::move(answer), seen, options](tcp::socket socket) {
    return serve_http(std::move(socket), answer, options, seen);
  };
}

// Echoes what it received: "<METHOD> <target> <body>", and the X-Test header back as X-Echo.
std::string echo(const RawRequest& request) {
  return http_response(200, fmt::format("{} {} {}", request.method, request.target, request.body),
                       fmt::format("X-Echo: {}\r\n", request.header("x-test").value_or("")));
}

// Reads whatever arrives and never answers, until the client goes away.
asio::awaitable<void> serve_silence(tcp::socket socket) {
  char data[1024];
  for (;;) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(data), kAsTuple);
    if (ec) co_return;
  }
}

class HttpClientTest : public ::testing::Test {
 protected:
  void run(Task task, int threads = 1) { run_all(io_, {std::move(task)}, threads); }

  Result<ClientResponse> fetch(HttpClient& client, ClientRequest request) {
    Result<ClientResponse> out;
    run([&]() -> asio::awaitable<void> { out = co_await client.request(std::move(request)); });
    return out;
  }
  Result<ClientResponse> fetch(HttpClient& client, std::string url) {
    return fetch(client, ClientRequest{.url = std::move(url)});
  }

  asio::io_context io_;
  std::shared_ptr<Seen> seen_ = std::make_shared<Seen>();
};

// ---------------------------------------------------------------------------------------------
// Plain requests.

TEST_F(HttpClientTest, GetReturnsStatusHeadersAndBody) {
  TestServer server(io_, http_server(echo, seen_));
  HttpClient client(io_.get_executor());
  Headers headers;
  headers.set("X-Test", "hello");
  ClientRequest request{.method = Method::kGet, .url = server.url("/path?q=1"), .headers = headers};

  auto response = fetch(client, request);

  ASSERT_TRUE(response) << response.error().code << ": " << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "GET /path?q=1 ");
  EXPECT_EQ(response->headers.get("x-echo"), "hello");
  auto seen = seen_->all();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].header("host"), fmt::format("127.0.0.1:{}", server.port()));
  EXPECT_TRUE(seen[0].header("user-agent").has_value());
  EXPECT_FALSE(seen[0].header("content-length").has_value());
}

TEST_F(HttpClientTest, PostSendsBodyWithContentLengthAndCallerHeaders) {
  TestServer server(io_, http_server(
                             [](const RawRequest& request) {
                               return http_response(201, request.body, "", "Created");
                             },
                             seen_));
  HttpClient client(io_.get_executor());
  Headers headers;
  headers.set("Content-Type", "application/json");
  headers.set("Content-Length", "999");  // ignored: the body decides the framing

  Result<ClientResponse> response;
  run([&]() -> asio::awaitable<void> {
    response = co_await client.post(server.url("/things"), R"({"a":1})", headers);
  });

  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, R"({"a":1})");
  auto seen = seen_->all();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].target, "/things");
  EXPECT_EQ(seen[0].header("content-type"), "application/json");
  EXPECT_EQ(seen[0].header("content-length"), "7");
}

TEST_F(HttpClientTest, PostWithEmptyBodySendsContentLengthZero) {
  TestServer server(io_, http_server(echo, seen_));
  HttpClient client(io_.get_executor());

  auto response = fetch(client, ClientRequest{.method = Method::kPost, .url = server.url("/")});

  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->body, "POST / ");
  EXPECT_EQ(seen_->all().at(0).header("content-length"), "0");
}

TEST_F(HttpClientTest, HeadResponseHasNoBodyAndKeepsTheConnection) {
  TestServer server(io_,
                    http_server(
                        [](const RawRequest& request) {
                          if (request.method == "HEAD")
                            return std::string("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n");
                          return http_response(200, "after head");
                        },
                        seen_));
  HttpClient client(io_.get_executor());

  auto head = fetch(client, ClientRequest{.method = Method::kHead, .url = server.url("/")});
  auto get = fetch(client, server.url("/"));

  ASSERT_TRUE(head) << head.error().message;
  EXPECT_EQ(head->headers.get("content-length"), "50");
  EXPECT_EQ(head->body, "");
  ASSERT_TRUE(get) << get.error().message;
  EXPECT_EQ(get->body, "after head");
  EXPECT_EQ(server.connections(), 1);
}

TEST_F(HttpClientTest, SkipsInterimResponses) {
  TestServer server(io_, http_server(
                             [](const RawRequest&) {
                               return "HTTP/1.1 100 Continue\r\n\r\n"
                                      "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" +
                                      http_response(200, "final");
                             },
                             seen_));
  HttpClient client(io_.get_executor());

  auto response = fetch(client, server.url("/"));

  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "final");
}

// ---------------------------------------------------------------------------------------------
// Keep-alive pool.

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

// ---------------------------------------------------------------------------------------------
// Failures.

TEST_F(HttpClientTest, TimesOutWhenServerNeverAnswers) {
  TestServer server(io_, serve_silence);
  HttpClient client(io_.get_executor(), ClientOptions{.request_timeout_ms = kShortTimeoutMs});

  auto started = std::chrono::steady_clock::now();
  auto response = fetch(client, server.url("/"));
  auto elapsed = std::chrono::steady_clock::now() - started;

  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, "http.timeout");
  EXPECT_LT(elapsed, kTimeoutErrorBound);
  EXPECT_EQ(client.idle_connections(), 0u);
}

TEST_F(HttpClientTest, PerRequestTimeoutOverridesTheClientDefault) {
  TestServer server(io_, serve_silence);
  HttpClient client(io_.get_executor());  // default: 30 s

  auto response =
      fetch(client, ClientRequest{.url = server.url("/"), .timeout_ms = kShortTimeoutMs});

  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, "http.timeout");
}

TEST_F(HttpClientTest, TlsHandshakeThatNeverCompletesTimesOut) {
  TestServer server(io_, serve_silence);
  HttpClient client(io_.get_executor(), ClientOptions{.connect_timeout_ms = kShortTimeoutMs});

  auto started = std::chrono::steady_clock::now();
  auto response = fetch(client, fmt::format("https://127.0.0.1:{}/", server.port()));

  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, "http.timeout");
  EXPECT_LT(std::chrono::steady_clock::now() - started, kTimeoutErrorBound);
}

TEST_F(HttpClientTest, ConnectionRefusedIsAConnectError) {
  unsigned short port = 0;
  {
    tcp::acceptor probe(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    port = probe.local_endpoint().port();
  }  // closed: nothing listens there now
  HttpClient client(io_.get_executor());

  auto response = fetch(client, fmt::format("http://127.0.0.1:{}/", port));

  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, "http.connect");
}

// ---------------------------------------------------------------------------------------------
// Address policy: checked on the resolved addresses before connecting.

TEST_F(HttpClientTest, PublicOnlyRequestsNeverConnectToLoopback) {
  TestServer server(io_, http_server(echo, seen_));
  HttpClient client(io_.get_executor());

  auto refused = fetch(
      client, ClientRequest{.url = server.url("/"), .address_policy = AddressPolicy::kPublicOnly});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "http.forbidden_address") << refused.error().message;
  EXPECT_NE(refused.error().message.find("loopback"), std::string::npos) << refused.error().message;
  EXPECT_EQ(server.connections(), 0);
  EXPECT_EQ(seen_->count(), 0u);

  auto allowed = fetch(client, ClientRequest{.url = server.url("/"),
                                             .address_policy = AddressPolicy::kPrivateAllowed});
  ASSERT_TRUE(allowed) << allowed.error().message;
  EXPECT_EQ(allowed->status, 200);
}

TEST_F(HttpClientTest, AHostNameThatResolvesToLoopbackIsRefused) {
  TestServer server(io_, http_server(echo, seen_));
  HttpClient client(io_.get_executor());
  const std::string url = fmt::format("http://localhost:{}/", server.port());

  auto refused =
      fetch(client, ClientRequest{.url = url, .address_policy = AddressPolicy::kPublicOnly});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "http.forbidden_address") << refused.error().message;
  EXPECT_EQ(server.connections(), 0);

  auto unrestricted = fetch(client, url);
  ASSERT_TRUE(unrestricted) << unrestricted.error().message;
  EXPECT_EQ(unrestricted->status, 200);
}

TEST_F(HttpClientTest, LinkLocalAndMetadataAddressesAreRefusedWithoutConnecting) {
  HttpClient client(io_.get_executor(), ClientOptions{.connect_timeout_ms = 60'000});
  // Refused before any packet could leave: a connect attempt would take the whole timeout.
  const auto started = std::chrono::steady_clock::now();
  for (const char* url : {"http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/",
                          "http://[::ffff:169.254.169.254]/", "http://0.0.0.0:1/"}) {
    for (AddressPolicy policy : {AddressPolicy::kPrivateAllowed, AddressPolicy::kPublicOnly}) {
      auto refused = fetch(client, ClientRequest{.url = url, .address_policy = policy});
      ASSERT_FALSE(refused) << url;
      EXPECT_EQ(refused.error().code, "http.forbidden_address")
          << url << ": " << refused.error().message;
    }
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

TEST_F(HttpClientTest, ARestrictedRequestNeverReusesAnUnrestrictedConnection) {
  TestServer server(io_, http_server(echo, seen_));
  HttpClient client(io_.get_executor());

  auto first = fetch(client, server.url("/"));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(client.idle_connections(), 1u);

  auto refused = fetch(client, ClientRequest{.url = server.url("/again"),
                                             .address_policy = AddressPolicy::kPublicOnly});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "http.forbidden_address");
  EXPECT_EQ(seen_->count(), 1u);
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(client.idle_connections(), 1u);  // the unrestricted one, still pooled
}

TEST_F(HttpClientTest, BodyLargerThanTheLimitIsRefused) {
  constexpr std::size_t kLimit = 1000;
  TestServer server(io_, http_server(
                             [](const RawRequest& request) {
                               if (request.target == "/exact")
                                 return http_response(200, std::string(kLimit, 'a'));
                               if (request.target == "/chunked")
                                 return fmt::format(
                                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                     "258\r\n{}\r\n258\r\n{}\r\n0\r\n\r\n",
                                     std::string(600, 'b'), std::string(600, 'c'));
                               return http_response(200, std::string(kLimit + 1, 'x'));
                             },
                             seen_));
  HttpClient client(io_.get_executor(), ClientOptions{.response_body_bytes_max = kLimit});

  auto exact = fetch(client, server.url("/exact"));
  auto over = fetch(client, server.url("/over"));
  auto chunked = fetch(client, server.url("/chunked"));

  ASSERT_TRUE(exact) << exact.error().message;
  EXPECT_EQ(exact->body.size(), kLimit);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, "http.body_too_large");
  ASSERT_FALSE(chunked);
  EXPECT_EQ(chunked.error().code, "http.body_too_large");
}

TEST_F(HttpClientTest, HeaderLargerThanTheLimitIsAProtocolError) {
  TestServer server(io_, http_server(
                             [](const RawRequest&) {
                               return http_response(
                                   200, "x", fmt::format("X-Big: {}\r\n", std::string(2000, 'h')));
                             },
                             seen_));
  HttpClient client(io_.get_executor(), ClientOptions{.response_header_bytes_max = 1024});

  auto response = fetch(client, server.url("/"));

  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, "http.protocol");
}

TEST_F(HttpClientTest, GarbageResponsesAreProtocolErrors) {
  static const std::vector<std::string> kGarbage = {
      "garbage\r\n\r\n",
      std::string("\x00\x01\x02\xff\xfe\r\n\r\n", 9),
      "HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n",
      "HTTP/9.9 200 OK\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n",
      "HTTP/1.1 200 OK\r\nNo colon here\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nBad\x01Name: 1\r\nContent-Length: 0\r\n\r\n",
  };
  TestServer server(io_, http_server(
                             [](const RawRequest& request) {
                               return kGarbage.at(std::stoul(request.target.substr(1)));
                             },
                             seen_, {.close_after_response = true}));
  HttpClient client(io_.get_executor());

  for (std::size_t i = 0; i < kGarbage.size(); ++i) {
    auto response = fetch(client, server.url(fmt::format("/{}", i)));
    ASSERT_FALSE(response) << "garbage #" << i << " was accepted";
    EXPECT_EQ(response.error().code, "http.protocol")
        << "garbage #" << i << ": " << response.error().message;
  }
  EXPECT_EQ(client.idle_connections(), 0u);
}

TEST_F(HttpClientTest, ResponseCutShortIsAConnectError) {
  TestServer server(io_,
                    http_server(
                        [](const RawRequest&) {
                          return std::string("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort");
                        },
                        seen_, {.close_after_response = true}));
  HttpClient client(io_.get_executor());

  auto response = fetch(client, server.url("/"));

  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, "http.connect");
}

TEST_F(HttpClientTest, RefusesUrlsThatAreNotAbsoluteHttp) {
  HttpClient client(io_.get_executor());
  for (std::string url :
       {"", "not a url", "/relative/path", "ftp://127.0.0.1/file", "ws://127.0.0.1/",
        "file:///etc/passwd", "http://", "http:///path", "http://user:secret@127.0.0.1/",
        "http://127.0.0.1:99999/", "http://127.0.0.1:0/", "http://exa mple.com/",
        "http://bad%00host/", "https://[::1/"}) {
    auto response = fetch(client, url);
    ASSERT_FALSE(response) << url;
    EXPECT_EQ(response.error().code, "http.url") << url << ": " << response.error().message;
  }
}

TEST_F(HttpClientTest, RefusesRequestsItWillNotSend) {
  TestServer server(io_, http_server(echo, seen_));
  HttpClient client(io_.get_executor());
  auto with_header = [&](std::string name, std::string value) {
    Headers headers;
    headers.add(name, value);
    return ClientRequest{.url = server.url("/"), .headers = headers};
  };

  std::vector<ClientRequest> requests = {
      ClientRequest{.method = Method::kOther, .url = server.url("/")},
      with_header("X-Injected", "a\r\nX-Evil: 1"),
      with_header("X-Newline", "a\nb"),
      with_header("Bad Name", "v"),
      with_header("", "v"),
      with_header("X-Nul", std::string("a\0b", 3)),
  };
  for (auto& request : requests) {
    auto response = fetch(client, request);
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, "http.request") << response.error().message;
  }
  EXPECT_EQ(server.connections(), 0);
}

// ---------------------------------------------------------------------------------------------
// Redirects.

class HttpClientRedirectTest : public HttpClientTest {
 protected:
  void SetUp() override {
    other_ = std::make_unique<TestServer>(io_, http_server(echo, other_seen_));
    server_ = std::make_unique<TestServer>(
        io_, http_server(
                 [port = other_->port()](const RawRequest& request) {
                   auto to = [](std::string_view status, std::string_view location) {
                     return fmt::format(
                         "HTTP/1.1 {} Moved\r\nLocation: {}\r\n"
                         "Content-Length: 0\r\n\r\n",
                         status, location);
                   };
                   const auto& t = request.target;
                   if (t == "/start") return to("302", "/end?from=start");
                   if (t == "/see-other") return to("303", "/end");
                   if (t == "/temporary") return to("307", "end");
                   if (t == "/loop") return to("302", "/loop");
                   if (t == "/away")
                     return to("301", fmt::format("http://127.0.0.1:{}/landing", port));
                   if (t == "/ftp") return to("302", "ftp://127.0.0.1/file");
                   if (t == "/metadata") return to("302", "http://169.254.169.254/latest/");
                   if (t == "/bad") return to("302", "http://[bad");
                   if (t == "/no-location")
                     return std::string("HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n");
                   return echo(request);
                 },
                 seen_));
  }

  std::shared_ptr<Seen> other_seen_ = std::make_shared<Seen>();
  std::unique_ptr<TestServer> other_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(HttpClientRedirectTest, NotFollowedByDefault) {
  HttpClient client(io_.get_executor());

  auto response = fetch(client, server_->url("/start"));

  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 302);
  EXPECT_EQ(response->headers.get("location"), "/end?from=start");
  EXPECT_EQ(seen_->count(), 1u);
}

TEST_F(HttpClientRedirectTest, FollowedWhenAsked) {
  HttpClient client(io_.get_executor(), ClientOptions{.redirects_max = 3});

  auto response = fetch(client, server_->url("/start"));

  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "GET /end?from=start ");
}

TEST_F(HttpClientRedirectTest, PerRequestRedirectsOverrideTheClientDefault) {
  HttpClient client(io_.get_executor());

  auto response = fetch(client, ClientRequest{.url = server_->url("/start"), .redirects_max = 1});

  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
}

TEST_F(HttpClientRedirectTest, SeeOtherTurnsAPostIntoAGetWithoutBody) {
  HttpClient client(io_.get_executor(), ClientOptions{.redirects_max = 1});
  Headers headers;
  headers.set("Content-Type", "text/plain");

  auto response = fetch(client, ClientRequest{.method = Method::kPost,
                                              .url = server_->url("/see-other"),
                                              .headers = headers,
                                              .body = "payload"});

  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->body, "GET /end ");
  auto seen = seen_->all();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_FALSE(seen[1].header("content-type").has_value());
  EXPECT_FALSE(seen[1].header("content-length").has_value());
}

TEST_F(HttpClientRedirectTest, TemporaryRedirectKeepsMethodAndBody) {
  HttpClient client(io_.get_executor(), ClientOptions{.redirects_max = 1});

  auto response = fetch(
      client,
      ClientRequest{.method = Method::kPost, .url = server_->url("/temporary"), .body = "payload"});

  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->body, "POST /end payload");
}

TEST_F(HttpClientRedirectTest, StopsAfterTheLimitAndReturnsTheLastRedirect) {
  HttpClient client(io_.get_executor(), ClientOptions{.redirects_max = 3});

  auto response = fetch(client, server_->url("/loop"));

  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 302);
  EXPECT_EQ(seen_->count(), 4u);  // the first request and three redirects
}

TEST_F(HttpClientRedirectTest, CrossOriginRedirectDropsCredentials) {
  HttpClient client(io_.get_executor(), ClientOptions{.redirects_max = 1});
  Headers headers;
  headers.set("Authorization", "GNAP secret-token");
  headers.set("Cookie", "session=1");
  headers.set("X-Test", "kept");

  auto response = fetch(client, ClientRequest{.url = server_->url("/away"), .headers = headers});

  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->body, "GET /landing ");
  auto seen = other_seen_->all();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_FALSE(seen[0].header("authorization").has_value());
  EXPECT_FALSE(seen[0].header("cookie").has_value());
  EXPECT_EQ(seen[0].header("x-test"), "kept");
}

TEST_F(HttpClientRedirectTest, EveryRedirectTargetIsCheckedAgainstThePolicy) {
  HttpClient client(io_.get_executor(), ClientOptions{.redirects_max = 3});

  auto refused = fetch(client, ClientRequest{.url = server_->url("/metadata"),
                                             .address_policy = AddressPolicy::kPrivateAllowed});

  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "http.forbidden_address") << refused.error().message;
  EXPECT_EQ(seen_->count(), 1u);  // the first hop was allowed (loopback), the second not
}

TEST_F(HttpClientRedirectTest, BadRedirectTargetsAreErrors) {
  HttpClient client(io_.get_executor(), ClientOptions{.redirects_max = 2});

  auto ftp = fetch(client, server_->url("/ftp"));
  auto bad = fetch(client, server_->url("/bad"));
  auto missing = fetch(client, server_->url("/no-location"));

  ASSERT_FALSE(ftp);
  EXPECT_EQ(ftp.error().code, "http.url");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "http.protocol");
  ASSERT_TRUE(missing) << missing.error().message;  // a 3xx without Location is final
  EXPECT_EQ(missing->status, 302);
}

// ---------------------------------------------------------------------------------------------
// TLS.

struct Pem {
  std::string certificate;
  std::string private_key;
};

std::string bio_to_string(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

// A self-signed P-256 certificate (its own CA) for `dns_name`, valid for a day.
Pem make_self_signed_certificate(const std::string& dns_name) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!key || !cert) throw std::runtime_error("OpenSSL allocation failed");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), static_cast<long>(::getpid()));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Rafiki test CA"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  const std::string san = "DNS:" + dns_name;
  const std::pair<int, const char*> extensions[] = {
      {NID_basic_constraints, "critical,CA:TRUE"},
      {NID_key_usage, "critical,keyCertSign,digitalSignature"},
      {NID_subject_key_identifier, "hash"},
      {NID_subject_alt_name, san.c_str()},
  };
  for (const auto& [nid, value] : extensions) {
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (!extension) throw std::runtime_error("cannot make a certificate extension");
    X509_add_ext(cert.get(), extension, -1);
    X509_EXTENSION_free(extension);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0)
    throw std::runtime_error("cannot sign the certificate");
  std::unique_ptr<BIO, decltype(&BIO_free)> cert_bio(BIO_new(BIO_s_mem()), BIO_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(cert_bio.get(), cert.get());
  PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return {bio_to_string(cert_bio.get()), bio_to_string(key_bio.get())};
}

asio::awaitable<void> serve_https(tcp::socket socket, std::shared_ptr<asio::ssl::context> tls,
                                  std::shared_ptr<Seen> seen,
                                  std::shared_ptr<std::string> server_name) {
  asio::ssl::stream<tcp::socket> stream(std::move(socket), *tls);
  auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kAsTuple);
  if (ec) co_return;
  const char* sni = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
  {
    std::lock_guard lock(seen->mutex);
    *server_name = sni ? sni : "";
  }
  co_await serve_http_on(stream, echo, {}, seen);
}

class HttpClientTlsTest : public HttpClientTest {
 protected:
  static void SetUpTestSuite() {
    pem_ = new Pem(make_self_signed_certificate("localhost"));
    directory_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                           fmt::format("rafiki-client-test-{}", ::getpid()));
    std::filesystem::create_directories(*directory_);
    std::ofstream(*directory_ / "ca.pem") << pem_->certificate;
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*directory_);
    delete directory_;
    delete pem_;
  }

  void SetUp() override {
    auto tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    tls->use_certificate_chain(asio::buffer(pem_->certificate));
    tls->use_private_key(asio::buffer(pem_->private_key), asio::ssl::context::pem);
    server_ = std::make_unique<TestServer>(
        io_, [tls, seen = seen_, name = server_name_](tcp::socket socket) {
          return serve_https(std::move(socket), tls, seen, name);
        });
  }

  std::string ca_file() const { return (*directory_ / "ca.pem").string(); }
  std::string url(std::string_view host, std::string_view path = "/") const {
    return fmt::format("https://{}:{}{}", host, server_->port(), path);
  }
  std::string server_name() const {
    std::lock_guard lock(seen_->mutex);
    return *server_name_;
  }

  static inline Pem* pem_ = nullptr;
  static inline std::filesystem::path* directory_ = nullptr;
  std::shared_ptr<std::string> server_name_ = std::make_shared<std::string>();
  std::unique_ptr<TestServer> server_;
};

TEST_F(HttpClientTlsTest, VerificationFailsWithoutTheCa) {
  HttpClient client(io_.get_executor());

  auto response = fetch(client, url("localhost"));

  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, "http.tls");
  EXPECT_NE(response.error().message.find("certificate"), std::string::npos)
      << response.error().message;
  EXPECT_EQ(seen_->count(), 0u);
}

TEST_F(HttpClientTlsTest, SucceedsWithTheCaFileAndKeepsTheConnection) {
  HttpClient client(io_.get_executor(), ClientOptions{.tls_extra_ca_file = ca_file()});
  std::vector<Result<ClientResponse>> responses;

  run([&]() -> asio::awaitable<void> {
    for (int i = 0; i < 3; ++i)
      responses.push_back(co_await client.post(url("localhost", "/secure"), "sealed"));
  });

  for (auto& response : responses) {
    ASSERT_TRUE(response) << response.error().code << ": " << response.error().message;
    EXPECT_EQ(response->body, "POST /secure sealed");
  }
  EXPECT_EQ(server_->connections(), 1);
  EXPECT_EQ(server_name(), "localhost");  // SNI
}

TEST_F(HttpClientTlsTest, HostNameMismatchFails) {
  // The certificate names "localhost"; 127.0.0.1 is the same server but not the same name.
  HttpClient client(io_.get_executor(), ClientOptions{.tls_extra_ca_file = ca_file()});

  auto response = fetch(client, url("127.0.0.1"));

  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, "http.tls");
  EXPECT_NE(response.error().message.find("mismatch"), std::string::npos)
      << response.error().message;
  EXPECT_EQ(seen_->count(), 0u);
}

TEST_F(HttpClientTlsTest, VerificationCanBeTurnedOffForDevelopment) {
  HttpClient client(io_.get_executor(), ClientOptions{.tls_verify = false});

  auto response = fetch(client, url("127.0.0.1", "/dev"));

  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->body, "GET /dev ");
  EXPECT_EQ(server_name(), "");  // no SNI for an IP address
}

TEST_F(HttpClientTlsTest, UnreadableCaFileFailsHttpsButNotHttp) {
  TestServer plain(io_, http_server(echo, seen_));
  HttpClient client(io_.get_executor(),
                    ClientOptions{.tls_extra_ca_file = (*directory_ / "missing.pem").string()});

  auto https = fetch(client, url("localhost"));
  auto http = fetch(client, plain.url("/"));

  ASSERT_FALSE(https);
  EXPECT_EQ(https.error().code, "http.tls");
  EXPECT_NE(https.error().message.find("missing.pem"), std::string::npos);
  EXPECT_TRUE(http) << http.error().message;
}

}  // namespace
