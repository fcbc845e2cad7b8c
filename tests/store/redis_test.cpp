// What only the Redis client has: URLs, pipelining on one connection, reconnecting, failures of
// the server or the network.
#include "store/redis.h"

#include <gtest/gtest.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>

#include <fmt/format.h>

#include "base/uuid.h"
#include "store/async_util.h"
#include "support/test_env.h"

using namespace rafiki;
using namespace rafiki::store;
using rafiki::testing::join_all;
using rafiki::testing::run_async;
namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;

namespace {

RedisClient client_for(asio::any_io_executor ex, const std::string& url,
                       RedisOptions options = {}) {
  auto client = RedisClient::create(std::move(ex), url, options);
  if (!client) throw std::runtime_error(client.error().message);
  return std::move(*client);
}

std::string test_url_with(std::string_view userinfo, int db) {
  auto ep = parse_redis_url(rafiki::testing::redis_url());
  if (!ep) throw std::runtime_error(ep.error().message);
  return fmt::format("redis://{}{}:{}/{}", userinfo, ep->host, ep->port, db);
}

std::string unique_key() {
  return "test:" + Uuid::v4().str();
}

}  // namespace

TEST(RedisUrl, ParsesEveryPart) {
  auto plain = parse_redis_url("redis://127.0.0.1:6389/0");
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->host, "127.0.0.1");
  EXPECT_EQ(plain->port, 6389);
  EXPECT_EQ(plain->db, 0);
  EXPECT_TRUE(plain->password.empty());

  auto defaults = parse_redis_url("redis://cache");
  ASSERT_TRUE(defaults.has_value());
  EXPECT_EQ(defaults->host, "cache");
  EXPECT_EQ(defaults->port, 6379);
  EXPECT_EQ(defaults->db, 0);

  auto full = parse_redis_url("redis://alice:p%40ss:word@redis.local:7000/5?ignored=1");
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(full->user, "alice");
  EXPECT_EQ(full->password, "p@ss:word");
  EXPECT_EQ(full->host, "redis.local");
  EXPECT_EQ(full->port, 7000);
  EXPECT_EQ(full->db, 5);

  auto password_only = parse_redis_url("redis://:secret@[::1]:6380");
  ASSERT_TRUE(password_only.has_value());
  EXPECT_TRUE(password_only->user.empty());
  EXPECT_EQ(password_only->password, "secret");
  EXPECT_EQ(password_only->host, "::1");
  EXPECT_EQ(password_only->port, 6380);

  auto no_colon = parse_redis_url("redis://secret@host");
  ASSERT_TRUE(no_colon.has_value());
  EXPECT_EQ(no_colon->password, "secret");
}

TEST(RedisUrl, RefusesBadUrlsWithoutEchoingThePassword) {
  for (const char* bad :
       {"", "http://host", "rediss://host", "redis://", "redis://host:0", "redis://host:65536",
        "redis://host:port", "redis://host:", "redis://host/x", "redis://host/-1", "redis://[::1",
        "redis://:p%zz@host", "redis://:hunter2@:6379"}) {
    auto r = parse_redis_url(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code, kKvErrorInvalid);
    EXPECT_EQ(r.error().message.find("hunter2"), std::string::npos);
  }
  asio::io_context io;
  EXPECT_FALSE(RedisClient::create(io.get_executor(), "redis://host", {0, 100}).has_value());
}

TEST(RedisClient, AWrongPortIsAClearErrorAtOnce) {
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    RedisClient client = client_for(ex, "redis://127.0.0.1:1");
    auto r = co_await client.command(redis_command("PING"));
    CO_ASSERT(!r);
    EXPECT_EQ(r.error().code, kKvErrorConnection);
    EXPECT_NE(r.error().message.find("127.0.0.1:1"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("refused"), std::string::npos) << r.error().message;
    // Every later command tries again (and fails the same way).
    auto again = co_await client.command(redis_command("PING"));
    CO_ASSERT(!again);
    EXPECT_EQ(again.error().code, kKvErrorConnection);
  });
}

