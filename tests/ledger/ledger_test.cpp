// The ledger's semantics against a real PostgreSQL: every result code, idempotency, two-phase
// transfers (full and partial posts, voids, expiry and the sweeper), linked runs, and the
// interplay of transfers inside one batch.
#include "ledger/ledger.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <memory>
#include <string>
#include <vector>

#include "ledger/ledger_test_util.h"
#include "store/async_util.h"
#include "support/test_env.h"

using namespace rafiki;
using namespace rafiki::ledger;
using namespace rafiki::ledger::test;
using rafiki::testing::join_all;
using rafiki::testing::run_async;
using rafiki::testing::sleep_ms;
using rafiki::testing::TestDatabase;
using asio::awaitable;

namespace {

constexpr std::uint32_t kLiquidity = account_flags::kDebitsMustNotExceedCredits;
constexpr std::uint32_t kSettlement = account_flags::kCreditsMustNotExceedDebits;

awaitable<Account> get(Ledger& ledger, Uuid id) {
  auto a = co_await ledger.balances(id);
  if (!a || !*a) throw std::runtime_error("account missing: " + id.str());
  co_return **a;
}

// A settlement account and two liquidity accounts on ledger 1, and one liquidity account on
// ledger 2; `alice` is funded with 1000.
struct World {
  Uuid settlement = Uuid::v4();
  Uuid alice = Uuid::v4();
  Uuid bob = Uuid::v4();
  Uuid other_ledger = Uuid::v4();
};

awaitable<World> make_world(Ledger& ledger) {
  World w;
  std::vector<Account> accounts{account(w.settlement, 1, kSettlement, 101),
                                account(w.alice, 1, kLiquidity, 3),
                                account(w.bob, 1, kLiquidity, 3),
                                account(w.other_ledger, 2, kLiquidity, 3)};
  auto created = co_await create_accounts(ledger, std::move(accounts));
  if (created != Names{"ok", "ok", "ok", "ok"}) throw std::runtime_error("accounts");
  auto funded = co_await create(ledger, single(Uuid::v4(), w.settlement, w.alice, 1000));
  if (funded != Names{"ok"}) throw std::runtime_error("funding: " + funded[0]);
  co_return w;
}

}  // namespace

TEST(LedgerAccounts, CreateReportsEveryResultAndIsIdempotent) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    Ledger ledger = co_await open_ledger(ex, db.url());
    Uuid a = Uuid::v4();
    Uuid b = Uuid::v4();
    Account funded = account(Uuid::v4(), 1, 0);
    funded.credits_posted = 5;
    std::vector<Account> batch{account(a, 1, kLiquidity),
                               account(a, 1, kLiquidity),  // same fields, same batch
                               account(a, 2, kLiquidity),  // same id, other ledger
                               account(Uuid{}, 1, 0),
                               account(Uuid::v4(), 1, kLiquidity | kSettlement),
                               account(Uuid::v4(), 0, 0),
                               account(Uuid::v4(), 1, 0, 0),
                               funded,
                               account(b, 1, kSettlement)};
    auto results = co_await create_accounts(ledger, std::move(batch));
    EXPECT_EQ(results, (Names{"ok", "exists", "exists_with_different_fields", "id_must_not_be_zero",
                              "flags_are_mutually_exclusive", "ledger_must_not_be_zero",
                              "code_must_not_be_zero", "balances_must_be_zero", "ok"}));
    std::vector<Account> again{account(a, 1, kLiquidity), account(b, 1, kLiquidity)};
    results = co_await create_accounts(ledger, std::move(again));
    EXPECT_EQ(results, (Names{"exists", "exists_with_different_fields"}));
    EXPECT_EQ(db.query_value("SELECT count(*) FROM ledger_accounts"), "2");

    std::vector<Uuid> ids{b, Uuid::v4(), a};
    auto found = co_await ledger.lookup_accounts(ids);
    CO_ASSERT_OK(found);
    CO_ASSERT(found->size() == 2);
    EXPECT_EQ((*found)[0].id, b);
    EXPECT_EQ((*found)[0].flags, kSettlement);
    EXPECT_EQ((*found)[1].id, a);
    EXPECT_EQ((*found)[1].ledger, 1u);
  });
}

TEST(LedgerAccounts, LinkedAccountsAreCreatedTogetherOrNotAtAll) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    Ledger ledger = co_await open_ledger(ex, db.url());
    Uuid a = Uuid::v4();
    std::vector<Account> chain{account(a, 1, kLiquidity | account_flags::kLinked),
                               account(Uuid::v4(), 0, kSettlement)};
    auto results = co_await create_accounts(ledger, std::move(chain));
    EXPECT_EQ(results, (Names{"linked_event_failed", "ledger_must_not_be_zero"}));
    std::vector<Account> open{account(a, 1, kLiquidity | account_flags::kLinked)};
    results = co_await create_accounts(ledger, std::move(open));
    EXPECT_EQ(results, (Names{"linked_event_chain_open"}));
    EXPECT_EQ(db.query_value("SELECT count(*) FROM ledger_accounts"), "0");
    std::vector<Account> good{account(a, 1, kLiquidity | account_flags::kLinked),
                              account(Uuid::v4(), 1, kSettlement)};
    results = co_await create_accounts(ledger, std::move(good));
    EXPECT_EQ(results, (Names{"ok", "ok"}));
  });
}

