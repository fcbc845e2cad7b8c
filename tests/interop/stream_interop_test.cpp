// STREAM and SPSP interoperability with the JS reference implementations (ilp-protocol-stream
// 2.7.2-alpha.3 and @interledger/pay 0.4.0-alpha.9, from tests/interop/package.json), across
// ILP over HTTP on loopback. One node process per scenario (stream_interop.js):
//   - our sender pays an ilp-protocol-stream server, and exactly the amount arrives there;
//   - an ilp-protocol-stream client pays our receiver, and exactly the amount is credited;
//   - @interledger/pay finds our receiver through our SPSP handler, quotes and pays.
// Our side (receiver, SPSP handler, ILP-over-HTTP handler with a connector's 5000-unit maximum
// packet amount in front of the receiver, and ILDCP for the JS client) runs in this process.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <thread>

#include "base/encoding.h"
#include "base/time.h"
#include "ilp/error_codes.h"
#include "ilp/http.h"
#include "ilp/ildcp.h"
#include "ilp/stream/spsp.h"
#include "ilp/stream/receiver.h"
#include "ilp/stream/sender.h"
#include "net/client.h"
#include "net/router.h"
#include "net/server.h"
#include "support/process.h"

namespace rafiki::ilp {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;

constexpr auto kNodeTimeout = std::chrono::seconds(60);
constexpr auto kTestDeadline = std::chrono::seconds(60);
constexpr std::uint64_t kConnectorMaxPacketAmount = 5000;
constexpr std::string_view kToken = "interop-token-0123456789abcdef0123456789abcdef";
constexpr std::string_view kOurAddress = "test.rafiki";
constexpr std::string_view kJsClientAddress = "test.rafiki.js-client";

fs::path interop_dir() {
  return fs::path(RAFIKI_SOURCE_DIR) / "tests" / "interop";
}

// Starts `node stream_interop.js <scenario> <args>`; nullptr (and a test failure) when the npm
// packages are not installed.
std::unique_ptr<testing::ChildProcess> start_node(std::string scenario, const json::object& args) {
  if (!fs::exists(interop_dir() / "node_modules" / "ilp-protocol-stream")) {
    ADD_FAILURE() << "tests/interop/node_modules is missing or stale: run `npm ci --prefix "
                     "tests/interop` (scripts/test does)";
    return nullptr;
  }
  std::vector<std::string> argv = {"/usr/bin/env", "node",
                                   (interop_dir() / "stream_interop.js").string(),
                                   std::move(scenario), json::serialize(args)};
  return std::make_unique<testing::ChildProcess>(std::move(argv),
                                                 std::map<std::string, std::string>{});
}

// The JSON after `tag` on a line of the child's stderr; nullopt (and a test failure) when the
// line does not come in time.
std::optional<json::object> wait_for(testing::ChildProcess& child, const std::string& tag) {
  auto match = child.wait_for_line(std::regex("^" + tag + " (.*)$"), kNodeTimeout);
  if (!match) {
    ADD_FAILURE() << "node printed no " << tag << " line; its stderr:\n" << child.output();
    return std::nullopt;
  }
  boost::system::error_code ec;
  json::value value = json::parse((*match)[1].str(), ec);
  if (ec || !value.is_object()) {
    ADD_FAILURE() << "bad " << tag << " JSON: " << (*match)[1].str();
    return std::nullopt;
  }
  return value.as_object();
}

std::string text(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (!value) return "<missing>";
  if (value->is_string()) return std::string(value->get_string());
  return json::serialize(*value);
}

// The F08 a connector with a maximum packet amount answers.
Bytes amount_too_large(std::uint64_t amount) {
  AmountTooLargeData data;
  data.received_amount = amount;
  data.maximum_amount = kConnectorMaxPacketAmount;
  Bytes encoded = encode_amount_too_large_data(data);
  Reject reject;
  reject.code = kF08AmountTooLarge;
  reject.triggered_by = "test.connector";
  reject.message = "packet size too large";
  reject.data = encoded;
  return *encode_reject(reject);
}

// Our receiving side on an io_context run by its own thread: POST /ilp is ILP over HTTP (a
// connector stage with a maximum packet amount, ILDCP for peer.config, then the STREAM
// receiver), GET /alice is the SPSP endpoint of a USD/2 wallet address.
class OurReceiver {
 public:
  explicit OurReceiver(stream::ReceiverOptions options) {
    receiver_ = std::make_shared<const stream::Receiver>(
        *stream::Receiver::create(Bytes(32, 0x5a), std::string(kOurAddress), options));
    router_.post("/ilp", make_http_handler(
                             [](std::string token) -> asio::awaitable<ilp::TokenLookupResult> {
                               if (token == kToken) co_return std::string("js-peer");
                               co_return std::nullopt;
                             },
                             [this](const IncomingPrepare& incoming) -> asio::awaitable<Bytes> {
                               co_return co_await handle(incoming);
                             }));
    router_.get(
        "/alice",
        spsp::make_spsp_handler(
            receiver_,
            [](const net::Request&) -> asio::awaitable<std::optional<stream::ConnectionDetails>> {
              stream::ConnectionDetails details;
              details.payment_tag = "wallet-alice";
              details.asset = stream::AssetDetails{"USD", 2};
              co_return details;
            }));
    server_ = std::make_unique<net::HttpServer>(io_, "interop receiver", router_.handler());
    port_ = server_->listen("127.0.0.1", 0).value();
    server_->start();
    thread_ = std::thread([this] { io_.run_for(kTestDeadline); });
  }

