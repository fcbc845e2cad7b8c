// The KeyValue contract, run against both implementations: in memory and Redis.
#include "store/kv.h"

#include <gtest/gtest.h>

#include <atomic>

#include "base/uuid.h"
#include "store/async_util.h"
#include "store/redis.h"
#include "support/test_env.h"

using namespace rafiki;
using namespace rafiki::store;
using namespace std::chrono_literals;
using rafiki::testing::join_all;
using rafiki::testing::run_async;
using rafiki::testing::sleep_ms;
namespace asio = boost::asio;
using asio::awaitable;

namespace {

struct InMemory {
  static std::shared_ptr<KeyValue> make(asio::any_io_executor) { return make_memory_key_value(); }
};

struct OnRedis {
  static std::shared_ptr<KeyValue> make(asio::any_io_executor ex) {
    auto kv = make_key_value(ex, rafiki::testing::redis_url());
    if (!kv) throw std::runtime_error(kv.error().message);
    return *kv;
  }
};

template <class Store>
class KeyValueTest : public ::testing::Test {
 protected:
  // Keys of this test only, so tests can share one Redis and run in parallel.
  std::string key(std::string_view name) const { return prefix_ + std::string(name); }

  // Runs body(kv) with a fresh store on an io_context of `threads` threads.
  template <class F>
  void with_store(F body, int threads = 1) {
    run_async(
        [&](asio::any_io_executor ex) -> awaitable<void> {
          std::shared_ptr<KeyValue> kv = Store::make(ex);
          co_await body(*kv);
        },
        threads);
  }

 private:
  std::string prefix_ = "test:" + Uuid::v4().str() + ":";
};

using Stores = ::testing::Types<InMemory, OnRedis>;
class StoreNames {
 public:
  template <class T>
  static std::string GetName(int) {
    return std::is_same_v<T, InMemory> ? "InMemory" : "Redis";
  }
};
TYPED_TEST_SUITE(KeyValueTest, Stores, StoreNames);

}  // namespace

TYPED_TEST(KeyValueTest, SetGetAndOverwrite) {
  this->with_store([&](KeyValue& kv) -> awaitable<void> {
    auto missing = co_await kv.get(this->key("a"));
    CO_ASSERT_OK(missing);
    EXPECT_EQ(*missing, std::nullopt);
    CO_ASSERT_OK(co_await kv.set(this->key("a"), "one"));
    CO_ASSERT_OK(co_await kv.set(this->key("a"), "two"));
    auto got = co_await kv.get(this->key("a"));
    CO_ASSERT_OK(got);
    EXPECT_EQ(*got, "two");
    CO_ASSERT_OK(co_await kv.set(this->key("empty"), ""));
    auto empty = co_await kv.get(this->key("empty"));
    CO_ASSERT_OK(empty);
    EXPECT_EQ(*empty, std::optional<std::string>(""));
  });
}

TYPED_TEST(KeyValueTest, KeysAndValuesAreBinarySafe) {
  this->with_store([&](KeyValue& kv) -> awaitable<void> {
    const std::string key = this->key(std::string("k\0\r\n$*", 6));
    const std::string value("\0\xff\r\n-ERR +OK\r\n", 15);
    CO_ASSERT_OK(co_await kv.set(key, value));
    auto got = co_await kv.get(key);
    CO_ASSERT_OK(got);
    EXPECT_EQ(*got, std::optional<std::string>(value));
    const std::string big(kKvValueBytesMax, 'x');
    CO_ASSERT_OK(co_await kv.set(this->key("big"), big));
    auto got_big = co_await kv.get(this->key("big"));
    CO_ASSERT_OK(got_big);
    EXPECT_EQ(got_big->value_or("").size(), kKvValueBytesMax);
  });
}

