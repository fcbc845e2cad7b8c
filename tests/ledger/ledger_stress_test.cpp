// The ledger under load: thousands of random operations from many coroutines and from two
// processes against one database, and batches whose database connection is killed midway.
// Afterwards the invariants must hold: on every ledger debits equal credits (posted and
// pending), no account breaks its flags, every balance equals the sum of the transfers stored
// for it (nothing half-applied), and every acknowledged transfer is stored exactly once.
//
// The second process is this test binary run again with RAFIKI_LEDGER_WORKER_URL set: the
// LedgerWorker test then does its share of the work and writes what it was acknowledged.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "ledger/ledger.h"
#include "ledger/ledger_test_util.h"
#include "store/async_util.h"
#include "support/process.h"
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
constexpr int kLedgers = 2;
constexpr int kLiquidityPerLedger = 6;
constexpr int kFreePerLedger = 2;

const char* kWorkerUrlEnv = "RAFIKI_LEDGER_WORKER_URL";
const char* kWorkerOutEnv = "RAFIKI_LEDGER_WORKER_OUT";
const char* kWorkerSeedEnv = "RAFIKI_LEDGER_WORKER_SEED";

struct Book {
  std::vector<Uuid> settlement;             // per ledger (index ledger - 1)
  std::vector<std::vector<Uuid>> liquidity;  // per ledger
  std::vector<std::vector<Uuid>> free;       // per ledger, no flags
};

// Acknowledged transfers: id → "kind amount" as the caller asked.
struct Acks {
  std::mutex mutex;
  std::map<std::string, std::string> ok;
  int unknown = 0;  // calls whose outcome was unknown (retried until known)
  void add(const Transfer& t) {
    std::lock_guard lock(mutex);
    ok[t.id.str()] = std::to_string(static_cast<int>(t.kind)) + " " + money::to_string(t.amount);
  }
};

awaitable<Book> create_book(Ledger& ledger) {
  Book book;
  std::vector<Account> accounts;
  for (std::uint32_t l = 1; l <= kLedgers; ++l) {
    book.settlement.push_back(Uuid::v4());
    accounts.push_back(account(book.settlement.back(), l, kSettlement, 101));
    book.liquidity.emplace_back();
    book.free.emplace_back();
    for (int i = 0; i < kLiquidityPerLedger; ++i) {
      book.liquidity.back().push_back(Uuid::v4());
      accounts.push_back(account(book.liquidity.back().back(), l, kLiquidity, 3));
    }
    for (int i = 0; i < kFreePerLedger; ++i) {
      book.free.back().push_back(Uuid::v4());
      accounts.push_back(account(book.free.back().back(), l, 0, 7));
    }
  }
  auto created = co_await ledger.create_accounts(std::move(accounts));
  if (!created) throw std::runtime_error(created.error().message);
  co_return book;
}

// The accounts create_book made, read back (for the second process).
awaitable<Book> read_book(Ledger& ledger, const std::string& url) {
  (void)ledger;
  auto ex = co_await asio::this_coro::executor;
  store::PgPool pool = make_pool(ex, url, 1);
  auto rows = co_await pool.query("SELECT id, ledger, flags FROM ledger_accounts ORDER BY id");
  if (!rows) throw std::runtime_error(rows.error().message);
  Book book;
  book.settlement.resize(kLedgers);
  book.liquidity.resize(kLedgers);
  book.free.resize(kLedgers);
  for (store::PgRow row : *rows) {
    auto l = static_cast<std::size_t>(row.get<std::int64_t>(1) - 1);
    int flags = row.get<std::int32_t>(2);
    Uuid id = row.get<Uuid>(0);
    if (flags == static_cast<int>(kSettlement)) book.settlement[l] = id;
    else if (flags == static_cast<int>(kLiquidity)) book.liquidity[l].push_back(id);
    else book.free[l].push_back(id);
  }
  co_return book;
}

// Applies `transfers` until the outcome is known (retrying the same transfers after an
// unknown outcome, which idempotency makes safe); records acknowledged ones. Returns the
// final results.
awaitable<std::vector<CreateTransferResult>> apply_known(Ledger ledger,
                                                         std::vector<Transfer> transfers,
                                                         Acks& acks) {
  std::vector<CreateTransferResult> results;
  bool retried = false;
  for (int attempt = 0; attempt < 50; ++attempt) {
    std::vector<Transfer> copy = transfers;
    auto r = co_await ledger.create_transfers(std::move(copy));
    if (r) {
      results = std::move(*r);
      break;
    }
    EXPECT_EQ(r.error().code, kLedgerErrorUnavailable);
    retried = true;
    {
      std::lock_guard lock(acks.mutex);
      ++acks.unknown;
    }
    co_await sleep_ms(20);
  }
  if (results.size() != transfers.size()) {
    ADD_FAILURE() << "no answer after retries";
    co_return results;
  }
  for (std::size_t i = 0; i < transfers.size(); ++i) {
    // After an unknown outcome, a transfer that had been applied answers `exists`.
    if (results[i] == CreateTransferResult::kOk ||
        (retried && results[i] == CreateTransferResult::kExists)) {
      acks.add(transfers[i]);
    }
  }
  co_return results;
}

