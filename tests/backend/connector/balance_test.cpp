// The balance stage against a real ledger (PostgreSQL) with a fake `next`: pending legs while the
// packet is out, posted on Fulfill, voided on Reject, exception or a vanished peer; linked legs
// through the assets' liquidity accounts across ledgers; T04 with the side that lacks money;
// local destinations credited only after the receiver fulfilled.
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sstream>
#include <stdexcept>
#include <thread>

#include "backend/connector/test_util.h"
#include "ilp/error_codes.h"
#include "ledger/ledger_test_util.h"
#include "support/test_env.h"

namespace rafiki::testing::connector {
namespace {

using ledger::Ledger;
constexpr std::uint32_t kLiquidity = ledger::account_flags::kDebitsMustNotExceedCredits;
constexpr std::uint32_t kSettlement = ledger::account_flags::kCreditsMustNotExceedDebits;

class FakeHooks final : public cn::BalanceHooks {
 public:
  bool peer_exists = true;
  int posted_calls = 0;
  asio::awaitable<Result<bool>> peer_still_exists(const cn::Account&) override {
    co_return peer_exists;
  }
  asio::awaitable<void> posted(const cn::Context&) override {
    ++posted_calls;
    co_return;
  }
};

// USD on ledger 1 (settlement, liquidity, peers A and B; A holds 1000), EUR on ledger 2
// (settlement, liquidity holding 500, wallet address W).
struct World {
  Uuid s1 = Uuid::v4(), usd = Uuid::v4(), a = Uuid::v4(), b = Uuid::v4();
  Uuid s2 = Uuid::v4(), eur = Uuid::v4(), w = Uuid::v4();
  cn::AccountPtr peer_a, peer_b, wallet;
};

cn::AccountPtr connector_account(Uuid id, cn::AccountKind kind, Uuid asset, std::string code,
                       std::uint32_t ledger) {
  auto acc = std::make_shared<cn::Account>();
  acc->id = id;
  acc->kind = kind;
  acc->asset.id = asset;
  acc->asset.code = std::move(code);
  acc->asset.scale = 2;
  acc->asset.ledger = ledger;
  acc->tenant_id = named_id("tenant-1");
  return acc;
}

asio::awaitable<World> make_world(Ledger& ledger) {
  World w;
  using ledger::test::account;
  std::vector<ledger::Account> accounts{
      account(w.s1, 1, kSettlement, 101), account(w.usd, 1, kLiquidity, 2),
      account(w.a, 1, kLiquidity, 3),     account(w.b, 1, kLiquidity, 3),
      account(w.s2, 2, kSettlement, 101), account(w.eur, 2, kLiquidity, 2),
      account(w.w, 2, kLiquidity, 1)};
  auto created = co_await ledger.create_accounts(std::move(accounts));
  if (!created) throw std::runtime_error("accounts");
  auto fund = [&](Uuid from, Uuid to, std::uint64_t amount, std::uint32_t l) {
    ledger::Transfer t;
    t.id = Uuid::v4();
    t.debit_account_id = from;
    t.credit_account_id = to;
    t.amount = amount;
    t.ledger = l;
    t.code = 2;
    return t;
  };
  std::vector<ledger::Transfer> funding{fund(w.s1, w.a, 1000, 1), fund(w.s2, w.eur, 500, 2)};
  auto funded = co_await ledger.create_transfers(std::move(funding));
  if (!funded || (*funded)[0] != ledger::CreateTransferResult::kOk) {
    throw std::runtime_error("funding");
  }
  w.peer_a = connector_account(w.a, cn::AccountKind::kPeer, w.usd, "USD", 1);
  w.peer_b = connector_account(w.b, cn::AccountKind::kPeer, w.usd, "USD", 1);
  w.wallet = connector_account(w.w, cn::AccountKind::kWalletAddress, w.eur, "EUR", 2);
  co_return w;
}

struct Balances {
  money::u128 debits_pending = 0, debits_posted = 0, credits_pending = 0, credits_posted = 0;
};
asio::awaitable<Balances> balances(Ledger& ledger, Uuid id) {
  auto a = co_await ledger.balances(id);
  if (!a || !*a) throw std::runtime_error("no account");
  co_return Balances{(*a)->debits_pending, (*a)->debits_posted, (*a)->credits_pending,
                     (*a)->credits_posted};
}

// Sets the outgoing account and the converted amount (what the account and rate-conversion
// stages do in the running chain).
std::unique_ptr<cn::Stage> route_to(cn::AccountPtr outgoing, std::uint64_t converted = 0) {
  return std::make_unique<FnStage>(
      [outgoing, converted](cn::Context& ctx, cn::Next next) -> asio::awaitable<void> {
        ctx.outgoing = outgoing;
        if (converted) ctx.prepare.amount = converted;
        co_await next(ctx);
      });
}

// Runs `body` with a migrated ledger and the world in it.
template <class F>
void with_world(F body) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    Ledger ledger = co_await ledger::test::open_ledger(ex, db.url());
    World w = co_await make_world(ledger);
    co_await body(ledger, w);
  });
}

