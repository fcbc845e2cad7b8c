// All SQL on the webhook domain's tables (migrations/backend/0006_webhooks.sql): storing events
// with their deliveries, listing events as Relay pages, and the worker's claim-then-record cycle.
// Rows in, domain types out; nothing here decides anything.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "backend/webhook/model.h"
#include "base/errors.h"
#include "store/pg.h"

namespace rafiki::backend::webhook {

// A delivery a worker has claimed: the lease holder is whoever knows claim_id.
struct ClaimedDelivery {
  Uuid delivery_id;
  Uuid claim_id;
  Uuid recipient_tenant_id;
  std::int32_t attempts = 0;  // before this attempt
  Uuid event_id;
  std::string event_type;
  boost::json::object event_data;
};

// Outcome of one attempt, recorded by the holder of the claim.
struct AttemptOutcome {
  bool delivered = false;
  std::optional<int> status_code;
  std::optional<std::string> error;
};

class WebhookStore {
 public:
  explicit WebhookStore(store::PgPool pg) : pg_(std::move(pg)) {}

  // One statement: the event with `data` (its JSON text) unless an event with that id exists
  // (then nothing), and one pending delivery per recipient, due now. On a connection of the pool.
  boost::asio::awaitable<Result<void>> insert(const NewEvent& event, const Uuid& id,
                                              std::string data,
                                              const std::vector<Uuid>& recipients);
  // The same on `conn`, inside the transaction the caller has open on it.
  static boost::asio::awaitable<Result<void>> insert(store::PgConn& conn, const NewEvent& event,
                                                     const Uuid& id, std::string data,
                                                     const std::vector<Uuid>& recipients);

  boost::asio::awaitable<Result<std::optional<Event>>> find(const Uuid& id,
                                                            std::optional<Uuid> tenant_id);
  // Assumes the arguments were validated (page size within bounds).
  boost::asio::awaitable<Result<EventPage>> page(const ListQuery& query, int limit);
  boost::asio::awaitable<Result<std::vector<Delivery>>> deliveries(const Uuid& event_id);

  // Claims up to `limit` due pending deliveries (FOR UPDATE SKIP LOCKED) and leases them: their
  // process_at moves to now + lease and they get a fresh claim id, committed before this
  // returns, so no other worker takes them until the lease ends.
  boost::asio::awaitable<Result<std::vector<ClaimedDelivery>>> claim_due(
      int limit, std::chrono::milliseconds lease);
  // Moves the lease's end to now + lease if the claim still holds (false when it does not).
  boost::asio::awaitable<Result<bool>> extend_lease(const ClaimedDelivery& claimed,
                                                    std::chrono::milliseconds lease);
  // Marks the delivery failed without another attempt (it already had all it may have), if the
  // claim still holds.
  boost::asio::awaitable<Result<bool>> give_up(const ClaimedDelivery& claimed);
  // Records an attempt if the claim still holds (false when another worker has since taken the
  // delivery over). A failure is retried after min(attempts, backoff_steps_max) × base_delay,
  // or marks the delivery failed once it has had max_attempts attempts.
  boost::asio::awaitable<Result<bool>> record(const ClaimedDelivery& claimed,
                                              const AttemptOutcome& outcome, int max_attempts,
                                              std::chrono::milliseconds base_delay,
                                              int backoff_steps_max);

 private:
  store::PgPool pg_;
};

}  // namespace rafiki::backend::webhook
