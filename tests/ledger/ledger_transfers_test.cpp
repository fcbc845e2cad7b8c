// The ledger's accounts and single-phase transfers against a real PostgreSQL: every result code,
// idempotency, the settlement and overflow rules.
#include "ledger/ledger.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <memory>
#include <string>
#include <vector>

#include "ledger/ledger_world.h"
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

