#include "store/pg.h"

#include <gtest/gtest.h>

#include <atomic>

#include <fmt/format.h>
#include <boost/asio/ip/tcp.hpp>
#include <stdexcept>
#include <string>

#include "store/async_util.h"
#include "support/test_env.h"

using namespace rafiki;
using namespace rafiki::store;
using rafiki::testing::join_all;
using rafiki::testing::run_async;
using rafiki::testing::sleep_ms;
using rafiki::testing::TestDatabase;
namespace asio = boost::asio;
using asio::awaitable;

namespace {

PgConfig config_for(const TestDatabase& db, int max_connections = 4) {
  PgConfig config;
  config.url = db.url();
  config.max_connections = max_connections;
  config.acquire_timeout_ms = 10000;
  config.connect_timeout_ms = 10000;
  config.query_timeout_ms = 30000;
  return config;
}

PgPool make_pool(asio::any_io_executor ex, PgConfig config) {
  auto pool = PgPool::create(std::move(ex), std::move(config));
  if (!pool) throw std::runtime_error(pool.error().message);
  return std::move(*pool);
}

}  // namespace

TEST(PgPool, ParametersOfEveryTypeRoundTrip) {
  TestDatabase db;
  db.exec(
      "CREATE TABLE t (s text, i bigint, n int, b boolean, d double precision, "
      "amount numeric(39,0), id uuid, at timestamptz, raw bytea)");
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    PgPool pool = make_pool(ex, config_for(db));
    const Uuid id = Uuid::v4();
    const TimePoint at = *parse_rfc3339("2024-02-29T23:59:58.123Z");
    const Bytes raw{0x00, 0xff, 0x10, 0x7f};
    const std::string text = "it's \"quoted\", \\ and ünïcode";
    auto inserted = co_await pool.query("INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                                        text, std::int64_t{INT64_MIN}, 2147483647, true, 0.1,
                                        money::kU128Max, id, at, raw);
    CO_ASSERT_OK(inserted);
    EXPECT_EQ(inserted->affected_rows(), 1);

    auto nulls = co_await pool.query("INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                                     std::optional<std::string>{}, std::optional<std::int64_t>{},
                                     std::nullopt, std::optional<bool>{}, std::nullopt,
                                     std::optional<money::u128>{}, std::optional<Uuid>{},
                                     std::optional<TimePoint>{}, std::nullopt);
    CO_ASSERT_OK(nulls);

    auto rows = co_await pool.query("SELECT * FROM t ORDER BY s NULLS LAST");
    CO_ASSERT_OK(rows);
    CO_ASSERT(rows->rows() == 2);
    PgRow row = (*rows)[0];
    EXPECT_EQ(row.get<std::string>("s"), text);
    EXPECT_EQ(row.get<std::int64_t>("i"), INT64_MIN);
    EXPECT_EQ(row.get<std::int32_t>("n"), 2147483647);
    EXPECT_TRUE(row.get<bool>("b"));
    EXPECT_DOUBLE_EQ(row.get<double>("d"), 0.1);
    EXPECT_TRUE(row.get<money::u128>("amount") == money::kU128Max);
    EXPECT_EQ(row.text(5), "340282366920938463463374607431768211455");
    EXPECT_EQ(row.get<Uuid>("id"), id);
    EXPECT_EQ(row.get<TimePoint>("at"), at);
    EXPECT_EQ(row.get<Bytes>("raw"), raw);

    PgRow empty = (*rows)[1];
    for (int col = 0; col < rows->columns(); ++col) EXPECT_TRUE(empty.is_null(col)) << col;
    EXPECT_EQ(empty.get<std::optional<std::string>>("s"), std::nullopt);
    EXPECT_EQ(empty.get<std::optional<std::int64_t>>("i"), std::nullopt);
    EXPECT_EQ(empty.get<std::optional<money::u128>>("amount"), std::nullopt);
    EXPECT_EQ(empty.get<std::optional<Uuid>>("id"), std::nullopt);
    EXPECT_EQ(row.get<std::optional<std::int64_t>>("i"), std::optional<std::int64_t>(INT64_MIN));
  });
}

