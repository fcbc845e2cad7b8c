// Webhook events: what the backend tells the Account Servicing Entity (reference/payments.md §6).
// An event is stored once; each recipient tenant gets a delivery row that the webhook worker
// POSTs to that tenant's webhook URL until it answers 200 or the attempts run out.
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backend/core/admin.h"
#include "backend/core/domain_error.h"
#include "base/money.h"
#include "base/time.h"
#include "base/uuid.h"

namespace rafiki::backend::webhook {

// Event types (reference/specs/webhooks.yaml).
namespace event_type {
inline constexpr std::string_view kIncomingPaymentCreated = "incoming_payment.created";
inline constexpr std::string_view kIncomingPaymentCompleted = "incoming_payment.completed";
inline constexpr std::string_view kIncomingPaymentExpired = "incoming_payment.expired";
inline constexpr std::string_view kIncomingPaymentPartialPaymentReceived =
    "incoming_payment.partial_payment_received";
inline constexpr std::string_view kOutgoingPaymentCreated = "outgoing_payment.created";
inline constexpr std::string_view kOutgoingPaymentCompleted = "outgoing_payment.completed";
inline constexpr std::string_view kOutgoingPaymentFailed = "outgoing_payment.failed";
inline constexpr std::string_view kOutgoingPaymentFunded = "outgoing_payment.funded";
inline constexpr std::string_view kOutgoingPaymentCancelled = "outgoing_payment.cancelled";
inline constexpr std::string_view kWalletAddressWebMonetization = "wallet_address.web_monetization";
inline constexpr std::string_view kWalletAddressNotFound = "wallet_address.not_found";
inline constexpr std::string_view kAssetLiquidityLow = "asset.liquidity_low";
inline constexpr std::string_view kPeerLiquidityLow = "peer.liquidity_low";
}  // namespace event_type

// Types hidden from the webhookEvents list unless the filter names its own notIn (card-only
// events, admin-api.md §6).
inline const std::vector<std::string>& default_hidden_types() {
  static const std::vector<std::string> kTypes{std::string(event_type::kOutgoingPaymentFunded),
                                               std::string(event_type::kOutgoingPaymentCancelled)};
  return kTypes;
}

// Money the ASE is expected to withdraw when it handles the event (e.g. what an incoming
// payment received).
struct Withdrawal {
  Uuid account_id;
  Uuid asset_id;
  money::u128 amount = 0;
};

struct NewEvent {
  std::string type;
  boost::json::object data;
  Uuid tenant_id;  // the tenant that owns the resource; always a recipient
  std::optional<Withdrawal> withdrawal;
  std::optional<Uuid> id;  // chosen by the caller (idempotent emit), else a new v4
};

struct Event {
  Uuid id;
  std::string type;
  boost::json::object data;
  Uuid tenant_id;
  std::optional<Withdrawal> withdrawal;
  TimePoint created_at;
};

enum class DeliveryStatus { kPending, kDelivered, kFailed };

std::string_view to_string(DeliveryStatus status);
std::optional<DeliveryStatus> parse_delivery_status(std::string_view text);

struct Delivery {
  Uuid id;
  Uuid event_id;
  Uuid recipient_tenant_id;
  std::int32_t attempts = 0;
  DeliveryStatus status = DeliveryStatus::kPending;
  std::optional<std::int32_t> last_status_code;
  std::optional<std::string> last_error;
  std::optional<TimePoint> process_at;
};

// Listing (Admin API webhookEvents, admin-api.md §6): pages of kPageSizeDefault events unless
// asked for up to kPageSizeMax (backend/core/pagination.h, as every connection).
struct EventFilter {
  std::optional<std::vector<std::string>> type_in;
  // Absent or empty: default_hidden_types().
  std::optional<std::vector<std::string>> type_not_in;
};

struct ListQuery {
  std::optional<Uuid> tenant_id;  // nullopt: every tenant (operator)
  EventFilter filter;
  // Relay arguments as given. `after` wins over `before`; a cursor that is not a known event id
  // gives an empty page.
  std::optional<std::string> after;
  std::optional<std::string> before;
  std::optional<int> first;
  std::optional<int> last;
  bool ascending = false;  // sortOrder ASC; anything else is newest first
};

struct EventPage {
  std::vector<Event> events;  // in sort order
  bool has_next_page = false;
  bool has_previous_page = false;
};

// An event's data, as JSON text, may be at most this large (it is POSTed to the ASE whole).
constexpr std::size_t kEventDataBytesMax = 1024 * 1024;

// Deliveries one worker claims per round trip (delivered concurrently).
constexpr int kClaimBatchMax = 10;
// Back-off after failed attempt n: min(n, kRetryBackoffStepsMax) × retry_base_delay.
constexpr int kRetryBackoffStepsMax = 6;
constexpr std::chrono::milliseconds kRetryBaseDelayDefault{10'000};
// A claimed delivery is leased for the request timeout plus the connect timeout plus this.
constexpr std::chrono::milliseconds kClaimLeaseMargin{5'000};
// A worker that could not claim (database unreachable) waits at least this long before trying
// again.
constexpr std::chrono::milliseconds kWorkerErrorPause{1'000};
// A stopped worker notices within this long even when its idle pause is longer.
constexpr std::chrono::milliseconds kStopCheckInterval{100};
// last_error is cut to this many bytes.
constexpr std::size_t kLastErrorBytesMax = 500;
// Bounds on what a tenant's settings may ask for.
constexpr std::chrono::milliseconds kRecipientTimeoutMax{300'000};
constexpr int kRecipientMaxAttemptsMax = 1000;
// Tenant settings (tenant_settings keys) that override the process's webhook configuration for
// deliveries to that tenant.
inline constexpr std::string_view kSettingWebhookUrl = "WEBHOOK_URL";
inline constexpr std::string_view kSettingWebhookTimeout = "WEBHOOK_TIMEOUT";     // ms
inline constexpr std::string_view kSettingWebhookMaxRetry = "WEBHOOK_MAX_RETRY";  // attempts
// Header carrying the HMAC signature of a delivery.
inline constexpr std::string_view kSignatureHeader = "Rafiki-Signature";
// The message of the derivation of a tenant's webhook signing key from its API secret
// (tenant_signature_key). Fixed: changing it changes every tenant's key.
inline constexpr std::string_view kTenantSignatureKeyLabel = "rafiki webhook signature v1";

enum class WebhookError {
  kInvalidEvent,  // empty type, data larger than kEventDataBytesMax
  kUnknownEvent,
  kPaginateBackwardsFromStart,  // `last` without `before`
  kPaginationIndex,             // first/last outside 0..kPageSizeMax
  // The recipient tenant's API secret, needed to sign its delivery, is not there (deleted
  // tenant).
  kUnknownRecipient,
};

// The webhook domain's error table (docs/architecture.md, "The domain template"). emit() (called
// by other domains) and signing_key() report kInvalidEvent and kUnknownRecipient as an Error
// whose code is the table's name (fail_as), with a message saying which rule failed.
constexpr ErrorDescription describe(WebhookError error) {
  switch (error) {
    case WebhookError::kInvalidEvent:
      return {"webhook.invalid_event", code::kBadUserInput, "invalid webhook event"};
    case WebhookError::kUnknownEvent:
      return {"webhook.unknown_event", code::kNotFound, "unknown webhook event"};
    case WebhookError::kPaginateBackwardsFromStart:
      return {"webhook.pagination_backwards", code::kInternal,
              "Can't paginate backwards from the start."};
    case WebhookError::kPaginationIndex:
      return {"webhook.pagination_index", code::kInternal, "Pagination index error"};
    case WebhookError::kUnknownRecipient:
      return {"webhook.unknown_recipient", code::kInternal, "the recipient tenant does not exist"};
  }
  std::unreachable();
}

// `error` as a failed Result: the table's name as the code, `message` saying what was wrong.
inline std::unexpected<Error> fail_as(WebhookError error, std::string message) {
  return fail(std::string(describe(error).name), std::move(message));
}

}  // namespace rafiki::backend::webhook
