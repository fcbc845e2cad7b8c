// KeyValue on Redis: one command per operation, a Lua script where two steps must be atomic.
#include <fmt/format.h>

#include "store/redis.h"

namespace rafiki::store {
namespace {

using boost::asio::awaitable;
using Type = RedisReply::Type;

// Deletes KEYS[1] only while it holds ARGV[1].
constexpr const char* kRemoveIfEqualsScript =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end "
    "return 0";
// PEXPIREs KEYS[1] by ARGV[2] ms only while it holds ARGV[1].
constexpr const char* kExpireIfEqualsScript =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], "
    "ARGV[2]) end return 0";
// INCRBY that gives a key it creates a TTL of ARGV[2] ms.
constexpr const char* kIncrementWithTtlScript =
    "local created = redis.call('EXISTS', KEYS[1]) == 0 "
    "local value = redis.call('INCRBY', KEYS[1], ARGV[1]) "
    "if created then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end "
    "return value";

std::unexpected<Error> unexpected_reply(std::string_view command) {
  return fail(std::string(kKvErrorServer), fmt::format("unexpected Redis reply to {}", command));
}

// Redis words an INCRBY on a non-integer or an overflow as an ERR reply; the interface has a
// code of its own for that.
Error integer_error(Error e) {
  if (e.code == kKvErrorServer && (e.message.find("not an integer") != std::string::npos ||
                                   e.message.find("overflow") != std::string::npos)) {
    e.code = std::string(kKvErrorNotInteger);
  }
  return e;
}

class RedisKeyValue final : public KeyValue {
 public:
  explicit RedisKeyValue(RedisClient client) : client_(std::move(client)) {}

 protected:
  awaitable<Result<std::optional<std::string>>> do_get(std::string key) override {
    auto r = co_await client_.command(redis_command("GET", std::move(key)));
    if (!r) co_return std::unexpected(r.error());
    if (r->type == Type::kNil) co_return std::nullopt;
    if (r->type != Type::kString) co_return unexpected_reply("GET");
    co_return std::move(r->text);
  }

  awaitable<Result<void>> do_set(std::string key, std::string value, KvTtl ttl) override {
    std::vector<std::string> args = redis_command("SET", std::move(key), std::move(value));
    if (ttl) {
      args.push_back("PX");
      args.push_back(std::to_string(ttl->count()));
    }
    auto r = co_await client_.command(std::move(args));
    if (!r) co_return std::unexpected(r.error());
    if (r->type != Type::kStatus) co_return unexpected_reply("SET");
    co_return Result<void>{};
  }

  awaitable<Result<bool>> do_set_if_absent(std::string key, std::string value,
                                           std::chrono::milliseconds ttl) override {
    auto r = co_await client_.command(redis_command("SET", std::move(key), std::move(value), "PX",
                                                    std::to_string(ttl.count()), "NX"));
    if (!r) co_return std::unexpected(r.error());
    if (r->type == Type::kNil) co_return false;
    if (r->type != Type::kStatus) co_return unexpected_reply("SET NX");
    co_return true;
  }

  awaitable<Result<bool>> do_remove(std::string key) override {
    auto r = co_await client_.command(redis_command("DEL", std::move(key)));
    if (!r) co_return std::unexpected(r.error());
    if (r->type != Type::kInteger) co_return unexpected_reply("DEL");
    co_return r->integer > 0;
  }

  awaitable<Result<bool>> do_remove_if_equals(std::string key, std::string value) override {
    auto r = co_await client_.command(
        redis_command("EVAL", kRemoveIfEqualsScript, "1", std::move(key), std::move(value)));
    if (!r) co_return std::unexpected(r.error());
    if (r->type != Type::kInteger) co_return unexpected_reply("EVAL");
    co_return r->integer > 0;
  }

  awaitable<Result<bool>> do_expire_if_equals(std::string key, std::string value,
                                              std::chrono::milliseconds ttl) override {
    auto r = co_await client_.command(redis_command("EVAL", kExpireIfEqualsScript, "1",
                                                    std::move(key), std::move(value),
                                                    std::to_string(ttl.count())));
    if (!r) co_return std::unexpected(r.error());
    if (r->type != Type::kInteger) co_return unexpected_reply("EVAL");
    co_return r->integer > 0;
  }

  awaitable<Result<std::int64_t>> do_increment(std::string key, std::int64_t by,
                                               KvTtl ttl_on_create) override {
    std::vector<std::string> args;
    if (ttl_on_create) {
      args = redis_command("EVAL", kIncrementWithTtlScript, "1", std::move(key), std::to_string(by),
                           std::to_string(ttl_on_create->count()));
    } else {
      args = redis_command("INCRBY", std::move(key), std::to_string(by));
    }
    auto r = co_await client_.command(std::move(args));
    if (!r) co_return std::unexpected(integer_error(std::move(r.error())));
    if (r->type != Type::kInteger) co_return unexpected_reply("INCRBY");
    co_return r->integer;
  }

  awaitable<Result<void>> do_ping() override {
    auto r = co_await client_.command(redis_command("PING"));
    if (!r) co_return std::unexpected(r.error());
    if (r->type != Type::kStatus || r->text != "PONG") co_return unexpected_reply("PING");
    co_return Result<void>{};
  }

 private:
  RedisClient client_;
};

}  // namespace

std::shared_ptr<KeyValue> make_redis_key_value(RedisClient client) {
  return std::make_shared<RedisKeyValue>(std::move(client));
}

Result<std::shared_ptr<KeyValue>> make_key_value(boost::asio::any_io_executor executor,
                                                 std::string_view redis_url) {
  if (redis_url.empty()) return make_memory_key_value();
  auto client = RedisClient::create(std::move(executor), redis_url);
  if (!client) return std::unexpected(client.error());
  return make_redis_key_value(std::move(*client));
}

}  // namespace rafiki::store