TEST(PgPool, NumericBeyondU128AndNegativeAmountsAreRefused) {
  TestDatabase db;
  db.exec("CREATE TABLE t (amount numeric(39,0))");
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    PgPool pool = make_pool(ex, config_for(db));
    auto sum = co_await pool.query("SELECT $1::numeric + 1 AS v", money::kU128Max);
    CO_ASSERT_OK(sum);
    EXPECT_THROW((*sum)[0].get<money::u128>(0), std::logic_error);  // 2^128 does not fit
    auto negative = co_await pool.query("SELECT -1::numeric(39,0) AS v");
    CO_ASSERT_OK(negative);
    EXPECT_THROW((*negative)[0].get<money::u128>("v"), std::logic_error);
    // numeric(39,0) holds u128 max but not one digit more.
    auto too_wide = co_await pool.query("INSERT INTO t VALUES ($1::numeric * 10)", money::kU128Max);
    CO_ASSERT(!too_wide);
    EXPECT_EQ(too_wide.error().code, "pg.22003");  // numeric_value_out_of_range
  });
}

TEST(PgPool, ReadingAColumnWrongIsAProgrammingError) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    PgPool pool = make_pool(ex, config_for(db));
    auto r = co_await pool.query("SELECT NULL::bigint AS a, 'x'::text AS b, 'maybe' AS c");
    CO_ASSERT_OK(r);
    PgRow row = (*r)[0];
    EXPECT_THROW(row.get<std::int64_t>("a"), std::logic_error);  // NULL into non-optional
    EXPECT_THROW(row.get<std::int64_t>("b"), std::logic_error);  // not a number
    EXPECT_THROW(row.get<bool>("c"), std::logic_error);
    EXPECT_THROW(row.get<Uuid>("b"), std::logic_error);
    EXPECT_THROW(row.get<std::string>("missing"), std::logic_error);
    EXPECT_THROW(row.get<std::string>(7), std::logic_error);
    EXPECT_EQ(r->column("b"), 1);
    EXPECT_EQ(r->column("missing"), std::nullopt);
  });
}

TEST(PgPool, SqlErrorsComeBackWithTheirSqlState) {
  TestDatabase db;
  db.exec("CREATE TABLE t (id int PRIMARY KEY)");
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    PgPool pool = make_pool(ex, config_for(db, 1));
    auto syntax = co_await pool.query("SELEC 1");
    CO_ASSERT(!syntax);
    EXPECT_EQ(syntax.error().code, "pg.42601");
    EXPECT_NE(syntax.error().message.find("syntax error"), std::string::npos);

    CO_ASSERT_OK(co_await pool.query("INSERT INTO t VALUES ($1)", 1));
    auto duplicate = co_await pool.query("INSERT INTO t VALUES ($1)", 1);
    CO_ASSERT(!duplicate);
    EXPECT_EQ(duplicate.error().code, kPgUniqueViolation);
    EXPECT_NE(duplicate.error().message.find("t_pkey"), std::string::npos);

    auto missing_param = co_await pool.query("SELECT $1::int + $2::int", 1);
    CO_ASSERT(!missing_param);
    EXPECT_EQ(missing_param.error().code, "pg.08P01");

    auto bad_value = co_await pool.query("INSERT INTO t VALUES ($1)", "not a number");
    CO_ASSERT(!bad_value);
    EXPECT_EQ(bad_value.error().code, "pg.22P02");

    // The one connection is still good after all of that.
    auto fine = co_await pool.query("SELECT count(*) FROM t");
    CO_ASSERT_OK(fine);
    EXPECT_EQ((*fine)[0].get<std::int64_t>(0), 1);
    EXPECT_EQ(pool.stats().open, 1);
  });
}

TEST(PgPool, CreateRefusesBadConfiguration) {
  asio::io_context io;
  PgConfig config;
  EXPECT_EQ(PgPool::create(io.get_executor(), config).error().code, kPgErrorConfig);
  config.url = "postgresql://host:notaport/db?nonsense=1";
  EXPECT_EQ(PgPool::create(io.get_executor(), config).error().code, kPgErrorConfig);
  config.url = "postgresql://127.0.0.1/db";
  config.max_connections = 0;
  EXPECT_EQ(PgPool::create(io.get_executor(), config).error().code, kPgErrorConfig);
  config.max_connections = 2;
  config.query_timeout_ms = 0;
  EXPECT_EQ(PgPool::create(io.get_executor(), config).error().code, kPgErrorConfig);
  config.query_timeout_ms = 100;
  EXPECT_TRUE(PgPool::create(io.get_executor(), config).has_value());
}

