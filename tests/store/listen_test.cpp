#include "store/listen.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/async_util.h"
#include "store/pg.h"
#include "support/test_env.h"

using namespace rafiki;
using namespace rafiki::store;
using rafiki::testing::run_async;
using rafiki::testing::eventually;
using rafiki::testing::sleep_ms;
using rafiki::testing::TestDatabase;
namespace asio = boost::asio;
using asio::awaitable;

namespace {

PgConfig config_for(const std::string& url) {
  PgConfig config;
  config.url = url;
  config.max_connections = 4;
  config.acquire_timeout_ms = 10000;
  config.connect_timeout_ms = 10000;
  config.query_timeout_ms = 30000;
  return config;
}

PgPool make_pool(asio::any_io_executor ex, const TestDatabase& db) {
  auto pool = PgPool::create(std::move(ex), config_for(db.url()));
  if (!pool) throw std::runtime_error(pool.error().message);
  return std::move(*pool);
}

// What a listener's callbacks saw; shared with them, so it outlives the test's handle.
struct Record {
  std::vector<PgNotification> received;
  int resyncs = 0;
  std::vector<bool> connected_during_resync;
  bool finished = false;  // run() returned
};

// A listener recording into a Record, running until stopped or its handle is dropped.
struct Running {
  std::shared_ptr<PgListener> listener;
  std::shared_ptr<Record> record = std::make_shared<Record>();

  static Result<std::unique_ptr<Running>> start(asio::any_io_executor ex, PgConfig config,
                                                std::vector<std::string> channels) {
    auto created = PgListener::create(ex, std::move(config), std::move(channels));
    if (!created) return std::unexpected(created.error());
    auto running = std::make_unique<Running>();
    running->listener = *created;
    std::shared_ptr<Record> record = running->record;
    std::weak_ptr<PgListener> weak = running->listener;
    running->listener->on_notification(
        [record](const PgNotification& n) { record->received.push_back(n); });
    running->listener->on_resync([record, weak] {
      ++record->resyncs;
      if (auto listener = weak.lock())
        record->connected_during_resync.push_back(listener->connected());
    });
    asio::co_spawn(ex, running->listener->run(), [record](std::exception_ptr e) {
      EXPECT_FALSE(e) << "run() threw";
      record->finished = true;
    });
    return running;
  }
  ~Running() {
    if (listener) listener->stop();
  }

  const std::vector<PgNotification>& received() const { return record->received; }
  int resyncs() const { return record->resyncs; }
  bool finished() const { return record->finished; }
  bool got(const std::string& channel, const std::string& payload) const {
    for (const auto& n : record->received) {
      if (n.channel == channel && n.payload == payload) return true;
    }
    return false;
  }
};

}  // namespace

TEST(PgListener, NotificationFromAnotherConnectionArrivesWithChannelAndPayload) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    PgPool pool = make_pool(ex, db);
    auto started = Running::start(ex, config_for(db.url()), {"wallet_address", "Mixed_Case"});
    CO_ASSERT_OK(started);
    Running& r = **started;
    CO_ASSERT(co_await eventually([&] { return r.listener->connected(); }));
    EXPECT_EQ(r.resyncs(), 1);

    // A channel nobody listens on is not delivered; the server keeps the order of commits, so
    // once the later notifications are in, the earlier one would have been too.
    CO_ASSERT_OK(co_await notify(pool, "other_channel", "ignored"));
    const std::string payload = "$ilp.example/alice \"quoted\" ünïcode";
    CO_ASSERT_OK(co_await notify(pool, "wallet_address", payload));
    CO_ASSERT_OK(co_await notify(pool, "Mixed_Case", "case kept"));
    CO_ASSERT_OK(co_await notify(pool, "wallet_address", ""));
    CO_ASSERT(co_await eventually([&] { return r.received().size() >= 3; }));
    CO_ASSERT(r.received().size() == 3);
    EXPECT_EQ(r.received()[0].channel, "wallet_address");
    EXPECT_EQ(r.received()[0].payload, payload);
    EXPECT_EQ(r.received()[1].channel, "Mixed_Case");
    EXPECT_EQ(r.received()[1].payload, "case kept");
    EXPECT_EQ(r.received()[2].channel, "wallet_address");
    EXPECT_EQ(r.received()[2].payload, "");

    // The names are quoted, so case matters: "mixed_case" is another channel.
    CO_ASSERT_OK(co_await notify(pool, "mixed_case", "other"));
    CO_ASSERT_OK(co_await notify(pool, "wallet_address", "last"));
    CO_ASSERT(co_await eventually([&] { return r.got("wallet_address", "last"); }));
    EXPECT_FALSE(r.got("mixed_case", "other"));
    EXPECT_EQ(r.received().size(), 4u);
    EXPECT_EQ(r.resyncs(), 1);

    r.listener->stop();
    CO_ASSERT(co_await eventually([&] { return r.finished(); }));
    EXPECT_FALSE(r.listener->connected());
  });
}

