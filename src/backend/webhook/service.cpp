#include "backend/webhook/service.h"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <exception>
#include <utility>

#include "backend/admin/signature.h"
#include "backend/config.h"
#include "backend/core/outbound.h"
#include "backend/core/pagination.h"
#include "backend/tenant/service.h"
#include "base/encoding.h"
#include "crypto/hash.h"

namespace rafiki::backend::webhook {

namespace asio = boost::asio;

std::string_view to_string(DeliveryStatus status) {
  switch (status) {
    case DeliveryStatus::kPending:
      return "pending";
    case DeliveryStatus::kDelivered:
      return "delivered";
    case DeliveryStatus::kFailed:
      return "failed";
  }
  return "pending";
}

std::optional<DeliveryStatus> parse_delivery_status(std::string_view text) {
  if (text == "pending") return DeliveryStatus::kPending;
  if (text == "delivered") return DeliveryStatus::kDelivered;
  if (text == "failed") return DeliveryStatus::kFailed;
  return std::nullopt;
}

WebhookSettings WebhookSettings::from_config(const Config& config) {
  WebhookSettings s;
  s.operator_tenant_id = Uuid::parse(config.operator_tenant_id).value_or(Uuid{});
  s.send_tenant_webhooks_to_operator = config.send_tenant_webhooks_to_operator;
  s.webhook_url = config.webhook_url;
  s.timeout = std::chrono::milliseconds(config.webhook_timeout_ms);
  s.max_attempts = static_cast<int>(config.webhook_max_retry);
  s.signature_secret = config.signature_secret;
  s.signature_version = static_cast<int>(config.signature_version);
  s.idle = std::chrono::milliseconds(config.webhook_worker_idle_ms);
  s.workers = static_cast<int>(config.webhook_workers);
  s.tenant_urls_allow_private = config.tenant_outbound_allow_private;
  return s;
}

Result<std::string> sign_delivery(std::string_view secret, int version, std::int64_t timestamp_ms,
                                  std::string_view body) {
  return admin::sign_request_body(secret, static_cast<std::uint32_t>(version), timestamp_ms, body);
}

std::string tenant_signature_key(std::string_view api_secret) {
  return encoding::hex_encode(
      crypto::hmac_sha256(as_bytes(api_secret), as_bytes(kTenantSignatureKeyLabel)));
}

std::string delivery_body(const Uuid& id, std::string_view type, const boost::json::object& data) {
  boost::json::object body;
  body["id"] = id.str();
  body["type"] = type;
  body["data"] = data;
  return boost::json::serialize(body);
}

namespace detail {

struct ServiceState {
  ServiceState(WebhookSettings s, WebhookStore st, net::HttpClient h, TenantLookups t)
      : settings(std::move(s)), events(std::move(st)), http(std::move(h)), tenants(std::move(t)) {}