// One coroutine's share of random operations.
awaitable<void> random_worker(Ledger ledger, const Book& book, std::uint64_t seed, int operations,
                              Acks& acks) {
  std::mt19937_64 rng(seed);
  auto pick = [&](const std::vector<Uuid>& v) { return v[rng() % v.size()]; };
  auto amount = [&]() -> u128 { return 1 + rng() % 500; };
  std::vector<Transfer> my_pendings;
  std::vector<Transfer> my_history;
  for (int op = 0; op < operations; ++op) {
    std::uint32_t l = 1 + static_cast<std::uint32_t>(rng() % kLedgers);
    const auto& liq = book.liquidity[l - 1];
    const auto& fr = book.free[l - 1];
    Uuid settlement = book.settlement[l - 1];
    int dice = static_cast<int>(rng() % 100);
    std::vector<Transfer> call;
    if (dice < 20) {  // deposit
      call.push_back(single(Uuid::v4(), settlement, pick(liq), amount(), l));
    } else if (dice < 28) {  // withdrawal (may exceed the account's credits)
      call.push_back(single(Uuid::v4(), pick(liq), settlement, amount(), l));
    } else if (dice < 50) {  // pending between accounts of one ledger
      Uuid from = rng() % 4 == 0 ? pick(fr) : pick(liq);
      Uuid to = rng() % 2 == 0 ? pick(fr) : pick(liq);
      if (from == to) to = settlement;
      std::uint32_t timeout = rng() % 10 == 0 ? 1 : 60;
      call.push_back(pending(Uuid::v4(), from, to, amount(), timeout, l));
    } else if (dice < 72 && !my_pendings.empty()) {  // post (full or partial) or void
      std::size_t k = rng() % my_pendings.size();
      Transfer p = my_pendings[k];
      my_pendings.erase(my_pendings.begin() + static_cast<std::ptrdiff_t>(k));
      int how = static_cast<int>(rng() % 3);
      if (how == 0) call.push_back(post(Uuid::v4(), p.id));
      else if (how == 1) call.push_back(post(Uuid::v4(), p.id, 1 + rng() % static_cast<std::uint64_t>(p.amount)));
      else call.push_back(void_pending(Uuid::v4(), p.id));
    } else if (dice < 80) {  // a linked pair across both ledgers (a currency conversion)
      Transfer a = pending(Uuid::v4(), pick(book.liquidity[0]), pick(book.free[0]), amount(), 60, 1);
      a.linked = true;
      Transfer b = pending(Uuid::v4(), pick(book.free[1]), pick(book.liquidity[1]), amount(), 60, 2);
      call.push_back(a);
      call.push_back(b);
    } else if (dice < 88 && !my_history.empty()) {  // a retry of an earlier call's transfer
      call.push_back(my_history[rng() % my_history.size()]);
    } else if (dice < 94) {  // bad input
      int bad = static_cast<int>(rng() % 3);
      if (bad == 0) call.push_back(single(Uuid::v4(), pick(liq), Uuid::v4(), amount(), l));
      else if (bad == 1) call.push_back(single(Uuid::v4(), settlement, pick(liq), 0, l));
      else call.push_back(single(Uuid::v4(), book.liquidity[0][0], book.liquidity[1][0], 1, 1));
    } else {  // several independent transfers in one call
      for (int i = 0; i < 5; ++i) {
        call.push_back(single(Uuid::v4(), settlement, pick(liq), amount(), l));
      }
    }
    bool is_retry = dice >= 80 && dice < 88 && !my_history.empty();
    std::vector<Transfer> sent = call;
    auto results = co_await apply_known(ledger, std::move(call), acks);
    if (results.size() != sent.size()) co_return;
    for (std::size_t i = 0; i < sent.size(); ++i) {
      auto r = results[i];
      if (is_retry) {
        // It was applied before: the same id and fields answer `exists` and move nothing.
        EXPECT_EQ(std::string(name(r)), "exists");
        continue;
      }
      if (r == CreateTransferResult::kOk) {
        if (!sent[i].linked) my_history.push_back(sent[i]);
        if (sent[i].kind == TransferKind::kPending) my_pendings.push_back(sent[i]);
      }
    }
    if (my_history.size() > 64) my_history.erase(my_history.begin());
  }
}

