// store::NotifyCache against the real PostgreSQL: entries kept and served while the listener is
// connected, dropped by a notification (one entry or all), refilled by the next read, bypassed
// while the listener is not connected, dropped when its connection is lost, and never stored
// when an invalidation raced the read.
#include "store/notify_cache.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>

#include "store/async_util.h"
#include "store/listen.h"
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

constexpr int kPollMs = 5;

PgConfig config_for(const std::string& url) {
  PgConfig config;
  config.url = url;
  config.max_connections = 4;
  return config;
}

using TextCache = NotifyCache<std::string, std::string>;

// Keys, named: no string literal may stand inside a co_await expression (g++ 12).
const std::string kA = "a", kB = "b", kC = "c";

TextCache::Options keyed_options(std::string channel) {
  TextCache::Options options;
  options.channel = std::move(channel);
  options.name = "test cache";
  options.key_of = [](std::string_view payload) { return std::optional<std::string>(payload); };
  return options;
}

// Reads row `key` of table `items` (null when absent), counting reads.
TextCache::Loader reader(PgPool& pool, std::string key, int& reads) {
  return [&pool, key, &reads]() -> awaitable<Result<std::shared_ptr<const std::string>>> {
    ++reads;
    auto rows = co_await pool.query("SELECT value FROM items WHERE key = $1", key);
    if (!rows) co_return std::unexpected(rows.error());
    if (rows->empty()) co_return std::shared_ptr<const std::string>{};
    co_return std::make_shared<const std::string>((*rows)[0].get<std::string>(0));
  };
}

// The value get() answers for `key` ("null" for none).
awaitable<std::string> value_of(TextCache& cache, PgPool& pool, const std::string& key,
                                int& reads) {
  auto value = co_await cache.get(key, reader(pool, key, reads));
  if (!value) throw std::runtime_error(value.error().message);
  co_return *value ? **value : std::string("null");
}

// Runs body(executor, database, pool) on a fresh database whose table `items` (key, value)
// holds `rows` (an SQL VALUES list).
template <class F>
void with_items(const std::string& rows, F body) {
  TestDatabase db;
  db.exec("CREATE TABLE items (key text PRIMARY KEY, value text)");
  db.exec("INSERT INTO items VALUES " + rows);
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    auto pool = PgPool::create(ex, config_for(db.url()));
    CO_ASSERT_OK(pool);
    co_await body(ex, db, *pool);
  });
}

// Starts the cache's listener and waits until it is connected.
template <class Cache>
awaitable<bool> started(Cache& cache, asio::any_io_executor ex, const TestDatabase& db) {
  if (!cache.start(ex, config_for(db.url()))) co_return false;
  co_return co_await eventually([&] { return cache.live(); });
}

}  // namespace

