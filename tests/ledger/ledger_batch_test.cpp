// Linked runs and batches against a real PostgreSQL: transfers of one batch seeing each other,
// concurrent callers, stale reads made again, stored ids inside new batches.
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


