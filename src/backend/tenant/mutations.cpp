// Tenant changes: create, update and delete tenants (kept in step with the auth service's copy
// through its service API: POST /tenant, PATCH /tenant/:id, DELETE /tenant/:id), and per-tenant
// settings, with their Admin API mutations (reference/admin-api.md §9.7).
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <cmath>
#include <cstdlib>
#include <set>

#include "backend/core/admin.h"
#include "backend/core/backend.h"
#include "backend/tenant/service.h"

namespace rafiki::backend::tenant {

namespace asio = boost::asio;
namespace json = boost::json;
using graphql::FieldResult;
using graphql::ResolveInfo;

namespace {

constexpr std::int64_t kDefaultWebhookTimeoutMs = 2000;
constexpr std::int64_t kDefaultWebhookMaxRetry = 10;

const std::set<std::string, std::less<>> kSettingKeys = {
    "EXCHANGE_RATES_URL", "WEBHOOK_URL", "WEBHOOK_TIMEOUT", "WEBHOOK_MAX_RETRY",
    "WALLET_ADDRESS_URL", "ILP_ADDRESS"};

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
  if (s.key == "EXCHANGE_RATES_URL" || s.key == "WEBHOOK_URL" || s.key == "WALLET_ADDRESS_URL") {
    return is_absolute_url(s.value);
  }
  if (s.key == "WEBHOOK_TIMEOUT") {
    auto n = js_number(s.value);
    return n && std::isfinite(*n) && *n > 0;
  }
  if (s.key == "WEBHOOK_MAX_RETRY") {
    auto n = js_number(s.value);
    return n && std::isfinite(*n) && *n >= 0;
  }
  return is_valid_ilp_address(s.value);  // ILP_ADDRESS
}

// Settings whose URL the backend itself requests (and so obeys the outbound policy).
bool is_outbound_url_setting(std::string_view key) {
  return key == "EXCHANGE_RATES_URL" || key == "WEBHOOK_URL";
}

Result<void> check_settings(const std::vector<Setting>& settings, const OutboundPolicy& outbound,
                            const Uuid& owner) {
  if (settings.size() > kTenantSettingsMax) {
    return fail(std::string(kTenantErrorInvalidSetting), "too many settings");
  }
  for (const auto& s : settings) {
    if (!valid_setting(s)) {
      return fail(std::string(kTenantErrorInvalidSetting),
                  "Invalid value for one or more tenant settings");
    }
  }
  for (const auto& s : settings) {
    if (!is_outbound_url_setting(s.key)) continue;
    if (auto allowed = outbound.check_url(owner, s.value); !allowed) {
      return fail(std::string(kTenantErrorInvalidSetting), s.key + ": " + allowed.error().message);
    }
  }
  return {};
}

bool too_long(const std::optional<std::string>& s) {
  return s && s->size() > kTenantFieldBytesMax;
}

// Upserts the settings inside the caller's transaction; a WALLET_ADDRESS_URL used by any tenant
// (deleted rows included, as upstream) is refused.
asio::awaitable<Result<std::vector<Setting>>> write_settings(store::PgConn& conn, Uuid tenant_id,
                                                             const std::vector<Setting>& settings) {
  for (const auto& s : settings) {
    if (s.key != "WALLET_ADDRESS_URL") continue;
    auto taken = co_await conn.query(
        "SELECT 1 FROM tenant_settings WHERE key = 'WALLET_ADDRESS_URL' AND value = $1 "
        "AND NOT (tenant_id = $2 AND deleted_at IS NULL)",
        s.value, tenant_id);
    if (!taken) co_return std::unexpected(taken.error());
    if (!taken->empty()) {
      co_return fail(std::string(kTenantErrorDuplicateWalletAddressUrl),
                     "Wallet Address Url already exists");
    }
  }
  std::vector<Setting> written;
  for (const auto& s : settings) {
    auto row = co_await conn.query(
        "INSERT INTO tenant_settings (id, tenant_id, key, value) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (tenant_id, key) WHERE deleted_at IS NULL "
        "DO UPDATE SET value = EXCLUDED.value, updated_at = now() RETURNING key, value",
        Uuid::v4(), tenant_id, s.key, s.value);
    if (!row) co_return std::unexpected(row.error());
    written.push_back({row->row(0).get<std::string>(0), row->row(0).get<std::string>(1)});
  }
  co_return written;
}

json::value nullable(const std::optional<std::string>& s) {
  if (!s) return nullptr;
  return json::value(*s);
}

}  // namespace

// --- the auth service's copy of tenants ---