TYPED_TEST(KeyValueTest, TtlExpiresAndAPlainSetClearsIt) {
  this->with_store([&](KeyValue& kv) -> awaitable<void> {
    CO_ASSERT_OK(co_await kv.set(this->key("short"), "v", 50ms));
    CO_ASSERT_OK(co_await kv.set(this->key("long"), "v", 60s));
    CO_ASSERT_OK(co_await kv.set(this->key("cleared"), "v", 50ms));
    CO_ASSERT_OK(co_await kv.set(this->key("cleared"), "w"));  // no TTL any more
    auto long_lived = co_await kv.get(this->key("long"));
    CO_ASSERT_OK(long_lived);
    EXPECT_EQ(*long_lived, std::optional<std::string>("v"));
    co_await sleep_ms(150);
    auto expired = co_await kv.get(this->key("short"));
    CO_ASSERT_OK(expired);
    EXPECT_EQ(*expired, std::nullopt);
    auto kept = co_await kv.get(this->key("cleared"));
    CO_ASSERT_OK(kept);
    EXPECT_EQ(*kept, std::optional<std::string>("w"));
  });
}

TYPED_TEST(KeyValueTest, RemoveSaysWhetherTheKeyExisted) {
  this->with_store([&](KeyValue& kv) -> awaitable<void> {
    CO_ASSERT_OK(co_await kv.set(this->key("a"), "v"));
    auto first = co_await kv.remove(this->key("a"));
    CO_ASSERT_OK(first);
    EXPECT_TRUE(*first);
    auto second = co_await kv.remove(this->key("a"));
    CO_ASSERT_OK(second);
    EXPECT_FALSE(*second);
    auto gone = co_await kv.get(this->key("a"));
    CO_ASSERT_OK(gone);
    EXPECT_EQ(*gone, std::nullopt);
  });
}

TYPED_TEST(KeyValueTest, SetIfAbsentIsALockThatExpires) {
  this->with_store([&](KeyValue& kv) -> awaitable<void> {
    auto taken = co_await kv.set_if_absent(this->key("lock"), "owner-1", 100ms);
    CO_ASSERT_OK(taken);
    EXPECT_TRUE(*taken);
    auto again = co_await kv.set_if_absent(this->key("lock"), "owner-2", 100ms);
    CO_ASSERT_OK(again);
    EXPECT_FALSE(*again);
    auto holder = co_await kv.get(this->key("lock"));
    CO_ASSERT_OK(holder);
    EXPECT_EQ(*holder, std::optional<std::string>("owner-1"));

    // Only the owner's value releases it.
    auto wrong = co_await kv.remove_if_equals(this->key("lock"), "owner-2");
    CO_ASSERT_OK(wrong);
    EXPECT_FALSE(*wrong);
    auto still = co_await kv.get(this->key("lock"));
    CO_ASSERT_OK(still);
    EXPECT_EQ(*still, std::optional<std::string>("owner-1"));

    co_await sleep_ms(200);  // the holder died: the lock expires
    auto after_expiry = co_await kv.set_if_absent(this->key("lock"), "owner-2", 10s);
    CO_ASSERT_OK(after_expiry);
    EXPECT_TRUE(*after_expiry);
    auto released = co_await kv.remove_if_equals(this->key("lock"), "owner-2");
    CO_ASSERT_OK(released);
    EXPECT_TRUE(*released);
    auto absent = co_await kv.remove_if_equals(this->key("lock"), "owner-2");
    CO_ASSERT_OK(absent);
    EXPECT_FALSE(*absent);
  });
}