TEST(LedgerTransfers, SinglePhaseMovesBalancesAndRetryIsExists) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    Ledger ledger = co_await open_ledger(ex, db.url());
    World w = co_await make_world(ledger);
    Uuid id = Uuid::v4();
    {
      auto got = co_await create(ledger, single(id, w.alice, w.bob, 300));
      EXPECT_EQ(got, Names{"ok"});
    }
    {
      auto got = co_await create(ledger, single(id, w.alice, w.bob, 300));
      EXPECT_EQ(got, Names{"exists"});
    }
    {
      auto got = co_await create(ledger, single(id, w.alice, w.bob, 301));
      EXPECT_EQ(got, Names{"exists_with_different_fields"});
    }
    {
      auto got = co_await create(ledger, single(id, w.bob, w.alice, 300));
      EXPECT_EQ(got, Names{"exists_with_different_fields"});
    }
    {
      auto got = co_await create(ledger, pending(id, w.alice, w.bob, 300));
      EXPECT_EQ(got, Names{"exists_with_different_fields"});
    }
    Account alice = co_await get(ledger, w.alice);
    Account bob = co_await get(ledger, w.bob);
    Account settlement = co_await get(ledger, w.settlement);
    EXPECT_EQ(alice.debits_posted, 300u);
    EXPECT_EQ(alice.credits_posted, 1000u);
    EXPECT_EQ(alice.available(), std::optional<u128>(700));
    EXPECT_EQ(bob.credits_posted, 300u);
    EXPECT_EQ(settlement.debits_posted, 1000u);
    EXPECT_EQ(db.query_value("SELECT count(*) FROM ledger_transfers"), "2");

    std::vector<Uuid> ids{id};
    auto found = co_await ledger.lookup_transfers(ids);
    CO_ASSERT_OK(found);
    CO_ASSERT(found->size() == 1);
    const Transfer& t = found->front();
    EXPECT_EQ(t.debit_account_id, w.alice);
    EXPECT_EQ(t.credit_account_id, w.bob);
    EXPECT_EQ(t.amount, 300u);
    EXPECT_EQ(t.kind, TransferKind::kSinglePhase);
    EXPECT_EQ(t.state, TransferState::kFinal);
    EXPECT_TRUE(t.created_at.has_value());
  });
}

TEST(LedgerTransfers, BadFieldsAreResultCodesAndMoveNothing) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    Ledger ledger = co_await open_ledger(ex, db.url());
    World w = co_await make_world(ledger);
    Uuid nil;
    Transfer with_pending_id = single(Uuid::v4(), w.alice, w.bob, 1);
    with_pending_id.pending_id = Uuid::v4();
    Transfer single_with_timeout = single(Uuid::v4(), w.alice, w.bob, 1);
    single_with_timeout.timeout_seconds = 5;
    Transfer no_code = single(Uuid::v4(), w.alice, w.bob, 1);
    no_code.code = 0;
    Transfer post_with_timeout = post(Uuid::v4(), Uuid::v4());
    post_with_timeout.timeout_seconds = 1;
    Uuid self = Uuid::v4();
    std::vector<Transfer> batch{
        single(nil, w.alice, w.bob, 1),
        single(Uuid::v4(), nil, w.bob, 1),
        single(Uuid::v4(), w.alice, nil, 1),
        single(Uuid::v4(), w.alice, w.alice, 1),
        with_pending_id,
        single_with_timeout,
        single(Uuid::v4(), w.alice, w.bob, 1, 0),
        no_code,
        single(Uuid::v4(), w.alice, w.bob, 0),
        single(Uuid::v4(), Uuid::v4(), w.bob, 1),
        single(Uuid::v4(), w.alice, Uuid::v4(), 1),
        single(Uuid::v4(), w.alice, w.other_ledger, 1),
        single(Uuid::v4(), w.alice, w.bob, 1, 2),
        single(Uuid::v4(), w.alice, w.bob, 1001),
        single(Uuid::v4(), w.bob, w.settlement, 1),
        single(Uuid::v4(), w.alice, w.settlement, 1),  // ok: settlement's debits cover it
        single(Uuid::v4(), w.bob, w.settlement, 0),
        post(Uuid::v4(), nil),
        post(self, self),
        post_with_timeout,
        post(Uuid::v4(), Uuid::v4()),
    };
    auto results = co_await create(ledger, std::move(batch));
    EXPECT_EQ(results, (Names{"id_must_not_be_zero", "debit_account_id_must_not_be_zero",
                              "credit_account_id_must_not_be_zero", "accounts_must_be_different",
                              "pending_id_must_be_zero", "timeout_reserved_for_pending_transfer",
                              "ledger_must_not_be_zero", "code_must_not_be_zero",
                              "amount_must_not_be_zero", "debit_account_not_found",
                              "credit_account_not_found", "accounts_must_have_the_same_ledger",
                              "transfer_must_have_the_same_ledger_as_accounts", "exceeds_credits",
                              "exceeds_credits", "ok", "amount_must_not_be_zero",
                              "pending_id_must_not_be_zero", "pending_id_must_be_different",
                              "timeout_reserved_for_pending_transfer",
                              "pending_transfer_not_found"}));
    Account alice = co_await get(ledger, w.alice);
    Account bob = co_await get(ledger, w.bob);
    EXPECT_EQ(alice.debits_posted, 1u);
    EXPECT_EQ(alice.debits_pending, 0u);
    EXPECT_EQ(bob.debits_posted, 0u);
    EXPECT_EQ(bob.credits_posted, 0u);
    EXPECT_EQ(db.query_value("SELECT count(*) FROM ledger_transfers"), "2");
  });
}

