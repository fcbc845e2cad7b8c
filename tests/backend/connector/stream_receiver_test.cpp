// The local STREAM receiver stage with a real receiver and this project's STREAM sender paying
// through the chain in process: the money arrives, it is credited before the connection's total
// is counted in the key-value store (only when the token asks for receipts), a refused credit is
// never counted, and remote destinations pass through.
#include <stdexcept>

#include "backend/connector/test_util.h"
#include "base/encoding.h"
#include "crypto/hash.h"
#include "ilp/stream/receiver.h"
#include "ilp/error_codes.h"
#include "ilp/stream/sender.h"
#include "ilp/stream_test_support.h"
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

// The balance stage's credit, faked: refused (a ledger error, or T04 when `liquidity`) while
// `refusals` > 0; counts what it credited.
struct Credits {
  int refusals = 0;
  bool liquidity = false;
  std::uint64_t credited = 0;
  int calls = 0;
};

// What the stream address, account and balance stages set for a local destination.
std::unique_ptr<cn::Stage> local_destination(const Local& s, Credits* credits = nullptr) {
  return std::make_unique<FnStage>(
      [&s, credits](cn::Context& ctx, cn::Next next) -> asio::awaitable<void> {
        ctx.stream_destination = "wallet-1";
        ctx.stream_receiver = s.receiver;
        ctx.outgoing = s.wallet;
        if (credits) {
          cn::Context* c = &ctx;
          ctx.credit_local = [credits, c]() -> asio::awaitable<void> {
            ++credits->calls;
            if (credits->refusals > 0) {
              --credits->refusals;
              if (credits->liquidity) {
                throw cn::IlpError(ilp::kT04InsufficientLiquidity, "InsufficientLiquidity");
              }
              throw std::runtime_error("ledger unavailable");
            }
            credits->credited += c->prepare.amount;
            c->credited = true;
            co_return;
          };
        }
        co_await next(ctx);
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

TEST(ConnectorStreamReceiver, MoneyIsCreditedBeforeItIsCountedAndARefusedCreditNeverIs) {
  auto kv = store::make_memory_key_value();
  Local s = make_setup(true);
  Credits credits;
  credits.refusals = 1;  // the first packet's credit fails; the sender retries it
  cn::Chain chain(stages(std::make_unique<cn::ErrorHandlerStage>(),
                         local_destination(s, &credits),
                         std::make_unique<cn::StreamReceiverStage>(kv)));
  run_async([&](asio::any_io_executor) -> asio::awaitable<void> {
    auto result = co_await pay_through(chain, s, 300);
    EXPECT_TRUE(result.ok()) << result.reason;
    EXPECT_EQ(result.amount_delivered, 300u);
    EXPECT_GE(credits.calls, 2);
    EXPECT_EQ(credits.credited, 300u);
    // The receipt total is exactly what was credited: the refused packet never entered it.
    auto total = co_await kv->get(total_key(s));
    CO_ASSERT_OK(total);
    CO_ASSERT(total->has_value());
    EXPECT_EQ(**total, "300");
    EXPECT_TRUE(result.latest_receipt.has_value());
  });
}

TEST(ConnectorStreamReceiver, InsufficientLiquidityForTheCreditIsT04AndNothingIsCounted) {
  auto kv = store::make_memory_key_value();
  Local s = make_setup(true);
  Credits credits;
  credits.refusals = 1'000;
  credits.liquidity = true;
  cn::Chain chain(stages(std::make_unique<cn::ErrorHandlerStage>(),
                         local_destination(s, &credits),
                         std::make_unique<cn::StreamReceiverStage>(kv)));
  ilp::stream::Packet packet;
  packet.sequence = 1;
  auto keys = ilp::stream::derive_keys(s.credentials.shared_secret);
  ASSERT_TRUE(keys);
  Bytes prepare = ilp::stream::testing::make_prepare(*keys, s.credentials.ilp_address, 100, packet);
  auto r = reject_of(run_packet(chain, prepare, make_peer("peer-a")));
  EXPECT_EQ(r.code, "T04");
  EXPECT_EQ(r.message, "InsufficientLiquidity");
  EXPECT_EQ(credits.credited, 0u);
  run_async([&](asio::any_io_executor) -> asio::awaitable<void> {
    auto total = co_await kv->get(total_key(s));
    CO_ASSERT_OK(total);
    EXPECT_FALSE(total->has_value());
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