TEST(RedisClient, ErrorRepliesComeBackAsErrorsAndTheConnectionStaysUp) {
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    RedisClient client = client_for(ex, rafiki::testing::redis_url());
    auto id = co_await client.command(redis_command("CLIENT", "ID"));
    CO_ASSERT_OK(id);
    auto bad = co_await client.command(redis_command("NO-SUCH-COMMAND", "x"));
    CO_ASSERT(!bad);
    EXPECT_EQ(bad.error().code, kKvErrorServer);
    EXPECT_NE(bad.error().message.find("unknown command"), std::string::npos);
    auto same = co_await client.command(redis_command("CLIENT", "ID"));
    CO_ASSERT_OK(same);
    EXPECT_EQ(same->integer, id->integer);

    auto empty = co_await client.command(std::vector<std::string>{});
    CO_ASSERT(!empty);
    EXPECT_EQ(empty.error().code, kKvErrorInvalid);
  });
}

TEST(RedisClient, ReconnectsAfterTheServerKillsTheConnection) {
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    RedisClient victim = client_for(ex, rafiki::testing::redis_url());
    RedisClient admin = client_for(ex, rafiki::testing::redis_url());
    const std::string key = unique_key();
    CO_ASSERT_OK(co_await victim.command(redis_command("SET", key, "kept", "PX", "60000")));
    auto id = co_await victim.command(redis_command("CLIENT", "ID"));
    CO_ASSERT_OK(id);
    auto killed =
        co_await admin.command(redis_command("CLIENT", "KILL", "ID", std::to_string(id->integer)));
    CO_ASSERT_OK(killed);
    EXPECT_EQ(killed->integer, 1);

    // A command may meet the dead connection once; after that the client has reconnected.
    int failures = 0;
    Result<RedisReply> got = fail("test", "not run");
    for (int attempt = 0; attempt < 2; ++attempt) {
      got = co_await victim.command(redis_command("GET", key));
      if (got) break;
      EXPECT_EQ(got.error().code, kKvErrorConnection) << got.error().message;
      ++failures;
    }
    CO_ASSERT_OK(got);
    EXPECT_LE(failures, 1);
    EXPECT_EQ(got->text, "kept");
    auto new_id = co_await victim.command(redis_command("CLIENT", "ID"));
    CO_ASSERT_OK(new_id);
    EXPECT_NE(new_id->integer, id->integer);
    CO_ASSERT_OK(co_await admin.command(redis_command("DEL", key)));
  });
}

TEST(RedisClient, ManyConcurrentCommandsShareOneConnectionAndGetTheirOwnAnswers) {
  run_async(
      [&](asio::any_io_executor ex) -> awaitable<void> {
        RedisClient client = client_for(ex, rafiki::testing::redis_url());
        auto id = co_await client.command(redis_command("CLIENT", "ID"));
        CO_ASSERT_OK(id);
        const std::string prefix = unique_key() + ":";
        std::atomic<int> answered{0};
        auto one = [](RedisClient client, std::string key, std::string value,
                      std::atomic<int>* answered) -> awaitable<void> {
          auto set = co_await client.command(redis_command("SET", key, value, "PX", "60000"));
          EXPECT_TRUE(set.has_value());
          auto got = co_await client.command(redis_command("GET", key));
          EXPECT_TRUE(got.has_value());
          if (got) {
            EXPECT_EQ(got->text, value);
          }
          auto echoed = co_await client.command(redis_command("ECHO", value));
          if (echoed && echoed->text == value) answered->fetch_add(1);
        };
        std::vector<awaitable<void>> tasks;
        for (int i = 0; i < 500; ++i) {
          tasks.push_back(
              one(client, prefix + std::to_string(i), "value-" + std::to_string(i), &answered));
        }
        co_await join_all(std::move(tasks));
        EXPECT_EQ(answered.load(), 500);
        auto same = co_await client.command(redis_command("CLIENT", "ID"));
        CO_ASSERT_OK(same);
        EXPECT_EQ(same->integer, id->integer);  // all of it on one connection
      },
      2);
}