TEST(LedgerTransfers, SettlementCreditsMustNotExceedDebits) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    Ledger ledger = co_await open_ledger(ex, db.url());
    World w = co_await make_world(ledger);
    Uuid free = Uuid::v4();
    std::vector<Account> accounts{account(free, 1, 0)};
    {
      auto got = co_await create_accounts(ledger, std::move(accounts));
      EXPECT_EQ(got, Names{"ok"});
    }
    // The settlement account was debited 1000; a credit of 1001 would exceed that.
    {
      auto got = co_await create(ledger, single(Uuid::v4(), free, w.settlement, 1001));
      EXPECT_EQ(got, Names{"exceeds_debits"});
    }
    {
      auto got = co_await create(ledger, pending(Uuid::v4(), free, w.settlement, 600));
      EXPECT_EQ(got, Names{"ok"});
    }
    {
      auto got = co_await create(ledger, single(Uuid::v4(), free, w.settlement, 401));
      EXPECT_EQ(got, Names{"exceeds_debits"});
    }
    {
      auto got = co_await create(ledger, single(Uuid::v4(), free, w.settlement, 400));
      EXPECT_EQ(got, Names{"ok"});
    }
  });
}

TEST(LedgerTransfers, OverflowingBalancesAreRefused) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    Ledger ledger = co_await open_ledger(ex, db.url());
    Uuid a = Uuid::v4(), b = Uuid::v4(), c = Uuid::v4();
    std::vector<Account> accounts{account(a, 1, 0), account(b, 1, 0), account(c, 1, 0)};
    {
      auto got = co_await create_accounts(ledger, std::move(accounts));
      EXPECT_EQ(got, (Names{"ok", "ok", "ok"}));
    }
    {
      auto got = co_await create(ledger, single(Uuid::v4(), a, b, money::kU128Max));
      EXPECT_EQ(got, Names{"ok"});
    }
    {
      auto got = co_await create(ledger, single(Uuid::v4(), a, c, 1));
      EXPECT_EQ(got, Names{"overflows_debits_posted"});
    }
    {
      auto got = co_await create(ledger, single(Uuid::v4(), c, b, 1));
      EXPECT_EQ(got, Names{"overflows_credits_posted"});
    }
    {
      auto got = co_await create(ledger, pending(Uuid::v4(), a, c, 1));
      EXPECT_EQ(got, Names{"overflows_debits"});
    }
    {
      auto got = co_await create(ledger, pending(Uuid::v4(), c, b, 1));
      EXPECT_EQ(got, Names{"overflows_credits"});
    }
    {
      auto got = co_await create(ledger, pending(Uuid::v4(), c, a, money::kU128Max));
      EXPECT_EQ(got, Names{"ok"});
    }
    {
      auto got = co_await create(ledger, pending(Uuid::v4(), c, b, 1));
      EXPECT_EQ(got, Names{"overflows_debits_pending"});
    }
    {
      // a's pending credits are at the maximum now.
      auto got = co_await create(ledger, pending(Uuid::v4(), b, a, 1));
      EXPECT_EQ(got, Names{"overflows_credits_pending"});
    }
    Account account_b = co_await get(ledger, b);
    EXPECT_EQ(account_b.credits_posted, money::kU128Max);
    EXPECT_EQ(db.query_value("SELECT max(credits_posted)::text FROM ledger_accounts"),
              "340282366920938463463374607431768211455");
  });
}

TEST(LedgerTwoPhase, PendingThenFullPostMovesThePendingAmount) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    Ledger ledger = co_await open_ledger(ex, db.url());
    World w = co_await make_world(ledger);
    Uuid p = Uuid::v4();
    {
      auto got = co_await create(ledger, pending(p, w.alice, w.bob, 400, 60));
      EXPECT_EQ(got, Names{"ok"});
    }
    Account alice = co_await get(ledger, w.alice);
    Account bob = co_await get(ledger, w.bob);
    EXPECT_EQ(alice.debits_pending, 400u);
    EXPECT_EQ(bob.credits_pending, 400u);
    EXPECT_EQ(alice.available(), std::optional<u128>(600));
    // The reservation counts against the flag.
    {
      auto got = co_await create(ledger, single(Uuid::v4(), w.alice, w.bob, 601));
      EXPECT_EQ(got, Names{"exceeds_credits"});
    }
    Uuid posted = Uuid::v4();
    {
      auto got = co_await create(ledger, post(posted, p));
      EXPECT_EQ(got, Names{"ok"});
    }
    {
      auto got = co_await create(ledger, post(posted, p));
      EXPECT_EQ(got, Names{"exists"});
    }
    {
      auto got = co_await create(ledger, post(Uuid::v4(), p));
      EXPECT_EQ(got, Names{"pending_transfer_already_posted"});
    }
    {
      auto got = co_await create(ledger, void_pending(Uuid::v4(), p));
      EXPECT_EQ(got, Names{"pending_transfer_already_posted"});
    }
    alice = co_await get(ledger, w.alice);
    bob = co_await get(ledger, w.bob);
    EXPECT_EQ(alice.debits_pending, 0u);
    EXPECT_EQ(alice.debits_posted, 400u);
    EXPECT_EQ(bob.credits_pending, 0u);
    EXPECT_EQ(bob.credits_posted, 400u);
    std::vector<Uuid> ids{p, posted};
    auto found = co_await ledger.lookup_transfers(ids);
    CO_ASSERT_OK(found);
    CO_ASSERT(found->size() == 2);
    EXPECT_EQ((*found)[0].state, TransferState::kPosted);
    EXPECT_TRUE((*found)[0].expires_at.has_value());
    EXPECT_EQ((*found)[1].kind, TransferKind::kPostPending);
    EXPECT_EQ((*found)[1].amount, 400u);
    EXPECT_EQ((*found)[1].debit_account_id, w.alice);
    EXPECT_EQ((*found)[1].pending_id, p);
  });
}

