// The webhook service: emits events (stored with one delivery row per recipient, inside the
// caller's transaction when it has one) and runs the delivery worker, which POSTs
// {"id","type","data"} to each recipient's webhook URL with upstream's Rafiki-Signature header,
// retries with back-off and gives up after a bounded number of attempts
// (reference/payments.md §6). Any number of workers in any number of processes may run at
// once: a delivery is claimed durably (a lease in the row) before it is sent, so it is never
// sent twice at the same time, and a crash mid-delivery leads to a retry once the lease ends.
// Uses its store and the tenant domain (recipients' settings and API secrets).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "backend/core/domain_error.h"
#include "backend/webhook/model.h"
#include "backend/webhook/store.h"
#include "base/errors.h"
#include "net/client.h"
#include "store/pg.h"

namespace rafiki::backend {
struct Config;
}
namespace rafiki::backend::tenant {
class TenantService;
}

namespace rafiki::backend::webhook {

struct WebhookSettings {
  Uuid operator_tenant_id;
  bool send_tenant_webhooks_to_operator = false;  // SEND_TENANT_WEBHOOKS_TO_OPERATOR
  std::string webhook_url;                        // WEBHOOK_URL
  std::chrono::milliseconds timeout{2'000};       // WEBHOOK_TIMEOUT
  int max_attempts = 10;                          // WEBHOOK_MAX_RETRY
  std::optional<std::string> signature_secret;    // SIGNATURE_SECRET
  int signature_version = 1;                      // SIGNATURE_VERSION
  std::chrono::milliseconds idle{200};            // WEBHOOK_WORKER_IDLE
  int workers = 1;                                // WEBHOOK_WORKERS
  // TENANT_OUTBOUND_ALLOW_PRIVATE: a non-operator tenant's own WEBHOOK_URL may reach loopback
  // and private addresses (never link-local or metadata ones; backend/core/outbound.h).
  bool tenant_urls_allow_private = false;
  std::chrono::milliseconds retry_base_delay = kRetryBaseDelayDefault;
  // Time the HTTP client may take to connect (its ClientOptions::connect_timeout_ms); part of
  // the claim lease.
  std::chrono::milliseconds connect_timeout{net::kClientConnectTimeoutMsDefault};

  static WebhookSettings from_config(const Config& config);
};

// The Rafiki-Signature header value for a delivery body {"id","type","data"} (any JSON text of
// it: the HMAC covers its canonical form): "t=<ms>, v<version>=<hex HMAC-SHA256 of
// '<ms>.<canonical JSON>'>". Fails when `body` is not JSON.
Result<std::string> sign_delivery(std::string_view secret, int version, std::int64_t timestamp_ms,
                                  std::string_view body);

// The key deliveries to a non-operator tenant's own WEBHOOK_URL are signed with: the lowercase
// hex HMAC-SHA256 of kTenantSignatureKeyLabel under the tenant's API secret (UTF-8 bytes), used
// like SIGNATURE_SECRET (its 64 ASCII characters are the HMAC key). Only the tenant and the
// operator know the API secret, so no other tenant can sign that tenant's deliveries; the
// derivation is one-way, so a leaked webhook key does not open the Admin API. Rotating the API
// secret rotates the key.
std::string tenant_signature_key(std::string_view api_secret);

// Where and how deliveries to one tenant go.
struct RecipientSettings {
  std::string url;
  // True when `url` is the tenant's own WEBHOOK_URL setting, false for the process's
  // WEBHOOK_URL (the operator's endpoint).
  bool url_is_tenants = false;
  std::chrono::milliseconds timeout{0};
  int max_attempts = 0;
};

// A tenant's non-deleted settings as (key, value) pairs.
using TenantSettingsLookup =
    std::function<boost::asio::awaitable<Result<std::vector<std::pair<std::string, std::string>>>>(
        Uuid)>;

// A tenant's API secret; nullopt when the tenant does not exist or is deleted.
using TenantSecretLookup =
    std::function<boost::asio::awaitable<Result<std::optional<std::string>>>(Uuid)>;

// What deliveries read about their recipient tenants. The backend's come from
// tenant::TenantService (its settings() and credentials()); tests bring their own.
struct TenantLookups {
  // Tenants' WEBHOOK_URL / WEBHOOK_TIMEOUT / WEBHOOK_MAX_RETRY settings. Empty (or for a setting
  // a tenant lacks or that is not valid): the process's configuration applies.
  TenantSettingsLookup settings;
  // Tenants' API secrets, from which the signing key of deliveries to a non-operator tenant's
  // own WEBHOOK_URL is derived (tenant_signature_key). Empty: such deliveries are not sent (each
  // attempt fails: they must never go out unsigned or signed with SIGNATURE_SECRET).
  TenantSecretLookup secret;
};

// The JSON body POSTed for an event.
std::string delivery_body(const Uuid& id, std::string_view type, const boost::json::object& data);

namespace detail {
struct ServiceState;
}

class WebhookService {
 public:
  // The backend's: recipients' settings and API secrets are read from `tenants`, which must
  // outlive the service.
  WebhookService(WebhookSettings settings, WebhookStore store, net::HttpClient http,
                 tenant::TenantService& tenants);
  // With lookups of one's own (none: every recipient gets the process's configuration).
  WebhookService(WebhookSettings settings, WebhookStore store, net::HttpClient http,
                 TenantLookups tenants = {});
  ~WebhookService();
  WebhookService(const WebhookService&) = delete;
  WebhookService& operator=(const WebhookService&) = delete;