asio::awaitable<Bytes> run(const cn::Chain& chain, const Bytes& packet, cn::AccountPtr incoming) {
  auto ctx = cn::Context::make(packet, incoming, kOwnAddress);
  if (!ctx) throw std::runtime_error(ctx.error().message);
  co_await chain.run(*ctx);
  co_return std::move(ctx->reply);
}

TEST(ConnectorBalance, SameAssetPendingWhileOutPostedOnFulfill) {
  with_world([](Ledger& ledger, World& w) -> asio::awaitable<void> {
    FakeHooks hooks;
    Balances during_a, during_b;
    auto next = std::make_unique<FnStage>(
        [&](cn::Context& ctx, cn::Next) -> asio::awaitable<void> {
          during_a = co_await balances(ledger, w.a);
          during_b = co_await balances(ledger, w.b);
          ctx.fulfill(fulfillment_of(7));
        });
    cn::Chain chain(stages(std::make_unique<cn::ErrorHandlerStage>(), route_to(w.peer_b),
                           std::make_unique<cn::BalanceStage>(ledger, hooks), std::move(next)));
    auto packet1 = make_prepare({});
    auto reply = co_await run(chain, packet1, w.peer_a);
    EXPECT_EQ(reject_of(reply).code, "fulfill");
    EXPECT_EQ(during_a.debits_pending, 100u);
    EXPECT_EQ(during_b.credits_pending, 100u);
    auto a = co_await balances(ledger, w.a);
    auto b = co_await balances(ledger, w.b);
    EXPECT_EQ(a.debits_posted, 100u);
    EXPECT_EQ(a.debits_pending, 0u);
    EXPECT_EQ(b.credits_posted, 100u);
    EXPECT_EQ(b.credits_pending, 0u);
    EXPECT_EQ(hooks.posted_calls, 1);
  });
}

TEST(ConnectorBalance, RejectExceptionAndVanishedPeerVoid) {
  with_world([](Ledger& ledger, World& w) -> asio::awaitable<void> {
    FakeHooks hooks;
    int calls = 0;
    auto rejecting = std::make_unique<FnStage>([&](cn::Context& ctx, cn::Next) -> asio::awaitable<void> {
      ++calls;
      if (calls == 2) throw std::runtime_error("link down");
      ctx.reject(ilp::kF02Unreachable, "no");
      co_return;
    });
    cn::Chain chain(stages(std::make_unique<cn::ErrorHandlerStage>(), route_to(w.peer_b),
                           std::make_unique<cn::BalanceStage>(ledger, hooks), std::move(rejecting)));
    auto packet2 = make_prepare({});
    EXPECT_EQ(reject_of(co_await run(chain, packet2, w.peer_a)).code, "F02");
    auto packet3 = make_prepare({});
    EXPECT_EQ(reject_of(co_await run(chain, packet3, w.peer_a)).code, "T00");
    hooks.peer_exists = false;  // deleted while the transfer was created
    auto packet4 = make_prepare({});
    auto r = reject_of(co_await run(chain, packet4, w.peer_a));
    EXPECT_EQ(r.code, "F02");
    EXPECT_EQ(r.message, "unknown destination account");
    EXPECT_EQ(calls, 2);  // not forwarded to a deleted peer
    auto a = co_await balances(ledger, w.a);
    auto b = co_await balances(ledger, w.b);
    EXPECT_EQ(a.debits_posted, 0u);
    EXPECT_EQ(a.debits_pending, 0u);
    EXPECT_EQ(b.credits_posted + b.credits_pending, 0u);
    EXPECT_EQ(hooks.posted_calls, 0);
  });
}