TEST(LedgerTwoPhase, PartialPostReleasesTheRest) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    Ledger ledger = co_await open_ledger(ex, db.url());
    World w = co_await make_world(ledger);
    Uuid p = Uuid::v4();
    {
      auto got = co_await create(ledger, pending(p, w.alice, w.bob, 400));
      EXPECT_EQ(got, Names{"ok"});
    }
    {
      auto got = co_await create(ledger, post(Uuid::v4(), p, 401));
      EXPECT_EQ(got, Names{"exceeds_pending_transfer_amount"});
    }
    Transfer wrong_debit = post(Uuid::v4(), p, 100);
    wrong_debit.debit_account_id = w.bob;
    Transfer wrong_credit = post(Uuid::v4(), p, 100);
    wrong_credit.credit_account_id = w.alice;
    Transfer wrong_ledger = post(Uuid::v4(), p, 100);
    wrong_ledger.ledger = 2;
    Transfer wrong_code = post(Uuid::v4(), p, 100);
    wrong_code.code = 9;
    std::vector<Transfer> wrong{wrong_debit, wrong_credit, wrong_ledger, wrong_code};
    {
      auto got = co_await create(ledger, std::move(wrong));
      EXPECT_EQ(got, (Names{"pending_transfer_has_different_debit_account_id",
                     "pending_transfer_has_different_credit_account_id",
                     "pending_transfer_has_different_ledger",
                     "pending_transfer_has_different_code"}));
    }
    Transfer matching = post(Uuid::v4(), p, 150);
    matching.debit_account_id = w.alice;
    matching.credit_account_id = w.bob;
    matching.ledger = 1;
    matching.code = 1;
    {
      auto got = co_await create(ledger, matching);
      EXPECT_EQ(got, Names{"ok"});
    }
    {
      auto got = co_await create(ledger, matching);
      EXPECT_EQ(got, Names{"exists"});
    }
    Transfer different = matching;
    different.amount = 140;
    {
      auto got = co_await create(ledger, different);
      EXPECT_EQ(got, Names{"exists_with_different_fields"});
    }
    Account alice = co_await get(ledger, w.alice);
    Account bob = co_await get(ledger, w.bob);
    EXPECT_EQ(alice.debits_pending, 0u);
    EXPECT_EQ(alice.debits_posted, 150u);
    EXPECT_EQ(alice.available(), std::optional<u128>(850));
    EXPECT_EQ(bob.credits_pending, 0u);
    EXPECT_EQ(bob.credits_posted, 150u);
  });
}

TEST(LedgerTwoPhase, VoidReleasesTheReservation) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    Ledger ledger = co_await open_ledger(ex, db.url());
    World w = co_await make_world(ledger);
    Uuid p = Uuid::v4();
    Uuid s = Uuid::v4();
    {
      auto got = co_await create(ledger, pending(p, w.alice, w.bob, 400));
      EXPECT_EQ(got, Names{"ok"});
    }
    {
      auto got = co_await create(ledger, single(s, w.alice, w.bob, 5));
      EXPECT_EQ(got, Names{"ok"});
    }
    Transfer partial_void = void_pending(Uuid::v4(), p);
    partial_void.amount = 100;
    {
      auto got = co_await create(ledger, partial_void);
      EXPECT_EQ(got, Names{"pending_transfer_has_different_amount"});
    }
    {
      auto got = co_await create(ledger, void_pending(Uuid::v4(), s));
      EXPECT_EQ(got, Names{"pending_transfer_not_pending"});
    }
    Uuid v = Uuid::v4();
    {
      auto got = co_await create(ledger, void_pending(v, p));
      EXPECT_EQ(got, Names{"ok"});
    }
    {
      auto got = co_await create(ledger, void_pending(v, p));
      EXPECT_EQ(got, Names{"exists"});
    }
    {
      auto got = co_await create(ledger, void_pending(Uuid::v4(), p));
      EXPECT_EQ(got, Names{"pending_transfer_already_voided"});
    }
    {
      auto got = co_await create(ledger, post(Uuid::v4(), p));
      EXPECT_EQ(got, Names{"pending_transfer_already_voided"});
    }
    Account alice = co_await get(ledger, w.alice);
    EXPECT_EQ(alice.debits_pending, 0u);
    EXPECT_EQ(alice.debits_posted, 5u);
    std::vector<Uuid> ids{p, v};
    auto found = co_await ledger.lookup_transfers(ids);
    CO_ASSERT_OK(found);
    CO_ASSERT(found->size() == 2);
    EXPECT_EQ((*found)[0].state, TransferState::kVoided);
    EXPECT_EQ((*found)[1].kind, TransferKind::kVoidPending);
    EXPECT_EQ((*found)[1].amount, 400u);
  });
}