TYPED_TEST(KeyValueTest, ExpireIfEqualsRenewsOnlyTheOwnersLock) {
  this->with_store([&](KeyValue& kv) -> awaitable<void> {
    auto taken = co_await kv.set_if_absent(this->key("lease"), "owner-1", 150ms);
    CO_ASSERT_OK(taken);
    EXPECT_TRUE(*taken);
    // Another value does not renew it; the owner's does, again and again past the first TTL.
    auto wrong = co_await kv.expire_if_equals(this->key("lease"), "owner-2", 10s);
    CO_ASSERT_OK(wrong);
    EXPECT_FALSE(*wrong);
    for (int i = 0; i < 3; ++i) {
      co_await sleep_ms(100);
      auto renewed = co_await kv.expire_if_equals(this->key("lease"), "owner-1", 150ms);
      CO_ASSERT_OK(renewed);
      EXPECT_TRUE(*renewed);
    }
    auto held = co_await kv.set_if_absent(this->key("lease"), "owner-2", 150ms);
    CO_ASSERT_OK(held);
    EXPECT_FALSE(*held);
    // Not renewed any more: it expires, and an expired or absent key is not brought back.
    co_await sleep_ms(300);
    auto late = co_await kv.expire_if_equals(this->key("lease"), "owner-1", 10s);
    CO_ASSERT_OK(late);
    EXPECT_FALSE(*late);
    auto gone = co_await kv.get(this->key("lease"));
    CO_ASSERT_OK(gone);
    EXPECT_EQ(*gone, std::nullopt);
    auto bad_ttl = co_await kv.expire_if_equals(this->key("lease"), "owner-1", 0ms);
    EXPECT_FALSE(bad_ttl.has_value());
  });
}

TYPED_TEST(KeyValueTest, IncrementCountsFromZeroAndKeepsTheFirstTtl) {
  this->with_store([&](KeyValue& kv) -> awaitable<void> {
    auto one = co_await kv.increment(this->key("n"));
    CO_ASSERT_OK(one);
    EXPECT_EQ(*one, 1);
    auto six = co_await kv.increment(this->key("n"), 5);
    CO_ASSERT_OK(six);
    EXPECT_EQ(*six, 6);
    auto minus = co_await kv.increment(this->key("n"), -10);
    CO_ASSERT_OK(minus);
    EXPECT_EQ(*minus, -4);
    auto text = co_await kv.get(this->key("n"));
    CO_ASSERT_OK(text);
    EXPECT_EQ(*text, std::optional<std::string>("-4"));

    // A window counter: the TTL is set when the key is created and not pushed back after.
    auto w1 = co_await kv.increment(this->key("window"), 1, 100ms);
    CO_ASSERT_OK(w1);
    EXPECT_EQ(*w1, 1);
    co_await sleep_ms(60);
    auto w2 = co_await kv.increment(this->key("window"), 1, 100ms);
    CO_ASSERT_OK(w2);
    EXPECT_EQ(*w2, 2);
    co_await sleep_ms(100);  // 160 ms after creation: gone, though touched 100 ms ago
    auto fresh = co_await kv.increment(this->key("window"), 1, 10s);
    CO_ASSERT_OK(fresh);
    EXPECT_EQ(*fresh, 1);
  });
}

TYPED_TEST(KeyValueTest, IncrementRefusesNonIntegersAndOverflow) {
  this->with_store([&](KeyValue& kv) -> awaitable<void> {
    CO_ASSERT_OK(co_await kv.set(this->key("word"), "ten"));
    auto word = co_await kv.increment(this->key("word"));
    CO_ASSERT(!word);
    EXPECT_EQ(word.error().code, kKvErrorNotInteger) << word.error().message;
    auto with_ttl = co_await kv.increment(this->key("word"), 1, 10s);
    CO_ASSERT(!with_ttl);
    EXPECT_EQ(with_ttl.error().code, kKvErrorNotInteger) << with_ttl.error().message;
    for (const char* bad : {" 1", "1 ", "+1", "01", "1.5", ""}) {
      CO_ASSERT_OK(co_await kv.set(this->key("bad"), bad));
      auto r = co_await kv.increment(this->key("bad"));
      EXPECT_FALSE(r.has_value()) << "'" << bad << "'";
    }
    CO_ASSERT_OK(co_await kv.set(this->key("max"), "9223372036854775807"));
    auto overflow = co_await kv.increment(this->key("max"));
    CO_ASSERT(!overflow);
    EXPECT_EQ(overflow.error().code, kKvErrorNotInteger);
    auto unchanged = co_await kv.get(this->key("max"));
    CO_ASSERT_OK(unchanged);
    EXPECT_EQ(*unchanged, std::optional<std::string>("9223372036854775807"));
  });
}