  WebhookSettings settings;
  WebhookStore events;
  net::HttpClient http;
  TenantLookups tenants;  // either may be empty
  std::atomic<bool> stopping{false};
};

}  // namespace detail

namespace {

using State = std::shared_ptr<detail::ServiceState>;

std::optional<std::int64_t> parse_integer(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

asio::awaitable<Result<RecipientSettings>> settings_for(const detail::ServiceState& state,
                                                        Uuid tenant_id) {
  RecipientSettings r;
  r.url = state.settings.webhook_url;
  r.timeout = state.settings.timeout;
  r.max_attempts = state.settings.max_attempts;
  if (!state.tenants.settings) co_return r;
  auto settings = co_await state.tenants.settings(tenant_id);
  if (!settings) co_return std::unexpected(std::move(settings.error()));
  for (const auto& [key, value] : *settings) {
    if (key == kSettingWebhookUrl && !value.empty()) {
      r.url = value;
      r.url_is_tenants = true;
    } else if (key == kSettingWebhookTimeout) {
      auto ms = parse_integer(value);
      if (ms && *ms > 0 && *ms <= kRecipientTimeoutMax.count())
        r.timeout = std::chrono::milliseconds(*ms);
    } else if (key == kSettingWebhookMaxRetry) {
      auto n = parse_integer(value);
      if (n && *n >= 0 && *n <= kRecipientMaxAttemptsMax) r.max_attempts = static_cast<int>(*n);
    }
  }
  co_return r;
}

// Deliveries are signed with the key of whoever owns the URL they go to: a non-operator
// tenant's own WEBHOOK_URL gets that tenant's derived key, the process's WEBHOOK_URL (the
// operator's endpoint, also the fallback of tenants without the setting) SIGNATURE_SECRET.
asio::awaitable<Result<std::optional<std::string>>> signing_key_for(
    const detail::ServiceState& state, Uuid tenant_id, const RecipientSettings& recipient) {
  if (!recipient.url_is_tenants || tenant_id == state.settings.operator_tenant_id)
    co_return state.settings.signature_secret;
  if (!state.tenants.secret)
    co_return fail_as(WebhookError::kUnknownRecipient, "no API secret lookup for tenants");
  auto secret = co_await state.tenants.secret(tenant_id);
  if (!secret) co_return std::unexpected(std::move(secret.error()));
  if (!*secret)
    co_return fail_as(WebhookError::kUnknownRecipient, "the recipient tenant does not exist");
  co_return tenant_signature_key(**secret);
}

std::chrono::milliseconds claim_lease(const WebhookSettings& settings,
                                      std::chrono::milliseconds timeout) {
  return timeout + settings.connect_timeout + kClaimLeaseMargin;
}

asio::awaitable<void> deliver(State state, ClaimedDelivery claimed) {
  const WebhookSettings& settings = state->settings;
  auto recipient = co_await settings_for(*state, claimed.recipient_tenant_id);
  if (!recipient) {
    // Not sent and not counted: the delivery is claimed again when its lease ends.
    spdlog::warn("webhook delivery {}: reading the settings of tenant {} failed: {}",
                 claimed.delivery_id.str(), claimed.recipient_tenant_id.str(),
                 recipient.error().message);
    co_return;
  }
  if (claimed.attempts >= recipient->max_attempts) {
    // WEBHOOK_MAX_RETRY is 0, or was lowered below what this delivery already had.
    auto gave_up = co_await state->events.give_up(claimed);
    if (!gave_up) {
      spdlog::warn("webhook delivery {}: giving up failed: {}", claimed.delivery_id.str(),
                   gave_up.error().message);
    }
    co_return;
  }
  if (recipient->timeout > settings.timeout) {
    // The claim's lease covers the process's timeout; this tenant allows itself longer.
    auto held =
        co_await state->events.extend_lease(claimed, claim_lease(settings, recipient->timeout));
    if (!held || !*held) co_return;
  }
  AttemptOutcome outcome;
  std::string url = recipient->url;
  auto key = co_await signing_key_for(*state, claimed.recipient_tenant_id, *recipient);
  if (!key && key.error().code != describe(WebhookError::kUnknownRecipient).name) {
    // As for the settings: not sent and not counted; retried when the lease ends.
    spdlog::warn("webhook delivery {}: reading the secret of tenant {} failed: {}",
                 claimed.delivery_id.str(), claimed.recipient_tenant_id.str(), key.error().message);
    co_return;
  }
  if (url.empty()) {
    outcome.error = "no webhook URL for the recipient tenant";
  } else if (!key) {
    outcome.error = "cannot sign the delivery: " + key.error().message;
  } else {
    net::ClientRequest request;
    request.method = net::Method::kPost;
    request.url = std::move(url);
    request.body = delivery_body(claimed.event_id, claimed.event_type, claimed.event_data);
    request.headers.set("Content-Type", "application/json");
    if (*key) {
      auto signature = sign_delivery(**key, settings.signature_version,
                                     now_ms().time_since_epoch().count(), request.body);
      if (signature) request.headers.set(kSignatureHeader, *signature);
    }
    request.timeout_ms = static_cast<std::uint32_t>(recipient->timeout.count());
    // The process's WEBHOOK_URL is the operator's; a tenant's own URL obeys the tenants' policy.
    if (recipient->url_is_tenants) {
      const OutboundPolicy policy(settings.operator_tenant_id, settings.tenant_urls_allow_private);
      request.address_policy = policy.for_owner(claimed.recipient_tenant_id);
    }
    auto response = co_await state->http.request(std::move(request));
    if (!response) {
      outcome.error = response.error().code + ": " + response.error().message;
    } else {
      outcome.status_code = response->status;
      outcome.delivered = response->status == 200;
      if (!outcome.delivered) outcome.error = "HTTP status " + std::to_string(response->status);
    }
  }
  if (outcome.error && outcome.error->size() > kLastErrorBytesMax) {
    outcome.error->resize(kLastErrorBytesMax);
  }
  auto recorded = co_await state->events.record(claimed, outcome, recipient->max_attempts,
                                                settings.retry_base_delay, kRetryBackoffStepsMax);
  if (!recorded) {
    // The lease runs out and the delivery is attempted again.
    spdlog::warn("webhook delivery {} of event {}: recording the attempt failed: {}",
                 claimed.delivery_id.str(), claimed.event_id.str(), recorded.error().message);
  } else if (!*recorded) {
    spdlog::warn("webhook delivery {} of event {}: the claim expired before the attempt ended",
                 claimed.delivery_id.str(), claimed.event_id.str());
  } else if (!outcome.delivered) {
    spdlog::info("webhook delivery {} of event {} ({}) attempt {} failed: {}",
                 claimed.delivery_id.str(), claimed.event_id.str(), claimed.event_type,
                 claimed.attempts + 1, *outcome.error);
  }
}

// Runs the tasks concurrently on the current executor and waits for all of them. A task that
// throws is logged; the others carry on.
asio::awaitable<void> run_all(std::vector<asio::awaitable<void>> tasks) {
  if (tasks.size() == 1) {
    co_await std::move(tasks.front());
    co_return;
  }
  auto executor = co_await asio::this_coro::executor;
  auto done =
      std::make_shared<asio::experimental::concurrent_channel<void(boost::system::error_code)>>(
          executor, tasks.size());
  for (auto& task : tasks) {
    asio::co_spawn(executor, std::move(task), [done](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          spdlog::error("webhook delivery threw: {}", ex.what());
        }
      }
      done->try_send(boost::system::error_code{});
    });
  }
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    co_await done->async_receive(asio::use_awaitable);
  }
}