TEST(LedgerTwoPhase, ExpiredPendingCannotBePostedAndTheSweeperReleasesIt) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    Ledger ledger = co_await open_ledger(ex, db.url());
    World w = co_await make_world(ledger);
    Uuid expiring = Uuid::v4();
    Uuid swept = Uuid::v4();
    Uuid lasting = Uuid::v4();
    std::vector<Transfer> batch{pending(expiring, w.alice, w.bob, 100, 1),
                                pending(swept, w.alice, w.bob, 200, 1),
                                pending(lasting, w.alice, w.bob, 300, 3600)};
    {
      auto got = co_await create(ledger, std::move(batch));
      EXPECT_EQ(got, (Names{"ok", "ok", "ok"}));
    }
    auto none = co_await ledger.sweep_expired();
    CO_ASSERT_OK(none);
    EXPECT_EQ(*none, 0u);
    co_await sleep_ms(1300);
    // Past its timeout but not yet swept: posting is refused all the same.
    {
      auto got = co_await create(ledger, post(Uuid::v4(), expiring));
      EXPECT_EQ(got, Names{"pending_transfer_expired"});
    }
    Account alice = co_await get(ledger, w.alice);
    EXPECT_EQ(alice.debits_pending, 600u);
    auto released = co_await ledger.sweep_expired();
    CO_ASSERT_OK(released);
    EXPECT_EQ(*released, 2u);
    alice = co_await get(ledger, w.alice);
    Account bob = co_await get(ledger, w.bob);
    EXPECT_EQ(alice.debits_pending, 300u);
    EXPECT_EQ(bob.credits_pending, 300u);
    {
      auto got = co_await create(ledger, void_pending(Uuid::v4(), swept));
      EXPECT_EQ(got, Names{"pending_transfer_expired"});
    }
    {
      auto got = co_await create(ledger, post(Uuid::v4(), lasting));
      EXPECT_EQ(got, Names{"ok"});
    }
    std::vector<Uuid> ids{swept};
    auto found = co_await ledger.lookup_transfers(ids);
    CO_ASSERT_OK(found);
    CO_ASSERT(found->size() == 1);
    EXPECT_EQ(found->front().state, TransferState::kExpired);
    auto again = co_await ledger.sweep_expired();
    CO_ASSERT_OK(again);
    EXPECT_EQ(*again, 0u);
  });
}

TEST(LedgerTwoPhase, RunSweeperReleasesInTheBackgroundUntilStopped) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    Ledger ledger = co_await open_ledger(ex, db.url());
    World w = co_await make_world(ledger);
    {
      auto got = co_await create(ledger, pending(Uuid::v4(), w.alice, w.bob, 100, 1));
      EXPECT_EQ(got, Names{"ok"});
    }
    asio::co_spawn(ex, ledger.run_sweeper(std::chrono::milliseconds(100)), asio::detached);
    for (int i = 0; i < 50; ++i) {
      co_await sleep_ms(100);
      if ((co_await get(ledger, w.alice)).debits_pending == 0) break;
    }
    EXPECT_EQ((co_await get(ledger, w.alice)).debits_pending, 0u);
    ledger.stop();
    co_await sleep_ms(250);
  });
}

TEST(LedgerLinked, AFailingMemberFailsTheWholeRun) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    Ledger ledger = co_await open_ledger(ex, db.url());
    World w = co_await make_world(ledger);
    Transfer a = single(Uuid::v4(), w.alice, w.bob, 100);
    a.linked = true;
    Transfer b = pending(Uuid::v4(), w.bob, w.alice, 50);
    b.linked = true;
    Transfer c = single(Uuid::v4(), w.alice, w.bob, 2000);  // exceeds alice's credits
    Transfer after = single(Uuid::v4(), w.alice, w.bob, 1);  // not in the chain
    std::vector<Transfer> batch{a, b, c, after};
    {
      auto got = co_await create(ledger, std::move(batch));
      EXPECT_EQ(got, (Names{"linked_event_failed", "linked_event_failed", "exceeds_credits", "ok"}));
    }
    Account alice = co_await get(ledger, w.alice);
    Account bob = co_await get(ledger, w.bob);
    EXPECT_EQ(alice.debits_posted, 1u);
    EXPECT_EQ(alice.credits_pending, 0u);
    EXPECT_EQ(bob.credits_posted, 1u);
    EXPECT_EQ(bob.debits_pending, 0u);
    std::vector<Uuid> ids{a.id, b.id, c.id};
    auto found = co_await ledger.lookup_transfers(ids);
    CO_ASSERT_OK(found);
    EXPECT_TRUE(found->empty());

    // A failing first member: the rest are not even tried.
    Transfer first = single(Uuid::v4(), w.alice, Uuid::v4(), 1);
    first.linked = true;
    Transfer second = single(Uuid::v4(), w.alice, w.bob, 1);
    std::vector<Transfer> run2{first, second};
    {
      auto got = co_await create(ledger, std::move(run2));
      EXPECT_EQ(got, (Names{"credit_account_not_found", "linked_event_failed"}));
    }

    // A chain left open at the end of a call fails.
    Transfer open1 = single(Uuid::v4(), w.alice, w.bob, 1);
    open1.linked = true;
    Transfer open2 = single(Uuid::v4(), w.alice, w.bob, 1);
    open2.linked = true;
    std::vector<Transfer> run3{open1, open2};
    {
      auto got = co_await create(ledger, std::move(run3));
      EXPECT_EQ(got, (Names{"linked_event_failed", "linked_event_chain_open"}));
    }

    // A good chain: a post and a new pending, together.
    Uuid p = Uuid::v4();
    {
      auto got = co_await create(ledger, pending(p, w.alice, w.bob, 10));
      EXPECT_EQ(got, Names{"ok"});
    }
    Transfer x = post(Uuid::v4(), p);
    x.linked = true;
    Transfer y = single(Uuid::v4(), w.bob, w.alice, 5);
    std::vector<Transfer> run4{x, y};
    {
      auto got = co_await create(ledger, std::move(run4));
      EXPECT_EQ(got, (Names{"ok", "ok"}));
    }
    alice = co_await get(ledger, w.alice);
    EXPECT_EQ(alice.debits_posted, 11u);
    EXPECT_EQ(alice.credits_posted, 1005u);
    EXPECT_EQ(alice.debits_pending, 0u);
  });
}

