// Per-client bounds of net::HttpServer over real sockets on loopback: connections and request
// bytes per client address, the listener's request-byte budget, and the header and idle
// timeouts. 127.0.0.1 and 127.0.0.2 are two client addresses (a client socket bound to
// 127.0.0.2 connects to the server on 127.0.0.1).
#include <gtest/gtest.h>
#include <poll.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <atomic>
#include <functional>
#include <thread>

#include "net/client.h"
#include "net/server.h"

using namespace rafiki::net;
namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr const char* kFirst = "127.0.0.1";
constexpr const char* kSecond = "127.0.0.2";
// Generous bound for anything the server should do "soon": tests never assert on speed.
constexpr auto kSoon = 10s;

class ServerLimitsTest : public ::testing::Test {
 protected:
  // Starts a server on `listen_address`; false when that address cannot be bound here.
  bool start(ServerLimits limits, std::string_view listen_address = "127.0.0.1") {
    limits_ = limits;
    router_.get("/hello", [](Request&) -> asio::awaitable<Response> {
      co_return Response::json(200, R"({"hello":"world"})");
    });
    router_.post("/size", [](Request& r) -> asio::awaitable<Response> {
      co_return Response::text(200, std::to_string(r.body.size()));
    });
    server_ = std::make_unique<HttpServer>(io_, "limits test", router_.handler(), limits);
    auto port = server_->listen(listen_address, 0);
    if (!port) {
      server_.reset();
      return false;
    }
    port_ = *port;
    server_->start();
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
    return true;
  }

  void TearDown() override {
    if (server_) {
      auto f = asio::co_spawn(io_, server_->shutdown(), asio::use_future);
      f.wait_for(5s);
    }
    work_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
  }

  // A connection to the server from the client address `local`.
  tcp::socket connect_from(const char* local) {
    tcp::socket s(client_io_);
    s.open(tcp::v4());
    s.bind(tcp::endpoint(asio::ip::make_address(local), 0));
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    return s;
  }

  static void send(tcp::socket& s, const std::string& data) { asio::write(s, asio::buffer(data)); }

  static http::response<http::string_body> read_response(tcp::socket& s) {
    boost::beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(s, buf, res);
    return res;
  }

  static http::response<http::string_body> get(tcp::socket& s) {
    send(s, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    return read_response(s);
  }

  // Whether the server sent something (or closed) within `timeout`.
  static bool readable_within(tcp::socket& s, std::chrono::milliseconds timeout) {
    pollfd p{s.native_handle(), POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(timeout.count())) > 0;
  }

  // Reads until the server closes the connection or `timeout` passes; `closed` says which.
  static std::string read_until_closed(tcp::socket& s, std::chrono::milliseconds timeout,
                                       bool& closed) {
    std::string out;
    closed = false;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[4096];
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left <= 0ms || !readable_within(s, left)) return out;
      boost::system::error_code ec;
      std::size_t n = s.read_some(asio::buffer(buf), ec);
      if (ec) {
        closed = true;
        return out;
      }
      out.append(buf, n);
    }
  }

  static bool eventually(const std::function<bool()>& condition) {
    auto deadline = std::chrono::steady_clock::now() + kSoon;
    while (std::chrono::steady_clock::now() < deadline) {
      if (condition()) return true;
      std::this_thread::sleep_for(5ms);
    }
    return condition();
  }

  // Opens uploads from `from` (header declaring `body_bytes` and the first 10 bytes of the
  // body) one after another until `count` are open or one is refused. Returns the open ones;
  // `refusal` receives what the refused one was answered (empty if none was). Checks at every
  // step that the client's and the listener's budgets hold.
  std::vector<tcp::socket> open_uploads(const char* from, std::size_t body_bytes, int count,
                                        std::string& refusal) {
    const std::string header =
        "POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body_bytes) +
        "\r\n\r\n";
    std::vector<tcp::socket> open;
    const std::size_t connections_before = server_->client_usage(from).connections;
    refusal.clear();
    for (int i = 0; i < count && refusal.empty(); ++i) {
      auto s = connect_from(from);
      std::size_t before = server_->client_usage(from).request_bytes;
      send(s, header + std::string(10, 'a'));
      bool accepted = false;
      bool answered = false;
      EXPECT_TRUE(eventually([&] {
        check_budgets(from);
        accepted = server_->client_usage(from).request_bytes >= before + body_bytes;
        answered = readable_within(s, 0ms);
        return accepted || answered;
      })) << "upload "
          << i << " neither held nor answered";
      if (answered) {
        bool closed = false;
        refusal = read_until_closed(s, kSoon, closed);
        EXPECT_TRUE(closed);
      } else {
        open.push_back(std::move(s));
      }
      // The refused connection is gone before the next one measures.
      EXPECT_TRUE(eventually([&] {
        return server_->client_usage(from).connections == connections_before + open.size();
      }));
    }
    return open;
  }

  void check_budgets(const char* client) {
    EXPECT_LE(server_->client_usage(client).request_bytes, limits_.request_bytes_per_client_max);
    EXPECT_LE(server_->request_bytes(), limits_.request_bytes_max);
  }

  ServerLimits limits_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  asio::io_context client_io_;
  std::vector<std::thread> threads_;
  Router router_;
  std::unique_ptr<HttpServer> server_;
  std::uint16_t port_ = 0;
};

}  // namespace

