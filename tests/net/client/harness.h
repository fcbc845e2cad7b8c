// Shared by the HttpClient tests in this folder: small loopback servers written with raw Asio
// sockets, so each test controls exactly what the server does (answer, keep or drop the
// connection, stall, send garbage), and the HttpClientTest fixture that runs the client on them.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
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
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "net/client.h"

// Designated initializers leave the other fields at their defaults, which is the point; g++ 12
// warns about it anyway (here and in every test file that includes this one).
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace rafiki::testing::http_client {

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

inline constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
// A client that hangs fails its test after this long instead of hanging the whole run.
inline constexpr auto kTestDeadline = std::chrono::seconds(30);
// Timeouts the tests provoke, and the generous bound within which the error must arrive.
inline constexpr std::uint32_t kShortTimeoutMs = 200;
inline constexpr auto kTimeoutErrorBound = std::chrono::seconds(10);

using Task = std::function<asio::awaitable<void>()>;

// Runs `tasks` as coroutines on `io` (with `threads` threads) until all have finished.
inline void run_all(asio::io_context& io, std::vector<Task> tasks, int threads = 1) {
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

inline std::string http_response(int status, std::string_view body,
                                 std::string_view extra_headers = "",
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

inline asio::awaitable<void> serve_http(tcp::socket socket, Answer answer, ServeOptions options,
                                        std::shared_ptr<Seen> seen) {
  co_await serve_http_on(socket, std::move(answer), options, std::move(seen));
}

inline TestServer::Serve http_server(Answer answer, std::shared_ptr<Seen> seen,
                                     ServeOptions options = {}) {
  return [answer = std::move(answer), seen, options](tcp::socket socket) {
    return serve_http(std::move(socket), answer, options, seen);
  };
}

// Echoes what it received: "<METHOD> <target> <body>", and the X-Test header back as X-Echo.
inline std::string echo(const RawRequest& request) {
  return http_response(200, fmt::format("{} {} {}", request.method, request.target, request.body),
                       fmt::format("X-Echo: {}\r\n", request.header("x-test").value_or("")));
}

// Reads whatever arrives and never answers, until the client goes away.
inline asio::awaitable<void> serve_silence(tcp::socket socket) {
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

}  // namespace rafiki::testing::http_client