TEST(PgPool, UnreachableServerOrWrongPasswordIsAClearError) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    PgConfig config = config_for(db);
    config.url = "postgresql://rafiki:rafiki@127.0.0.1:1/postgres";
    PgPool nowhere = make_pool(ex, config);
    auto r = co_await nowhere.query("SELECT 1");
    CO_ASSERT(!r);
    EXPECT_EQ(r.error().code, kPgErrorConnection);
    EXPECT_NE(r.error().message.find("127.0.0.1"), std::string::npos) << r.error().message;
    EXPECT_EQ(nowhere.stats().open, 0);  // the failed attempt gave its place back

    std::string wrong = db.url();
    wrong.replace(wrong.find(":rafiki@"), 8, ":wrong-password@");
    config.url = wrong;
    PgPool refused = make_pool(ex, config);
    auto denied = co_await refused.query("SELECT 1");
    CO_ASSERT(!denied);
    EXPECT_EQ(denied.error().code, kPgErrorConnection);
    EXPECT_NE(denied.error().message.find("password authentication failed"), std::string::npos)
        << denied.error().message;
    EXPECT_EQ(denied.error().message.find("wrong-password"), std::string::npos);
  });
}

TEST(PgPool, TransactionCommitsAndRollsBack) {
  TestDatabase db;
  db.exec("CREATE TABLE t (id int PRIMARY KEY)");
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    PgPool pool = make_pool(ex, config_for(db, 2));
    auto committed = co_await pool.transaction([](PgConn& c) -> awaitable<Result<int>> {
      auto a = co_await c.query("INSERT INTO t VALUES (1)");
      if (!a) co_return std::unexpected(a.error());
      EXPECT_TRUE(c.in_transaction());
      auto b = co_await c.query("INSERT INTO t VALUES (2)");
      if (!b) co_return std::unexpected(b.error());
      co_return 42;
    });
    CO_ASSERT_OK(committed);
    EXPECT_EQ(*committed, 42);

    // An error from the function rolls everything back and comes out unchanged.
    auto refused = co_await pool.transaction([](PgConn& c) -> awaitable<Result<void>> {
      auto a = co_await c.query("INSERT INTO t VALUES (3)");
      if (!a) co_return std::unexpected(a.error());
      co_return fail("domain.refused", "changed my mind");
    });
    CO_ASSERT(!refused);
    EXPECT_EQ(refused.error().code, "domain.refused");

    // A failing statement's error rolls back the statements before it.
    auto failed = co_await pool.transaction(
        [](PgConn& c) -> awaitable<Result<void>> {
          auto a = co_await c.query("INSERT INTO t VALUES (4)");
          if (!a) co_return std::unexpected(a.error());
          auto b = co_await c.query("INSERT INTO t VALUES (1)");
          if (!b) co_return std::unexpected(b.error());
          co_return Result<void>{};
        },
        PgIsolation::kRepeatableRead);
    CO_ASSERT(!failed);
    EXPECT_EQ(failed.error().code, kPgUniqueViolation);

    // A function that ignores a failed statement cannot commit the aborted transaction.
    auto ignored = co_await pool.transaction([](PgConn& c) -> awaitable<Result<void>> {
      (void)co_await c.query("INSERT INTO t VALUES (5)");
      (void)co_await c.query("INSERT INTO t VALUES (1)");  // fails; result ignored
      co_return Result<void>{};
    });
    CO_ASSERT(!ignored);
    EXPECT_EQ(ignored.error().code, kPgErrorTransactionAborted);

    auto ids = co_await pool.query("SELECT string_agg(id::text, ',' ORDER BY id) FROM t");
    CO_ASSERT_OK(ids);
    EXPECT_EQ((*ids)[0].get<std::string>(0), "1,2");
    // Every connection went back to the pool outside a transaction.
    EXPECT_EQ(pool.stats().idle, pool.stats().open);
  });
}