TEST(ServerLimitsDefaults, AreNamedAndFitTheClientsWeKnow) {
  ServerLimits limits;
  EXPECT_EQ(limits.connections_per_client_max, ServerLimits::kConnectionsPerClientMax);
  EXPECT_EQ(limits.request_bytes_per_client_max, ServerLimits::kRequestBytesPerClientMax);
  EXPECT_EQ(limits.request_bytes_max, ServerLimits::kRequestBytesMax);
  EXPECT_EQ(limits.header_timeout, ServerLimits::kHeaderTimeout);
  EXPECT_EQ(limits.idle_timeout, ServerLimits::kIdleTimeout);
  // One address never takes every connection, nor the whole request budget.
  EXPECT_LT(ServerLimits::kConnectionsPerClientMax, ServerLimits::kConnectionsMax);
  EXPECT_LT(ServerLimits::kRequestBytesPerClientMax, ServerLimits::kRequestBytesMax);
  // A peer connector of ours keeps up to 1,024 idle connections to one endpoint.
  EXPECT_GE(ServerLimits::kConnectionsPerClientMax, 1'024u);
  // One client can always send a chunked request with the largest body (charged twice).
  EXPECT_GE(ServerLimits::kRequestBytesPerClientMax,
            2 * ServerLimits::kBodyBytesMax + ServerLimits::kHeaderBytesMax + 4096);
  // Our own client drops an idle connection before our server does, never racing its close.
  EXPECT_GT(ServerLimits::kIdleTimeout, std::chrono::milliseconds(kClientIdleTimeoutMsDefault));
  EXPECT_LT(ServerLimits::kHeaderTimeout, ServerLimits::kRequestTimeout);
}

TEST_F(ServerLimitsTest, RefusesAnAddressPastItsConnectionCapWhileAnotherAddressIsServed) {
  ServerLimits limits;
  limits.connections_per_client_max = 3;
  limits.idle_timeout = 60s;
  ASSERT_TRUE(start(limits));
  std::vector<tcp::socket> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(connect_from(kFirst));
    EXPECT_EQ(get(held.back()).result_int(), 200);  // accepted and counted
  }
  EXPECT_EQ(server_->client_usage(kFirst).connections, 3u);

  // The fourth from the same address is answered 503 and closed; it holds nothing.
  for (int i = 0; i < 3; ++i) {
    auto over = connect_from(kFirst);
    bool closed = false;
    std::string raw = read_until_closed(over, kSoon, closed);
    EXPECT_TRUE(closed);
    EXPECT_EQ(raw.rfind("HTTP/1.1 503", 0), 0u) << raw;
    EXPECT_NE(raw.find("too many connections from this address"), std::string::npos) << raw;
  }
  EXPECT_EQ(server_->client_usage(kFirst).connections, 3u);
  EXPECT_EQ(server_->connections(), 3u);

  // A second address is served meanwhile, up to its own cap.
  std::vector<tcp::socket> others;
  for (int i = 0; i < 3; ++i) {
    others.push_back(connect_from(kSecond));
    EXPECT_EQ(get(others.back()).result_int(), 200);
  }
  EXPECT_EQ(server_->client_usage(kSecond).connections, 3u);
  // The first address's connections are still served too.
  EXPECT_EQ(get(held.back()).result_int(), 200);

  // Once the first address closes one, it is served again.
  held.front().close();
  EXPECT_TRUE(eventually([&] { return server_->client_usage(kFirst).connections == 2; }));
  auto again = connect_from(kFirst);
  EXPECT_EQ(get(again).result_int(), 200);
  EXPECT_EQ(server_->client_usage(kFirst).connections, 3u);

  // Every connection closed: nothing is left counted.
  held.clear();
  others.clear();
  again.close();
  EXPECT_TRUE(eventually([&] { return server_->connections() == 0; }));
  EXPECT_EQ(server_->client_usage(kFirst).connections, 0u);
  EXPECT_EQ(server_->client_usage(kSecond).connections, 0u);
}

