#include "backend/core/idempotency.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include "backend/core/admin.h"
#include "backend/core/backend.h"

namespace rafiki::backend {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// Renews the lock `lock` (holding `token`) every lease / kIdempotencyLockRenewDivisor until
// cancelled. Never returns on its own: returning would cancel the mutation beside it.
asio::awaitable<void> keep_lock(std::shared_ptr<store::KeyValue> kv, std::string lock,
                                std::string token, std::chrono::milliseconds lease) {
  const auto every = std::max(std::chrono::milliseconds(1), lease / kIdempotencyLockRenewDivisor);
  asio::steady_timer timer(co_await asio::this_coro::executor);
  bool lost = false;
  for (;;) {
    timer.expires_after(every);
    co_await timer.async_wait(asio::use_awaitable);
    auto renewed = co_await kv->expire_if_equals(lock, token, lease);
    if (!renewed) {
      spdlog::warn("idempotency: renewing a lock failed: {}", renewed.error().message);
    } else if (!*renewed && !lost) {
      lost = true;
      spdlog::error("idempotency: the lock {} was lost while its mutation ran", lock);
    }
  }
}

// Runs the resolver while its lock is kept.
asio::awaitable<graphql::FieldResult> run_locked(const graphql::Resolver& resolver,
                                                 const graphql::ResolveInfo& info,
                                                 std::shared_ptr<store::KeyValue> kv,
                                                 std::string lock, std::string token,
                                                 std::chrono::milliseconds lease) {
  auto executor = co_await asio::this_coro::executor;
  auto [order, resolver_error, result, keeper_error] =
      co_await asio::experimental::make_parallel_group(
          asio::co_spawn(executor, resolver(info), asio::deferred),
          asio::co_spawn(executor, keep_lock(std::move(kv), std::move(lock), std::move(token), lease),
                         asio::deferred))
          .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
  (void)order;
  (void)keeper_error;
  if (resolver_error) std::rethrow_exception(resolver_error);
  co_return std::move(result);
}

}  // namespace

graphql::Resolver idempotent(Backend& backend, std::string field, graphql::Resolver resolver) {
  return [&backend, field = std::move(field), resolver = std::move(resolver)](
             const graphql::ResolveInfo& info) -> asio::awaitable<graphql::FieldResult> {
    auto key_text = string_member(input_argument(info), "idempotencyKey");
    if (!key_text || key_text->empty()) co_return co_await resolver(info);
    if (key_text->size() > kIdempotencyKeyBytesMax) {
      co_return field_error(code::kBadUserInput, "idempotencyKey is too long");
    }
    const std::string user_key(*key_text);
    const std::string scope = admin_context(info).tenant_id.str() + ":" + user_key;
    const std::string key = std::string(kIdempotencyKeyPrefix) + scope;
    const std::string lock = std::string(kIdempotencyLockPrefix) + scope;
    const auto lock_ttl = std::chrono::milliseconds(backend.config.graphql_idempotency_key_lock_ms);
    const auto ttl = std::chrono::milliseconds(backend.config.graphql_idempotency_key_ttl_ms);

    const std::string token = Uuid::v4().str();
    auto locked = co_await backend.kv->set_if_absent(lock, token, lock_ttl);
    if (!locked) co_return internal_error(locked.error());
    if (!*locked) {
      co_return field_error(code::kInternal, "Concurrent request for idempotencyKey: " + user_key);
    }
    // Compare arguments as JSON values (key order does not matter to json::value ==).
    const json::value params(info.arguments);
    graphql::FieldResult result;
    bool done = false;
    auto cached = co_await backend.kv->get(key);
    if (!cached) {
      result = internal_error(cached.error());
      done = true;
    } else if (*cached) {
      boost::system::error_code ec;
      json::value stored = json::parse(**cached, ec);
      const json::object* entry = ec ? nullptr : stored.if_object();
      const json::value* op = entry ? entry->if_contains("operationName") : nullptr;
      const json::value* args = entry ? entry->if_contains("requestParams") : nullptr;
      const json::value* value = entry ? entry->if_contains("requestResult") : nullptr;
      if (!op || !args || !value) {
        co_await backend.kv->remove(key);  // unreadable: forget it and run the request
      } else if (*op != json::value(field) || *args != params) {
        result = field_error(code::kInternal,
                             "Incoming arguments are different than the original request for "
                             "idempotencyKey: " +
                                 user_key);
        done = true;
      } else {
        result = *value;
        done = true;
      }
    }
    if (!done) {
      result = co_await run_locked(resolver, info, backend.kv, lock, token, lock_ttl);
      if (result) {
        json::object entry;
        entry["requestResult"] = *result;
        entry["requestParams"] = params;
        entry["operationName"] = field;
        auto stored = co_await backend.kv->set(key, json::serialize(entry), ttl);
        if (!stored) {
          spdlog::warn("idempotency: could not store the result for a key: {}",
                       stored.error().message);
        }
      }
    }
    co_await backend.kv->remove_if_equals(lock, token);
    co_return result;
  };
}

}  // namespace rafiki::backend