TEST(PgPool, ConflictingSerializableTransactionsAreRetriedUntilBothCommit) {
  TestDatabase db;
  db.exec("CREATE TABLE counter (id int PRIMARY KEY, value bigint NOT NULL)");
  db.exec("INSERT INTO counter VALUES (1, 0)");
  run_async(
      [&](asio::any_io_executor ex) -> awaitable<void> {
        PgPool pool = make_pool(ex, config_for(db, 4));
        std::atomic<int> read_first_time{0};
        std::atomic<int> attempts{0};
        auto increment = [](PgPool pool, std::atomic<int>* read_first_time,
                            std::atomic<int>* attempts) -> awaitable<void> {
          auto r = co_await pool.transaction(
              [&](PgConn& c) -> awaitable<Result<std::int64_t>> {
                bool first = attempts->fetch_add(1) < 2;
                auto v = co_await c.query("SELECT value FROM counter WHERE id = 1");
                if (!v) co_return std::unexpected(v.error());
                std::int64_t value = (*v)[0].get<std::int64_t>(0);
                if (first) {
                  // Both first attempts read before either writes: a write-write conflict.
                  read_first_time->fetch_add(1);
                  for (int i = 0; i < 1000 && read_first_time->load() < 2; ++i)
                    co_await sleep_ms(2);
                }
                auto w = co_await c.query("UPDATE counter SET value = $1 WHERE id = 1", value + 1);
                if (!w) co_return std::unexpected(w.error());
                co_return value + 1;
              },
              PgIsolation::kSerializable);
          EXPECT_TRUE(r.has_value()) << r.error().code << " " << r.error().message;
        };
        std::vector<awaitable<void>> tasks;
        tasks.push_back(increment(pool, &read_first_time, &attempts));
        tasks.push_back(increment(pool, &read_first_time, &attempts));
        co_await join_all(std::move(tasks));
        auto v = co_await pool.query("SELECT value FROM counter WHERE id = 1");
        CO_ASSERT_OK(v);
        EXPECT_EQ((*v)[0].get<std::int64_t>(0), 2);
        EXPECT_GE(attempts.load(), 3);  // one of them had to run again
      },
      2);
}

TEST(PgPool, DeadlockedTransactionIsRetried) {
  TestDatabase db;
  db.exec("CREATE TABLE acct (id int PRIMARY KEY, balance bigint NOT NULL)");
  db.exec("INSERT INTO acct VALUES (1, 0), (2, 0)");
  run_async(
      [&](asio::any_io_executor ex) -> awaitable<void> {
        PgPool pool = make_pool(ex, config_for(db, 4));
        std::atomic<int> locked_first{0};
        std::atomic<int> attempts{0};
        auto transfer = [](PgPool pool, int from, int to, std::atomic<int>* locked_first,
                           std::atomic<int>* attempts) -> awaitable<void> {
          auto r = co_await pool.transaction([&](PgConn& c) -> awaitable<Result<void>> {
            bool first = attempts->fetch_add(1) < 2;
            auto a = co_await c.query("UPDATE acct SET balance = balance - 1 WHERE id = $1", from);
            if (!a) co_return std::unexpected(a.error());
            if (first) {
              locked_first->fetch_add(1);
              for (int i = 0; i < 1000 && locked_first->load() < 2; ++i) co_await sleep_ms(2);
            }
            auto b = co_await c.query("UPDATE acct SET balance = balance + 1 WHERE id = $1", to);
            if (!b) co_return std::unexpected(b.error());
            co_return Result<void>{};
          });
          EXPECT_TRUE(r.has_value()) << r.error().code << " " << r.error().message;
        };
        std::vector<awaitable<void>> tasks;
        tasks.push_back(transfer(pool, 1, 2, &locked_first, &attempts));
        tasks.push_back(transfer(pool, 2, 1, &locked_first, &attempts));
        co_await join_all(std::move(tasks));
        auto v = co_await pool.query(
            "SELECT sum(balance), count(*) FILTER (WHERE balance = 0) FROM acct");
        CO_ASSERT_OK(v);
        EXPECT_EQ((*v)[0].get<std::int64_t>(0), 0);
        EXPECT_EQ((*v)[0].get<std::int64_t>(1), 2);  // +1 -1 on each side
        EXPECT_GE(attempts.load(), 3);
      },
      2);
}

