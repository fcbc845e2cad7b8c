// Key-value store for what the processes of a deployment share: idempotency keys, locks, short
// caches, rate-limit counters. One interface, two implementations: Redis (store/redis.h), shared
// by every process, and in memory (below), right for a single process and for `make run`.
//
// Every operation is asynchronous and fails as a value: kKvErrorInvalid for a bad argument
// (checked the same way for both implementations), kKvErrorNotInteger when increment finds a
// value that is not a 64-bit integer or would overflow, kKvErrorFull when the in-memory store is
// at its bound, and kKvErrorConnection / kKvErrorTimeout / kKvErrorServer from Redis. Keys and
// values are arbitrary bytes.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/errors.h"

namespace rafiki::store {

constexpr std::size_t kKvKeyBytesMax = 1024;
constexpr std::size_t kKvValueBytesMax = 1024 * 1024;
constexpr std::chrono::milliseconds kKvTtlMax{std::chrono::hours(24 * 366)};
constexpr std::size_t kMemoryKvEntriesMax = 100000;  // default bound of the in-memory store

inline constexpr std::string_view kKvErrorInvalid = "kv.invalid";
inline constexpr std::string_view kKvErrorNotInteger = "kv.not_integer";
inline constexpr std::string_view kKvErrorFull = "kv.full";
inline constexpr std::string_view kKvErrorConnection = "kv.connection";
inline constexpr std::string_view kKvErrorTimeout = "kv.timeout";
inline constexpr std::string_view kKvErrorServer = "kv.server";

// Time to live; nullopt = until removed or overwritten. Must be 1 ms .. kKvTtlMax.
using KvTtl = std::optional<std::chrono::milliseconds>;

class KeyValue {
 public:
  virtual ~KeyValue() = default;

  // The value, or nullopt when the key is absent or expired.
  boost::asio::awaitable<Result<std::optional<std::string>>> get(std::string key);
  // Stores the value, replacing any value and TTL the key had.
  boost::asio::awaitable<Result<void>> set(std::string key, std::string value, KvTtl ttl = {});
  // Stores the value only if the key is absent; true when stored. For locks and idempotency
  // keys, so the TTL is required: a holder that dies cannot keep the key forever.
  boost::asio::awaitable<Result<bool>> set_if_absent(std::string key, std::string value,
                                                     std::chrono::milliseconds ttl);
  // True when the key existed.
  boost::asio::awaitable<Result<bool>> remove(std::string key);
  // Removes the key only while it holds `value` (releasing a lock one still owns); true when
  // removed.
  boost::asio::awaitable<Result<bool>> remove_if_equals(std::string key, std::string value);
  // Gives the key a new TTL only while it holds `value` (renewing a lock one still owns); true
  // when renewed, false when the key is absent, expired or holds another value.
  boost::asio::awaitable<Result<bool>> expire_if_equals(std::string key, std::string value,
                                                        std::chrono::milliseconds ttl);
  // Adds `by` (may be negative) to the integer at key, an absent key counting as 0, and returns
  // the new value. A key this creates gets `ttl_on_create`; an existing key keeps its TTL.
  boost::asio::awaitable<Result<std::int64_t>> increment(std::string key, std::int64_t by = 1,
                                                         KvTtl ttl_on_create = {});
  // Succeeds when the store answers.
  boost::asio::awaitable<Result<void>> ping();

 protected:
  // Called with arguments already checked.
  virtual boost::asio::awaitable<Result<std::optional<std::string>>> do_get(std::string key) = 0;
  virtual boost::asio::awaitable<Result<void>> do_set(std::string key, std::string value,
                                                      KvTtl ttl) = 0;
  virtual boost::asio::awaitable<Result<bool>> do_set_if_absent(std::string key, std::string value,
                                                                std::chrono::milliseconds ttl) = 0;
  virtual boost::asio::awaitable<Result<bool>> do_remove(std::string key) = 0;
  virtual boost::asio::awaitable<Result<bool>> do_remove_if_equals(std::string key,
                                                                   std::string value) = 0;
  virtual boost::asio::awaitable<Result<bool>> do_expire_if_equals(
      std::string key, std::string value, std::chrono::milliseconds ttl) = 0;
  virtual boost::asio::awaitable<Result<std::int64_t>> do_increment(std::string key,
                                                                    std::int64_t by,
                                                                    KvTtl ttl_on_create) = 0;
  virtual boost::asio::awaitable<Result<void>> do_ping() = 0;
};

// The in-memory store: thread-safe, TTLs honoured, at most `entries_max` live keys (a set that
// would go beyond fails with kKvErrorFull once expired keys are purged).
std::shared_ptr<KeyValue> make_memory_key_value(std::size_t entries_max = kMemoryKvEntriesMax);

}  // namespace rafiki::store