TYPED_TEST(KeyValueTest, BadArgumentsAreRefusedAlike) {
  this->with_store([&](KeyValue& kv) -> awaitable<void> {
    auto empty_key = co_await kv.get("");
    CO_ASSERT(!empty_key);
    EXPECT_EQ(empty_key.error().code, kKvErrorInvalid);
    auto long_key = co_await kv.set(std::string(kKvKeyBytesMax + 1, 'k'), "v");
    CO_ASSERT(!long_key);
    EXPECT_EQ(long_key.error().code, kKvErrorInvalid);
    auto big_value = co_await kv.set(this->key("v"), std::string(kKvValueBytesMax + 1, 'v'));
    CO_ASSERT(!big_value);
    EXPECT_EQ(big_value.error().code, kKvErrorInvalid);
    auto zero_ttl = co_await kv.set(this->key("v"), "v", 0ms);
    CO_ASSERT(!zero_ttl);
    EXPECT_EQ(zero_ttl.error().code, kKvErrorInvalid);
    auto negative_ttl = co_await kv.set_if_absent(this->key("v"), "v", -5ms);
    CO_ASSERT(!negative_ttl);
    EXPECT_EQ(negative_ttl.error().code, kKvErrorInvalid);
    auto huge_ttl = co_await kv.increment(this->key("v"), 1, kKvTtlMax + 1ms);
    CO_ASSERT(!huge_ttl);
    EXPECT_EQ(huge_ttl.error().code, kKvErrorInvalid);
    // Nothing was stored by any of those.
    auto nothing = co_await kv.get(this->key("v"));
    CO_ASSERT_OK(nothing);
    EXPECT_EQ(*nothing, std::nullopt);
    CO_ASSERT_OK(co_await kv.ping());
  });
}

TYPED_TEST(KeyValueTest, ConcurrentIncrementsFromManyCoroutinesAreExact) {
  this->with_store(
      [&](KeyValue& kv) -> awaitable<void> {
        auto bump = [](KeyValue* kv, std::string key) -> awaitable<void> {
          for (int i = 0; i < 10; ++i) {
            auto r = co_await kv->increment(key, 1, 60s);
            EXPECT_TRUE(r.has_value());
          }
        };
        std::vector<awaitable<void>> tasks;
        for (int i = 0; i < 50; ++i) tasks.push_back(bump(&kv, this->key("counter")));
        co_await join_all(std::move(tasks));
        auto total = co_await kv.get(this->key("counter"));
        CO_ASSERT_OK(total);
        EXPECT_EQ(*total, std::optional<std::string>("500"));
      },
      2);
}

TEST(MemoryKeyValue, HoldsAtMostItsBoundOfLiveKeys) {
  run_async([&](asio::any_io_executor) -> awaitable<void> {
    auto kv = make_memory_key_value(3);
    CO_ASSERT_OK(co_await kv->set("a", "1"));
    CO_ASSERT_OK(co_await kv->set("b", "2"));
    CO_ASSERT_OK(co_await kv->set("c", "3", 30ms));
    auto full = co_await kv->set("d", "4");
    CO_ASSERT(!full);
    EXPECT_EQ(full.error().code, kKvErrorFull);
    auto full_counter = co_await kv->increment("d");
    CO_ASSERT(!full_counter);
    EXPECT_EQ(full_counter.error().code, kKvErrorFull);
    CO_ASSERT_OK(co_await kv->set("a", "overwrite is fine"));
    co_await sleep_ms(60);  // "c" expires and its place is reused
    CO_ASSERT_OK(co_await kv->set("d", "4"));
    auto removed = co_await kv->remove("a");
    CO_ASSERT_OK(removed);
    CO_ASSERT_OK(co_await kv->set("e", "5"));
  });
}