  const WebhookSettings& settings() const;

  // Stores the event and its deliveries in one statement on its own connection. Fails with
  // kInvalidEvent (as an Error, fail_as) when the type is empty or the data is larger than
  // kEventDataBytesMax.
  boost::asio::awaitable<Result<Uuid>> emit(NewEvent event);
  // The same inside the caller's open transaction: nothing is delivered unless it commits.
  boost::asio::awaitable<Result<Uuid>> emit(store::PgConn& conn, NewEvent event);

  // One event by id, scoped to a tenant (nullopt: any). Fails with kUnknownEvent.
  boost::asio::awaitable<Outcome<Event, WebhookError>> get(
      Uuid id, std::optional<Uuid> tenant_id = std::nullopt);
  // A Relay page of events (admin-api.md §6). Fails with kPaginateBackwardsFromStart or
  // kPaginationIndex on bad arguments, in upstream's order.
  boost::asio::awaitable<Outcome<EventPage, WebhookError>> list(ListQuery query);
  // The delivery rows of an event (tests, diagnostics).
  boost::asio::awaitable<Result<std::vector<Delivery>>> deliveries(Uuid event_id);

  // The key a delivery to `tenant_id` at `recipient` is signed with: the tenant's derived key
  // when the URL is a non-operator tenant's own, else SIGNATURE_SECRET (nullopt when unset:
  // unsigned, as upstream). Fails with kUnknownRecipient (as an Error, fail_as) when the
  // tenant's secret is not found (deleted tenant) or there is no secret lookup, or with the
  // lookup's error.
  boost::asio::awaitable<Result<std::optional<std::string>>> signing_key(
      Uuid tenant_id, const RecipientSettings& recipient);
  // Where and how deliveries to `tenant_id` go. Fails when the tenant's settings cannot be read
  // (the delivery then waits for its lease to end rather than go to the wrong URL).
  boost::asio::awaitable<Result<RecipientSettings>> recipient_settings(Uuid tenant_id);
  // recipient_settings(tenant_id).url, or WEBHOOK_URL when the settings cannot be read.
  boost::asio::awaitable<std::string> recipient_url(Uuid tenant_id);

  // One worker pass: claims up to kClaimBatchMax due deliveries and delivers them. Returns how
  // many it claimed (0: nothing due).
  boost::asio::awaitable<Result<int>> process_due();
  // A worker loop: process_due() until nothing is due, then pause `idle`; until stop().
  boost::asio::awaitable<void> run();
  // Spawns settings().workers loops of run() on `executor`.
  void start(boost::asio::any_io_executor executor);
  // Asks every loop to return (each finishes the pass it is in).
  void stop();

 private:
  std::shared_ptr<detail::ServiceState> state_;
};

}  // namespace rafiki::backend::webhook