TEST(NotifyCache, KeyedEntriesAreServedUntilTheirNotificationAndThenRefilled) {
  with_items("('a', 'one'), ('b', 'two')",
             [](asio::any_io_executor ex, const TestDatabase& db, PgPool& pool) -> awaitable<void> {
               TextCache cache(keyed_options("items"));
               int reads = 0;
               // Not started: every get() reads, nothing is kept.
               EXPECT_FALSE(cache.live());
               {
                 std::string v = co_await value_of(cache, pool, kA, reads);
                 EXPECT_EQ(v, "one");
               }
               {
                 std::string v = co_await value_of(cache, pool, kA, reads);
                 EXPECT_EQ(v, "one");
               }
               EXPECT_EQ(reads, 2);
               EXPECT_EQ(cache.size(), 0u);

               CO_ASSERT_OK(cache.start(ex, config_for(db.url())));
               CO_ASSERT_OK(cache.start(ex, config_for(db.url())));  // idempotent
               CO_ASSERT(co_await eventually([&] { return cache.live(); }));
               {
                 std::string v = co_await value_of(cache, pool, kA, reads);
                 EXPECT_EQ(v, "one");
               }
               {
                 std::string v = co_await value_of(cache, pool, kB, reads);
                 EXPECT_EQ(v, "two");
               }
               {
                 std::string v = co_await value_of(cache, pool, kA, reads);
                 EXPECT_EQ(v, "one");
               }
               EXPECT_EQ(reads, 4);  // one read per key
               EXPECT_EQ(cache.loads(), 4u);
               CO_ASSERT(cache.cached("a") != nullptr);
               EXPECT_EQ(*cache.cached("a"), "one");
               // Absent rows are not kept.
               {
                 std::string v = co_await value_of(cache, pool, kC, reads);
                 EXPECT_EQ(v, "null");
               }
               EXPECT_EQ(cache.size(), 2u);

               // A change nobody announced is not seen: the entry is in use.
               db.exec("UPDATE items SET value = 'uno' WHERE key = 'a'");
               {
                 std::string v = co_await value_of(cache, pool, kA, reads);
                 EXPECT_EQ(v, "one");
               }
               // Announced: that entry goes, the other stays; the next get() reads it again.
               db.exec("SELECT pg_notify('items', 'a')");
               CO_ASSERT(co_await eventually([&] { return cache.cached("a") == nullptr; }));
               EXPECT_NE(cache.cached("b"), nullptr);
               const int before = reads;
               {
                 std::string v = co_await value_of(cache, pool, kA, reads);
                 EXPECT_EQ(v, "uno");
               }
               EXPECT_EQ(reads, before + 1);
               EXPECT_NE(cache.cached("a"), nullptr);

               // This process's own change: invalidate() drops the entry at once.
               cache.invalidate("b");
               EXPECT_EQ(cache.cached("b"), nullptr);

               cache.stop();
               EXPECT_FALSE(cache.live());
               EXPECT_EQ(cache.size(), 0u);
               EXPECT_EQ(cache.cached("a"), nullptr);
             });
}

TEST(NotifyCache, APayloadNamingNoKeyDropsEverything) {
  with_items("('a', 'one'), ('b', 'two')",
             [](asio::any_io_executor ex, const TestDatabase& db, PgPool& pool) -> awaitable<void> {
               TextCache::Options options = keyed_options("items");
               options.key_of = [](std::string_view payload) -> std::optional<std::string> {
                 if (payload == "*") return std::nullopt;
                 return std::string(payload);
               };
               TextCache cache(std::move(options));
               CO_ASSERT(co_await started(cache, ex, db));
               int reads = 0;
               co_await value_of(cache, pool, kA, reads);
               co_await value_of(cache, pool, kB, reads);
               EXPECT_EQ(cache.size(), 2u);
               db.exec("SELECT pg_notify('items', '*')");
               CO_ASSERT(co_await eventually([&] { return cache.size() == 0; }));
               cache.stop();
             });
}

// The peer domain's shape: one snapshot of a whole table, dropped by every notification, loaded
// by one caller at a time while the others are told to read the database their own way.
TEST(NotifyCache, ASingleLoadSnapshotIsLoadedOnceAndBypassedMeanwhile) {
  with_items(
      "('a', 'one')",
      [](asio::any_io_executor ex, const TestDatabase& db, PgPool& pool) -> awaitable<void> {
        using Snapshot = NotifyCache<std::monostate, std::string>;
        Snapshot::Options options;
        options.channel = "items";
        options.single_load = true;
        Snapshot cache(std::move(options));
        const std::monostate whole;
        int loads_started = 0;
        bool release = false;
        // A load that waits for `release`, so that other callers arrive while it runs.
        Snapshot::Loader slow = [&]() -> awaitable<Result<std::shared_ptr<const std::string>>> {
          ++loads_started;
          while (!release) co_await sleep_ms(kPollMs);
          auto rows = co_await pool.query("SELECT string_agg(value, ',' ORDER BY key) FROM items");
          if (!rows) co_return std::unexpected(rows.error());
          co_return std::make_shared<const std::string>((*rows)[0].get<std::string>(0));
        };

        // Not live: null, without loading.
        auto before_start = co_await cache.get(whole, slow);
        CO_ASSERT_OK(before_start);
        EXPECT_EQ(*before_start, nullptr);
        EXPECT_EQ(loads_started, 0);

        CO_ASSERT(co_await started(cache, ex, db));
        std::shared_ptr<const std::string> first;
        bool first_done = false;
        asio::co_spawn(
            ex,
            [&]() -> awaitable<void> {
              auto got = co_await cache.get(whole, slow);
              if (got) first = *got;
              first_done = true;
            },
            asio::detached);
        CO_ASSERT(co_await eventually([&] { return loads_started == 1; }));
        // While it loads, another caller gets null at once.
        auto meanwhile = co_await cache.get(whole, slow);
        CO_ASSERT_OK(meanwhile);
        EXPECT_EQ(*meanwhile, nullptr);
        release = true;
        CO_ASSERT(co_await eventually([&] { return first_done; }));
        CO_ASSERT(first != nullptr);
        EXPECT_EQ(*first, "one");
        auto served = co_await cache.get(whole, slow);
        CO_ASSERT_OK(served);
        EXPECT_EQ(*served, first);  // the same object, from memory
        EXPECT_EQ(loads_started, 1);
        EXPECT_EQ(cache.loads(), 1u);

        // Any notification drops it; the next get() loads the table again.
        db.exec("INSERT INTO items VALUES ('b', 'two')");
        db.exec("SELECT pg_notify('items', 'whatever')");
        CO_ASSERT(co_await eventually([&] { return cache.cached(whole) == nullptr; }));
        auto reloaded = co_await cache.get(whole, slow);
        CO_ASSERT_OK(reloaded);
        CO_ASSERT(*reloaded != nullptr);
        EXPECT_EQ(**reloaded, "one,two");
        EXPECT_EQ(loads_started, 2);
        cache.stop();
      });
}