TEST_F(ServerLimitsTest, ReadsUsageOfAnIpv4ClientUnderEitherSpellingAndNothingForBadInput) {
  ServerLimits limits;
  limits.idle_timeout = 60s;
  ASSERT_TRUE(start(limits));
  auto s = connect_from(kFirst);
  EXPECT_EQ(get(s).result_int(), 200);
  EXPECT_EQ(server_->client_usage("127.0.0.1").connections, 1u);
  EXPECT_EQ(server_->client_usage("::ffff:127.0.0.1").connections, 1u);
  EXPECT_EQ(server_->client_usage("127.0.0.3").connections, 0u);
  EXPECT_EQ(server_->client_usage("").connections, 0u);
  EXPECT_EQ(server_->client_usage("not an address").connections, 0u);
  EXPECT_EQ(server_->client_usage("127.0.0.1:80").connections, 0u);
}

TEST_F(ServerLimitsTest, CountsAnIpv4MappedClientOfADualStackListenerAsItsIpv4Address) {
  ServerLimits limits;
  limits.connections_per_client_max = 1;
  limits.idle_timeout = 60s;
  if (!start(limits, "::")) GTEST_SKIP() << "no IPv6 listener possible here";
  auto first = connect_from(kFirst);  // arrives as ::ffff:127.0.0.1
  EXPECT_EQ(get(first).result_int(), 200);
  EXPECT_EQ(server_->client_usage("127.0.0.1").connections, 1u);
  EXPECT_EQ(server_->client_usage("::ffff:127.0.0.1").connections, 1u);
  auto over = connect_from(kFirst);
  bool closed = false;
  EXPECT_NE(read_until_closed(over, kSoon, closed).find("503"), std::string::npos);
  EXPECT_TRUE(closed);
  auto second = connect_from(kSecond);
  EXPECT_EQ(get(second).result_int(), 200);
}

// An IPv6 client is not one address but at least a /64 (one host can use any of its 2^64
// addresses): counting per address would let one host open kConnectionsPerClientMax
// connections from each of as many addresses as it likes and take the whole listener. ::1 and
// ::2 are in one /64.
TEST_F(ServerLimitsTest, CountsAnIpv6ClientByItsSlash64) {
  ServerLimits limits;
  limits.idle_timeout = 60s;
  if (!start(limits, "::1")) GTEST_SKIP() << "no IPv6 loopback here";
  tcp::socket s(client_io_);
  s.connect(tcp::endpoint(asio::ip::make_address("::1"), port_));
  EXPECT_EQ(get(s).result_int(), 200);
  EXPECT_EQ(server_->client_usage("::1").connections, 1u);
  EXPECT_EQ(server_->client_usage("::2").connections, 1u);
  EXPECT_EQ(server_->client_usage("::ffff:ffff:ffff:ffff").connections, 1u);
  EXPECT_EQ(server_->client_usage("0:0:0:1::1").connections, 0u);  // another /64
  EXPECT_EQ(server_->client_usage("2001:db8::1").connections, 0u);
}