TEST(ConnectorBalance, InsufficientBalanceIsT04AndNothingIsForwarded) {
  with_world([](Ledger& ledger, World& w) -> asio::awaitable<void> {
    FakeHooks hooks;
    int calls = 0;
    cn::Chain chain(stages(std::make_unique<cn::ErrorHandlerStage>(), route_to(w.peer_b),
                           std::make_unique<cn::BalanceStage>(ledger, hooks),
                           fulfilling(fulfillment_of(7), &calls)));
    PrepareSpec spec;
    spec.amount = 1001;
    auto packet5 = make_prepare(spec);
    auto r = reject_of(co_await run(chain, packet5, w.peer_a));
    EXPECT_EQ(r.code, "T04");
    EXPECT_EQ(r.message, "InsufficientBalance");
    EXPECT_EQ(calls, 0);
    spec.amount = 1000;  // exactly what A holds
    auto packet6 = make_prepare(spec);
    EXPECT_EQ(reject_of(co_await run(chain, packet6, w.peer_a)).code, "fulfill");
    EXPECT_EQ((co_await balances(ledger, w.a)).debits_posted, 1000u);
  });
}

TEST(ConnectorBalance, CrossCurrencyLocalCreditsWhenTheReceiverAcceptsThroughBothLiquidityAccounts) {
  with_world([](Ledger& ledger, World& w) -> asio::awaitable<void> {
    FakeHooks hooks;
    Balances before_credit, after_credit;
    int counted = 0;  // what a receipt total would count: only credited money
    // A receiver as the real one behaves: credit, then count, then fulfill.
    auto receiving = [&]() {
      return std::make_unique<FnStage>([&](cn::Context& ctx, cn::Next) -> asio::awaitable<void> {
        before_credit = co_await balances(ledger, w.w);
        co_await ctx.credit_local();
        after_credit = co_await balances(ledger, w.w);
        ++counted;
        ctx.fulfill(fulfillment_of(7));
      });
    };
    cn::Chain chain(stages(std::make_unique<cn::ErrorHandlerStage>(), route_to(w.wallet, 50),
                           std::make_unique<cn::BalanceStage>(ledger, hooks), receiving()));
    auto packet7 = make_prepare({});
    EXPECT_EQ(reject_of(co_await run(chain, packet7, w.peer_a)).code, "fulfill");
    EXPECT_EQ(before_credit.credits_posted + before_credit.credits_pending, 0u);
    EXPECT_EQ(after_credit.credits_posted, 50u);  // credited before it was counted
    EXPECT_EQ(counted, 1);
    EXPECT_EQ((co_await balances(ledger, w.a)).debits_posted, 100u);
    EXPECT_EQ((co_await balances(ledger, w.usd)).credits_posted, 100u);
    EXPECT_EQ((co_await balances(ledger, w.eur)).debits_posted, 50u);
    EXPECT_EQ((co_await balances(ledger, w.w)).credits_posted, 50u);  // once, not again after
    EXPECT_EQ(hooks.posted_calls, 1);

    // The EUR liquidity account has 450 left: 451 is the operator's shortfall. The credit fails
    // T04 before anything is counted; neither leg happened.
    cn::Chain big(stages(std::make_unique<cn::ErrorHandlerStage>(), route_to(w.wallet, 451),
                         std::make_unique<cn::BalanceStage>(ledger, hooks), receiving()));
    auto packet8 = make_prepare({});
    auto r = reject_of(co_await run(big, packet8, w.peer_a));
    EXPECT_EQ(r.code, "T04");
    EXPECT_EQ(r.message, "InsufficientLiquidity");
    EXPECT_EQ(counted, 1);
    EXPECT_EQ((co_await balances(ledger, w.a)).debits_posted, 100u);
    EXPECT_EQ((co_await balances(ledger, w.usd)).credits_posted, 100u);
    EXPECT_EQ((co_await balances(ledger, w.w)).credits_posted, 50u);
    // A receiver that fulfills without asking for the credit is credited after it.
    cn::Chain plain(stages(std::make_unique<cn::ErrorHandlerStage>(), route_to(w.wallet, 20),
                           std::make_unique<cn::BalanceStage>(ledger, hooks),
                           fulfilling(fulfillment_of(7))));
    auto packet10 = make_prepare({});
    EXPECT_EQ(reject_of(co_await run(plain, packet10, w.peer_a)).code, "fulfill");
    EXPECT_EQ((co_await balances(ledger, w.w)).credits_posted, 70u);
    // A receiver that rejects: nothing is credited.
    cn::Chain rejecting(stages(std::make_unique<cn::ErrorHandlerStage>(), route_to(w.wallet, 50),
                               std::make_unique<cn::BalanceStage>(ledger, hooks),
                               std::make_unique<FnStage>([](cn::Context& ctx, cn::Next) -> asio::awaitable<void> {
                                 ctx.reject("F99", "");
                                 co_return;
                               })));
    auto packet9 = make_prepare({});
    EXPECT_EQ(reject_of(co_await run(rejecting, packet9, w.peer_a)).code, "F99");
    EXPECT_EQ((co_await balances(ledger, w.w)).credits_posted, 70u);
  });
}

