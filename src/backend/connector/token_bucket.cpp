#include "backend/connector/token_bucket.h"

#include <algorithm>

namespace rafiki::backend::connector {

TokenBucket::TokenBucket(money::u128 capacity, money::u128 refill_count,
                         std::int64_t refill_period_ms, std::int64_t now_ms)
    : refill_count_(refill_count),
      period_ms_(std::max<std::int64_t>(refill_period_ms, 1)),
      last_ms_(now_ms) {
  // capacity · period saturates rather than wraps (capacities are u64 amounts at most).
  auto units = money::mul(capacity, static_cast<money::u128>(period_ms_));
  capacity_units_ = units ? *units : money::kU128Max;
  level_ = capacity_units_;
}

void TokenBucket::refill(std::int64_t now_ms) {
  if (now_ms <= last_ms_) return;  // clocks going backwards add nothing
  auto elapsed = static_cast<money::u128>(now_ms - last_ms_);
  last_ms_ = now_ms;
  auto added = money::mul(elapsed, refill_count_);
  auto level = added ? money::add(level_, *added) : std::nullopt;
  level_ = level ? std::min(*level, capacity_units_) : capacity_units_;
}

bool TokenBucket::take(money::u128 tokens, std::int64_t now_ms) {
  refill(now_ms);
  auto units = money::mul(tokens, static_cast<money::u128>(period_ms_));
  if (!units || *units > level_) return false;
  level_ -= *units;
  return true;
}

bool TokenBucket::full(std::int64_t now_ms) {
  refill(now_ms);
  return level_ == capacity_units_;
}

KeyedBuckets::KeyedBuckets(money::u128 capacity, money::u128 refill_count,
                           std::int64_t refill_period_ms)
    : capacity_(capacity), refill_count_(refill_count), period_ms_(refill_period_ms) {}

bool KeyedBuckets::take(const Uuid& key, money::u128 tokens, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= kKeysMax) prune(now_ms);
    it = buckets_
             .emplace(key, TokenBucket(capacity_, refill_count_, period_ms_, now_ms))
             .first;
  }
  return it->second.take(tokens, now_ms);
}

void KeyedBuckets::prune(std::int64_t now_ms) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    it = it->second.full(now_ms) ? buckets_.erase(it) : std::next(it);
  }
  // Still full: every account is busy; drop arbitrary ones (they restart full) to stay bounded.
  while (buckets_.size() >= kKeysMax) buckets_.erase(buckets_.begin());
}

std::size_t KeyedBuckets::size() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

}  // namespace rafiki::backend::connector
