// The argument checks every KeyValue implementation shares.
#include "store/kv.h"

#include <fmt/format.h>

namespace rafiki::store {

using boost::asio::awaitable;

namespace {

std::unexpected<Error> invalid(std::string message) {
  return fail(std::string(kKvErrorInvalid), std::move(message));
}

Result<void> check_key(const std::string& key) {
  if (key.empty()) return invalid("key is empty");
  if (key.size() > kKvKeyBytesMax) {
    return invalid(fmt::format("key is longer than {} bytes", kKvKeyBytesMax));
  }
  return {};
}

Result<void> check_value(const std::string& value) {
  if (value.size() > kKvValueBytesMax) {
    return invalid(fmt::format("value is longer than {} bytes", kKvValueBytesMax));
  }
  return {};
}

Result<void> check_ttl(std::chrono::milliseconds ttl) {
  if (ttl.count() < 1 || ttl > kKvTtlMax) {
    return invalid(fmt::format("TTL must be 1..{} ms", kKvTtlMax.count()));
  }
  return {};
}

Result<void> check_ttl(const KvTtl& ttl) {
  return ttl ? check_ttl(*ttl) : Result<void>{};
}

}  // namespace

awaitable<Result<std::optional<std::string>>> KeyValue::get(std::string key) {
  if (auto ok = check_key(key); !ok) co_return std::unexpected(ok.error());
  co_return co_await do_get(std::move(key));
}

awaitable<Result<void>> KeyValue::set(std::string key, std::string value, KvTtl ttl) {
  if (auto ok = check_key(key); !ok) co_return ok;
  if (auto ok = check_value(value); !ok) co_return ok;
  if (auto ok = check_ttl(ttl); !ok) co_return ok;
  co_return co_await do_set(std::move(key), std::move(value), ttl);
}

awaitable<Result<bool>> KeyValue::set_if_absent(std::string key, std::string value,
                                                std::chrono::milliseconds ttl) {
  if (auto ok = check_key(key); !ok) co_return std::unexpected(ok.error());
  if (auto ok = check_value(value); !ok) co_return std::unexpected(ok.error());
  if (auto ok = check_ttl(ttl); !ok) co_return std::unexpected(ok.error());
  co_return co_await do_set_if_absent(std::move(key), std::move(value), ttl);
}

awaitable<Result<bool>> KeyValue::remove(std::string key) {
  if (auto ok = check_key(key); !ok) co_return std::unexpected(ok.error());
  co_return co_await do_remove(std::move(key));
}

awaitable<Result<bool>> KeyValue::remove_if_equals(std::string key, std::string value) {
  if (auto ok = check_key(key); !ok) co_return std::unexpected(ok.error());
  if (auto ok = check_value(value); !ok) co_return std::unexpected(ok.error());
  co_return co_await do_remove_if_equals(std::move(key), std::move(value));
}

awaitable<Result<bool>> KeyValue::expire_if_equals(std::string key, std::string value,
                                                   std::chrono::milliseconds ttl) {
  if (auto ok = check_key(key); !ok) co_return std::unexpected(ok.error());
  if (auto ok = check_value(value); !ok) co_return std::unexpected(ok.error());
  if (auto ok = check_ttl(ttl); !ok) co_return std::unexpected(ok.error());
  co_return co_await do_expire_if_equals(std::move(key), std::move(value), ttl);
}

awaitable<Result<std::int64_t>> KeyValue::increment(std::string key, std::int64_t by,
                                                    KvTtl ttl_on_create) {
  if (auto ok = check_key(key); !ok) co_return std::unexpected(ok.error());
  if (auto ok = check_ttl(ttl_on_create); !ok) co_return std::unexpected(ok.error());
  co_return co_await do_increment(std::move(key), by, ttl_on_create);
}

awaitable<Result<void>> KeyValue::ping() {
  co_return co_await do_ping();
}

}  // namespace rafiki::store