  ~OurReceiver() { stop(); }

  void stop() {
    if (!thread_.joinable()) return;
    asio::co_spawn(
        io_, [this]() -> asio::awaitable<void> { co_await server_->shutdown(); }, asio::detached);
    guard_.reset();
    thread_.join();
  }

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::uint16_t port() const { return port_; }
  const stream::Receiver& receiver() const { return *receiver_; }
  // Read after stop().
  std::uint64_t credited() const { return credited_; }
  std::size_t connections() const { return totals_.size(); }
  std::uint64_t ildcp_requests() const { return ildcp_requests_; }

 private:
  asio::awaitable<Bytes> handle(const IncomingPrepare& incoming) {
    const Prepare& prepare = incoming.prepare;
    if (prepare.destination == kIldcpDestination) {
      ++ildcp_requests_;
      ildcp::Response response;
      response.client_address = kJsClientAddress;
      response.asset_scale = 2;
      response.asset_code = "USD";
      co_return *ildcp::encode_response(response);
    }
    if (prepare.amount > kConnectorMaxPacketAmount) co_return amount_too_large(prepare.amount);
    stream::MoneyHandler on_money =
        [this](stream::IncomingMoney money) -> asio::awaitable<stream::MoneyAnswer> {
      EXPECT_EQ(money.details.payment_tag, "wallet-alice");
      credited_ += money.amount;
      std::uint64_t& total = totals_[money.connection_id];
      total += money.amount;
      stream::MoneyAnswer answer;
      answer.total_received = total;
      co_return answer;
    };
    co_return co_await receiver_->handle_prepare(prepare, on_money);
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_{io_.get_executor()};
  std::shared_ptr<const stream::Receiver> receiver_;
  net::Router router_;
  std::unique_ptr<net::HttpServer> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::uint64_t credited_ = 0;
  std::uint64_t ildcp_requests_ = 0;
  std::map<std::string, std::uint64_t> totals_;
};

TEST(StreamInterop, OurSenderPaysAnIlpProtocolStreamServer) {
  json::object args;
  args["address"] = "test.js-server";
  args["assetCode"] = "USD";
  args["assetScale"] = 2;
  auto node = start_node("js_server", args);
  ASSERT_TRUE(node);
  auto ready = wait_for(*node, "READY");
  ASSERT_TRUE(ready);
  auto secret = encoding::base64_decode(text(*ready, "sharedSecret"));
  ASSERT_TRUE(secret && secret->size() == 32) << text(*ready, "sharedSecret");

  asio::io_context io;
  net::HttpClient client(io.get_executor());
  HttpEndpoint endpoint;
  endpoint.url = "http://127.0.0.1:" + text(*ready, "port") + "/";
  endpoint.auth_token = text(*ready, "token");
  stream::PrepareSender send = [&client, endpoint](Bytes prepare) {
    return send_prepare(client, endpoint, std::move(prepare));
  };
  stream::PaymentOptions options;
  options.destination = text(*ready, "destination");
  options.shared_secret = *secret;
  options.source_amount = 123'456;
  options.minimum_rate = stream::Ratio{1, 1};
  std::optional<stream::PaymentResult> result;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        result = co_await stream::pay(send, options);
        client.close_idle();
        io.stop();
      },
      asio::detached);
  io.run_for(kTestDeadline);
  ASSERT_TRUE(result) << "the payment did not finish in time";
  EXPECT_TRUE(result->ok()) << stream::payment_error_name(result->error) << ": " << result->reason;
  EXPECT_EQ(result->amount_sent, 123'456u);
  EXPECT_EQ(result->amount_delivered, 123'456u);

  node->signal(SIGTERM);
  auto done = wait_for(*node, "RESULT");
  ASSERT_TRUE(done);
  EXPECT_EQ(text(*done, "received"), "123456") << json::serialize(*done);
  EXPECT_EQ(text(*done, "connections"), "1");
  EXPECT_EQ(node->wait(std::chrono::seconds(10)), 0);
}

// Pays our receiver with an ilp-protocol-stream client; the receiver answers with `options`.
void js_client_pays_our_receiver(stream::ReceiverOptions options) {
  OurReceiver ours{options};
  stream::ConnectionDetails details;
  details.payment_tag = "wallet-alice";
  details.asset = stream::AssetDetails{"USD", 2};
  stream::Credentials credentials = *ours.receiver().generate_credentials(details);

  json::object args;
  args["url"] = ours.base_url() + "/ilp";
  args["token"] = kToken;
  args["destination"] = credentials.ilp_address;
  args["sharedSecret"] = encoding::base64_encode(
      ByteView(credentials.shared_secret.data(), credentials.shared_secret.size()));
  args["amount"] = "12345";
  auto node = start_node("js_client", args);
  ASSERT_TRUE(node);
  auto done = wait_for(*node, "RESULT");
  auto exit_code = node->wait(std::chrono::seconds(10));
  ours.stop();
  ASSERT_TRUE(done);
  EXPECT_EQ(exit_code, 0) << node->output();
  EXPECT_EQ(text(*done, "sent"), "12345") << json::serialize(*done);
  EXPECT_EQ(text(*done, "delivered"), "12345");
  EXPECT_EQ(text(*done, "destinationAsset"), "USD");  // ConnectionAssetDetails from the token
  EXPECT_EQ(ours.credited(), 12'345u);
  EXPECT_EQ(ours.connections(), 1u);
  EXPECT_GE(ours.ildcp_requests(), 1u);
}

// ilp-protocol-stream's client reads the STREAM reply of F05/F04 (upstream Rafiki's receiver,
// our default) and of F99 (ilp-protocol-stream's own server) alike.
TEST(StreamInterop, IlpProtocolStreamClientPaysOurReceiverAnsweringF05AndF04) {
  stream::ReceiverOptions options;
  options.f99_for_condition_and_minimum = false;
  js_client_pays_our_receiver(options);
}

TEST(StreamInterop, IlpProtocolStreamClientPaysOurReceiverAnsweringF99) {
  stream::ReceiverOptions options;
  options.f99_for_condition_and_minimum = true;
  js_client_pays_our_receiver(options);
}

// What @interledger/pay 0.4.0-alpha.9 needs: it tolerates only T.., F08, F99 and R01 rejects,
// so its first (unfulfillable) probe must be answered F99, as ilp-protocol-stream's server does.
TEST(StreamInterop, InterledgerPayQuotesAndPaysThroughOurSpspEndpoint) {
  stream::ReceiverOptions options;
  options.f99_for_condition_and_minimum = true;
  OurReceiver ours{options};
  json::object args;
  args["spspPort"] = ours.port();
  args["path"] = "/alice";
  args["url"] = ours.base_url() + "/ilp";
  args["token"] = kToken;
  args["amount"] = "12345";
  args["sourceAssetCode"] = "USD";
  args["sourceAssetScale"] = 2;
  auto node = start_node("pay", args);
  ASSERT_TRUE(node);
  auto done = wait_for(*node, "RESULT");
  auto exit_code = node->wait(std::chrono::seconds(10));
  ours.stop();
  ASSERT_TRUE(done);
  EXPECT_EQ(exit_code, 0) << node->output();
  std::string all = json::serialize(*done);
  EXPECT_EQ(text(*done, "error"), "null") << all;
  EXPECT_EQ(text(*done, "sent"), "12345") << all;
  EXPECT_EQ(text(*done, "delivered"), "12345") << all;
  ASSERT_TRUE(done->at("quote").is_object()) << all;
  EXPECT_EQ(text(done->at("quote").as_object(), "maxPacketAmount"), "5000");
  EXPECT_EQ(text(done->at("quote").as_object(), "maxSourceAmount"), "12345");
  EXPECT_EQ(json::serialize(done->at("asset")), R"({"code":"USD","scale":2})");
  auto found = ours.receiver().decode_destination(text(*done, "destinationAddress"));
  ASSERT_TRUE(found) << "pay did not use the address our SPSP handler made";
  EXPECT_EQ(found->payment_tag, "wallet-alice");
  EXPECT_EQ(ours.credited(), 12'345u);
}

// The same with upstream Rafiki's reject codes (F05 / F04): pay 0.4.0-alpha.9 ends its quote
// with ConnectorError at the first probe, and no money moves.
TEST(StreamInterop, InterledgerPayAlpha9FailsItsQuoteOnF05) {
  stream::ReceiverOptions options;
  options.f99_for_condition_and_minimum = false;
  OurReceiver ours{options};
  json::object args;
  args["spspPort"] = ours.port();
  args["path"] = "/alice";
  args["url"] = ours.base_url() + "/ilp";
  args["token"] = kToken;
  args["amount"] = "100";
  args["sourceAssetCode"] = "USD";
  args["sourceAssetScale"] = 2;
  auto node = start_node("pay", args);
  ASSERT_TRUE(node);
  auto done = wait_for(*node, "RESULT");
  node->wait(std::chrono::seconds(10));
  ours.stop();
  ASSERT_TRUE(done);
  EXPECT_EQ(text(*done, "error"), "quote: ConnectorError") << json::serialize(*done);
  EXPECT_EQ(ours.credited(), 0u);
}

}  // namespace
}  // namespace rafiki::ilp
