// Two-phase transfers against a real PostgreSQL: full and partial posts, voids, expiry, the
// sweeper, and a post that waited for the locks past the timeout.
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
