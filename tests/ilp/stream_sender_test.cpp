// The STREAM sender paying our receiver in process, through a test connector that applies an
// exchange rate and a maximum packet amount and injects rejects (F08, T04, F99, F02), delays
// and tampering. Every payment checks that the receiver credited exactly what the sender says
// was delivered, once per fulfilled packet.
#include "ilp/stream/sender.h"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "base/money.h"
#include "ilp/error_codes.h"
#include "ilp/stream/receipt.h"
#include "ilp/stream/receiver.h"
#include "stream_test_support.h"

namespace rafiki::ilp::stream {
namespace {

namespace asio = boost::asio;
using testing::run;

// What the connector does with the n-th Prepare it sees (0-based, probes included).
using Injection = std::function<std::optional<std::string>(std::size_t index, const Prepare&)>;

struct World {
  Receiver receiver;
  Credentials credentials;
  // Connector behaviour.
  Ratio rate{1, 1};
  std::uint64_t max_packet_amount = UINT64_MAX;
  bool f08_with_data = true;
  Injection inject;
  // Packets at or below this amount are converted at `late_rate` instead (the rate moves
  // after the probe).
  std::uint64_t late_rate_below = 0;
  Ratio late_rate{1, 1};
  // Answers instead of the receiver when set (a receiver of our own making).
  std::function<std::optional<Bytes>(const Prepare&)> respond;
  bool tamper_money = false;
  std::chrono::milliseconds delay{0};
  // Held back this long, money packets (not the first, 10^12 probe) then expire as a real
  // link would (R00).
  std::chrono::milliseconds money_delay{0};
  // Observations.
  std::size_t prepares = 0;
  std::size_t fulfilled_money_packets = 0;
  std::size_t in_flight = 0;
  std::size_t in_flight_peak = 0;
  std::size_t handler_calls = 0;
  std::uint64_t credited = 0;
  MoneyDecision decision = MoneyDecision::kAccept;
  std::vector<std::string> reject_codes;

  explicit World(ConnectionDetails details = {})
      : receiver(*Receiver::create(Bytes(32, 0x44), "test.receiver")),
        credentials(*receiver.generate_credentials(details)) {}

  static Bytes reject(std::string_view code, ByteView data = {}) {
    Reject r;
    r.code = code;
    r.triggered_by = "test.connector";
    r.message = "injected";
    r.data = data;
    return *encode_reject(r);
  }