awaitable<void> random_load(Ledger ledger, const Book& book, std::uint64_t seed, int coroutines,
                            int operations, Acks& acks) {
  std::vector<awaitable<void>> tasks;
  for (int i = 0; i < coroutines; ++i) {
    tasks.push_back(random_worker(ledger, book, seed * 1000 + static_cast<std::uint64_t>(i),
                                  operations, acks));
  }
  co_await join_all(std::move(tasks));
}

// The invariants, checked with plain SQL on the database.
void check_invariants(const TestDatabase& db) {
  EXPECT_EQ(db.query_value(
                "SELECT count(*) FROM (SELECT ledger FROM ledger_accounts GROUP BY ledger "
                "HAVING sum(debits_posted) <> sum(credits_posted) "
                "OR sum(debits_pending) <> sum(credits_pending)) x"),
            "0")
      << "a ledger whose debits and credits differ";
  EXPECT_EQ(db.query_value("SELECT count(*) FROM ledger_accounts WHERE "
                           "(flags & 2 <> 0 AND debits_pending + debits_posted > credits_posted) "
                           "OR (flags & 4 <> 0 AND credits_pending + credits_posted > debits_posted)"),
            "0")
      << "an account breaking its flags";
  // Every balance is the sum of the stored transfers: posted = single-phase and post records,
  // pending = pending transfers not yet resolved.
  EXPECT_EQ(db.query_value(R"(
      WITH moves AS (
        SELECT debit_account_id AS id,
               CASE WHEN flags & 2 = 0 AND flags & 8 = 0 THEN amount ELSE 0 END AS dpo,
               CASE WHEN flags & 2 <> 0 AND state = 1 THEN amount ELSE 0 END AS dp,
               0::numeric AS cpo, 0::numeric AS cp
          FROM ledger_transfers
        UNION ALL
        SELECT credit_account_id,
               0, 0,
               CASE WHEN flags & 2 = 0 AND flags & 8 = 0 THEN amount ELSE 0 END,
               CASE WHEN flags & 2 <> 0 AND state = 1 THEN amount ELSE 0 END
          FROM ledger_transfers),
      sums AS (SELECT id, sum(dpo) dpo, sum(dp) dp, sum(cpo) cpo, sum(cp) cp FROM moves GROUP BY id)
      SELECT count(*) FROM ledger_accounts a LEFT JOIN sums s ON s.id = a.id
       WHERE a.debits_posted <> coalesce(s.dpo, 0) OR a.debits_pending <> coalesce(s.dp, 0)
          OR a.credits_posted <> coalesce(s.cpo, 0) OR a.credits_pending <> coalesce(s.cp, 0))"),
            "0")
      << "a balance that differs from the sum of its transfers";
  // Each pending transfer is resolved at most once.
  EXPECT_EQ(db.query_value("SELECT count(*) FROM (SELECT pending_id FROM ledger_transfers "
                           "WHERE pending_id IS NOT NULL GROUP BY pending_id HAVING count(*) > 1) x"),
            "0");
  EXPECT_EQ(db.query_value(
                "SELECT count(*) FROM ledger_transfers p WHERE p.flags & 2 <> 0 AND "
                "(p.state IN (2, 3)) <> EXISTS (SELECT 1 FROM ledger_transfers r "
                "WHERE r.pending_id = p.id)"),
            "0");
}

// Every acknowledged transfer is stored once, as asked.
void check_acknowledged(const TestDatabase& db, const std::map<std::string, std::string>& ok) {
  std::ostringstream ids;
  ids << "{";
  bool first = true;
  for (const auto& [id, what] : ok) {
    ids << (first ? "" : ",") << id;
    first = false;
  }
  ids << "}";
  std::string stored = db.query_value("SELECT count(*) FROM ledger_transfers WHERE id = ANY('" +
                                      ids.str() + "'::uuid[])");
  EXPECT_EQ(stored, std::to_string(ok.size())) << "acknowledged transfers missing";
  std::size_t checked = 0;
  for (const auto& [id, what] : ok) {
    if (++checked > 200) break;  // a sample of the fields, one query each
    std::istringstream in(what);
    int kind = 0;
    std::string amount;
    in >> kind >> amount;
    if (kind == static_cast<int>(TransferKind::kSinglePhase) ||
        kind == static_cast<int>(TransferKind::kPending)) {
      EXPECT_EQ(db.query_value("SELECT amount::text FROM ledger_transfers WHERE id = '" + id + "'"),
                amount);
    }
  }
}