TEST(PgListener, NotifyInsideATransactionArrivesOnlyAfterCommit) {
  TestDatabase db;
  db.exec("CREATE TABLE wallet (id int PRIMARY KEY, url text)");
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    PgPool pool = make_pool(ex, db);
    auto started = Running::start(ex, config_for(db.url()), {"wallet"});
    CO_ASSERT_OK(started);
    Running& r = **started;
    CO_ASSERT(co_await eventually([&] { return r.listener->connected(); }));

    auto committed = co_await pool.transaction([&](PgConn& c) -> awaitable<Result<void>> {
      auto changed = co_await c.query("INSERT INTO wallet VALUES (1, 'https://a.example')");
      if (!changed) co_return std::unexpected(changed.error());
      auto sent = co_await notify(c, "wallet", "1");
      if (!sent) co_return sent;
      // Still open: a listener hears nothing of it yet (another notification, sent and
      // delivered meanwhile, shows the listener is reading).
      auto other = co_await notify(pool, "wallet", "outside");
      if (!other) co_return other;
      EXPECT_TRUE(co_await eventually([&] { return r.got("wallet", "outside"); }));
      EXPECT_FALSE(r.got("wallet", "1"));
      co_return Result<void>{};
    });
    CO_ASSERT_OK(committed);
    CO_ASSERT(co_await eventually([&] { return r.got("wallet", "1"); }));

    auto rolled_back = co_await pool.transaction([&](PgConn& c) -> awaitable<Result<void>> {
      auto changed = co_await c.query("UPDATE wallet SET url = 'https://b.example' WHERE id = 1");
      if (!changed) co_return std::unexpected(changed.error());
      auto sent = co_await notify(c, "wallet", "rolled back");
      if (!sent) co_return sent;
      co_return fail("test.refused", "roll it back");
    });
    CO_ASSERT(!rolled_back);
    EXPECT_EQ(rolled_back.error().code, "test.refused");
    CO_ASSERT_OK(co_await notify(pool, "wallet", "after"));
    CO_ASSERT(co_await eventually([&] { return r.got("wallet", "after"); }));
    EXPECT_FALSE(r.got("wallet", "rolled back"));
    EXPECT_EQ(r.received().size(), 3u);
  });
}

TEST(PgListener, ResyncsOnFirstConnectAndAfterTheServerKillsItsBackend) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    PgPool pool = make_pool(ex, db);
    auto started = Running::start(ex, config_for(db.url()), {"wallet"});
    CO_ASSERT_OK(started);
    Running& r = **started;
    CO_ASSERT(co_await eventually([&] { return r.listener->connected(); }));
    EXPECT_EQ(r.resyncs(), 1);
    CO_ASSERT_OK(co_await notify(pool, "wallet", "before"));
    CO_ASSERT(co_await eventually([&] { return r.got("wallet", "before"); }));

    // The listener's connection is the one with its application_name in this database.
    const std::string name(kPgListenApplicationName);
    auto found = co_await pool.query(
        "SELECT pid, query FROM pg_stat_activity "
        "WHERE datname = current_database() AND application_name = $1",
        name);
    CO_ASSERT_OK(found);
    CO_ASSERT(found->rows() == 1);
    const std::int32_t pid = (*found)[0].get<std::int32_t>("pid");
    EXPECT_EQ((*found)[0].get<std::string>("query").rfind("LISTEN", 0), 0u);
    auto killed = co_await pool.query("SELECT pg_terminate_backend($1)", pid);
    CO_ASSERT_OK(killed);
    CO_ASSERT((*killed)[0].get<bool>(0));

    // It notices, reconnects, LISTENs again on a new backend and tells its owner to resync.
    CO_ASSERT(co_await eventually([&] { return r.resyncs() >= 2; }));
    EXPECT_EQ(r.resyncs(), 2);
    CO_ASSERT(co_await eventually([&] { return r.listener->connected(); }));
    auto again = co_await pool.query(
        "SELECT pid FROM pg_stat_activity "
        "WHERE datname = current_database() AND application_name = $1",
        name);
    CO_ASSERT_OK(again);
    CO_ASSERT(again->rows() == 1);
    EXPECT_NE((*again)[0].get<std::int32_t>("pid"), pid);

    CO_ASSERT_OK(co_await notify(pool, "wallet", "after"));
    CO_ASSERT(co_await eventually([&] { return r.got("wallet", "after"); }));
    // Resync always ran while connected() was still false: a cache user bypassed the cache
    // until the owner had dropped it.
    EXPECT_EQ(r.record->connected_during_resync, (std::vector<bool>{false, false}));
  });
}