namespace {

asio::awaitable<Result<void>> call_auth(Backend& backend, net::Method method, std::string path,
                                        json::object body) {
  net::ClientRequest request;
  request.method = method;
  std::string base = backend.config.auth_service_api_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  request.url = base + path;
  request.headers.set("content-type", "application/json");
  request.body = json::serialize(body);
  request.timeout_ms = static_cast<std::uint32_t>(kAuthServiceTimeout.count());
  auto response = co_await backend.http.request(std::move(request));
  if (!response) {
    co_return fail(std::string(kTenantErrorAuthService),
                   "auth service unreachable: " + response.error().message);
  }
  if (response->status < 200 || response->status > 299) {
    co_return fail(std::string(kTenantErrorAuthService),
                   "auth service answered " + std::to_string(response->status));
  }
  co_return Result<void>{};
}

}  // namespace

asio::awaitable<Result<Tenant>> TenantService::create(NewTenant input) {
  if (input.api_secret.empty() || input.api_secret.size() > kTenantFieldBytesMax ||
      too_long(input.email) || too_long(input.idp_consent_url) || too_long(input.idp_secret) ||
      too_long(input.public_name)) {
    co_return fail(std::string(kTenantErrorInvalidSetting), "Invalid tenant input");
  }
  if (is_operator_secret(input.api_secret)) {
    co_return fail(std::string(kTenantErrorOperatorSecret),
                   "apiSecret must differ from the operator's secret");
  }
  const Uuid id = input.id.value_or(Uuid::v4());
  std::vector<Setting> settings = {
      {"WEBHOOK_TIMEOUT", std::to_string(kDefaultWebhookTimeoutMs)},
      {"WEBHOOK_MAX_RETRY", std::to_string(kDefaultWebhookMaxRetry)},
      {"ILP_ADDRESS", backend_.config.ilp_address + "." + id.str()}};
  if (input.settings) {
    bool has_ilp = std::any_of(input.settings->begin(), input.settings->end(),
                               [](const Setting& s) { return s.key == "ILP_ADDRESS"; });
    if (has_ilp) settings.clear();
    // A later entry for the same key wins.
    for (auto& s : *input.settings) {
      std::erase_if(settings, [&](const Setting& old) { return old.key == s.key; });
      settings.push_back(s);
    }
  }
  // Unlike upstream (which then silently creates the tenant without any settings), an invalid
  // setting refuses the whole request.
  if (auto ok = check_settings(settings, backend_.outbound, id); !ok)
    co_return std::unexpected(ok.error());

  auto created = co_await backend_.pg.transaction(
      [&](store::PgConn& conn) -> asio::awaitable<Result<Tenant>> {
        auto row = co_await conn.query(
            "INSERT INTO tenants (id, email, api_secret, idp_consent_url, idp_secret, public_name) "
            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING RETURNING id, email, "
            "api_secret, idp_consent_url, idp_secret, public_name, created_at, deleted_at",
            id, input.email, input.api_secret, input.idp_consent_url, input.idp_secret,
            input.public_name);
        if (!row) co_return std::unexpected(row.error());
        if (row->empty()) co_return fail(std::string(kTenantErrorDuplicate), "Tenant already exists");
        auto written = co_await write_settings(conn, id, settings);
        if (!written) co_return std::unexpected(written.error());
        json::object body;
        body["id"] = id.str();
        body["apiSecret"] = input.api_secret;
        body["idpSecret"] = nullable(input.idp_secret);
        body["idpConsentUrl"] = nullable(input.idp_consent_url);
        auto synced = co_await call_auth(backend_, net::Method::kPost, "/tenant", std::move(body));
        if (!synced) co_return std::unexpected(synced.error());
        co_return from_row(row->row(0));
      });
  co_return created;
}