TEST(LedgerLinked, AFailedChainUndoesAPostInsideIt) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    Ledger ledger = co_await open_ledger(ex, db.url());
    World w = co_await make_world(ledger);
    Uuid p = Uuid::v4();
    {
      auto got = co_await create(ledger, pending(p, w.alice, w.bob, 10));
      EXPECT_EQ(got, Names{"ok"});
    }
    Transfer x = post(Uuid::v4(), p);
    x.linked = true;
    Transfer y = single(Uuid::v4(), w.bob, w.alice, 500);  // bob has only 10 pending credits
    std::vector<Transfer> run{x, y};
    {
      auto got = co_await create(ledger, std::move(run));
      EXPECT_EQ(got, (Names{"linked_event_failed", "exceeds_credits"}));
    }
    Account alice = co_await get(ledger, w.alice);
    EXPECT_EQ(alice.debits_pending, 10u);
    EXPECT_EQ(alice.debits_posted, 0u);
    // The pending transfer is still pending: a later post works.
    {
      auto got = co_await create(ledger, post(Uuid::v4(), p));
      EXPECT_EQ(got, Names{"ok"});
    }
  });
}

TEST(LedgerBatch, TransfersOfOneBatchSeeEachOther) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    Ledger ledger = co_await open_ledger(ex, db.url());
    World w = co_await make_world(ledger);
    Uuid p = Uuid::v4();
    Uuid q = Uuid::v4();
    Uuid s = Uuid::v4();
    Uuid first_post = Uuid::v4();
    std::vector<Transfer> batch{
        pending(p, w.alice, w.bob, 100),
        post(first_post, p, 60),
        post(Uuid::v4(), p),                        // already posted in this batch
        single(s, w.alice, w.bob, 5),
        single(s, w.alice, w.bob, 5),               // same id and fields
        single(s, w.alice, w.bob, 6),               // same id, other fields
        post(Uuid::v4(), q),                        // q comes later: not found yet
        pending(q, w.alice, w.bob, 20),
        void_pending(Uuid::v4(), q),
        pending(Uuid::v4(), w.alice, w.bob, 936),   // 65 posted + 936 > 1000
        pending(Uuid::v4(), w.alice, w.bob, 935),   // exactly the rest
    };
    {
      auto got = co_await create(ledger, std::move(batch));
      EXPECT_EQ(got, (Names{"ok", "ok", "pending_transfer_already_posted", "ok", "exists",
                     "exists_with_different_fields", "pending_transfer_not_found", "ok", "ok",
                     "exceeds_credits", "ok"}));
    }
    Account alice = co_await get(ledger, w.alice);
    EXPECT_EQ(alice.debits_posted, 65u);
    EXPECT_EQ(alice.debits_pending, 935u);
    EXPECT_EQ(alice.available(), std::optional<u128>(0));
    std::vector<Uuid> ids{p, q, first_post};
    auto found = co_await ledger.lookup_transfers(ids);
    CO_ASSERT_OK(found);
    CO_ASSERT(found->size() == 3);
    EXPECT_EQ((*found)[0].state, TransferState::kPosted);
    EXPECT_EQ((*found)[1].state, TransferState::kVoided);
    EXPECT_EQ((*found)[2].amount, 60u);
  });
}

TEST(LedgerBatch, ConcurrentCallersGetTheirOwnResults) {
  TestDatabase db;
  run_async(
      [&](asio::any_io_executor ex) -> awaitable<void> {
        Ledger ledger = co_await open_ledger(ex, db.url(), 4);
        World w = co_await make_world(ledger);
        constexpr int kCallers = 200;
        std::vector<Names> answers(kCallers);
        std::vector<awaitable<void>> tasks;
        for (int i = 0; i < kCallers; ++i) {
          tasks.push_back([](Ledger ledger, World w, int i, Names& out) -> awaitable<void> {
            std::vector<Transfer> mine;
            mine.push_back(single(Uuid::v4(), w.alice, w.bob, 1));
            if (i % 2 == 0) mine.push_back(single(Uuid::v4(), w.alice, Uuid::v4(), 1));
            if (i % 3 == 0) mine.push_back(single(Uuid{}, w.alice, w.bob, 1));
            out = co_await create(ledger, std::move(mine));
          }(ledger, w, i, answers[static_cast<std::size_t>(i)]));
        }
        co_await join_all(std::move(tasks));
        for (int i = 0; i < kCallers; ++i) {
          Names expected{"ok"};
          if (i % 2 == 0) expected.push_back("credit_account_not_found");
          if (i % 3 == 0) expected.push_back("id_must_not_be_zero");
          EXPECT_EQ(answers[static_cast<std::size_t>(i)], expected) << "caller " << i;
        }
        Account alice = co_await get(ledger, w.alice);
        EXPECT_EQ(alice.debits_posted, static_cast<u128>(kCallers));
      },
      2);
}

