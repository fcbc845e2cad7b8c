// Idempotency keys on Admin API mutations (reference/admin-api.md §7): a mutation whose
// `input.idempotencyKey` is set runs at most once per key — a concurrent request with the same
// key is refused while the first holds the lock, and a later one gets the stored result without
// running again (different arguments or another mutation with the same key is an error). Only
// successful results are stored. Keys live in the shared key-value store (Redis across
// processes), namespaced by tenant so two tenants' keys never meet (upstream shares one space).
// The lock is a lease (GRAPHQL_IDEMPOTENCY_KEY_LOCK_MS) renewed every lease / kLockRenewDivisor
// while the mutation runs, so a slow mutation never loses its lock to a retry that would run it
// a second time (upstream's lock simply expires).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "graphql/schema.h"

namespace rafiki::backend {

struct Backend;

inline constexpr std::string_view kIdempotencyKeyPrefix = "idempotency:";
inline constexpr std::string_view kIdempotencyLockPrefix = "idempotency-lock:";
constexpr std::size_t kIdempotencyKeyBytesMax = 256;
// The lock is renewed this many times per lease, so a renewal delayed by less than two thirds
// of a lease still arrives in time.
constexpr int kIdempotencyLockRenewDivisor = 3;

// Wraps a mutation resolver of `field` (e.g. "createAsset") with the idempotency rules.
graphql::Resolver idempotent(Backend& backend, std::string field, graphql::Resolver resolver);

}  // namespace rafiki::backend