TEST(RedisClient, SelectsTheDatabaseOfTheUrl) {
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    RedisClient db0 = client_for(ex, test_url_with("", 0));
    RedisClient db3 = client_for(ex, test_url_with("", 3));
    const std::string key = unique_key();
    CO_ASSERT_OK(co_await db3.command(redis_command("SET", key, "in-3", "PX", "60000")));
    auto from0 = co_await db0.command(redis_command("GET", key));
    CO_ASSERT_OK(from0);
    EXPECT_EQ(from0->type, RedisReply::Type::kNil);
    auto from3 = co_await db3.command(redis_command("GET", key));
    CO_ASSERT_OK(from3);
    EXPECT_EQ(from3->text, "in-3");
    CO_ASSERT_OK(co_await db3.command(redis_command("DEL", key)));

    RedisClient no_such_db = client_for(ex, test_url_with("", 100000));
    auto refused = co_await no_such_db.command(redis_command("PING"));
    CO_ASSERT(!refused);
    EXPECT_NE(refused.error().message.find("SELECT"), std::string::npos);
  });
}

TEST(RedisClient, ARefusedPasswordIsAClearErrorThatDoesNotShowIt) {
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    RedisClient client = client_for(ex, test_url_with(":not-the-password@", 0));
    auto r = co_await client.command(redis_command("PING"));
    CO_ASSERT(!r);
    EXPECT_NE(r.error().message.find("AUTH"), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find("not-the-password"), std::string::npos);
  });
}

TEST(RedisClient, AServerThatNeverAnswersTimesOutAndOneThatHangsUpIsAnError) {
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    tcp::acceptor silent(ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    int port = silent.local_endpoint().port();
    tcp::socket accepted(ex);
    silent.async_accept(accepted, [](boost::system::error_code) {});
    RedisClient client = client_for(ex, fmt::format("redis://127.0.0.1:{}", port), {1000, 100});
    auto r = co_await client.command(redis_command("PING"));
    CO_ASSERT(!r);
    EXPECT_EQ(r.error().code, kKvErrorTimeout) << r.error().message;

    // Now the server hangs up on the next connection as soon as it is made.
    tcp::socket hang_up(ex);
    silent.async_accept(hang_up, [&](boost::system::error_code ec) {
      if (!ec) hang_up.close();
    });
    auto dropped = co_await client.command(redis_command("PING"));
    CO_ASSERT(!dropped);
    EXPECT_EQ(dropped.error().code, kKvErrorConnection) << dropped.error().message;
  });
}

// A caller may stop waiting for its command (asio cancellation, e.g. the idempotency lock's
// renewal when its mutation ends). That abandons only its own reply: the other commands
// pipelined on the connection still get theirs, and the connection stays up.
TEST(RedisClient, ACancelledCommandLeavesTheOtherCommandsOnItsConnectionAlone) {
  using namespace boost::asio::experimental::awaitable_operators;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    RedisClient client = client_for(ex, rafiki::testing::redis_url());
    auto id = co_await client.command(redis_command("CLIENT", "ID"));
    CO_ASSERT_OK(id);
    const std::string empty_list = unique_key();
    const std::string key = unique_key();
    CO_ASSERT_OK(co_await client.command(redis_command("SET", key, "kept", "PX", "60000")));

    // BLPOP holds the connection for 300 ms; everything sent after it waits behind it.
    Result<RedisReply> blocked, behind;
    auto blocking = [&]() -> awaitable<void> {
      blocked = co_await client.command(redis_command("BLPOP", empty_list, "0.3"));
    };
    auto waiting = [&]() -> awaitable<void> {
      co_await rafiki::testing::sleep_ms(20);
      behind = co_await client.command(redis_command("GET", key));
    };
    auto abandoning = [&]() -> awaitable<void> {
      co_await rafiki::testing::sleep_ms(40);
      asio::steady_timer give_up(ex, std::chrono::milliseconds(50));
      auto first = co_await (client.command(redis_command("PING")) ||
                             give_up.async_wait(asio::use_awaitable));
      EXPECT_EQ(first.index(), 1u);  // the timer won: the PING was cancelled
    };
    co_await (blocking() && waiting() && abandoning());

    CO_ASSERT_OK(blocked);
    EXPECT_EQ(blocked->type, RedisReply::Type::kNil);
    CO_ASSERT_OK(behind);
    EXPECT_EQ(behind->text, "kept");
    auto same = co_await client.command(redis_command("CLIENT", "ID"));
    CO_ASSERT_OK(same);
    EXPECT_EQ(same->integer, id->integer);
    CO_ASSERT_OK(co_await client.command(redis_command("DEL", key)));
  });
}