TEST_F(ServerLimitsTest, HoldsSlowUploadsOfOneAddressWithinItsBudgetAndServesOthers) {
  ServerLimits limits;
  limits.body_bytes_max = 64 * 1024;
  limits.request_bytes_per_client_max = 256 * 1024;
  limits.idle_timeout = 60s;
  ASSERT_TRUE(start(limits));
  constexpr std::size_t kBody = 50'000;

  // A flood of uploads that declare a large body and send it a few bytes at a time: a few are
  // let in (their bodies reserved), the next is refused before any more of its body is read.
  std::string refusal;
  auto uploads = open_uploads(kFirst, kBody, 12, refusal);
  EXPECT_GE(uploads.size(), 1u);
  EXPECT_LE(uploads.size() * kBody, limits.request_bytes_per_client_max);
  EXPECT_EQ(refusal.rfind("HTTP/1.1 503", 0), 0u) << refusal;
  EXPECT_NE(refusal.find("too much request data in progress from this address"), std::string::npos)
      << refusal;
  // Each further attempt is refused as well while the uploads hold the budget.
  for (int i = 0; i < 3; ++i) {
    std::string again;
    auto none = open_uploads(kFirst, kBody, 1, again);
    EXPECT_TRUE(none.empty());
    EXPECT_NE(again.find("503"), std::string::npos);
  }
  // Another address is served meanwhile, a large upload included.
  auto other = connect_from(kSecond);
  send(other,
       "POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: 50000\r\n\r\n" + std::string(kBody, 'b'));
  auto res = read_response(other);
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "50000");

  // An upload abandoned half way gives its bytes back.
  std::size_t held = server_->client_usage(kFirst).request_bytes;
  uploads.front().close();
  uploads.erase(uploads.begin());
  EXPECT_TRUE(
      eventually([&] { return server_->client_usage(kFirst).request_bytes + kBody <= held; }));

  // The others trickle on and finish, never past the budget.
  const std::size_t piece = (kBody - 10) / 10;
  for (int round = 0; round < 10; ++round) {
    for (auto& u : uploads) send(u, std::string(piece, 'a'));
    std::this_thread::sleep_for(10ms);
    check_budgets(kFirst);
  }
  for (auto& u : uploads) {
    auto done = read_response(u);
    EXPECT_EQ(done.result_int(), 200);
    EXPECT_EQ(done.body(), "50000");
  }
  // Answered requests hold nothing; the address is served normally again.
  EXPECT_TRUE(eventually([&] { return server_->client_usage(kFirst).request_bytes == 0; }));
  EXPECT_TRUE(eventually([&] { return server_->request_bytes() == 0; }));
  auto after = connect_from(kFirst);
  EXPECT_EQ(get(after).result_int(), 200);
}