TimePoint an_hour_later() { return now_ms() + std::chrono::hours(1); }

TEST(ConnectorBalance, AnExpiredPacketIsNeverCreditedLocally) {
  with_world([](Ledger& ledger, World& w) -> asio::awaitable<void> {
    FakeHooks hooks;
    int counted = 0;
    // The receiver got to crediting only after the Prepare's expiry (the clock says so).
    cn::Chain late(stages(std::make_unique<cn::ErrorHandlerStage>(), route_to(w.wallet, 50),
                          std::make_unique<cn::BalanceStage>(ledger, hooks, cn::BalanceOptions{},
                                                             an_hour_later),
                          std::make_unique<FnStage>([&](cn::Context& ctx, cn::Next) -> asio::awaitable<void> {
                            co_await ctx.credit_local();
                            ++counted;
                            ctx.fulfill(fulfillment_of(7));
                          })));
    auto packet = make_prepare({});
    EXPECT_EQ(reject_of(co_await run(late, packet, w.peer_a)).code, "R00");
    EXPECT_EQ(counted, 0);
    EXPECT_EQ((co_await balances(ledger, w.w)).credits_posted, 0u);
    EXPECT_EQ((co_await balances(ledger, w.a)).debits_posted, 0u);
    EXPECT_EQ(hooks.posted_calls, 0);
  });
}

// Holds the row locks of `a` and `b` in another connection for `hold_ms`: ledger batches on those
// accounts wait meanwhile (a slow ledger).
std::thread hold_locks(const TestDatabase& db, Uuid a, Uuid b, int hold_ms) {
  std::string sql = "BEGIN; SELECT 1 FROM ledger_accounts WHERE id IN ('" + a.str() + "', '" +
                    b.str() + "') FOR UPDATE; SELECT pg_sleep(" + std::to_string(hold_ms / 1000.0) +
                    "); COMMIT;";
  return std::thread([&db, sql] { db.exec(sql); });
}

