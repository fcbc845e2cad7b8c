// The in-memory KeyValue: one map under a mutex. Expired keys are dropped when touched and,
// when the map is at its bound, swept before a new key is refused.
#include <charconv>
#include <mutex>
#include <unordered_map>

#include <fmt/format.h>

#include "store/kv.h"

namespace rafiki::store {
namespace {

using boost::asio::awaitable;
using Clock = std::chrono::steady_clock;

struct Entry {
  std::string value;
  std::optional<Clock::time_point> expires_at;
};

std::optional<Clock::time_point> deadline_of(const KvTtl& ttl) {
  if (!ttl) return std::nullopt;
  return Clock::now() + *ttl;
}

// Integers as Redis reads them: optional '-', digits, no spaces, no '+', no leading zeros.
std::optional<std::int64_t> parse_integer(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  std::string_view digits = text.front() == '-' ? text.substr(1) : text;
  if (digits.empty() || (digits.size() > 1 && digits.front() == '0')) return std::nullopt;
  if (text == "-0") return std::nullopt;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

class MemoryKeyValue final : public KeyValue {
 public:
  explicit MemoryKeyValue(std::size_t entries_max) : entries_max_(entries_max) {}

 protected:
  awaitable<Result<std::optional<std::string>>> do_get(std::string key) override {
    std::lock_guard lock(mutex_);
    Entry* e = live(key);
    co_return e ? std::optional<std::string>(e->value) : std::nullopt;
  }

  awaitable<Result<void>> do_set(std::string key, std::string value, KvTtl ttl) override {
    std::lock_guard lock(mutex_);
    co_return put(std::move(key), Entry{std::move(value), deadline_of(ttl)});
  }

  awaitable<Result<bool>> do_set_if_absent(std::string key, std::string value,
                                           std::chrono::milliseconds ttl) override {
    std::lock_guard lock(mutex_);
    if (live(key) != nullptr) co_return false;
    Result<void> stored = put(std::move(key), Entry{std::move(value), deadline_of(ttl)});
    if (!stored) co_return std::unexpected(stored.error());
    co_return true;
  }

  awaitable<Result<bool>> do_remove(std::string key) override {
    std::lock_guard lock(mutex_);
    bool existed = live(key) != nullptr;
    map_.erase(key);
    co_return existed;
  }

  awaitable<Result<bool>> do_remove_if_equals(std::string key, std::string value) override {
    std::lock_guard lock(mutex_);
    Entry* e = live(key);
    if (e == nullptr || e->value != value) co_return false;
    map_.erase(key);
    co_return true;
  }

  awaitable<Result<bool>> do_expire_if_equals(std::string key, std::string value,
                                              std::chrono::milliseconds ttl) override {
    std::lock_guard lock(mutex_);
    Entry* e = live(key);
    if (e == nullptr || e->value != value) co_return false;
    e->expires_at = deadline_of(ttl);
    co_return true;
  }

  awaitable<Result<std::int64_t>> do_increment(std::string key, std::int64_t by,
                                               KvTtl ttl_on_create) override {
    std::lock_guard lock(mutex_);
    Entry* e = live(key);
    std::int64_t current = 0;
    if (e != nullptr) {
      auto parsed = parse_integer(e->value);
      if (!parsed) co_return not_integer("value is not an integer");
      current = *parsed;
    }
    std::int64_t next = 0;
    if (__builtin_add_overflow(current, by, &next)) {
      co_return not_integer("increment would overflow");
    }
    if (e != nullptr) {
      e->value = std::to_string(next);
      co_return next;
    }
    Result<void> stored =
        put(std::move(key), Entry{std::to_string(next), deadline_of(ttl_on_create)});
    if (!stored) co_return std::unexpected(stored.error());
    co_return next;
  }

  awaitable<Result<void>> do_ping() override { co_return Result<void>{}; }

 private:
  static std::unexpected<Error> not_integer(const char* message) {
    return fail(std::string(kKvErrorNotInteger), message);
  }

  // The entry at key if it has not expired (an expired one is dropped). Caller holds mutex_.
  Entry* live(const std::string& key) {
    auto it = map_.find(key);
    if (it == map_.end()) return nullptr;
    if (it->second.expires_at && *it->second.expires_at <= Clock::now()) {
      map_.erase(it);
      return nullptr;
    }
    return &it->second;
  }

  // Caller holds mutex_.
  Result<void> put(std::string key, Entry entry) {
    auto it = map_.find(key);
    if (it != map_.end()) {
      it->second = std::move(entry);
      return {};
    }
    if (map_.size() >= entries_max_) {
      auto now = Clock::now();
      std::erase_if(map_, [&](const auto& kv) {
        return kv.second.expires_at && *kv.second.expires_at <= now;
      });
      if (map_.size() >= entries_max_) {
        return fail(std::string(kKvErrorFull),
                    fmt::format("in-memory store holds its maximum of {} keys", entries_max_));
      }
    }
    map_.emplace(std::move(key), std::move(entry));
    return {};
  }

  const std::size_t entries_max_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> map_;
};

}  // namespace

std::shared_ptr<KeyValue> make_memory_key_value(std::size_t entries_max) {
  return std::make_shared<MemoryKeyValue>(entries_max);
}

}  // namespace rafiki::store