TEST(PgListener, StopEndsRun) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    // While connected and idle.
    {
      auto started = Running::start(ex, config_for(db.url()), {"wallet"});
      CO_ASSERT_OK(started);
      Running& r = **started;
      CO_ASSERT(co_await eventually([&] { return r.listener->connected(); }));
      r.listener->stop();
      r.listener->stop();  // idempotent
      CO_ASSERT(co_await eventually([&] { return r.finished(); }));
      EXPECT_FALSE(r.listener->connected());
    }
    // While failing to connect and pausing between attempts (nothing listens on port 1).
    {
      auto started = Running::start(
          ex, config_for("postgresql://rafiki:rafiki@127.0.0.1:1/postgres"), {"wallet"});
      CO_ASSERT_OK(started);
      Running& r = **started;
      co_await sleep_ms(3 * kPgListenRetryFirstMs);  // a few failed attempts
      EXPECT_FALSE(r.listener->connected());
      EXPECT_EQ(r.resyncs(), 0);
      EXPECT_FALSE(r.finished());
      r.listener->stop();
      CO_ASSERT(co_await eventually([&] { return r.finished(); }));
    }
    // Before run() started: run() returns at once.
    {
      auto created = PgListener::create(ex, config_for(db.url()), {"wallet"});
      CO_ASSERT_OK(created);
      (*created)->stop();
      co_await (*created)->run();
      EXPECT_FALSE((*created)->connected());
    }
    // Dropping the last handle stops it too.
    {
      auto started = Running::start(ex, config_for(db.url()), {"wallet"});
      CO_ASSERT_OK(started);
      Running& r = **started;
      CO_ASSERT(co_await eventually([&] { return r.listener->connected(); }));
      r.listener.reset();
      CO_ASSERT(co_await eventually([&] { return r.finished(); }));
    }
  });
}

TEST(PgListener, CreateRefusesBadChannelsAndConfig) {
  asio::io_context io;
  const PgConfig good = config_for("postgresql://rafiki:rafiki@127.0.0.1:5432/postgres");
  const std::string longest(kPgChannelNameMax, 'c');
  for (const std::string& bad :
       {std::string(""), std::string("1wallet"), std::string("wallet-address"),
        std::string("wallet\"; DROP TABLE x; --"), std::string("a b"), std::string("ünï"),
        std::string("a.b"), longest + "c", std::string("wallet\0x", 8)}) {
    auto created = PgListener::create(io.get_executor(), good, {"ok", bad});
    ASSERT_FALSE(created) << bad;
    EXPECT_EQ(created.error().code, kPgErrorConfig) << bad;
    EXPECT_FALSE(check_channel(bad)) << bad;
  }
  EXPECT_TRUE(PgListener::create(io.get_executor(), good, {longest, "Wallet_1", "_x", "Wallet_1"}));

  auto none = PgListener::create(io.get_executor(), good, {});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, kPgErrorConfig);
  std::vector<std::string> many;
  for (std::size_t i = 0; i <= kPgListenChannelsMax; ++i) many.push_back("c" + std::to_string(i));
  auto too_many = PgListener::create(io.get_executor(), good, many);
  ASSERT_FALSE(too_many);
  EXPECT_EQ(too_many.error().code, kPgErrorConfig);

  PgConfig bad_url = good;
  bad_url.url = "postgresql://host:notaport/db?nonsense=1";
  auto unparsable = PgListener::create(io.get_executor(), bad_url, {"wallet"});
  ASSERT_FALSE(unparsable);
  EXPECT_EQ(unparsable.error().code, kPgErrorConfig);
  PgConfig bad_timeout = good;
  bad_timeout.connect_timeout_ms = 0;
  EXPECT_FALSE(PgListener::create(io.get_executor(), bad_timeout, {"wallet"}));
}

TEST(PgListener, NotifyRefusesBadChannelAndOversizedPayload) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    PgPool pool = make_pool(ex, db);
    auto bad_channel = co_await notify(pool, "no-dashes", "x");
    CO_ASSERT(!bad_channel);
    EXPECT_EQ(bad_channel.error().code, kPgErrorUsage);
    const std::string too_long(kPgNotifyPayloadMax + 1, 'p');
    auto oversized = co_await notify(pool, "wallet", too_long);
    CO_ASSERT(!oversized);
    EXPECT_EQ(oversized.error().code, kPgErrorUsage);

    // The largest payload we allow is one the server accepts and delivers whole.
    auto started = Running::start(ex, config_for(db.url()), {"wallet"});
    CO_ASSERT_OK(started);
    Running& r = **started;
    CO_ASSERT(co_await eventually([&] { return r.listener->connected(); }));
    const std::string largest(kPgNotifyPayloadMax, 'p');
    CO_ASSERT_OK(co_await notify(pool, "wallet", largest));
    CO_ASSERT(co_await eventually([&] { return r.got("wallet", largest); }));
  });
}