TEST(PgPool, WaitsABoundedTimeForAFreeConnection) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    PgConfig config = config_for(db, 2);
    config.acquire_timeout_ms = 100;
    PgPool pool = make_pool(ex, config);
    auto a = co_await pool.acquire();
    auto b = co_await pool.acquire();
    CO_ASSERT_OK(a);
    CO_ASSERT_OK(b);
    EXPECT_EQ(pool.stats().open, 2);

    auto third = co_await pool.query("SELECT 1");
    CO_ASSERT(!third);
    EXPECT_EQ(third.error().code, kPgErrorPoolExhausted);
    EXPECT_EQ(pool.stats().waiting, 0);  // the timed-out caller left the queue

    { PgConn gone = std::move(*a); }  // back to the pool
    auto fourth = co_await pool.query("SELECT 1");
    CO_ASSERT_OK(fourth);
    EXPECT_EQ(pool.stats().open, 2);
  });
}

TEST(PgPool, AWaitingCallerGetsTheNextReleasedConnection) {
  TestDatabase db;
  run_async(
      [&](asio::any_io_executor ex) -> awaitable<void> {
        PgPool pool = make_pool(ex, config_for(db, 1));
        auto held = co_await pool.acquire();
        CO_ASSERT_OK(held);
        std::atomic<bool> answered{false};
        auto waiter = [](PgPool pool, std::atomic<bool>* answered) -> awaitable<void> {
          auto r = co_await pool.query("SELECT 7");
          EXPECT_TRUE(r.has_value());
          if (r) {
            EXPECT_EQ((*r)[0].get<std::int64_t>(0), 7);
          }
          *answered = true;
        };
        auto releaser = [](PgPool pool, PgConn conn,
                           std::atomic<bool>* answered) -> awaitable<void> {
          for (int i = 0; i < 1000 && pool.stats().waiting < 3; ++i) co_await sleep_ms(1);
          EXPECT_EQ(pool.stats().waiting, 3);
          EXPECT_FALSE(answered->load());
          { PgConn gone = std::move(conn); }
        };
        std::vector<awaitable<void>> tasks;
        for (int i = 0; i < 3; ++i) tasks.push_back(waiter(pool, &answered));
        tasks.push_back(releaser(pool, std::move(*held), &answered));
        co_await join_all(std::move(tasks));
        EXPECT_TRUE(answered.load());
        EXPECT_EQ(pool.stats().open, 1);
      },
      2);
}

TEST(PgPool, ReplacesConnectionsTheServerTerminated) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    PgPool pool = make_pool(ex, config_for(db, 2));
    auto a = co_await pool.acquire();
    auto b = co_await pool.acquire();
    CO_ASSERT_OK(a);
    CO_ASSERT_OK(b);
    auto pid_a = co_await a->query("SELECT pg_backend_pid()");
    CO_ASSERT_OK(pid_a);
    auto pid_b = co_await b->query("SELECT pg_backend_pid()");
    CO_ASSERT_OK(pid_b);
    { PgConn x = std::move(*a), y = std::move(*b); }
    EXPECT_EQ(pool.stats().idle, 2);

    // Kill both idle connections (and wait until the backends are gone).
    db.exec("SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE pid IN (" +
            std::string((*pid_a)[0].text(0)) + "," + std::string((*pid_b)[0].text(0)) + ")");

    auto after = co_await pool.query("SELECT pg_backend_pid()");
    CO_ASSERT_OK(after);
    EXPECT_NE((*after)[0].text(0), (*pid_a)[0].text(0));
    EXPECT_NE((*after)[0].text(0), (*pid_b)[0].text(0));
    EXPECT_LE(pool.stats().open, 2);
  });
}