// A Fulfill from the next hop means the next hop was paid: it is relayed whatever the ledger
// does. A slow ledger still posts it (the pending timeout leaves room for the post's retries);
// a post that fails for good (here: the room taken away, so the transfers expire first) is
// logged as money owed with the transfer ids.
TEST(ConnectorBalance, AFulfillIsPostedUnderASlowLedgerOrLoggedAsOwedAndAlwaysRelayed) {
  TestDatabase db;
  std::ostringstream log;
  std::string debited;  // peer A's account
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  spdlog::default_logger()->sinks().push_back(sink);
  run_async([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    Ledger ledger = co_await ledger::test::open_ledger(ex, db.url());
    World w = co_await make_world(ledger);
    debited = w.a.str();
    FakeHooks hooks;
    int lock_ms = 0;
    std::vector<std::thread> lockers;
    // The next hop fulfills while another connection holds the accounts for lock_ms.
    auto slow_ledger_then_fulfill = [&]() {
      return std::make_unique<FnStage>([&](cn::Context& ctx, cn::Next) -> asio::awaitable<void> {
        lockers.push_back(hold_locks(db, w.a, w.b, lock_ms));
        asio::steady_timer timer(ex, std::chrono::milliseconds(300));  // the locks are taken
        co_await timer.async_wait(asio::use_awaitable);
        ctx.fulfill(fulfillment_of(7));
      });
    };
    cn::BalanceOptions roomy;  // the defaults, with upstream's short setting and no hold
    roomy.two_phase_timeout_seconds = 1;
    roomy.max_hold_window = std::chrono::milliseconds(0);
    cn::Chain slow(stages(std::make_unique<cn::ErrorHandlerStage>(), route_to(w.peer_b),
                          std::make_unique<cn::BalanceStage>(ledger, hooks, roomy),
                          slow_ledger_then_fulfill()));
    // Longer than setting + margin (what the timeout was before the post's retry window).
    lock_ms = 2'500;
    auto packet = make_prepare({});
    EXPECT_EQ(reject_of(co_await run(slow, packet, w.peer_a)).code, "fulfill");
    EXPECT_EQ((co_await balances(ledger, w.a)).debits_posted, 100u);
    EXPECT_EQ((co_await balances(ledger, w.b)).credits_posted, 100u);
    EXPECT_EQ(hooks.posted_calls, 1);

    cn::BalanceOptions no_room = roomy;
    no_room.pending_timeout_margin_seconds = 0;
    no_room.post_retry_window = std::chrono::milliseconds(0);
    cn::Chain late(stages(std::make_unique<cn::ErrorHandlerStage>(), route_to(w.peer_b),
                          std::make_unique<cn::BalanceStage>(ledger, hooks, no_room),
                          slow_ledger_then_fulfill()));
    lock_ms = 1'500;
    auto packet2 = make_prepare({});
    EXPECT_EQ(reject_of(co_await run(late, packet2, w.peer_a)).code, "fulfill");  // relayed
    EXPECT_EQ((co_await balances(ledger, w.a)).debits_posted, 100u);  // not in the books
    EXPECT_EQ((co_await balances(ledger, w.b)).credits_posted, 100u);
    EXPECT_EQ(hooks.posted_calls, 1);
    for (auto& t : lockers) t.join();
  });
  spdlog::default_logger()->sinks().pop_back();
  const std::string text = log.str();
  EXPECT_NE(text.find("UNACCOUNTED FULFILL"), std::string::npos) << text;
  // The unposted pending transfer of the second packet is named.
  std::string pending_id = db.query_value(
      "SELECT id FROM ledger_transfers WHERE debit_account_id = '" + debited +
      "' AND pending_id IS NULL ORDER BY created_at DESC LIMIT 1");
  ASSERT_FALSE(pending_id.empty());
  EXPECT_NE(text.find(pending_id), std::string::npos) << text;
}

