// SPSP: payment pointers, parsing answers (good and bad), and the client against our handler on
// loopback, down to paying the credentials it hands out.
#include "ilp/stream/spsp.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/encoding.h"
#include "ilp/packet.h"
#include "ilp/stream/sender.h"
#include "net/client.h"
#include "net/server.h"

namespace rafiki::ilp::spsp {
namespace {

namespace asio = boost::asio;
constexpr auto kTestDeadline = std::chrono::seconds(30);
constexpr std::string_view kSecretB64Url = "Uqb2ARcDN1GPVv8InuGVO4RY6xSg3jixj8jWXCKwmdY";
constexpr std::string_view kSecretB64 = "Uqb2ARcDN1GPVv8InuGVO4RY6xSg3jixj8jWXCKwmdY=";

std::string body_with(std::string_view account, std::string_view secret) {
  return "{\"destination_account\":\"" + std::string(account) + "\",\"shared_secret\":\"" +
         std::string(secret) + "\"}";
}

TEST(SpspEndpointUrl, MapsPaymentPointersAsRfc26Says) {
  EXPECT_EQ(endpoint_url("$example.com").value(), "https://example.com/.well-known/pay");
  EXPECT_EQ(endpoint_url("$example.com/").value(), "https://example.com/.well-known/pay");
  EXPECT_EQ(endpoint_url("$example.com/alice").value(), "https://example.com/alice");
  EXPECT_EQ(endpoint_url("http://127.0.0.1:9/x").value(), "http://127.0.0.1:9/x");
  EXPECT_EQ(endpoint_url("HTTPS://a.example/b").value(), "HTTPS://a.example/b");
}

TEST(SpspEndpointUrl, RefusesWhatIsNeitherPointerNorUrl) {
  for (std::string_view bad : {"", "$", "$/alice", "example.com", "ftp://x", "$a@b.com",
                               "$a.com:8080/x", "$a.com/x?y", "$a.com/x#y", "$a com"}) {
    auto url = endpoint_url(bad);
    ASSERT_FALSE(url) << bad;
    EXPECT_EQ(url.error().code, kErrSpspUrl);
  }
}

TEST(SpspParse, ReadsAnAnswerInEitherBase64Alphabet) {
  for (std::string_view secret : {kSecretB64Url, kSecretB64}) {
    auto parsed = parse_response("application/spsp4+json; charset=utf-8",
                                 body_with("test.rafiki.abc", secret));
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(parsed->destination_account, "test.rafiki.abc");
    EXPECT_EQ(encoding::hex_encode(ByteView(parsed->shared_secret.data(), 32)),
              "52a6f601170337518f56ff089ee1953b8458eb14a0de38b18fc8d65c22b099d6");
    EXPECT_FALSE(parsed->receipts_enabled);
  }
  auto parsed = parse_response("Application/SPSP4+JSON",
                               "{\"destination_account\":\"g.x\",\"shared_secret\":\"" +
                                   std::string(kSecretB64Url) +
                                   "\",\"receipts_enabled\":true,\"unknown\":{\"a\":[1]}}");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_TRUE(parsed->receipts_enabled);
}

TEST(SpspParse, RefusesAnotherContentType) {
  for (std::string_view type : {"", "application/json", "application/spsp+json", "text/html"}) {
    auto parsed = parse_response(type, body_with("g.x", kSecretB64Url));
    ASSERT_FALSE(parsed) << type;
    EXPECT_EQ(parsed.error().code, kErrSpspContentType);
  }
}

TEST(SpspParse, RefusesBodiesThatAreNotAJsonObject) {
  std::string deep(kJsonDepthMax + 1, '[');
  deep += std::string(kJsonDepthMax + 1, ']');
  std::string huge = "{\"pad\":\"" + std::string(kResponseBytesMax, 'x') + "\"}";
  for (std::string_view body :
       {std::string_view(""), std::string_view("{"), std::string_view("[1,2]"),
        std::string_view("\"x\""), std::string_view("null"), std::string_view(deep),
        std::string_view(huge)}) {
    auto parsed = parse_response(kSpspMediaType, body);
    ASSERT_FALSE(parsed) << body.substr(0, 20);
    EXPECT_EQ(parsed.error().code, kErrSpspJson);
  }
}

TEST(SpspParse, RefusesMissingOrBadFields) {
  std::string s(kSecretB64Url);
  const std::vector<std::string> bodies = {
      std::string("{}"),
      "{\"shared_secret\":\"" + s + "\"}",
      std::string("{\"destination_account\":\"g.x\"}"),
      "{\"destination_account\":5,\"shared_secret\":\"" + s + "\"}",
      body_with("not an address", s),
      body_with("g", s),
      body_with("g.x", "AAAA"),      // 3 bytes
      body_with("g.x", s + "AAAA"),  // 35 bytes
      body_with("g.x", "!!!not base64!!!"),
      body_with("g.x", "Uqb2ARcDN1GPVv8In+GVO4RY6xSg3jixj8jWXCKwm_Y"),  // mixed alphabets
      std::string("{\"destination_account\":\"g.x\",\"shared_secret\":[1]}"),
      "{\"destination_account\":\"g.x\",\"shared_secret\":\"" + s +
          "\",\"receipts_enabled\":\"yes\"}",
  };
  for (const std::string& body : bodies) {
    auto parsed = parse_response(kSpspMediaType, body);
    ASSERT_FALSE(parsed) << body;
    EXPECT_EQ(parsed.error().code, kErrSpspField) << body;
  }
}

TEST(SpspParse, EncodeResponseRoundTrips) {
  SpspResponse response;
  response.destination_account = "test.rafiki.token";
  response.shared_secret.fill(0xfb);
  response.receipts_enabled = true;
  std::string body = encode_response(response);
  EXPECT_EQ(body.find('='), std::string::npos) << "base64url without padding: " << body;
  auto parsed = parse_response(kSpspMediaType, body);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->destination_account, response.destination_account);
  EXPECT_EQ(parsed->shared_secret, response.shared_secret);
  EXPECT_TRUE(parsed->receipts_enabled);
}

TEST(SpspAccept, MatchesWhenTheHeaderContainsTheSpspType) {
  EXPECT_TRUE(accepts_spsp("application/spsp4+json"));
  EXPECT_TRUE(accepts_spsp("application/json, application/spsp4+json"));
  EXPECT_TRUE(accepts_spsp("APPLICATION/SPSP4+JSON;q=0.9"));
  EXPECT_FALSE(accepts_spsp(""));
  EXPECT_FALSE(accepts_spsp("application/json"));
  EXPECT_FALSE(accepts_spsp("application/spsp+json"));
  EXPECT_FALSE(accepts_spsp("*/*"));
}

// A receiver behind make_spsp_handler on a loopback port; `body` runs with the server's URL.
class SpspLoopback : public ::testing::Test {
 protected:
  SpspLoopback() {
    receiver_ = std::make_shared<const stream::Receiver>(
        *stream::Receiver::create(Bytes(32, 0x44), "test.rafiki"));
  }