asio::awaitable<Result<Tenant>> TenantService::update(TenantPatch patch) {
  for (const auto* field : {&patch.email, &patch.api_secret, &patch.idp_consent_url,
                            &patch.idp_secret, &patch.public_name}) {
    if (*field && too_long(**field)) {
      co_return fail(std::string(kTenantErrorInvalidSetting), "Invalid tenant input");
    }
  }
  if (patch.api_secret && (!*patch.api_secret || (*patch.api_secret)->empty())) {
    co_return fail(std::string(kTenantErrorInvalidSetting), "apiSecret must not be empty");
  }
  if (patch.api_secret && *patch.api_secret && !is_operator(patch.id) &&
      is_operator_secret(**patch.api_secret)) {
    co_return fail(std::string(kTenantErrorOperatorSecret),
                   "apiSecret must differ from the operator's secret");
  }
  auto updated = co_await backend_.pg.transaction(
      [&](store::PgConn& conn) -> asio::awaitable<Result<Tenant>> {
        // $2..$6: new values; $7..$11: whether each is given.
        auto row = co_await conn.query(
            "UPDATE tenants SET "
            "email = CASE WHEN $7 THEN $2 ELSE email END, "
            "api_secret = CASE WHEN $8 THEN $3 ELSE api_secret END, "
            "idp_consent_url = CASE WHEN $9 THEN $4 ELSE idp_consent_url END, "
            "idp_secret = CASE WHEN $10 THEN $5 ELSE idp_secret END, "
            "public_name = CASE WHEN $11 THEN $6 ELSE public_name END, updated_at = now() "
            "WHERE id = $1 AND deleted_at IS NULL RETURNING id, email, api_secret, "
            "idp_consent_url, idp_secret, public_name, created_at, deleted_at",
            patch.id, patch.email.value_or(std::nullopt), patch.api_secret.value_or(std::nullopt),
            patch.idp_consent_url.value_or(std::nullopt), patch.idp_secret.value_or(std::nullopt),
            patch.public_name.value_or(std::nullopt), patch.email.has_value(),
            patch.api_secret.has_value(), patch.idp_consent_url.has_value(),
            patch.idp_secret.has_value(), patch.public_name.has_value());
        if (!row) co_return std::unexpected(row.error());
        if (row->empty()) co_return fail(std::string(kTenantErrorNotFound), "Tenant not found");
        Tenant tenant = from_row(row->row(0));
        if (patch.api_secret || patch.idp_consent_url || patch.idp_secret) {
          json::object body;
          body["apiSecret"] = tenant.api_secret;
          body["idpConsentUrl"] = nullable(tenant.idp_consent_url);
          body["idpSecret"] = nullable(tenant.idp_secret);
          auto synced = co_await call_auth(backend_, net::Method::kPatch, "/tenant/" + tenant.id.str(),
                                           std::move(body));
          if (!synced) co_return std::unexpected(synced.error());
        }
        co_return tenant;
      });
  co_return updated;
}

asio::awaitable<Result<void>> TenantService::remove(Uuid id) {
  if (id.str() == backend_.config.operator_tenant_id) {
    co_return fail(std::string(kTenantErrorOperator), "the operator tenant cannot be deleted");
  }
  auto removed = co_await backend_.pg.transaction(
      [&](store::PgConn& conn) -> asio::awaitable<Result<void>> {
        auto row = co_await conn.query(
            "UPDATE tenants SET deleted_at = now(), updated_at = now() WHERE id = $1 AND "
            "deleted_at IS NULL RETURNING deleted_at",
            id);
        if (!row) co_return std::unexpected(row.error());
        if (row->empty()) co_return fail(std::string(kTenantErrorNotFound), "Tenant not found");
        auto settings = co_await conn.query(
            "UPDATE tenant_settings SET deleted_at = now() WHERE tenant_id = $1 AND deleted_at IS NULL",
            id);
        if (!settings) co_return std::unexpected(settings.error());
        json::object body;
        body["deletedAt"] = iso_time(row->row(0).get<TimePoint>(0));
        auto synced =
            co_await call_auth(backend_, net::Method::kDelete, "/tenant/" + id.str(), std::move(body));
        if (!synced) co_return std::unexpected(synced.error());
        co_return Result<void>{};
      });
  co_return removed;
}

asio::awaitable<Result<std::vector<Setting>>> TenantService::upsert_settings(
    Uuid id, std::vector<Setting> settings) {
  if (auto ok = check_settings(settings, backend_.outbound, id); !ok)
    co_return std::unexpected(ok.error());
  auto written = co_await backend_.pg.transaction(
      [&](store::PgConn& conn) -> asio::awaitable<Result<std::vector<Setting>>> {
        auto tenant = co_await conn.query(
            "SELECT 1 FROM tenants WHERE id = $1 AND deleted_at IS NULL FOR UPDATE", id);
        if (!tenant) co_return std::unexpected(tenant.error());
        if (tenant->empty()) co_return fail(std::string(kTenantErrorNotFound), "Tenant not found");
        co_return co_await write_settings(conn, id, settings);
      });
  co_return written;
}

// --- resolvers ---

