// The local STREAM receiver stage with a real receiver and this project's STREAM sender paying
// through the chain in process: the money arrives, the connection's total is counted in the
// key-value store when the token asks for receipts (and reverted when the packet fails later),
// and remote destinations pass through.
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <stdexcept>

#include "base/encoding.h"
#include "connector_test_util.h"
#include "crypto/hash.h"
#include "ilp/stream/receiver.h"
#include "ilp/stream/sender.h"
#include "store/kv.h"

namespace rafiki::testing::connector {
namespace {

constexpr std::string_view kReceiverAddress = "test.connector.r";

struct Local {
  std::shared_ptr<const ilp::stream::Receiver> receiver;
  ilp::stream::Credentials credentials;
  cn::AccountPtr wallet;
};

Local make_setup(bool receipts) {
  Local s;
  Bytes secret(ilp::stream::kServerSecretBytes, 3);
  ilp::stream::ReceiverOptions options;
  options.f99_for_condition_and_minimum = true;
  auto receiver = ilp::stream::Receiver::create(secret, std::string(kReceiverAddress), options);
  if (!receiver) throw std::runtime_error(receiver.error().message);
  s.receiver = std::make_shared<const ilp::stream::Receiver>(std::move(*receiver));
  ilp::stream::ConnectionDetails details;
  details.payment_tag = "wallet-1";
  if (receipts) {
    ilp::stream::ReceiptDetails r;
    r.nonce.fill(1);
    r.secret.fill(2);
    details.receipt = r;
  }
  auto credentials = s.receiver->generate_credentials(details);
  if (!credentials) throw std::runtime_error(credentials.error().message);
  s.credentials = *credentials;
  auto wallet = std::make_shared<cn::Account>(*make_peer("wallet-1"));
  wallet->kind = cn::AccountKind::kWalletAddress;
  s.wallet = wallet;
  return s;
}

// What the stream address and account stages set for a local destination.
std::unique_ptr<cn::Stage> local_destination(const Local& s, bool fail_after = false) {
  return std::make_unique<FnStage>(
      [&s, fail_after](cn::Context& ctx, cn::Next next) -> asio::awaitable<void> {
        ctx.stream_destination = "wallet-1";
        ctx.stream_receiver = s.receiver;
        ctx.outgoing = s.wallet;
        co_await next(ctx);
        // E.g. the balance stage finding no money for a packet the receiver fulfilled.
        if (fail_after && ctx.reply.size() > 0 && ctx.reply[0] == 13) {
          throw std::runtime_error("ledger refused");
        }
      });
}

asio::awaitable<ilp::stream::PaymentResult> pay_through(const cn::Chain& chain, const Local& s,
                                                        std::uint64_t amount) {
  ilp::stream::PaymentOptions options;
  options.destination = s.credentials.ilp_address;
  options.shared_secret.assign(s.credentials.shared_secret.begin(),
                               s.credentials.shared_secret.end());
  options.source_amount = amount;
  options.retries_in_a_row_max = 2;
  options.backoff_initial = std::chrono::milliseconds(1);
  options.backoff_max = std::chrono::milliseconds(2);
  options.idle_timeout = std::chrono::milliseconds(2'000);
  auto peer = make_peer("peer-a");
  auto send = [&chain, peer](Bytes prepare) -> asio::awaitable<Result<Bytes>> {
    auto ctx = cn::Context::make(prepare, peer, kOwnAddress);
    if (!ctx) co_return std::unexpected(ctx.error());
    co_await chain.run(*ctx);
    co_return std::move(ctx->reply);
  };
  co_return co_await ilp::stream::pay(send, std::move(options));
}

std::string total_key(const Local& s) {
  return "stream_received:" + encoding::hex_encode(crypto::sha256(s.credentials.ilp_address));
}

TEST(ConnectorStreamReceiver, ReceivesAndCountsTheTotalWhenReceiptsAreAsked) {
  auto kv = store::make_memory_key_value();
  Local s = make_setup(true);
  cn::Chain chain(stages(std::make_unique<cn::ErrorHandlerStage>(), local_destination(s),
                         std::make_unique<cn::StreamReceiverStage>(kv)));
  run_async([&](asio::any_io_executor) -> asio::awaitable<void> {
    auto result = co_await pay_through(chain, s, 5000);
    EXPECT_TRUE(result.ok()) << result.reason;
    EXPECT_EQ(result.amount_delivered, 5000u);
    EXPECT_TRUE(result.latest_receipt.has_value());
    auto total = co_await kv->get(total_key(s));
    CO_ASSERT_OK(total);
    CO_ASSERT(total->has_value());
    EXPECT_EQ(**total, "5000");
  });
}

TEST(ConnectorStreamReceiver, WithoutReceiptsNothingIsCounted) {
  auto kv = store::make_memory_key_value();
  Local s = make_setup(false);
  cn::Chain chain(stages(std::make_unique<cn::ErrorHandlerStage>(), local_destination(s),
                         std::make_unique<cn::StreamReceiverStage>(kv)));
  run_async([&](asio::any_io_executor) -> asio::awaitable<void> {
    auto result = co_await pay_through(chain, s, 700);
    EXPECT_TRUE(result.ok()) << result.reason;
    EXPECT_EQ(result.amount_delivered, 700u);
    auto total = co_await kv->get(total_key(s));
    CO_ASSERT_OK(total);
    EXPECT_FALSE(total->has_value());
  });
}

TEST(ConnectorStreamReceiver, AFulfillThatFailsLaterIsNotCounted) {
  auto kv = store::make_memory_key_value();
  Local s = make_setup(true);
  cn::Chain chain(stages(std::make_unique<cn::ErrorHandlerStage>(), local_destination(s, true),
                         std::make_unique<cn::StreamReceiverStage>(kv)));
  run_async([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto result = co_await pay_through(chain, s, 300);
    EXPECT_FALSE(result.ok());
    EXPECT_EQ(result.amount_delivered, 0u);
    // Reverts run asynchronously.
    asio::steady_timer timer(ex);
    timer.expires_after(std::chrono::milliseconds(50));
    co_await timer.async_wait(asio::use_awaitable);
    auto total = co_await kv->get(total_key(s));
    CO_ASSERT_OK(total);
    CO_ASSERT(total->has_value());  // counted, then reverted
    EXPECT_EQ(**total, "0");
  });
}

TEST(ConnectorStreamReceiver, RemoteDestinationsGoOnAndLocalOnesNeedAReceiver) {
  auto kv = store::make_memory_key_value();
  Seen seen;
  cn::Chain chain(stages(std::make_unique<cn::ErrorHandlerStage>(),
                         std::make_unique<FnStage>([](cn::Context& ctx, cn::Next next) -> asio::awaitable<void> {
                           ctx.outgoing = make_peer("peer-b");
                           co_await next(ctx);
                         }),
                         std::make_unique<cn::StreamReceiverStage>(kv), recording(&seen)));
  EXPECT_EQ(reject_of(run_packet(chain, make_prepare({}), make_peer("peer-a"))).code, "fulfill");
  EXPECT_EQ(seen.calls, 1);

  auto wallet = std::make_shared<cn::Account>(*make_peer("w"));
  wallet->kind = cn::AccountKind::kWalletAddress;
  cn::AccountPtr local = wallet;
  cn::Chain no_receiver(stages(std::make_unique<cn::ErrorHandlerStage>(),
                               std::make_unique<FnStage>([local](cn::Context& ctx, cn::Next next) -> asio::awaitable<void> {
                                 ctx.outgoing = local;
                                 co_await next(ctx);
                               }),
                               std::make_unique<cn::StreamReceiverStage>(kv), recording(&seen)));
  auto r = reject_of(run_packet(no_receiver, make_prepare({}), make_peer("peer-a")));
  EXPECT_EQ(r.code, "F02");
  EXPECT_EQ(seen.calls, 1);
}

}  // namespace
}  // namespace rafiki::testing::connector