TEST(PgPool, AQueryInFlightOnAKilledConnectionFailsAndTheNextSucceeds) {
  TestDatabase db;
  run_async(
      [&](asio::any_io_executor ex) -> awaitable<void> {
        PgPool pool = make_pool(ex, config_for(db, 2));
        auto victim = [](PgPool pool) -> awaitable<void> {
          auto r = co_await pool.query("SELECT pg_sleep(60)");
          EXPECT_FALSE(r.has_value());
          if (!r) {
            EXPECT_TRUE(r.error().code == "pg.57P01" || r.error().code == kPgErrorConnection)
                << r.error().code << ": " << r.error().message;
          }
        };
        auto killer = [](PgPool pool) -> awaitable<void> {
          for (int i = 0; i < 2000; ++i) {
            auto k = co_await pool.query(
                "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query = 'SELECT pg_sleep(60)' "
                "AND state = 'active'");
            EXPECT_TRUE(k.has_value());
            if (!k || k->rows() > 0) co_return;
            co_await sleep_ms(5);
          }
          ADD_FAILURE() << "the sleeping query never showed up";
        };
        std::vector<awaitable<void>> tasks;
        tasks.push_back(victim(pool));
        tasks.push_back(killer(pool));
        co_await join_all(std::move(tasks));
        auto next = co_await pool.query("SELECT 1");
        CO_ASSERT_OK(next);
        EXPECT_LE(pool.stats().open, 2);
      },
      2);
}

TEST(PgPool, StatementTimeoutCancelsTheStatementButKeepsTheConnection) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    PgConfig config = config_for(db, 1);
    config.query_timeout_ms = 200;
    PgPool pool = make_pool(ex, config);
    auto slow = co_await pool.query("SELECT pg_sleep(5)");
    CO_ASSERT(!slow);
    EXPECT_EQ(slow.error().code, kPgQueryCanceled);
    auto fine = co_await pool.query("SELECT 1");
    CO_ASSERT_OK(fine);
  });
}

TEST(PgPool, ManyConcurrentQueriesFromManyCoroutinesOnTwoThreads) {
  TestDatabase db;
  run_async(
      [&](asio::any_io_executor ex) -> awaitable<void> {
        PgPool pool = make_pool(ex, config_for(db, 4));
        std::atomic<int> answered{0};
        auto one = [](PgPool pool, int i, std::atomic<int>* answered) -> awaitable<void> {
          auto r = co_await pool.query("SELECT $1::bigint * 2, $2::text", i, std::to_string(i));
          EXPECT_TRUE(r.has_value());
          if (!r) co_return;
          EXPECT_EQ((*r)[0].get<std::int64_t>(0), 2 * i);
          EXPECT_EQ((*r)[0].get<std::string>(1), std::to_string(i));
          answered->fetch_add(1);
        };
        std::vector<awaitable<void>> tasks;
        for (int i = 0; i < 400; ++i) tasks.push_back(one(pool, i, &answered));
        co_await join_all(std::move(tasks));
        EXPECT_EQ(answered.load(), 400);
        EXPECT_LE(pool.stats().open, 4);
        EXPECT_EQ(pool.stats().waiting, 0);
      },
      2);
}

TEST(PgPool, PipelineRunsStatementsInOneImplicitTransaction) {
  TestDatabase db;
  db.exec("CREATE TABLE t (id int PRIMARY KEY, name text)");
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    PgPool pool = make_pool(ex, config_for(db, 1));
    std::vector<PgStatement> batch;
    batch.push_back({"INSERT INTO t VALUES ($1, $2)", {1, "one"}});
    batch.push_back({"INSERT INTO t VALUES ($1, $2)", {2, std::nullopt}});
    batch.push_back({"SELECT count(*) FROM t", {}});
    auto results = co_await pool.pipeline(std::move(batch));
    CO_ASSERT_OK(results);
    CO_ASSERT(results->size() == 3);
    EXPECT_EQ((*results)[0].affected_rows(), 1);
    EXPECT_EQ((*results)[2][0].get<std::int64_t>(0), 2);

    std::vector<PgStatement> failing;
    failing.push_back({"INSERT INTO t VALUES ($1, $2)", {3, "three"}});
    failing.push_back({"INSERT INTO t VALUES ($1, $2)", {1, "again"}});  // duplicate
    failing.push_back({"INSERT INTO t VALUES ($1, $2)", {4, "four"}});
    auto failed = co_await pool.pipeline(std::move(failing));
    CO_ASSERT(!failed);
    EXPECT_EQ(failed.error().code, kPgUniqueViolation);

    auto count = co_await pool.query("SELECT count(*) FROM t");
    CO_ASSERT_OK(count);
    EXPECT_EQ((*count)[0].get<std::int64_t>(0), 2);  // nothing of the failed batch stayed

    auto none = co_await pool.pipeline({});
    CO_ASSERT_OK(none);
    EXPECT_TRUE(none->empty());
  });
}