namespace {

std::vector<Setting> settings_of(const json::value* list) {
  std::vector<Setting> out;
  if (!list || !list->is_array()) return out;
  for (const auto& item : list->as_array()) {
    const auto& o = item.as_object();
    out.push_back({std::string(string_member(o, "key").value_or("")),
                   std::string(string_member(o, "value").value_or(""))});
  }
  return out;
}

std::optional<std::string> opt_string(const json::object& o, std::string_view name) {
  auto s = string_member(o, name);
  if (!s) return std::nullopt;
  return std::string(*s);
}

// A present member as Some(value or null), an absent one as nullopt.

std::unexpected<graphql::FieldError> settings_error(const Error& e) {
  if (e.code == kTenantErrorInvalidSetting || e.code == kTenantErrorOperatorSecret) {
    return field_error(code::kBadUserInput, e.message);
  }
  if (e.code == kTenantErrorDuplicateWalletAddressUrl) {
    return field_error(code::kBadUserInput, "Wallet Address Url already exists");
  }
  if (e.code == kTenantErrorNotFound) return field_error(code::kNotFound, "Tenant not found");
  return internal_error(e);
}

json::array settings_json(const std::vector<Setting>& settings) {
  json::array out;
  for (const auto& s : settings) {
    json::object o;
    o["key"] = s.key;
    o["value"] = s.value;
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace

void register_mutation_resolvers(graphql::Schema& schema, Backend& backend) {
  set_resolver(schema, "Mutation.createTenant", [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
    if (!admin_context(info).is_operator) co_return field_error(code::kForbidden, "permission denied");
    const json::object& input = input_argument(info);
    TenantService::NewTenant t;
    if (auto id = string_member(input, "id")) {
      auto parsed = Uuid::parse(*id);
      if (!parsed) co_return field_error(code::kBadUserInput, "Invalid Tenant ID");
      t.id = *parsed;
    }
    t.api_secret = std::string(string_member(input, "apiSecret").value_or(""));
    t.email = opt_string(input, "email");
    t.idp_consent_url = opt_string(input, "idpConsentUrl");
    t.idp_secret = opt_string(input, "idpSecret");
    t.public_name = opt_string(input, "publicName");
    if (const json::value* s = input.if_contains("settings"); s && s->is_array()) {
      t.settings = settings_of(s);
    }
    auto created = co_await backend.tenants->create(std::move(t));
    if (!created) {
      const Error& e = created.error();
      if (e.code == kTenantErrorDuplicate) co_return field_error(code::kDuplicate, e.message);
      if (e.code == kTenantErrorAuthService) {
        co_return field_error(code::kInternal, "Could not create tenant in the auth service");
      }
      co_return settings_error(e);
    }
    forget_memoised_tenants(info);
    json::object r;
    r["tenant"] = TenantService::to_json(*created);
    co_return json::value(std::move(r));
  });

  set_resolver(schema, "Mutation.updateTenant", [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
    const AdminContext& context = admin_context(info);
    const json::object& input = input_argument(info);
    auto id = uuid_member(input, "id");
    if (!id || (!context.is_operator && *id != context.tenant_id)) {
      co_return field_error(code::kNotFound, "tenant does not exist");
    }
    if (context.is_operator && has_member(input, "apiSecret")) {
      co_return field_error(code::kBadUserInput, "Operator cannot update apiSecret over admin api");
    }
    TenantService::TenantPatch patch;
    patch.id = *id;
    patch.email = string_patch(input, "email");
    patch.api_secret = string_patch(input, "apiSecret");
    patch.idp_consent_url = string_patch(input, "idpConsentUrl");
    patch.idp_secret = string_patch(input, "idpSecret");
    patch.public_name = string_patch(input, "publicName");
    auto updated = co_await backend.tenants->update(std::move(patch));
    if (!updated) {
      if (updated.error().code == kTenantErrorInvalidSetting ||
          updated.error().code == kTenantErrorOperatorSecret) {
        co_return field_error(code::kBadUserInput, updated.error().message);
      }
      co_return field_error(code::kNotFound, "failed to update tenant");
    }
    forget_memoised_tenants(info);
    json::object r;
    r["tenant"] = TenantService::to_json(*updated);
    co_return json::value(std::move(r));
  });

  set_resolver(schema, "Mutation.deleteTenant", [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
    if (!admin_context(info).is_operator) co_return field_error(code::kForbidden, "permission denied");
    auto id = Uuid::parse(info.string_argument("id").value_or(""));
    if (!id) co_return field_error(code::kNotFound, "failed to delete tenant");
    auto removed = co_await backend.tenants->remove(*id);
    if (!removed) {
      if (removed.error().code == kTenantErrorOperator) {
        co_return field_error(code::kForbidden, "The operator tenant cannot be deleted");
      }
      co_return field_error(code::kNotFound, "failed to delete tenant");
    }
    forget_memoised_tenants(info);
    json::object r;
    r["success"] = true;
    co_return json::value(std::move(r));
  });

  set_resolver(schema, "Mutation.createTenantSettings",
      [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
        const json::object& input = input_argument(info);
        auto written = co_await backend.tenants->upsert_settings(admin_context(info).tenant_id,
                                                                 settings_of(input.if_contains("settings")));
        if (!written) co_return settings_error(written.error());
        json::object r;
        r["settings"] = settings_json(*written);
        co_return json::value(std::move(r));
      });
}

}  // namespace rafiki::backend::tenant
