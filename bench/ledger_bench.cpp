// `make bench`: two-phase transfers (pending, then post of the full amount) per second through
// the batched ledger and through the naive one-transaction-per-transfer baseline
// (bench/ledger_naive.h), at 1, 64 and 1024 concurrent callers, durable commits (the server's
// defaults: fsync and synchronous_commit on). The shape is a connector's: every transfer moves
// money between a handful of hot peer accounts. Works in a database of its own, made afresh.
// Prints "implementation callers posted_per_s p50_ms p99_ms failures" per row.
// Usage: ledger_bench <admin-postgresql-url> [seconds-per-row]
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "base/log.h"
#include "ledger/ledger.h"
#include "ledger_naive.h"
#include "service/migrations.h"
#include "store/pg.h"

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using namespace rafiki;

namespace {

constexpr int kHotAccounts = 8;
const bool ids_v7 = std::getenv("LEDGER_BENCH_V4") == nullptr;
constexpr int kPendingTimeoutSeconds = 60;
constexpr const char* kDatabase = "rafiki_ledger_bench";

std::string with_database(const std::string& url, const std::string& db) {
  auto slash = url.rfind('/');
  auto query = url.find('?', slash);
  return url.substr(0, slash + 1) + db + (query == std::string::npos ? "" : url.substr(query));
}

struct Row {
  double posted_per_second = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  int failures = 0;
};

// Runs `callers` loops of (pending, post) for `duration`, through the ledger or the baseline.
Row run(const std::string& url, int callers, bool naive, std::chrono::seconds duration) {
  asio::io_context io(1);
  store::PgConfig config;
  config.url = url;
  config.max_connections = naive ? std::min(callers, 64) : 4;
  config.acquire_timeout_ms = 60000;
  config.query_timeout_ms = 60000;
  auto pool = store::PgPool::create(io.get_executor(), config);
  if (!pool) {
    std::fprintf(stderr, "%s\n", pool.error().message.c_str());
    std::exit(1);
  }
  ledger::Ledger ledger(io.get_executor(), *pool);
  std::vector<Uuid> hot;
  std::vector<double> latencies_ms;
  long posted = 0;
  int failures = 0;
  Clock::time_point started;
  Clock::time_point end;

  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        // Fresh hot accounts, funded well beyond what the run can spend.
        std::vector<ledger::Account> accounts;
        Uuid settlement = Uuid::v4();
        ledger::Account s;
        s.id = settlement;
        s.ledger = 1;
        s.code = 101;
        s.flags = ledger::account_flags::kCreditsMustNotExceedDebits;
        accounts.push_back(s);
        for (int i = 0; i < kHotAccounts; ++i) {
          ledger::Account a;
          a.id = Uuid::v4();
          a.ledger = 1;
          a.code = 3;
          a.flags = ledger::account_flags::kDebitsMustNotExceedCredits;
          hot.push_back(a.id);
          accounts.push_back(a);
        }
        auto created = co_await ledger.create_accounts(std::move(accounts));
        if (!created) std::exit(1);
        std::vector<ledger::Transfer> funding;
        for (Uuid id : hot) {
          ledger::Transfer t;
          t.id = Uuid::v4();
          t.debit_account_id = settlement;
          t.credit_account_id = id;
          t.amount = static_cast<ledger::u128>(1) << 100;
          t.ledger = 1;
          t.code = 1;
          funding.push_back(t);
        }
        auto funded = co_await ledger.create_transfers(std::move(funding));
        if (!funded) std::exit(1);

        started = Clock::now();
        end = started + duration;
        int running = callers;
        for (int c = 0; c < callers; ++c) {
          asio::co_spawn(
              io,
              [&, c]() -> asio::awaitable<void> {
                std::mt19937 rng(static_cast<unsigned>(c));
                while (Clock::now() < end) {
                  std::size_t i = rng() % hot.size();
                  std::size_t j = (i + 1 + rng() % (hot.size() - 1)) % hot.size();
                  Uuid from = hot[i];
                  Uuid to = hot[j];
                  auto t0 = Clock::now();
                  Uuid pending_id = (ids_v7 ? Uuid::v7() : Uuid::v4());
                  Uuid post_id = (ids_v7 ? Uuid::v7() : Uuid::v4());
                  bool ok = false;
                  if (naive) {
                    auto p = co_await bench::naive_pending(*pool, pending_id, from, to, 1,
                                                           kPendingTimeoutSeconds);
                    if (!p && failures == 0) {
                      std::fprintf(stderr, "naive: %s\n", p.error().message.c_str());
                    }
                    if (p && *p) {
                      auto q = co_await bench::naive_post(*pool, post_id, pending_id);
                      if (!q && failures == 0) {
                        std::fprintf(stderr, "naive: %s\n", q.error().message.c_str());
                      }
                      ok = q && *q;
                    }
                  } else {
                    std::vector<ledger::Transfer> first(1);
                    first[0].id = pending_id;
                    first[0].debit_account_id = from;
                    first[0].credit_account_id = to;
                    first[0].amount = 1;
                    first[0].ledger = 1;
                    first[0].code = 1;
                    first[0].kind = ledger::TransferKind::kPending;
                    first[0].timeout_seconds = kPendingTimeoutSeconds;
                    auto p = co_await ledger.create_transfers(std::move(first));
                    if (p && p->front() == ledger::CreateTransferResult::kOk) {
                      std::vector<ledger::Transfer> second(1);
                      second[0].id = post_id;
                      second[0].pending_id = pending_id;
                      second[0].kind = ledger::TransferKind::kPostPending;
                      auto q = co_await ledger.create_transfers(std::move(second));
                      ok = q && q->front() == ledger::CreateTransferResult::kOk;
                    }
                  }
                  if (ok) {
                    ++posted;
                    latencies_ms.push_back(
                        std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
                  } else {
                    ++failures;
                  }
                }
                if (--running == 0) io.stop();
              },
              asio::detached);
        }
      },
      asio::detached);
  io.run();
  double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    return latencies_ms.empty() ? 0.0
                                : latencies_ms[static_cast<std::size_t>(p * (latencies_ms.size() - 1))];
  };
  Row row;
  row.posted_per_second = static_cast<double>(posted) / seconds;
  row.p50_ms = pct(0.5);
  row.p99_ms = pct(0.99);
  row.failures = failures;
  return row;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: ledger_bench <admin-postgresql-url> [seconds-per-row]\n");
    return 2;
  }
  (void)log::init("warn", "text");
  const std::string admin = argv[1];
  const auto duration = std::chrono::seconds(argc > 2 ? std::atoi(argv[2]) : 10);
  const std::string url = with_database(admin, kDatabase);

  {  // A fresh database with the backend migrations.
    asio::io_context io(1);
    store::PgConfig config;
    config.url = admin;
    config.max_connections = 1;
    auto admin_pool = store::PgPool::create(io.get_executor(), config);
    config.url = url;
    auto pool = store::PgPool::create(io.get_executor(), config);
    if (!admin_pool || !pool) return 1;
    bool ok = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          auto dropped = co_await admin_pool->query(std::string("DROP DATABASE IF EXISTS ") +
                                                    kDatabase + " WITH (FORCE)");
          auto created =
              co_await admin_pool->query(std::string("CREATE DATABASE ") + kDatabase);
          if (!dropped || !created) co_return;
          auto migrated = co_await service::migrate(*pool, service::Database::kBackend);
          if (!migrated) {
            std::fprintf(stderr, "migrate: %s\n", migrated.error().message.c_str());
            co_return;
          }
          auto settings = co_await pool->query(
              "SELECT current_setting('fsync'), current_setting('synchronous_commit')");
          if (settings) {
            std::fprintf(stderr, "fsync=%s synchronous_commit=%s\n",
                         std::string(settings->row(0).text(0)).c_str(),
                         std::string(settings->row(0).text(1)).c_str());
          }
          ok = true;
        },
        asio::detached);
    io.run();
    if (!ok) return 1;
  }

  std::vector<int> levels{1, 64, 1024};
  if (const char* only = std::getenv("LEDGER_BENCH_CALLERS")) levels = {std::atoi(only)};
  const char* only_impl = std::getenv("LEDGER_BENCH_ONLY");  // "batched" or "naive"

  for (int callers : levels) {
    for (bool naive : {false, true}) {
      if (only_impl != nullptr && std::string(only_impl) != (naive ? "naive" : "batched")) continue;
      Row row = run(url, callers, naive, duration);
      std::printf("%s %d %.0f %.2f %.2f %d\n", naive ? "naive" : "batched", callers,
                  row.posted_per_second, row.p50_ms, row.p99_ms, row.failures);
      std::fflush(stdout);
    }
  }
  return 0;
}