// A next hop of another asset (routing looks at every peer of the tenant): linked pending legs
// through both assets' liquidity accounts, the outgoing one at the converted amount; posted on
// Fulfill, voided on Reject; the operator's EUR shortfall is T04 InsufficientLiquidity.
TEST(ConnectorBalance, CrossCurrencyPeerPendingThroughBothLiquidityAccounts) {
  with_world([](Ledger& ledger, World& w) -> asio::awaitable<void> {
    Uuid c = Uuid::v4();
    std::vector<ledger::Account> extra{ledger::test::account(c, 2, kLiquidity, 3)};
    auto created = co_await ledger.create_accounts(std::move(extra));
    if (!created) throw std::runtime_error("account c");
    auto peer_c = connector_account(c, cn::AccountKind::kPeer, w.eur, "EUR", 2);
    FakeHooks hooks;
    Balances during_a, during_usd, during_eur, during_c;
    bool fulfill = true;
    auto next = std::make_unique<FnStage>([&](cn::Context& ctx, cn::Next) -> asio::awaitable<void> {
      during_a = co_await balances(ledger, w.a);
      during_usd = co_await balances(ledger, w.usd);
      during_eur = co_await balances(ledger, w.eur);
      during_c = co_await balances(ledger, c);
      if (fulfill) {
        ctx.fulfill(fulfillment_of(7));
      } else {
        ctx.reject(ilp::kF02Unreachable, "no");
      }
    });
    cn::Chain chain(stages(std::make_unique<cn::ErrorHandlerStage>(), route_to(peer_c, 40),
                           std::make_unique<cn::BalanceStage>(ledger, hooks), std::move(next)));
    auto packet1 = make_prepare({});
    EXPECT_EQ(reject_of(co_await run(chain, packet1, w.peer_a)).code, "fulfill");
    EXPECT_EQ(during_a.debits_pending, 100u);
    EXPECT_EQ(during_usd.credits_pending, 100u);
    EXPECT_EQ(during_eur.debits_pending, 40u);
    EXPECT_EQ(during_c.credits_pending, 40u);
    EXPECT_EQ((co_await balances(ledger, w.a)).debits_posted, 100u);
    EXPECT_EQ((co_await balances(ledger, w.usd)).credits_posted, 100u);
    EXPECT_EQ((co_await balances(ledger, w.eur)).debits_posted, 40u);
    auto c_after = co_await balances(ledger, c);
    EXPECT_EQ(c_after.credits_posted, 40u);
    EXPECT_EQ(c_after.credits_pending, 0u);
    EXPECT_EQ(hooks.posted_calls, 1);

    fulfill = false;
    auto packet2 = make_prepare({});
    EXPECT_EQ(reject_of(co_await run(chain, packet2, w.peer_a)).code, "F02");
    EXPECT_EQ(during_c.credits_pending, 40u);  // reserved while out, then voided
    auto a = co_await balances(ledger, w.a);
    EXPECT_EQ(a.debits_posted, 100u);
    EXPECT_EQ(a.debits_pending, 0u);
    auto eur = co_await balances(ledger, w.eur);
    EXPECT_EQ(eur.debits_posted, 40u);
    EXPECT_EQ(eur.debits_pending, 0u);
    EXPECT_EQ((co_await balances(ledger, c)).credits_pending, 0u);

    // EUR liquidity has 460 left: 461 is the operator's shortfall, nothing is forwarded.
    int calls = 0;
    cn::Chain big(stages(std::make_unique<cn::ErrorHandlerStage>(), route_to(peer_c, 461),
                         std::make_unique<cn::BalanceStage>(ledger, hooks),
                         fulfilling(fulfillment_of(7), &calls)));
    auto packet3 = make_prepare({});
    auto r = reject_of(co_await run(big, packet3, w.peer_a));
    EXPECT_EQ(r.code, "T04");
    EXPECT_EQ(r.message, "InsufficientLiquidity");
    EXPECT_EQ(calls, 0);
    EXPECT_EQ((co_await balances(ledger, w.a)).debits_pending, 0u);
    EXPECT_EQ(hooks.posted_calls, 1);
  });
}

TEST(ConnectorBalance, ZeroAmountsAndQuoteProbesMoveNothing) {
  with_world([](Ledger& ledger, World& w) -> asio::awaitable<void> {
    FakeHooks hooks;
    auto probe = std::make_unique<FnStage>([&](cn::Context& ctx, cn::Next next) -> asio::awaitable<void> {
      ctx.outgoing = w.peer_b;
      ctx.unfulfillable = ctx.prepare.amount == 5;
      co_await next(ctx);
    });
    cn::Chain chain(stages(std::make_unique<cn::ErrorHandlerStage>(), std::move(probe),
                           std::make_unique<cn::BalanceStage>(ledger, hooks),
                           fulfilling(fulfillment_of(7))));
    PrepareSpec spec;
    spec.amount = 0;
    auto packet10 = make_prepare(spec);
    EXPECT_EQ(reject_of(co_await run(chain, packet10, w.peer_a)).code, "fulfill");
    spec.amount = 5;
    auto packet11 = make_prepare(spec);
    EXPECT_EQ(reject_of(co_await run(chain, packet11, w.peer_a)).code, "fulfill");
    auto a = co_await balances(ledger, w.a);
    EXPECT_EQ(a.debits_posted + a.debits_pending, 0u);
    EXPECT_EQ(hooks.posted_calls, 0);
  });
}

}  // namespace
}  // namespace rafiki::testing::connector