TEST(LedgerBatch, TooManyTransfersInOneCallIsAnErrorAndAppliesNothing) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    Ledger ledger = co_await open_ledger(ex, db.url());
    World w = co_await make_world(ledger);
    std::vector<Transfer> many;
    for (std::size_t i = 0; i <= kCallTransfersMax; ++i) {
      many.push_back(single(Uuid::v4(), w.alice, w.bob, 1));
    }
    {
      auto got = co_await create(ledger, std::move(many));
      EXPECT_EQ(got, Names{"error:ledger.too_many"});
    }
    std::vector<Transfer> none;
    {
      auto got = co_await create(ledger, std::move(none));
      EXPECT_EQ(got, Names{});
    }
    EXPECT_EQ((co_await get(ledger, w.alice)).debits_posted, 0u);
  });
}

namespace {

// Runs `batch` while another writer holds alice's and bob's locks after running `sql`: the
// batch makes its reads before locking, then waits for the locks until the writer commits.
awaitable<Names> create_while_another_writer_commits(asio::any_io_executor ex, std::string url,
                                                     Ledger ledger, World w, std::string sql,
                                                     std::vector<Transfer> batch,
                                                     int hold_ms = 300) {
  store::PgPool other = make_pool(ex, url, 1);
  struct Answer {
    Names names;
    bool done = false;
  };
  auto answer = std::make_shared<Answer>();  // shared with the batch, which may outlive us
  auto held = co_await other.transaction([&](store::PgConn& conn) -> awaitable<Result<int>> {
    auto locked = co_await conn.query(
        "SELECT 1 FROM ledger_accounts WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE",
        "{" + w.alice.str() + "," + w.bob.str() + "}");
    if (!locked) co_return std::unexpected(locked.error());
    auto changed = co_await conn.query(sql);
    if (!changed) co_return std::unexpected(changed.error());
    asio::co_spawn(
        ex,
        [](Ledger ledger, std::vector<Transfer> batch,
           std::shared_ptr<Answer> out) -> awaitable<void> {
          out->names = co_await create(ledger, std::move(batch));
          out->done = true;
        }(ledger, std::move(batch), answer),
        asio::detached);
    co_await sleep_ms(hold_ms);
    co_return 0;
  });
  if (!held) throw std::runtime_error("writer: " + held.error().message);
  for (int i = 0; i < 200 && !answer->done; ++i) co_await sleep_ms(50);
  if (!answer->done) throw std::runtime_error("the batch never answered");
  co_return answer->names;
}

}  // namespace

TEST(LedgerBatch, ReadsMadeBeforeTheLocksThatWentStaleAreMadeAgain) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    Ledger ledger = co_await open_ledger(ex, db.url());
    World w = co_await make_world(ledger);
    Uuid p = Uuid::v4();
    auto created = co_await create(ledger, pending(p, w.alice, w.bob, 100));
    EXPECT_EQ(created, Names{"ok"});
    // The pending transfer is posted by another writer after our batch read it: its state is
    // read again under the locks.
    std::vector<Transfer> posting{post(Uuid::v4(), p)};
    auto posted = co_await create_while_another_writer_commits(
        ex, db.url(), ledger, w,
        "UPDATE ledger_transfers SET state = 2 WHERE id = '" + p.str() + "'", std::move(posting));
    EXPECT_EQ(posted, Names{"pending_transfer_already_posted"});
    // A transfer with our id is stored by another writer after our batch looked for it: the
    // insert fails on the primary key, and the batch re-run finds it stored.
    Uuid twin = Uuid::v4();
    std::vector<Transfer> twins{single(twin, w.alice, w.bob, 5)};
    auto stored = co_await create_while_another_writer_commits(
        ex, db.url(), ledger, w,
        "INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount, ledger, "
        "code, flags, timeout_seconds, state, created_at) VALUES ('" +
            twin.str() + "', '" + w.alice.str() + "', '" + w.bob.str() +
            "', 5, 1, 1, 0, 0, 0, now())",
        std::move(twins));
    EXPECT_EQ(stored, Names{"exists"});
    Account alice = co_await get(ledger, w.alice);
    EXPECT_EQ(alice.debits_pending, 100u);
    EXPECT_EQ(alice.debits_posted, 0u);
  });
}

