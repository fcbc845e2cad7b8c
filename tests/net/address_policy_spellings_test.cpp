// Attacks on the outbound address policy: every way of writing a loopback address in a URL must
// be refused by a restricted request before it connects, and the literal check made when a
// tenant sets a URL must see the same address the connection would reach. Only loopback
// addresses are ever connected to; other ranges are checked without network traffic.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_future.hpp>

#include "net/address_policy.h"
#include "net/client.h"

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using rafiki::net::AddressClass;
using rafiki::net::AddressPolicy;
using rafiki::net::ClientRequest;
using rafiki::net::HttpClient;
using rafiki::net::literal_host_class;

// Counts connections accepted on 127.0.0.1 (and ::1 when available) on one port, closing each.
class Listener {
 public:
  Listener() : v4_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = v4_.local_endpoint().port();
    boost::system::error_code ec;
    v6_.emplace(io_);
    v6_->open(tcp::v6(), ec);
    if (!ec) v6_->set_option(asio::ip::v6_only(true), ec);
    if (!ec) v6_->bind(tcp::endpoint(asio::ip::make_address("::1"), port_), ec);
    if (!ec) v6_->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) v6_.reset();
    accept(v4_);
    if (v6_) accept(*v6_);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Listener() {
    io_.stop();
    thread_.join();
  }
  std::uint16_t port() const { return port_; }
  int accepted() const { return accepted_.load(); }

 private:
  void accept(tcp::acceptor& acceptor) {
    acceptor.async_accept([this, &acceptor](boost::system::error_code ec, tcp::socket s) {
      if (ec) return;
      ++accepted_;
      s.close(ec);
      accept(acceptor);
    });
  }
  asio::io_context io_;
  tcp::acceptor v4_;
  std::optional<tcp::acceptor> v6_;
  std::uint16_t port_ = 0;
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

class AddressPolicySpellingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    work_.reset();
    io_.stop();
    thread_.join();
  }

  rafiki::Result<rafiki::net::ClientResponse> fetch(HttpClient& client, std::string url,
                                                    AddressPolicy policy) {
    ClientRequest request;
    request.url = std::move(url);
    request.address_policy = policy;
    request.timeout_ms = 5'000;
    return asio::co_spawn(io_, client.request(std::move(request)), asio::use_future).get();
  }

  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      asio::make_work_guard(io_)};
  std::thread thread_;
};

// Every spelling of a loopback host that getaddrinfo or the URL parser accepts.
TEST_F(AddressPolicySpellingsTest, EverySpellingOfLoopbackIsRefusedBeforeConnecting) {
  Listener listener;
  HttpClient client(io_.get_executor());
  const std::string port = std::to_string(listener.port());
  const std::string spellings[] = {
      "127.0.0.1", "127.1", "127.0.1", "2130706433", "0x7f000001", "0x7f.1", "0x7F.0.0.1",
      "017700000001", "0177.0.0.1", "0177.1", "127.000.000.001", "%31%32%37.0.0.1",
      "localhost", "LOCALHOST", "LocalHost", "[::1]", "[0:0:0:0:0:0:0:1]", "[::ffff:127.0.0.1]",
      "[::ffff:7f00:1]", "[::FFFF:7F00:0001]",
  };
  for (const std::string& host : spellings) {
    const std::string url = "http://" + host + ":" + port + "/";
    for (AddressPolicy policy : {AddressPolicy::kPublicOnly}) {
      auto refused = fetch(client, url, policy);
      ASSERT_FALSE(refused) << url << " reached the loopback listener";
      EXPECT_EQ(refused.error().code, "http.forbidden_address")
          << url << ": " << refused.error().code << " " << refused.error().message;
    }
  }
  // The same with the unrestricted policy does connect (the spellings are real).
  auto reached = fetch(client, "http://0x7f.1:" + port + "/", AddressPolicy::kAny);
  EXPECT_FALSE(reached);  // the listener closes without answering
  EXPECT_EQ(listener.accepted(), 1);
}

// A literal address a tenant sets (WEBHOOK_URL, a peer's endpoint) is refused at once when it
// is forbidden. The numeric forms getaddrinfo takes (inet_aton: 127.1, 2130706433, 0x7f.1,
// 0177.0.0.1) are literal addresses too: the connection goes to the address they spell.
TEST(AddressPolicyLiteral, NumericHostsThatResolveWithoutDnsAreClassified) {
  EXPECT_EQ(literal_host_class("http://2852039166/latest/meta-data/"), AddressClass::kLinkLocal);
  EXPECT_EQ(literal_host_class("http://0xa9.0xfe.0xa9.0xfe/"), AddressClass::kLinkLocal);
  EXPECT_EQ(literal_host_class("http://0251.0376.0251.0376/"), AddressClass::kLinkLocal);
  EXPECT_EQ(literal_host_class("http://169.254.43518/"), AddressClass::kLinkLocal);
  EXPECT_EQ(literal_host_class("http://%31%36%39.254.169.254/"), AddressClass::kLinkLocal);
  EXPECT_EQ(literal_host_class("http://127.1:3001/"), AddressClass::kLoopback);
  EXPECT_EQ(literal_host_class("http://2130706433/"), AddressClass::kLoopback);
  EXPECT_EQ(literal_host_class("http://0x7f.1/"), AddressClass::kLoopback);
  EXPECT_EQ(literal_host_class("http://017700000001/"), AddressClass::kLoopback);
  EXPECT_EQ(literal_host_class("http://10.1/"), AddressClass::kPrivate);
  EXPECT_EQ(literal_host_class("http://0/"), AddressClass::kReserved);
  // Names stay names.
  EXPECT_FALSE(literal_host_class("http://0x7f.example/").has_value());
  EXPECT_FALSE(literal_host_class("http://0177.example/").has_value());
}

}  // namespace