TEST(PgPool, PipelineInsideATransaction) {
  TestDatabase db;
  db.exec("CREATE TABLE t (id int PRIMARY KEY)");
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    PgPool pool = make_pool(ex, config_for(db, 1));
    auto r = co_await pool.transaction([](PgConn& c) -> awaitable<Result<std::int64_t>> {
      std::vector<PgStatement> batch;
      for (int i = 0; i < 50; ++i) batch.push_back({"INSERT INTO t VALUES ($1)", {i}});
      auto done = co_await c.pipeline(std::move(batch));
      if (!done) co_return std::unexpected(done.error());
      auto count = co_await c.query("SELECT count(*) FROM t");
      if (!count) co_return std::unexpected(count.error());
      co_return (*count)[0].get<std::int64_t>(0);
    });
    CO_ASSERT_OK(r);
    EXPECT_EQ(*r, 50);
  });
}

TEST(PgPool, ScriptsRunSeveralStatements) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    PgPool pool = make_pool(ex, config_for(db, 1));
    auto conn = co_await pool.acquire();
    CO_ASSERT_OK(conn);
    CO_ASSERT_OK(co_await conn->execute_script(
        "CREATE TABLE a (x int); INSERT INTO a VALUES (1); INSERT INTO a VALUES (2);"));
    auto bad = co_await conn->execute_script("INSERT INTO a VALUES (3); SELECT 1/0;");
    CO_ASSERT(!bad);
    EXPECT_EQ(bad.error().code, "pg.22012");
    auto sum = co_await conn->query("SELECT sum(x) FROM a");
    CO_ASSERT_OK(sum);
    EXPECT_EQ((*sum)[0].get<std::int64_t>(0), 3);  // the failed script was all-or-nothing
  });
}

TEST(PgPool, ASilentServerTimesOutTheConnect) {
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    using asio::ip::tcp;
    tcp::acceptor silent(ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    tcp::socket accepted(ex);
    silent.async_accept(accepted, [](boost::system::error_code) {});
    PgConfig config;
    config.url =
        fmt::format("postgresql://rafiki:rafiki@127.0.0.1:{}/db", silent.local_endpoint().port());
    config.max_connections = 1;
    config.connect_timeout_ms = 200;
    PgPool pool = make_pool(ex, config);
    auto r = co_await pool.query("SELECT 1");
    CO_ASSERT(!r);
    EXPECT_EQ(r.error().code, kPgErrorTimeout) << r.error().message;
    EXPECT_EQ(pool.stats().open, 0);
  });
}

TEST(PgPool, APipelineLargerThanTheSocketBuffersCompletes) {
  TestDatabase db;
  db.exec("CREATE TABLE t (id int PRIMARY KEY, body text NOT NULL)");
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    PgPool pool = make_pool(ex, config_for(db, 1));
    // Megabytes each way: both sides' buffers fill, so sending and reading must interleave.
    const std::string body(2000, 'x');
    std::vector<PgStatement> batch;
    for (int i = 0; i < 3000; ++i) {
      batch.push_back({"INSERT INTO t VALUES ($1, $2) RETURNING body", {i, body}});
    }
    auto results = co_await pool.pipeline(std::move(batch));
    CO_ASSERT_OK(results);
    CO_ASSERT(results->size() == 3000);
    EXPECT_EQ((*results)[2999][0].get<std::string>(0), body);
    auto count = co_await pool.query("SELECT count(*) FROM t");
    CO_ASSERT_OK(count);
    EXPECT_EQ((*count)[0].get<std::int64_t>(0), 3000);
  });
}

TEST(PgPool, AHostNameIsResolvedAndEachAddressTried) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    // localhost may resolve to ::1 first, where nothing listens: libpq moves to 127.0.0.1.
    PgConfig config = config_for(db, 1);
    config.url.replace(config.url.find("127.0.0.1"), 9, "localhost");
    PgPool pool = make_pool(ex, config);
    auto r = co_await pool.query("SELECT current_database()");
    CO_ASSERT_OK(r);
    EXPECT_EQ((*r)[0].get<std::string>(0), db.name());
  });
}