// A batch normally stores its transfers before locking the accounts without looking for stored
// ones with the same ids: one that meets such an id runs again, looking. Either way each
// transfer gets its own answer, failed ones leave no row, and the stored transfer is untouched.
TEST(LedgerBatch, AStoredIdInABatchOfNewTransfersAnswersExistsAndTheRestApplyOnce) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    Ledger ledger = co_await open_ledger(ex, db.url());
    World w = co_await make_world(ledger);
    Uuid stored_single = Uuid::v4();
    Uuid stored_pending = Uuid::v4();
    {
      std::vector<Transfer> first{single(stored_single, w.alice, w.bob, 7),
                                  pending(stored_pending, w.alice, w.bob, 50, 60)};
      auto got = co_await create(ledger, std::move(first));
      EXPECT_EQ(got, (Names{"ok", "ok"}));
    }
    Uuid a = Uuid::v7(), b = Uuid::v7(), c = Uuid::v7(), d = Uuid::v7(), e = Uuid::v7(),
         f = Uuid::v7();
    std::vector<Transfer> batch{
        single(a, w.alice, w.bob, 10),
        single(stored_single, w.alice, w.bob, 7),  // a retry
        post(b, stored_pending),
        post(c, stored_pending),                  // the pending is posted by b already
        single(d, w.alice, w.bob, 10000),         // more than alice has
        void_pending(e, Uuid::v4()),              // no such pending transfer
        pending(f, w.bob, w.alice, 5, 60),
    };
    {
      auto got = co_await create(ledger, std::move(batch));
      EXPECT_EQ(got, (Names{"ok", "exists", "ok", "pending_transfer_already_posted",
                            "exceeds_credits", "pending_transfer_not_found", "ok"}));
    }
    // funding, the two stored, a, b, f
    EXPECT_EQ(db.query_value("SELECT count(*) FROM ledger_transfers"), "6");
    std::vector<Uuid> ids{stored_single, stored_pending, a, b, c, d, e, f};
    auto found = co_await ledger.lookup_transfers(ids);
    CO_ASSERT_OK(found);
    CO_ASSERT(found->size() == 5);
    EXPECT_EQ((*found)[0].amount, 7u);
    EXPECT_EQ((*found)[1].state, TransferState::kPosted);
    EXPECT_EQ((*found)[2].id, a);
    const Transfer& posted = (*found)[3];
    EXPECT_EQ(posted.id, b);
    EXPECT_EQ(posted.debit_account_id, w.alice);
    EXPECT_EQ(posted.credit_account_id, w.bob);
    EXPECT_EQ(posted.amount, 50u);
    EXPECT_EQ(posted.kind, TransferKind::kPostPending);
    EXPECT_EQ((*found)[4].id, f);
    EXPECT_EQ((*found)[4].state, TransferState::kPending);
    EXPECT_TRUE((*found)[4].expires_at.has_value());
    Account alice = co_await get(ledger, w.alice);
    Account bob = co_await get(ledger, w.bob);
    EXPECT_EQ(alice.debits_posted, 67u);   // 7 + 10 + 50
    EXPECT_EQ(alice.debits_pending, 0u);
    EXPECT_EQ(alice.credits_pending, 5u);
    EXPECT_EQ(bob.credits_posted, 67u);
    EXPECT_EQ(bob.debits_pending, 5u);

    // The same batch again: every transfer that was stored answers exists, nothing moves.
    std::vector<Transfer> again{single(a, w.alice, w.bob, 10), post(b, stored_pending),
                                pending(f, w.bob, w.alice, 5, 60)};
    {
      auto got = co_await create(ledger, std::move(again));
      EXPECT_EQ(got, (Names{"exists", "exists", "exists"}));
    }
    EXPECT_EQ(db.query_value("SELECT count(*) FROM ledger_transfers"), "6");
    Account alice_after = co_await get(ledger, w.alice);
    EXPECT_EQ(alice_after.debits_posted, 67u);
    EXPECT_EQ(alice_after.credits_pending, 5u);
  });
}

// Expiry is judged once the accounts are locked, not when the batch started: a post that waited
// for the locks past the pending transfer's timeout answers expired and moves nothing.
TEST(LedgerTwoPhase, APostThatWaitedForTheLocksPastTheTimeoutFindsThePendingExpired) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    Ledger ledger = co_await open_ledger(ex, db.url());
    World w = co_await make_world(ledger);
    Uuid p = Uuid::v7();
    auto created = co_await create(ledger, pending(p, w.alice, w.bob, 100, 1));
    EXPECT_EQ(created, Names{"ok"});
    std::vector<Transfer> posting{post(Uuid::v7(), p)};
    auto posted = co_await create_while_another_writer_commits(ex, db.url(), ledger, w,
                                                               "SELECT 1", std::move(posting),
                                                               1500);
    EXPECT_EQ(posted, Names{"pending_transfer_expired"});
    Account alice = co_await get(ledger, w.alice);
    EXPECT_EQ(alice.debits_posted, 0u);
    EXPECT_EQ(alice.debits_pending, 100u);  // until the sweeper releases it
    EXPECT_EQ(db.query_value("SELECT count(*) FROM ledger_transfers WHERE pending_id IS NOT NULL"),
              "0");
  });
}

// A call holding a pending transfer and its post (transfers the batch cannot store before the
// locks) sent again after it was applied: each answers exists, even where checking the balance
// again would have failed, and nothing moves.
TEST(LedgerBatch, ACallResentAfterItAppliedAnswersExistsForTransfersResolvedInsideIt) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    Ledger ledger = co_await open_ledger(ex, db.url());
    World w = co_await make_world(ledger);
    Uuid p = Uuid::v7(), q = Uuid::v7(), r = Uuid::v7(), s2 = Uuid::v7();
    auto call = [&] {
      Transfer linked_pending = pending(r, w.alice, w.bob, 300);
      linked_pending.linked = true;
      return std::vector<Transfer>{pending(p, w.alice, w.bob, 600), post(q, p), linked_pending,
                                   void_pending(s2, r)};
    };
    {
      auto got = co_await create(ledger, call());
      EXPECT_EQ(got, (Names{"ok", "ok", "ok", "ok"}));
    }
    Account before = co_await get(ledger, w.alice);
    EXPECT_EQ(before.debits_posted, 600u);
    // Sent again by a fresh client (no recent primary key hit): alice could not afford 600 again.
    Ledger fresh = co_await open_ledger(ex, db.url());
    {
      auto got = co_await create(fresh, call());
      // As TigerBeetle: `exists` is not `ok`, so it fails the rest of its linked chain.
      EXPECT_EQ(got, (Names{"exists", "exists", "exists", "linked_event_failed"}));
    }
    Account after = co_await get(ledger, w.alice);
    EXPECT_EQ(after.debits_posted, 600u);
    EXPECT_EQ(after.debits_pending, 0u);
    EXPECT_EQ(db.query_value("SELECT count(*) FROM ledger_transfers"), "5");
  });
}