  void run(net::Handler handler,
           std::function<asio::awaitable<void>(net::HttpClient&, std::string base)> body) {
    asio::io_context io;
    net::HttpServer server(io, "spsp", handler);
    std::uint16_t port = server.listen("127.0.0.1", 0).value();
    server.start();
    net::HttpClient client(io.get_executor());
    std::string base = "http://127.0.0.1:" + std::to_string(port);
    bool done = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          co_await body(client, base);
          client.close_idle();
          co_await server.shutdown();
          done = true;
          io.stop();
        },
        [](std::exception_ptr error) {
          if (error) std::rethrow_exception(error);
        });
    io.run_for(kTestDeadline);
    EXPECT_TRUE(done) << "the test did not finish in time";
  }

  // Wallet addresses: "/alice" (USD/2) exists, nothing else.
  net::Handler handler(net::Handler fallback = {}) {
    return make_spsp_handler(
        receiver_,
        [](const net::Request& request)
            -> asio::awaitable<std::optional<stream::ConnectionDetails>> {
          if (request.path != "/alice") co_return std::nullopt;
          stream::ConnectionDetails details;
          details.payment_tag = "wallet-alice";
          details.asset = stream::AssetDetails{"USD", 2};
          co_return details;
        },
        std::move(fallback));
  }

  std::shared_ptr<const stream::Receiver> receiver_;
};