TEST(NotifyCache, LosingTheListenerBypassesTheCacheAndTheReconnectDropsIt) {
  with_items("('a', 'one')",
             [](asio::any_io_executor ex, const TestDatabase& db, PgPool& pool) -> awaitable<void> {
               TextCache cache(keyed_options("items"));
               CO_ASSERT(co_await started(cache, ex, db));
               int reads = 0;
               {
                 std::string v = co_await value_of(cache, pool, kA, reads);
                 EXPECT_EQ(v, "one");
               }
               // A change nobody announced...
               db.exec("UPDATE items SET value = 'uno' WHERE key = 'a'");
               {
                 std::string v = co_await value_of(cache, pool, kA, reads);
                 EXPECT_EQ(v, "one");
               }
               // ...is seen once the listener's connection is lost (notifications may have been
               // missed): while it is down the cache is bypassed, and the reconnect drops every
               // entry.
               const std::string name(kPgListenApplicationName);
               auto killed = co_await pool.query(
                   "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                   " WHERE datname = current_database() AND application_name = $1",
                   name);
               CO_ASSERT_OK(killed);
               CO_ASSERT(co_await eventually([&] { return cache.cached("a") == nullptr; }));
               CO_ASSERT(co_await eventually([&] { return cache.live(); }));
               {
                 std::string v = co_await value_of(cache, pool, kA, reads);
                 EXPECT_EQ(v, "uno");
               }
               EXPECT_EQ(*cache.cached("a"), "uno");
               cache.stop();
             });
}

TEST(NotifyCache, AValueReadWhileAnInvalidationRacedIsNotKept) {
  TextCache::Options options = keyed_options("items");
  options.entries_max = 3;
  TextCache cache(std::move(options));
  auto value = std::make_shared<const std::string>("v");
  auto before = cache.generation();
  cache.invalidate("https://x.example/a");
  cache.put(before, "https://x.example/a", value);
  EXPECT_EQ(cache.find("https://x.example/a"), nullptr);
  cache.put(cache.generation(), "https://x.example/a", value);
  EXPECT_NE(cache.find("https://x.example/a"), nullptr);
  // Not live: cached() serves nothing, whatever is stored.
  EXPECT_EQ(cache.cached("https://x.example/a"), nullptr);
  cache.clear();
  EXPECT_EQ(cache.size(), 0u);
  // Full: an arbitrary entry makes room.
  for (int i = 0; i < 5; ++i) {
    cache.put(cache.generation(), "https://x.example/" + std::to_string(i), value);
  }
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_NE(cache.find("https://x.example/4"), nullptr);
}

TEST(NotifyCache, StartRefusesABadChannel) {
  asio::io_context io;
  TextCache cache(keyed_options("bad channel!"));
  auto refused = cache.start(io.get_executor(), config_for("postgresql://u@127.0.0.1:1/db"));
  EXPECT_FALSE(refused);
  EXPECT_FALSE(cache.live());
}