asio::awaitable<Result<int>> process_due(State state) {
  auto claimed = co_await state->events.claim_due(
      kClaimBatchMax, claim_lease(state->settings, state->settings.timeout));
  if (!claimed) co_return std::unexpected(std::move(claimed.error()));
  int count = static_cast<int>(claimed->size());
  if (count == 0) co_return 0;
  std::vector<asio::awaitable<void>> tasks;
  tasks.reserve(claimed->size());
  for (auto& c : *claimed) tasks.push_back(deliver(state, std::move(c)));
  co_await run_all(std::move(tasks));
  co_return count;
}

// Sleeps `pause`, waking early when the worker is asked to stop.
asio::awaitable<void> idle(const State& state, std::chrono::milliseconds pause) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  auto until = std::chrono::steady_clock::now() + pause;
  while (!state->stopping.load()) {
    auto now = std::chrono::steady_clock::now();
    if (now >= until) break;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - now);
    timer.expires_after(std::min(left, kStopCheckInterval));
    co_await timer.async_wait(asio::use_awaitable);
  }
}

asio::awaitable<void> worker_loop(State state) {
  while (!state->stopping.load()) {
    Result<int> processed = co_await process_due(state);
    if (!processed) {
      spdlog::warn("webhook worker: claiming deliveries failed: {}", processed.error().message);
    }
    // A full batch suggests more is due: go again at once.
    if (processed && *processed >= kClaimBatchMax) continue;
    co_await idle(state, processed ? state->settings.idle
                                   : std::max(state->settings.idle, kWorkerErrorPause));
  }
}

// TenantService's view of a tenant, as deliveries read it: its non-deleted settings, and its
// API secret (nullopt for an unknown or deleted tenant).
TenantLookups lookups_of(tenant::TenantService& tenants) {
  TenantLookups lookups;
  lookups.settings = [&tenants](Uuid tenant_id)
      -> asio::awaitable<Result<std::vector<std::pair<std::string, std::string>>>> {
    std::vector<std::pair<std::string, std::string>> out;
    auto settings = co_await tenants.settings(tenant_id);
    if (!settings) co_return std::unexpected(std::move(settings.error()));
    for (auto& s : *settings) out.emplace_back(std::move(s.key), std::move(s.value));
    co_return out;
  };
  lookups.secret =
      [&tenants](Uuid tenant_id) -> asio::awaitable<Result<std::optional<std::string>>> {
    auto credentials = co_await tenants.credentials(tenant_id);
    if (!credentials) co_return std::unexpected(std::move(credentials.error()));
    if (!*credentials) co_return std::optional<std::string>{};
    co_return std::move((*credentials)->api_secret);
  };
  return lookups;
}

// What emit() stores for `event`: its data as JSON text and its recipients (the owner, and the
// operator when SEND_TENANT_WEBHOOKS_TO_OPERATOR), after the rules on what an event may be.
struct Emission {
  Uuid id;
  std::string data;
  std::vector<Uuid> recipients;
};

Result<Emission> prepare(const WebhookSettings& settings, const NewEvent& event) {
  if (event.type.empty())
    return fail_as(WebhookError::kInvalidEvent, "webhook event type is empty");
  Emission e;
  e.id = event.id ? *event.id : Uuid::v4();
  e.data = boost::json::serialize(event.data);
  if (e.data.size() > kEventDataBytesMax) {
    return fail_as(WebhookError::kInvalidEvent, "webhook event data is larger than " +
                                                    std::to_string(kEventDataBytesMax) + " bytes");
  }
  e.recipients.push_back(event.tenant_id);
  if (settings.send_tenant_webhooks_to_operator && !settings.operator_tenant_id.is_nil() &&
      event.tenant_id != settings.operator_tenant_id) {
    e.recipients.push_back(settings.operator_tenant_id);
  }
  return e;
}

}  // namespace