TEST_F(SpspLoopback, ClientGetsCredentialsThatPayTheReceiver) {
  run(handler(), [&](net::HttpClient& client, std::string base) -> asio::awaitable<void> {
    auto answer = co_await query(client, base + "/alice");
    EXPECT_TRUE(answer) << answer.error().message;
    if (!answer) co_return;
    EXPECT_FALSE(answer->receipts_enabled);
    auto details = receiver_->decode_destination(answer->destination_account);
    EXPECT_TRUE(details);
    if (!details) co_return;
    EXPECT_EQ(details->payment_tag, "wallet-alice");
    EXPECT_EQ(details->asset, (stream::AssetDetails{"USD", 2}));
    EXPECT_FALSE(details->receipt);

    // The shared secret is the one the receiver derives: a payment with it is fulfilled.
    std::uint64_t credited = 0;
    stream::MoneyHandler on_money =
        [&credited](stream::IncomingMoney money) -> asio::awaitable<stream::MoneyAnswer> {
      credited += money.amount;
      co_return stream::MoneyAnswer{};
    };
    auto receiver = receiver_;
    stream::PrepareSender send = [receiver,
                                  &on_money](Bytes packet) -> asio::awaitable<Result<Bytes>> {
      auto prepare = decode_prepare(packet);
      if (!prepare) co_return std::unexpected(prepare.error());
      co_return co_await receiver->handle_prepare(*prepare, on_money);
    };
    stream::PaymentOptions options;
    options.destination = answer->destination_account;
    options.shared_secret.assign(answer->shared_secret.begin(), answer->shared_secret.end());
    options.source_amount = 1234;
    options.minimum_rate = stream::Ratio{1, 1};
    stream::PaymentResult result = co_await stream::pay(send, options);
    EXPECT_TRUE(result.ok()) << result.reason;
    EXPECT_EQ(result.amount_delivered, 1234u);
    EXPECT_EQ(credited, 1234u);
  });
}

TEST_F(SpspLoopback, ReceiptHeadersTurnReceiptsOn) {
  run(handler(), [&](net::HttpClient& client, std::string base) -> asio::awaitable<void> {
    stream::ReceiptDetails receipt;
    receipt.nonce.fill(0x22);
    receipt.secret.fill(0x33);
    auto answer = co_await query(client, base + "/alice", receipt);
    EXPECT_TRUE(answer) << answer.error().message;
    if (!answer) co_return;
    EXPECT_TRUE(answer->receipts_enabled);
    auto details = receiver_->decode_destination(answer->destination_account);
    EXPECT_TRUE(details && details->receipt == receipt);
  });
}

TEST_F(SpspLoopback, AnswersWithTheHeadersAndShapeRafikiUses) {
  run(handler(), [&](net::HttpClient& client, std::string base) -> asio::awaitable<void> {
    net::Headers headers;
    headers.set("Accept", "application/json, application/spsp4+json");  // @interledger/pay's
    auto response = co_await client.get(base + "/alice", headers);
    EXPECT_TRUE(response);
    if (!response) co_return;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->headers.get("Content-Type"), "application/spsp4+json");
    EXPECT_EQ(response->headers.get("Access-Control-Allow-Origin"), "*");
    EXPECT_EQ(response->headers.get("Cache-Control"), "no-store");
    auto body = boost::json::parse(response->body).as_object();
    EXPECT_EQ(body.size(), 3u);
    EXPECT_EQ(body.at("receipts_enabled"), false);
    EXPECT_EQ(body.at("shared_secret").as_string().size(), 43u);  // base64url, no padding
  });
}

TEST_F(SpspLoopback, UnknownWalletAddressIs404) {
  run(handler(), [&](net::HttpClient& client, std::string base) -> asio::awaitable<void> {
    auto answer = co_await query(client, base + "/bob");
    EXPECT_FALSE(answer);
    if (answer) co_return;
    EXPECT_EQ(answer.error().code, kErrSpspStatus);
    net::Headers headers;
    headers.set("Accept", kSpspMediaType);
    auto response = co_await client.get(base + "/bob", headers);
    EXPECT_TRUE(response && response->status == 404);
    if (response) {
      EXPECT_EQ(response->body,
                R"({"error":{"code":"404","description":"Could not get wallet address"}})");
    }
  });
}