  asio::awaitable<Result<Bytes>> forward(Bytes packet) {
    std::size_t index = prepares++;
    ++in_flight;
    in_flight_peak = std::max(in_flight_peak, in_flight);
    if (delay.count() > 0) {
      asio::steady_timer timer(co_await asio::this_coro::executor);
      timer.expires_after(delay);
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    Bytes reply = co_await connect(index, std::move(packet));
    --in_flight;
    if (reply.empty()) co_return fail("test.transport", "the link dropped the request");
    auto decoded = decode_reply(reply);
    if (decoded && std::holds_alternative<Reject>(*decoded)) {
      reject_codes.emplace_back(std::get<Reject>(*decoded).code);
    }
    co_return reply;
  }

  asio::awaitable<Bytes> connect(std::size_t index, Bytes packet) {
    auto prepare = decode_prepare(packet);
    if (!prepare) co_return reject(kF01InvalidPacket);
    if (money_delay.count() > 0 && prepare->amount > 0 && prepare->amount < kProbeAmountStart) {
      asio::steady_timer timer(co_await asio::this_coro::executor);
      timer.expires_after(money_delay);
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      prepare = decode_prepare(packet);  // re-borrow; the bytes did not move
      if (now_ms() >= prepare->expires_at) co_return reject(kR00TransferTimedOut);
    }
    if (inject) {
      if (auto code = inject(index, *prepare)) {
        if (*code == "transport") co_return Bytes{};  // no reply at all
        co_return reject(*code);
      }
    }
    if (prepare->amount > max_packet_amount) {
      AmountTooLargeData data;
      data.received_amount = prepare->amount;
      data.maximum_amount = max_packet_amount;
      Bytes encoded = encode_amount_too_large_data(data);
      co_return f08_with_data ? reject(kF08AmountTooLarge, encoded) : reject(kF08AmountTooLarge);
    }
    if (respond) {
      if (auto reply = respond(*prepare)) co_return *reply;
    }
    Ratio applied = prepare->amount <= late_rate_below ? late_rate : rate;
    auto scaled = money::mul_div(prepare->amount, applied.numerator, applied.denominator,
                                 money::Rounding::kDown);
    Bytes forwarded = packet;
    if (!rewrite_prepare(forwarded, static_cast<std::uint64_t>(*scaled), prepare->expires_at)) {
      co_return reject(kT00InternalError);
    }
    auto outgoing = decode_prepare(forwarded);
    Bytes data(outgoing->data.begin(), outgoing->data.end());
    if (tamper_money && outgoing->amount > 0) {
      // Flip a ciphertext bit and forward the rest unchanged.
      Prepare copy = *outgoing;
      data.back() ^= 0x01;
      copy.data = data;
      forwarded = *encode_prepare(copy);
      outgoing = decode_prepare(forwarded);
    }
    MoneyHandler handler = [this](IncomingMoney money) -> asio::awaitable<MoneyAnswer> {
      ++handler_calls;
      MoneyAnswer answer;
      answer.decision = decision;
      if (decision == MoneyDecision::kAccept) {
        credited += money.amount;
        answer.total_received = credited;
      } else {
        answer.application_data = to_bytes("account closed");
      }
      co_return answer;
    };
    Bytes reply = co_await receiver.handle_prepare(*outgoing, handler);
    auto decoded = decode_reply(reply);
    if (decoded && std::holds_alternative<Fulfill>(*decoded) && outgoing->amount > 0) {
      ++fulfilled_money_packets;
    }
    co_return reply;
  }

  PaymentOptions options(std::uint64_t amount, Ratio minimum_rate = {0, 1}) {
    PaymentOptions o;
    o.destination = credentials.ilp_address;
    o.shared_secret.assign(credentials.shared_secret.begin(), credentials.shared_secret.end());
    o.source_amount = amount;
    o.minimum_rate = minimum_rate;
    o.backoff_initial = std::chrono::milliseconds(1);
    o.backoff_max = std::chrono::milliseconds(4);
    return o;
  }

  PaymentResult pay(PaymentOptions o) {
    PrepareSender send = [this](Bytes prepare) { return forward(std::move(prepare)); };
    return run(stream::pay(send, std::move(o)));
  }

  // The receiver credited exactly what was delivered, once per fulfilled money packet.
  void expect_credited_exactly_once(const PaymentResult& result) const {
    EXPECT_EQ(credited, result.amount_delivered);
    if (decision == MoneyDecision::kAccept) {
      EXPECT_EQ(handler_calls, fulfilled_money_packets);
    }
  }
};

TEST(StreamSender, DeliversTheExactAmountAtRateOne) {
  World world;
  PaymentResult result = world.pay(world.options(12345, {1, 1}));
  EXPECT_TRUE(result.ok()) << result.reason;
  EXPECT_EQ(result.amount_sent, 12345u);
  EXPECT_EQ(result.amount_delivered, 12345u);
  EXPECT_EQ(result.amount_in_flight, 0u);
  EXPECT_EQ(world.credited, 12345u);
  world.expect_credited_exactly_once(result);
  EXPECT_EQ(result.max_packet_amount, UINT64_MAX);
  EXPECT_EQ(world.fulfilled_money_packets, 1u);
}

TEST(StreamSender, DiscoversTheMaxPacketAmountFromF08Data) {
  World world;
  world.max_packet_amount = 5000;
  PaymentResult result = world.pay(world.options(12345, {1, 1}));
  EXPECT_TRUE(result.ok()) << result.reason;
  EXPECT_EQ(result.max_packet_amount, 5000u);
  EXPECT_EQ(result.amount_sent, 12345u);
  EXPECT_EQ(world.credited, 12345u);
  EXPECT_EQ(world.fulfilled_money_packets, 3u);  // 5000, 5000, 2345
  world.expect_credited_exactly_once(result);
}

TEST(StreamSender, SearchesTheMaxPacketAmountWhenF08HasNoData) {
  World world;
  world.max_packet_amount = 5000;
  world.f08_with_data = false;
  PaymentResult result = world.pay(world.options(20000, {1, 1}));
  EXPECT_TRUE(result.ok()) << result.reason;
  EXPECT_LE(result.max_packet_amount, 5000u);
  EXPECT_GE(result.max_packet_amount, 5000u - 5000u / 50);
  EXPECT_EQ(result.amount_sent, 20000u);
  EXPECT_EQ(world.credited, 20000u);
  world.expect_credited_exactly_once(result);
}

TEST(StreamSender, StopsSearchingOnceThePaymentFitsInAProvenPacket) {
  World world;
  world.max_packet_amount = 1'000'000;
  world.f08_with_data = false;
  PaymentResult result = world.pay(world.options(500, {1, 1}));
  EXPECT_TRUE(result.ok()) << result.reason;
  EXPECT_EQ(world.credited, 500u);
  EXPECT_EQ(world.fulfilled_money_packets, 1u);
  EXPECT_LE(result.max_packet_amount, 1'000'000u);
  EXPECT_LT(result.packets_sent, 30u);  // halving from 10^12 to below 10^6, then pay and close
}

TEST(StreamSender, PaysAcrossAnExchangeRateAboveTheMinimum) {
  World world;
  world.rate = {1, 2};
  world.max_packet_amount = 5000;
  PaymentResult result = world.pay(world.options(12345, {49, 100}));
  EXPECT_TRUE(result.ok()) << result.reason;
  EXPECT_EQ(result.probed_rate.numerator * 2, result.probed_rate.denominator);
  EXPECT_EQ(result.amount_sent, 12345u);
  EXPECT_EQ(result.amount_delivered, 2500u + 2500u + 1172u);
  EXPECT_EQ(world.credited, result.amount_delivered);
  world.expect_credited_exactly_once(result);
}

TEST(StreamSender, RefusesToPayBelowTheMinimumRate) {
  World world;
  world.rate = {1, 2};
  PaymentResult result = world.pay(world.options(1000, {6, 10}));
  EXPECT_EQ(result.error, PaymentError::kInsufficientExchangeRate) << result.reason;
  EXPECT_EQ(payment_error_name(result.error), "InsufficientExchangeRate");
  EXPECT_NE(result.reason.find("below the minimum"), std::string::npos);
  EXPECT_EQ(result.amount_sent, 0u);
  EXPECT_EQ(result.amount_delivered, 0u);
  EXPECT_EQ(world.credited, 0u);
  EXPECT_EQ(world.handler_calls, 0u);
}

TEST(StreamSender, RetriesTemporaryRejectsAndStillDeliversExactlyOnce) {
  World world;
  world.max_packet_amount = 1000;
  // Every third Prepare fails T04 (liquidity), every fifth is unanswered by the transport.
  world.inject = [](std::size_t index, const Prepare&) -> std::optional<std::string> {
    if (index % 3 == 2) return std::string(kT04InsufficientLiquidity);
    if (index % 5 == 4) return std::string("transport");
    return std::nullopt;
  };
  PaymentResult result = world.pay(world.options(10000, {1, 1}));
  EXPECT_TRUE(result.ok()) << result.reason;
  EXPECT_EQ(result.amount_sent, 10000u);
  EXPECT_EQ(world.credited, 10000u);
  EXPECT_EQ(world.fulfilled_money_packets, 10u);
  world.expect_credited_exactly_once(result);
  EXPECT_NE(std::find(world.reject_codes.begin(), world.reject_codes.end(), "T04"),
            world.reject_codes.end());
}

TEST(StreamSender, ToleratesF99FromTheConnectorButNotForever) {
  World world;
  world.inject = [](std::size_t index, const Prepare& p) -> std::optional<std::string> {
    if (p.amount > 0 && index % 2 == 1) return std::string(kF99ApplicationError);
    return std::nullopt;
  };
  world.max_packet_amount = 100;
  PaymentResult ok = world.pay(world.options(1000, {1, 1}));
  EXPECT_TRUE(ok.ok()) << ok.reason;
  EXPECT_EQ(world.credited, 1000u);
  world.expect_credited_exactly_once(ok);

  World stuck;
  stuck.inject = [](std::size_t, const Prepare& p) -> std::optional<std::string> {
    if (p.amount > 0 && p.amount <= 1000) return std::string(kF99ApplicationError);
    return std::nullopt;
  };
  PaymentOptions o = stuck.options(1000, {1, 1});
  o.retries_in_a_row_max = 3;
  PaymentResult result = stuck.pay(o);
  EXPECT_EQ(result.error, PaymentError::kRetriesExhausted);
  EXPECT_NE(result.reason.find("F99"), std::string::npos) << result.reason;
  EXPECT_EQ(result.amount_sent, 0u);
  EXPECT_EQ(stuck.credited, 0u);
}

TEST(StreamSender, StopsOnAFinalRejectWithTheReason) {
  World world;
  world.max_packet_amount = 100;
  // The path breaks after two money packets went through.
  world.inject = [](std::size_t index, const Prepare& p) -> std::optional<std::string> {
    if (p.amount > 0 && index >= 5) return std::string(kF02Unreachable);
    return std::nullopt;
  };
  PaymentOptions o = world.options(1000, {1, 1});
  o.packets_in_flight_max = 1;
  PaymentResult result = world.pay(o);
  EXPECT_EQ(result.error, PaymentError::kConnectorError);
  EXPECT_NE(result.reason.find("F02 Unreachable from test.connector"), std::string::npos)
      << result.reason;
  EXPECT_LT(result.amount_sent, 1000u);
  EXPECT_EQ(world.credited, result.amount_delivered);
  world.expect_credited_exactly_once(result);
}

TEST(StreamSender, StopsWhenTheReceiverDeclines) {
  World world;
  world.decision = MoneyDecision::kFinalDecline;
  PaymentResult result = world.pay(world.options(1000, {1, 1}));
  EXPECT_EQ(result.error, PaymentError::kClosedByReceiver);
  EXPECT_NE(result.reason.find("account closed"), std::string::npos) << result.reason;
  EXPECT_EQ(result.amount_sent, 0u);
  EXPECT_EQ(world.credited, 0u);
}

TEST(StreamSender, TamperedPacketsNeverCreditMoney) {
  World world;
  world.tamper_money = true;
  PaymentResult result = world.pay(world.options(1000, {1, 1}));
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.amount_sent, 0u);
  EXPECT_EQ(result.amount_delivered, 0u);
  EXPECT_EQ(world.credited, 0u);
  EXPECT_EQ(world.handler_calls, 0u);
}

TEST(StreamSender, KeepsPacketsInFlightWithinTheLimit) {
  World world;
  world.max_packet_amount = 10;
  world.delay = std::chrono::milliseconds(1);
  PaymentOptions o = world.options(1000, {1, 1});
  o.packets_in_flight_max = 4;
  PaymentResult result = world.pay(o);
  EXPECT_TRUE(result.ok()) << result.reason;
  EXPECT_EQ(world.credited, 1000u);
  EXPECT_EQ(world.fulfilled_money_packets, 100u);
  EXPECT_LE(world.in_flight_peak, 4u);
  EXPECT_GE(world.in_flight_peak, 2u);  // packets do overlap
  world.expect_credited_exactly_once(result);
}

TEST(StreamSender, ClosesTheConnectionAndKeepsTheLatestReceipt) {
  ConnectionDetails details;
  details.receipt = ReceiptDetails{};
  details.receipt->nonce.fill(7);
  details.receipt->secret.fill(9);
  World world(details);
  world.max_packet_amount = 400;
  PaymentResult result = world.pay(world.options(1000, {1, 1}));
  EXPECT_TRUE(result.ok()) << result.reason;
  ASSERT_TRUE(result.latest_receipt);
  auto receipt = verify_receipt(*result.latest_receipt, details.receipt->secret);
  ASSERT_TRUE(receipt);
  EXPECT_EQ(receipt->total_received, 1000u);
  // The last thing sent is the close: 0 amount, answered F99 with ConnectionClose.
  ASSERT_FALSE(world.reject_codes.empty());
  EXPECT_EQ(world.reject_codes.back(), "F99");
}

TEST(StreamSender, GivesUpAfterTheIdleTimeoutWhenNothingIsFulfilled) {
  World world;
  world.money_delay = std::chrono::milliseconds(300);
  PaymentOptions o = world.options(1000, {1, 1});
  o.packet_expiry = std::chrono::milliseconds(100);
  o.idle_timeout = std::chrono::milliseconds(50);
  PaymentResult result = world.pay(o);
  EXPECT_EQ(result.error, PaymentError::kIdleTimeout) << result.reason;
  EXPECT_EQ(result.amount_sent, 0u);
  EXPECT_EQ(result.amount_in_flight, 0u);  // the expired packets came back as R00
  EXPECT_EQ(world.credited, 0u);
  EXPECT_EQ(world.handler_calls, 0u);
}

TEST(StreamSender, StopsWhenTheRateFallsBelowTheMinimumAfterTheProbe) {
  World world;
  world.late_rate_below = 1'000'000;
  world.late_rate = {1, 2};
  PaymentResult result = world.pay(world.options(1000, {9, 10}));
  EXPECT_EQ(result.error, PaymentError::kInsufficientExchangeRate) << result.reason;
  EXPECT_EQ(result.amount_sent, 0u);
  EXPECT_EQ(world.credited, 0u);
  EXPECT_EQ(world.handler_calls, 0u);  // the receiver refused the packet (F04), no credit
  EXPECT_NE(std::find(world.reject_codes.begin(), world.reject_codes.end(), "F04"),
            world.reject_codes.end());
}

TEST(StreamSender, StopsWhenTheReceiverCannotTakeTheAmount) {
  World world;
  auto keys = *derive_keys(world.credentials.shared_secret);
  // A receiver that only takes 10 on stream 1 (as an ilp-protocol-stream server would say).
  world.respond = [keys](const Prepare& prepare) -> std::optional<Bytes> {
    auto request = decrypt_packet(keys, prepare.data);
    if (!request) return std::nullopt;
    Packet reply;
    reply.sequence = request->sequence;
    reply.ilp_packet_type = PacketType::kReject;
    reply.prepare_amount = prepare.amount;
    reply.frames = {StreamMaxMoney{1, 10, 0}};
    Bytes data = encrypt_packet(keys, reply);
    return World::reject(kF99ApplicationError, data);
  };
  PaymentResult result = world.pay(world.options(1000, {1, 1}));
  EXPECT_EQ(result.error, PaymentError::kIncompatibleReceiveMax) << result.reason;
  EXPECT_EQ(payment_error_name(result.error), "IncompatibleReceiveMax");
  EXPECT_EQ(result.amount_sent, 0u);
}

TEST(StreamSender, RefusesBadArguments) {
  World world;
  PaymentOptions bad_secret = world.options(10);
  bad_secret.shared_secret.pop_back();
  EXPECT_EQ(world.pay(bad_secret).error, PaymentError::kInvalidArgument);
  PaymentOptions bad_address = world.options(10);
  bad_address.destination = "nope";
  EXPECT_EQ(world.pay(bad_address).error, PaymentError::kInvalidArgument);
  EXPECT_EQ(world.pay(world.options(0)).error, PaymentError::kInvalidArgument);
  EXPECT_EQ(world.pay(world.options(10, {1, 0})).error, PaymentError::kInvalidArgument);
  PaymentOptions no_flight = world.options(10);
  no_flight.packets_in_flight_max = 0;
  EXPECT_EQ(world.pay(no_flight).error, PaymentError::kInvalidArgument);
  EXPECT_EQ(world.prepares, 0u);
}

TEST(StreamSender, GivesUpWhenNoProbeIsAnsweredAuthentically) {
  World world;
  world.inject = [](std::size_t, const Prepare&) -> std::optional<std::string> {
    return std::string(kF06UnexpectedPayment);
  };
  PaymentResult result = world.pay(world.options(10, {1, 1}));
  EXPECT_EQ(result.error, PaymentError::kConnectorError);
  EXPECT_NE(result.reason.find("F06"), std::string::npos);
  EXPECT_EQ(world.prepares, 1u);  // no retries of a final error, and no close (never answered)
}

}  // namespace
}  // namespace rafiki::ilp::stream
