// Token buckets for the connector's rate limit (packets per account) and throughput limit
// (amount per account), in exact integer arithmetic: fractions of a token earned between
// packets accumulate instead of being lost (upstream's rate limiter drops them,
// reference/connector.md §4.6). Time is a monotonic millisecond count supplied by the caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "base/money.h"
#include "base/uuid.h"

namespace rafiki::backend::connector {

class TokenBucket {
 public:
  // Starts full. `refill_count` tokens are added per `refill_period_ms`, up to `capacity`.
  TokenBucket(money::u128 capacity, money::u128 refill_count, std::int64_t refill_period_ms,
              std::int64_t now_ms);
  // Takes `tokens` if the bucket holds that many (after refilling to `now_ms`).
  bool take(money::u128 tokens, std::int64_t now_ms);
  bool full(std::int64_t now_ms);

 private:
  void refill(std::int64_t now_ms);
  // Level in 1/refill_period_ms token units, so refills are exact.
  money::u128 level_;
  money::u128 capacity_units_;
  money::u128 refill_count_;
  std::int64_t period_ms_;
  std::int64_t last_ms_;
};

// One bucket per account id, created full on first use. At most kKeysMax buckets: when full,
// buckets that have refilled completely are dropped (a new one would be identical), then the
// oldest-created ones if that is not enough.
class KeyedBuckets {
 public:
  static constexpr std::size_t kKeysMax = 100'000;

  KeyedBuckets(money::u128 capacity, money::u128 refill_count, std::int64_t refill_period_ms);
  bool take(const Uuid& account, money::u128 tokens, std::int64_t now_ms);
  std::size_t size() const;

 private:
  void prune(std::int64_t now_ms);
  money::u128 capacity_, refill_count_;
  std::int64_t period_ms_;
  mutable std::mutex mutex_;
  std::unordered_map<Uuid, TokenBucket> buckets_;
};

}  // namespace rafiki::backend::connector