TEST_F(SpspLoopback, BadReceiptHeadersAre400) {
  run(handler(), [&](net::HttpClient& client, std::string base) -> asio::awaitable<void> {
    std::string nonce = encoding::base64_encode(Bytes(16, 1));
    std::string secret = encoding::base64_encode(Bytes(32, 2));
    struct Case {
      std::optional<std::string> nonce, secret;
      std::string_view says;
    };
    const std::vector<Case> cases = {
        Case{nonce, std::nullopt, "accompany each other"},
        Case{std::nullopt, secret, "accompany each other"},
        Case{encoding::base64_encode(Bytes(15, 1)), secret, "16 bytes"},
        Case{nonce, encoding::base64_encode(Bytes(33, 2)), "32 bytes"},
        Case{"%%%", secret, "16 bytes"}};
    for (const Case& c : cases) {
      net::Headers headers;
      headers.set("Accept", kSpspMediaType);
      if (c.nonce) headers.set("Receipt-Nonce", *c.nonce);
      if (c.secret) headers.set("Receipt-Secret", *c.secret);
      auto response = co_await client.get(base + "/alice", headers);
      EXPECT_TRUE(response);
      if (!response) co_return;
      EXPECT_EQ(response->status, 400);
      EXPECT_NE(response->body.find(c.says), std::string::npos) << response->body;
    }
  });
}

TEST_F(SpspLoopback, OtherAcceptHeadersGoToTheFallbackOr406) {
  net::Handler fallback = [](net::Request&) -> asio::awaitable<net::Response> {
    co_return net::Response::json(200, R"({"id":"wallet"})");
  };
  run(handler(fallback), [&](net::HttpClient& client, std::string base) -> asio::awaitable<void> {
    net::Headers headers;
    headers.set("Accept", "application/json");
    auto response = co_await client.get(base + "/alice", headers);
    EXPECT_TRUE(response && response->status == 200 && response->body == R"({"id":"wallet"})");
  });
  run(handler(), [&](net::HttpClient& client, std::string base) -> asio::awaitable<void> {
    auto response = co_await client.get(base + "/alice");
    EXPECT_TRUE(response && response->status == 406);
  });
}

TEST_F(SpspLoopback, ClientRefusesAServerThatIsNotSpsp) {
  net::Handler not_spsp = [](net::Request& request) -> asio::awaitable<net::Response> {
    if (request.path == "/json")
      co_return net::Response::json(200, body_with("g.x", kSecretB64Url));
    net::Response response;
    response.headers.set("Content-Type", kSpspMediaType);
    response.body = request.path == "/garbage" ? "<html>" : R"({"destination_account":"g.x"})";
    co_return response;
  };
  run(not_spsp, [&](net::HttpClient& client, std::string base) -> asio::awaitable<void> {
    auto json = co_await query(client, base + "/json");
    EXPECT_TRUE(!json && json.error().code == kErrSpspContentType);
    auto garbage = co_await query(client, base + "/garbage");
    EXPECT_TRUE(!garbage && garbage.error().code == kErrSpspJson);
    auto partial = co_await query(client, base + "/partial");
    EXPECT_TRUE(!partial && partial.error().code == kErrSpspField);
  });
}

TEST(SpspQuery, ReportsTransportFailures) {
  asio::io_context io;
  net::HttpClient client(io.get_executor());
  std::optional<Result<SpspResponse>> answer;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        // Port 1 on loopback: nothing listens there.
        answer = co_await query(client, "http://127.0.0.1:1/alice");
      },
      [](std::exception_ptr error) {
        if (error) std::rethrow_exception(error);
      });
  io.run_for(kTestDeadline);
  ASSERT_TRUE(answer);
  ASSERT_FALSE(*answer);
  EXPECT_EQ(answer->error().code, kErrSpspTransport);

  auto bad = [&] {
    asio::io_context io2;
    net::HttpClient c(io2.get_executor());
    std::optional<Result<SpspResponse>> out;
    asio::co_spawn(
        io2, [&]() -> asio::awaitable<void> { out = co_await query(c, "alice"); }, asio::detached);
    io2.run();
    return out;
  }();
  ASSERT_TRUE(bad && !*bad);
  EXPECT_EQ(bad->error().code, kErrSpspUrl);
}

}  // namespace
}  // namespace rafiki::ilp::spsp
