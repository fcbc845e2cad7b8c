#include "backend/tenant/service.h"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>
#include <type_traits>

#include "backend/config.h"
#include "crypto/hash.h"
#include "net/address_policy.h"

namespace rafiki::backend::tenant {

namespace asio = boost::asio;

namespace {

const std::set<std::string, std::less<>> kSettingKeys = {
    std::string(setting_key::kExchangeRatesUrl), std::string(setting_key::kWebhookUrl),
    std::string(setting_key::kWebhookTimeout),   std::string(setting_key::kWebhookMaxRetry),
    std::string(setting_key::kWalletAddressUrl), std::string(setting_key::kIlpAddress)};

bool is_absolute_url(std::string_view text) {
  return !text.empty() && boost::urls::parse_absolute_uri(text).has_value();
}

// JavaScript's Number(text) for the texts a setting may hold: "" is 0, surrounding white space is
// ignored, anything else must be a complete decimal number.
std::optional<double> js_number(std::string_view text) {
  auto first = text.find_first_not_of(" \t\n\r");
  if (first == std::string_view::npos) return 0.0;
  auto last = text.find_last_not_of(" \t\n\r");
  std::string trimmed(text.substr(first, last - first + 1));
  char* end = nullptr;
  double value = std::strtod(trimmed.c_str(), &end);
  if (end != trimmed.c_str() + trimmed.size()) return std::nullopt;
  if (trimmed.find_first_of("xXpP") != std::string::npos) return std::nullopt;  // no hex floats
  return value;
}

bool valid_setting(const Setting& s) {
  if (!kSettingKeys.contains(s.key) || s.value.size() > kTenantFieldBytesMax) return false;
  if (s.key == setting_key::kExchangeRatesUrl || s.key == setting_key::kWebhookUrl ||
      s.key == setting_key::kWalletAddressUrl) {
    return is_absolute_url(s.value);
  }
  if (s.key == setting_key::kWebhookTimeout) {
    auto n = js_number(s.value);
    return n && std::isfinite(*n) && *n > 0;
  }
  if (s.key == setting_key::kWebhookMaxRetry) {
    auto n = js_number(s.value);
    return n && std::isfinite(*n) && *n >= 0;
  }
  return is_valid_ilp_address(s.value);  // ILP_ADDRESS
}

// Settings whose URL the backend itself requests (and so obeys the outbound policy).
bool is_outbound_url_setting(std::string_view key) {
  return key == setting_key::kExchangeRatesUrl || key == setting_key::kWebhookUrl;
}

// The error of an outbound URL setting refused for its host's address class.
TenantError forbidden_url(std::string_view key, net::AddressClass host) {
  const bool webhook = key == setting_key::kWebhookUrl;
  switch (host) {
    case net::AddressClass::kLoopback:
      return webhook ? TenantError::kWebhookUrlLoopback : TenantError::kExchangeRatesUrlLoopback;
    case net::AddressClass::kPrivate:
      return webhook ? TenantError::kWebhookUrlPrivate : TenantError::kExchangeRatesUrlPrivate;
    case net::AddressClass::kLinkLocal:
      return webhook ? TenantError::kWebhookUrlLinkLocal : TenantError::kExchangeRatesUrlLinkLocal;
    case net::AddressClass::kPublic:  // never refused
    case net::AddressClass::kReserved:
      break;
  }
  return webhook ? TenantError::kWebhookUrlReserved : TenantError::kExchangeRatesUrlReserved;
}

bool too_long(const std::optional<std::string>& s) {
  return s && s->size() > kTenantFieldBytesMax;
}

// Runs `body(PgConn&) -> awaitable<Outcome<T, TenantError>>` in one transaction of `store`; a
// domain error it returns rolls the transaction back like a broken one.
template <class T, class Body>
asio::awaitable<Outcome<T, TenantError>> in_transaction(TenantStore& store, Body body) {
  std::optional<TenantError> refused;
  auto done = co_await store.transaction([&](store::PgConn& conn) -> asio::awaitable<Result<T>> {
    refused.reset();  // the transaction may run again
    Outcome<T, TenantError> outcome = co_await body(conn);
    if (outcome) {
      if constexpr (std::is_void_v<T>) {
        co_return Result<void>{};
      } else {
        co_return std::move(*outcome);
      }
    }
    if (!outcome.error().is_domain()) co_return std::unexpected(outcome.error().infrastructure());
    refused = outcome.error().domain();
    co_return fail(std::string(describe(*refused).name), "refused");
  });
  if (refused) co_return fail_with(*refused);
  if (!done) co_return pass_on<TenantError>(done.error());
  if constexpr (std::is_void_v<T>) {
    co_return Outcome<void, TenantError>{};
  } else {
    co_return std::move(*done);
  }
}

}  // namespace

TenantConfig TenantConfig::from_config(const Config& config) {
  TenantConfig c;
  c.operator_tenant_id = config.operator_tenant_id;
  c.admin_api_secret = config.admin_api_secret;
  c.ilp_address = config.ilp_address;
  return c;
}

bool TenantService::is_operator(const Uuid& id) const {
  return id.str() == config_.operator_tenant_id;
}

bool TenantService::is_operator_secret(std::string_view secret) const {
  const std::string& op = config_.admin_api_secret;
  return secret.size() == op.size() && crypto::constant_time_equal(as_bytes(secret), as_bytes(op));
}

asio::awaitable<Result<void>> TenantService::bootstrap_operator() {
  auto id = Uuid::parse(config_.operator_tenant_id);
  if (!id) co_return fail("config.invalid", "OPERATOR_TENANT_ID is not a UUID");
  auto deleted = co_await store_.upsert_secret(*id, config_.admin_api_secret);
  if (!deleted) co_return std::unexpected(deleted.error());
  if (*deleted) {
    co_return fail(std::string(kTenantErrorOperatorDeleted),
                   "the operator tenant " + id->str() + " is deleted");
  }
  co_return Result<void>{};
}

// --- reads ---

asio::awaitable<Result<std::optional<admin::TenantCredentials>>> TenantService::credentials(Uuid id) {
  auto secret = co_await store_.api_secret(id);
  if (!secret) co_return std::unexpected(secret.error());
  if (!*secret) co_return std::optional<admin::TenantCredentials>{};
  admin::TenantCredentials c;
  c.id = id;
  c.api_secret = std::move(**secret);
  c.is_operator = is_operator(id);
  co_return c;
}

asio::awaitable<Result<std::optional<Tenant>>> TenantService::get(Uuid id, bool include_deleted) {
  co_return co_await store_.find(id, include_deleted);
}

asio::awaitable<Result<Paged<Tenant>>> TenantService::page(const PageArgs& args) {
  co_return co_await store_.page(args);
}

asio::awaitable<Result<std::vector<Setting>>> TenantService::settings(Uuid id) {
  co_return co_await store_.settings(id);
}

asio::awaitable<Result<std::optional<std::string>>> TenantService::setting(Uuid id,
                                                                           std::string_view key) {
  co_return co_await store_.setting(id, key);
}

asio::awaitable<Result<std::optional<Uuid>>> TenantService::tenant_of_wallet_address_url(
    std::string url) {
  co_return co_await store_.by_wallet_address_url_prefix(std::move(url));
}

// --- changes ---

std::optional<TenantError> TenantService::check_settings(const std::vector<Setting>& settings,
                                                         const Uuid& owner) const {
  if (settings.size() > kTenantSettingsMax) return TenantError::kTooManySettings;
  for (const auto& s : settings) {
    if (!valid_setting(s)) return TenantError::kInvalidSetting;
  }
  for (const auto& s : settings) {
    if (!is_outbound_url_setting(s.key) || outbound_.check_url(owner, s.value)) continue;
    // The policy refuses only hosts that are IP literals, so the host's class is known.
    auto host = net::literal_host_class(s.value);
    return forbidden_url(s.key, host.value_or(net::AddressClass::kReserved));
  }
  return std::nullopt;
}

// Upserts the settings inside the caller's transaction; a WALLET_ADDRESS_URL used by any tenant
// (deleted rows included, as upstream) is refused.
asio::awaitable<Outcome<std::vector<Setting>, TenantError>> TenantService::write_settings(
    store::PgConn& conn, Uuid tenant_id, const std::vector<Setting>& settings) {
  for (const auto& s : settings) {
    if (s.key != setting_key::kWalletAddressUrl) continue;
    auto taken = co_await TenantStore::wallet_address_url_taken(conn, tenant_id, s.value);
    if (!taken) co_return pass_on<TenantError>(taken.error());
    if (*taken) co_return fail_with(TenantError::kDuplicateWalletAddressUrl);
  }
  std::vector<Setting> written;
  for (const auto& s : settings) {
    auto row = co_await TenantStore::upsert_setting(conn, tenant_id, s);
    if (!row) co_return pass_on<TenantError>(row.error());
    written.push_back(std::move(*row));
  }
  co_return written;
}

asio::awaitable<Outcome<Tenant, TenantError>> TenantService::create(NewTenant input) {
  if (input.api_secret.empty() || input.api_secret.size() > kTenantFieldBytesMax ||
      too_long(input.email) || too_long(input.idp_consent_url) || too_long(input.idp_secret) ||
      too_long(input.public_name)) {
    co_return fail_with(TenantError::kInvalidInput);
  }
  if (is_operator_secret(input.api_secret)) co_return fail_with(TenantError::kOperatorSecret);
  Tenant tenant;
  tenant.id = input.id.value_or(Uuid::v4());
  tenant.email = std::move(input.email);
  tenant.api_secret = std::move(input.api_secret);
  tenant.idp_consent_url = std::move(input.idp_consent_url);
  tenant.idp_secret = std::move(input.idp_secret);
  tenant.public_name = std::move(input.public_name);
  std::vector<Setting> settings = {
      {std::string(setting_key::kWebhookTimeout), std::to_string(kDefaultWebhookTimeoutMs)},
      {std::string(setting_key::kWebhookMaxRetry), std::to_string(kDefaultWebhookMaxRetry)},
      {std::string(setting_key::kIlpAddress), config_.ilp_address + "." + tenant.id.str()}};
  if (input.settings) {
    bool has_ilp = std::any_of(input.settings->begin(), input.settings->end(),
                               [](const Setting& s) { return s.key == setting_key::kIlpAddress; });
    if (has_ilp) settings.clear();
    // A later entry for the same key wins.
    for (auto& s : *input.settings) {
      std::erase_if(settings, [&](const Setting& old) { return old.key == s.key; });
      settings.push_back(s);
    }
  }
  // Unlike upstream (which then silently creates the tenant without any settings), an invalid
  // setting refuses the whole request.
  if (auto refused = check_settings(settings, tenant.id)) co_return fail_with(*refused);

  co_return co_await in_transaction<Tenant>(
      store_, [&](store::PgConn& conn) -> asio::awaitable<Outcome<Tenant, TenantError>> {
        auto inserted = co_await TenantStore::insert(conn, tenant);
        if (!inserted) co_return pass_on<TenantError>(inserted.error());
        if (!*inserted) co_return fail_with(TenantError::kDuplicate);
        auto written = co_await write_settings(conn, tenant.id, settings);
        if (!written) co_return std::unexpected(written.error());
        auto synced = co_await auth_.created(**inserted);
        if (!synced) co_return fail_with(TenantError::kAuthService);
        co_return std::move(**inserted);
      });
}

asio::awaitable<Outcome<Tenant, TenantError>> TenantService::update(TenantPatch patch,
                                                                    bool by_operator) {
  if (by_operator && patch.api_secret) co_return fail_with(TenantError::kOperatorApiSecret);
  for (const auto* field : {&patch.email, &patch.api_secret, &patch.idp_consent_url,
                            &patch.idp_secret, &patch.public_name}) {
    if (*field && too_long(**field)) co_return fail_with(TenantError::kInvalidInput);
  }
  if (patch.api_secret && (!*patch.api_secret || (*patch.api_secret)->empty())) {
    co_return fail_with(TenantError::kEmptyApiSecret);
  }
  if (patch.api_secret && *patch.api_secret && !is_operator(patch.id) &&
      is_operator_secret(**patch.api_secret)) {
    co_return fail_with(TenantError::kOperatorSecret);
  }
  co_return co_await in_transaction<Tenant>(
      store_, [&](store::PgConn& conn) -> asio::awaitable<Outcome<Tenant, TenantError>> {
        auto updated = co_await TenantStore::update(conn, patch);
        if (!updated) co_return pass_on<TenantError>(updated.error());
        if (!*updated) co_return fail_with(TenantError::kNotFound);
        if (patch.api_secret || patch.idp_consent_url || patch.idp_secret) {
          auto synced = co_await auth_.updated(**updated);
          if (!synced) co_return fail_with(TenantError::kAuthService);
        }
        co_return std::move(**updated);
      });
}

asio::awaitable<Outcome<void, TenantError>> TenantService::remove(Uuid id) {
  if (is_operator(id)) co_return fail_with(TenantError::kOperatorTenant);
  co_return co_await in_transaction<void>(
      store_, [&](store::PgConn& conn) -> asio::awaitable<Outcome<void, TenantError>> {
        auto deleted_at = co_await TenantStore::remove(conn, id);
        if (!deleted_at) co_return pass_on<TenantError>(deleted_at.error());
        if (!*deleted_at) co_return fail_with(TenantError::kNotFound);
        auto synced = co_await auth_.deleted(id, **deleted_at);
        if (!synced) co_return fail_with(TenantError::kAuthService);
        co_return Outcome<void, TenantError>{};
      });
}

asio::awaitable<Outcome<std::vector<Setting>, TenantError>> TenantService::upsert_settings(
    Uuid id, std::vector<Setting> settings) {
  if (auto refused = check_settings(settings, id)) co_return fail_with(*refused);
  co_return co_await in_transaction<std::vector<Setting>>(
      store_,
      [&](store::PgConn& conn) -> asio::awaitable<Outcome<std::vector<Setting>, TenantError>> {
        auto locked = co_await TenantStore::lock(conn, id);
        if (!locked) co_return pass_on<TenantError>(locked.error());
        if (!*locked) co_return fail_with(TenantError::kNotFound);
        co_return co_await write_settings(conn, id, settings);
      });
}

}  // namespace rafiki::backend::tenant