WebhookService::WebhookService(WebhookSettings settings, WebhookStore store, net::HttpClient http,
                               tenant::TenantService& tenants)
    : WebhookService(std::move(settings), std::move(store), std::move(http), lookups_of(tenants)) {}

WebhookService::WebhookService(WebhookSettings settings, WebhookStore store, net::HttpClient http,
                               TenantLookups tenants)
    : state_(std::make_shared<detail::ServiceState>(std::move(settings), std::move(store),
                                                    std::move(http), std::move(tenants))) {}

WebhookService::~WebhookService() {
  state_->stopping.store(true);
}

const WebhookSettings& WebhookService::settings() const {
  return state_->settings;
}

asio::awaitable<Result<Uuid>> WebhookService::emit(NewEvent event) {
  auto emission = prepare(state_->settings, event);
  if (!emission) co_return std::unexpected(std::move(emission.error()));
  auto inserted = co_await state_->events.insert(event, emission->id, std::move(emission->data),
                                                 emission->recipients);
  if (!inserted) co_return std::unexpected(std::move(inserted.error()));
  co_return emission->id;
}

asio::awaitable<Result<Uuid>> WebhookService::emit(store::PgConn& conn, NewEvent event) {
  auto emission = prepare(state_->settings, event);
  if (!emission) co_return std::unexpected(std::move(emission.error()));
  auto inserted = co_await WebhookStore::insert(conn, event, emission->id,
                                                std::move(emission->data), emission->recipients);
  if (!inserted) co_return std::unexpected(std::move(inserted.error()));
  co_return emission->id;
}

asio::awaitable<Outcome<Event, WebhookError>> WebhookService::get(Uuid id,
                                                                  std::optional<Uuid> tenant_id) {
  auto found = co_await state_->events.find(id, tenant_id);
  if (!found) co_return pass_on<WebhookError>(std::move(found.error()));
  if (!*found) co_return fail_with(WebhookError::kUnknownEvent);
  co_return std::move(**found);
}

asio::awaitable<Outcome<EventPage, WebhookError>> WebhookService::list(ListQuery query) {
  // Upstream's order of checks: `last` without `before` first, then both sizes (0 = default).
  if (!query.before && query.last) co_return fail_with(WebhookError::kPaginateBackwardsFromStart);
  int first = query.first.value_or(0) == 0 ? kPageSizeDefault : *query.first;
  int last = query.last.value_or(0) == 0 ? kPageSizeDefault : *query.last;
  if (first < 0 || first > kPageSizeMax || last < 0 || last > kPageSizeMax) {
    co_return fail_with(WebhookError::kPaginationIndex);
  }
  bool backward = !query.after && query.before;
  auto page = co_await state_->events.page(query, backward ? last : first);
  if (!page) co_return pass_on<WebhookError>(std::move(page.error()));
  co_return std::move(*page);
}

asio::awaitable<Result<std::vector<Delivery>>> WebhookService::deliveries(Uuid event_id) {
  co_return co_await state_->events.deliveries(event_id);
}

asio::awaitable<Result<std::optional<std::string>>> WebhookService::signing_key(
    Uuid tenant_id, const RecipientSettings& recipient) {
  co_return co_await signing_key_for(*state_, tenant_id, recipient);
}

asio::awaitable<Result<RecipientSettings>> WebhookService::recipient_settings(Uuid tenant_id) {
  co_return co_await settings_for(*state_, tenant_id);
}

asio::awaitable<std::string> WebhookService::recipient_url(Uuid tenant_id) {
  auto recipient = co_await settings_for(*state_, tenant_id);
  if (!recipient) co_return state_->settings.webhook_url;
  co_return std::move(recipient->url);
}

asio::awaitable<Result<int>> WebhookService::process_due() {
  co_return co_await webhook::process_due(state_);
}

asio::awaitable<void> WebhookService::run() {
  co_await worker_loop(state_);
}

void WebhookService::start(asio::any_io_executor executor) {
  state_->stopping.store(false);
  for (int i = 0; i < state_->settings.workers; ++i) {
    asio::co_spawn(executor, worker_loop(state_), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::error("webhook worker stopped: {}", ex.what());
      }
    });
  }
}

void WebhookService::stop() {
  state_->stopping.store(true);
}

}  // namespace rafiki::backend::webhook