std::string self_exe() {
  char buffer[4096];
  ssize_t n = readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  if (n <= 0) return {};
  return std::string(buffer, static_cast<std::size_t>(n));
}

}  // namespace

// Runs only as the second process of LedgerRandomized.TwoProcessesKeepTheInvariants.
TEST(LedgerWorker, RandomOperationsAsTheSecondProcess) {
  const char* url = std::getenv(kWorkerUrlEnv);
  const char* out = std::getenv(kWorkerOutEnv);
  const char* seed = std::getenv(kWorkerSeedEnv);
  if (url == nullptr || out == nullptr) GTEST_SKIP() << "runs as a second process only";
  Acks acks;
  run_async(
      [&](asio::any_io_executor ex) -> awaitable<void> {
        Ledger ledger = co_await open_ledger(ex, url, 4);
        Book book = co_await read_book(ledger, url);
        co_await random_load(ledger, book, seed ? std::strtoull(seed, nullptr, 10) : 7, 32, 60,
                             acks);
      },
      2);
  std::ofstream file(out);
  for (const auto& [id, what] : acks.ok) file << id << " " << what << "\n";
  file << "end\n";
}

TEST(LedgerRandomized, TwoProcessesKeepTheInvariants) {
  TestDatabase db;
  Acks acks;
  std::string out = "/tmp/rafiki-ledger-worker-" + std::to_string(getpid()) + ".txt";
  std::unique_ptr<rafiki::testing::ChildProcess> child;
  run_async(
      [&](asio::any_io_executor ex) -> awaitable<void> {
        Ledger ledger = co_await open_ledger(ex, db.url(), 4);
        Book book = co_await create_book(ledger);
        child = std::make_unique<rafiki::testing::ChildProcess>(
            std::vector<std::string>{self_exe(),
                                     "--gtest_filter=LedgerWorker.RandomOperationsAsTheSecondProcess"},
            std::map<std::string, std::string>{{kWorkerUrlEnv, db.url()},
                                               {kWorkerOutEnv, out},
                                               {kWorkerSeedEnv, "99"}});
        // A sweeper runs alongside (some pendings have a 1 s timeout).
        asio::co_spawn(ex, ledger.run_sweeper(std::chrono::milliseconds(200)), asio::detached);
        co_await random_load(ledger, book, 1, 32, 60, acks);
        ledger.stop();
        co_await sleep_ms(250);
      },
      2);
  ASSERT_TRUE(child);
  auto code = child->wait(std::chrono::seconds(60));
  ASSERT_EQ(code, std::optional<int>(0)) << child->output();
  std::ifstream file(out);
  std::string line;
  std::size_t child_acks = 0;
  bool complete = false;
  while (std::getline(file, line)) {
    if (line == "end") {
      complete = true;
      break;
    }
    std::istringstream in(line);
    std::string id, kind, amount;
    in >> id >> kind >> amount;
    acks.ok[id] = kind + " " + amount;
    ++child_acks;
  }
  std::remove(out.c_str());
  EXPECT_TRUE(complete);
  EXPECT_GT(child_acks, 500u);
  EXPECT_GT(acks.ok.size(), child_acks + 500);
  check_invariants(db);
  check_acknowledged(db, acks.ok);
  // Both ledgers saw traffic and the flags were exercised.
  EXPECT_NE(db.query_value("SELECT count(DISTINCT ledger) FROM ledger_transfers"), "1");
}

TEST(LedgerFaults, KilledConnectionsMidBatchLeaveNothingHalfApplied) {
  TestDatabase db;
  Acks acks;
  std::atomic<bool> done{false};
  std::atomic<bool> armed{false};  // after the schema and the accounts exist
  std::atomic<int> kills{0};
  // Kills the ledger's database connections every few milliseconds, from another thread and
  // another connection, while batches run.
  std::thread killer([&] {
    while (!done.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(15));
      if (!armed.load()) continue;
      std::string n = db.query_value(
          "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
          "WHERE datname = current_database() AND pid <> pg_backend_pid() "
          "AND query LIKE '%ledger_create_transfers%' AND state = 'active'");
      kills += std::atoi(n.c_str());
    }
  });
  try {
    run_async(
        [&](asio::any_io_executor ex) -> awaitable<void> {
          Ledger ledger = co_await open_ledger(ex, db.url(), 4);
          Book book = co_await create_book(ledger);
          armed = true;
          co_await random_load(ledger, book, 5, 48, 40, acks);
        },
        2);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw: " << e.what();
  }
  done = true;
  killer.join();
  EXPECT_GT(kills.load(), 0) << "no batch was interrupted; the test proved nothing";
  EXPECT_GT(acks.unknown, 0);
  check_invariants(db);
  check_acknowledged(db, acks.ok);
}
