// The STREAM sender paying the STREAM receiver over ILP over HTTP on loopback: our
// send_prepare client as the sender's transport, make_http_handler serving the receiver.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <optional>
#include <string>

#include "ilp/error_codes.h"
#include "ilp/http.h"
#include "ilp/stream/receiver.h"
#include "ilp/stream/sender.h"
#include "net/client.h"
#include "net/server.h"

namespace rafiki::ilp::stream {
namespace {

namespace asio = boost::asio;

constexpr std::string_view kToken = "stream-over-http-token-with-entropy";
// A test that hangs fails after this long instead of hanging the run.
constexpr auto kTestDeadline = std::chrono::seconds(30);

TEST(StreamOverHttp, SenderPaysReceiverAcrossLoopback) {
  asio::io_context io;
  Receiver receiver = *Receiver::create(Bytes(32, 0x21), "test.rafiki");
  ConnectionDetails details;
  details.payment_tag = "incoming-payment-1";
  details.asset = AssetDetails{"USD", 2};
  Credentials credentials = *receiver.generate_credentials(details);

  std::uint64_t credited = 0;
  int credits = 0;
  MoneyHandler on_money = [&](IncomingMoney money) -> asio::awaitable<MoneyAnswer> {
    EXPECT_EQ(money.details.payment_tag, "incoming-payment-1");
    credited += money.amount;
    ++credits;
    co_return MoneyAnswer{};
  };
  int prepares = 0;
  net::Handler handler = make_http_handler(
      [](std::string token) -> asio::awaitable<ilp::TokenLookupResult> {
        if (token == kToken) co_return std::string("sender");
        co_return std::nullopt;
      },
      [&](const IncomingPrepare& incoming) -> asio::awaitable<Bytes> {
        ++prepares;
        // A connector with a maximum packet amount of 4000 in front of the receiver.
        if (incoming.prepare.amount > 4000) {
          AmountTooLargeData data;
          data.received_amount = incoming.prepare.amount;
          data.maximum_amount = 4000;
          Bytes encoded = encode_amount_too_large_data(data);
          Reject reject;
          reject.code = kF08AmountTooLarge;
          reject.triggered_by = "test.connector";
          reject.data = encoded;
          co_return *encode_reject(reject);
        }
        co_return co_await receiver.handle_prepare(incoming.prepare, on_money);
      });
  net::HttpServer server(io, "stream receiver", handler);
  std::uint16_t port = server.listen("127.0.0.1", 0).value();
  server.start();
  net::HttpClient client(io.get_executor());
  HttpEndpoint endpoint;
  endpoint.url = "http://127.0.0.1:" + std::to_string(port) + "/ilp";
  endpoint.auth_token = std::string(kToken);

  PaymentOptions options;
  options.destination = credentials.ilp_address;
  options.shared_secret.assign(credentials.shared_secret.begin(), credentials.shared_secret.end());
  options.source_amount = 10'001;
  options.minimum_rate = Ratio{1, 1};
  PrepareSender send = [&client, endpoint](Bytes prepare) {
    return send_prepare(client, endpoint, std::move(prepare));
  };

  std::optional<PaymentResult> result;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        result = co_await pay(send, options);
        client.close_idle();
        co_await server.shutdown();
        io.stop();
      },
      [](std::exception_ptr error) {
        if (error) std::rethrow_exception(error);
      });
  io.run_for(kTestDeadline);
  ASSERT_TRUE(result) << "payment did not finish in time";
  EXPECT_TRUE(result->ok()) << result->reason;
  EXPECT_EQ(result->amount_sent, 10'001u);
  EXPECT_EQ(result->amount_delivered, 10'001u);
  EXPECT_EQ(result->max_packet_amount, 4000u);
  EXPECT_EQ(credited, 10'001u);
  EXPECT_EQ(credits, 3);  // 4000 + 4000 + 2001
  EXPECT_EQ(static_cast<std::uint64_t>(prepares), result->packets_sent);
}

}  // namespace
}  // namespace rafiki::ilp::stream