TEST_F(ServerLimitsTest, RefusesARequestLargerThanTheClientBudgetBeforeItsBodyArrives) {
  ServerLimits limits;
  limits.request_bytes_per_client_max = 64 * 1024;
  ASSERT_TRUE(start(limits));
  // Within the body limit (1 MiB) but more than the address may hold: answered at once,
  // without waiting for (or reading) the body.
  auto s = connect_from(kFirst);
  send(s, "POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n");
  bool closed = false;
  std::string raw = read_until_closed(s, kSoon, closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(raw.rfind("HTTP/1.1 503", 0), 0u) << raw;
  EXPECT_NE(raw.find("from this address"), std::string::npos) << raw;
  // A request that fits is served.
  auto t = connect_from(kFirst);
  send(t, "POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: 10000\r\n\r\n" +
              std::string(10'000, 'x'));
  auto res = read_response(t);
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "10000");
  // A body over the body limit is still 413, whatever the budget.
  auto u = connect_from(kFirst);
  send(u, "POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n");
  EXPECT_NE(read_until_closed(u, kSoon, closed).find("HTTP/1.1 413"), std::string::npos);
  EXPECT_TRUE(eventually([&] { return server_->request_bytes() == 0; }));
}

TEST_F(ServerLimitsTest, HoldsAllAddressesWithinTheListenerBudget) {
  ServerLimits limits;
  limits.body_bytes_max = 64 * 1024;
  limits.request_bytes_per_client_max = 1024 * 1024;
  limits.request_bytes_max = 200 * 1024;
  limits.idle_timeout = 60s;
  ASSERT_TRUE(start(limits));
  constexpr std::size_t kBody = 50'000;
  std::string refusal;
  auto uploads = open_uploads(kFirst, kBody, 12, refusal);
  EXPECT_GE(uploads.size(), 1u);
  EXPECT_NE(refusal.find("HTTP/1.1 503"), std::string::npos) << refusal;
  EXPECT_NE(refusal.find("too much request data in progress"), std::string::npos) << refusal;
  EXPECT_EQ(refusal.find("from this address"), std::string::npos) << refusal;
  check_budgets(kFirst);

  // The listener's budget is spent for every address: a large upload from another is refused...
  std::string other_refusal;
  auto none = open_uploads(kSecond, kBody, 1, other_refusal);
  EXPECT_TRUE(none.empty());
  EXPECT_NE(other_refusal.find("503"), std::string::npos);
  // ...while a small request still fits in what is left.
  auto small = connect_from(kSecond);
  EXPECT_EQ(get(small).result_int(), 200);

  // Once the uploads go away, the large upload is served.
  uploads.clear();
  EXPECT_TRUE(eventually([&] { return server_->request_bytes() == 0; }));
  auto large = connect_from(kSecond);
  send(large,
       "POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: 50000\r\n\r\n" + std::string(kBody, 'c'));
  EXPECT_EQ(read_response(large).result_int(), 200);
}

TEST_F(ServerLimitsTest, DropsAClientThatStallsInItsHeaderAfterTheHeaderTimeout) {
  ServerLimits limits;
  limits.header_timeout = 200ms;  // the request timeout stays 30 s
  ASSERT_TRUE(start(limits));
  // Half a header line, then nothing.
  auto s = connect_from(kFirst);
  send(s, "GET /hello HTTP/1.1\r\nHo");
  bool closed = false;
  std::string raw = read_until_closed(s, kSoon, closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(raw.rfind("HTTP/1.1 408", 0), 0u) << raw;

  // Trickling header lines does not reset the clock: it runs from the request's first byte.
  auto t = connect_from(kFirst);
  send(t, "GET /hello HTTP/1.1\r\n");
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    while (!stop.load()) {
      boost::system::error_code ec;
      asio::write(t, asio::buffer(std::string("X-A: b\r\n")), ec);
      if (ec) break;
      std::this_thread::sleep_for(20ms);
    }
  });
  raw = read_until_closed(t, kSoon, closed);
  stop = true;
  trickle.join();
  EXPECT_TRUE(closed);
  EXPECT_NE(raw.find("HTTP/1.1 408"), std::string::npos) << raw;

  // A header that arrives whole is served even when its body is slower than the header
  // timeout: the body is bounded by the request timeout only.
  auto u = connect_from(kFirst);
  send(u, "POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nabc");
  std::this_thread::sleep_for(400ms);
  send(u, "def");
  auto res = read_response(u);
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "6");
  EXPECT_TRUE(eventually([&] { return server_->request_bytes() == 0; }));
}

TEST_F(ServerLimitsTest, ClosesAKeptAliveConnectionIdleLongerThanTheIdleTimeout) {
  ServerLimits limits;
  limits.idle_timeout = 1s;
  ASSERT_TRUE(start(limits));
  auto s = connect_from(kFirst);
  // Requests that come within the idle timeout keep the connection; each answer says when
  // the server will drop it (as Node.js does).
  for (int i = 0; i < 3; ++i) {
    auto res = get(s);
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_TRUE(res.keep_alive());
    EXPECT_EQ(res[http::field::keep_alive], "timeout=1");
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(server_->client_usage(kFirst).connections, 1u);
  // Waiting for its next request, a connection holds no request bytes.
  EXPECT_TRUE(eventually([&] { return server_->client_usage(kFirst).request_bytes == 0; }));
  // Past the idle timeout it is closed without an answer.
  bool closed = false;
  EXPECT_EQ(read_until_closed(s, kSoon, closed), "");
  EXPECT_TRUE(closed);
  // A connection that never sends anything is closed the same way.
  auto silent = connect_from(kFirst);
  EXPECT_EQ(read_until_closed(silent, kSoon, closed), "");
  EXPECT_TRUE(closed);
  EXPECT_TRUE(eventually([&] { return server_->connections() == 0; }));
  EXPECT_EQ(server_->client_usage(kFirst).connections, 0u);
}

TEST_F(ServerLimitsTest, SaysNothingAboutKeepAliveBelowOneSecondOrWhenClosing) {
  ServerLimits limits;
  limits.idle_timeout = 500ms;
  ASSERT_TRUE(start(limits));
  auto s = connect_from(kFirst);
  auto res = get(s);
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.count(http::field::keep_alive), 0u);  // "timeout=0" would mean nothing useful
  auto t = connect_from(kFirst);
  send(t, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  res = read_response(t);
  EXPECT_FALSE(res.keep_alive());
  EXPECT_EQ(res.count(http::field::keep_alive), 0u);
}
