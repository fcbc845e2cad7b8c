#include "backend/wallet_address/service.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "backend/asset/service.h"
#include "backend/liquidity/service.h"
#include "backend/tenant/service.h"
#include "backend/webhook/model.h"
#include "backend/webhook/service.h"
#include "base/encoding.h"
#include "ledger/ledger.h"
#include "net/http.h"

namespace rafiki::backend::wallet_address {

namespace asio = boost::asio;
namespace json = boost::json;

using E = WalletAddressError;

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view text) {
  auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// The base URL with exactly one trailing slash (a URL's normalised href for a bare origin).
std::string with_slash(std::string_view url) {
  std::string out(url);
  while (!out.empty() && out.back() == '/') out.pop_back();
  out += '/';
  return out;
}

std::unexpected<E> invalid_url() {
  return std::unexpected(E::kInvalidUrl);
}

std::optional<E> check_properties(const std::vector<AdditionalProperty>& properties) {
  if (properties.size() > kAdditionalPropertiesMax) return E::kTooManyProperties;
  for (const auto& p : properties) {
    if (p.key.size() > kAdditionalPropertyBytesMax ||
        p.value.size() > kAdditionalPropertyBytesMax) {
      return E::kPropertyTooLong;
    }
  }
  return std::nullopt;
}

std::optional<E> check_public_name(const std::optional<std::string>& name) {
  if (name && name->size() > kPublicNameBytesMax) return E::kPublicNameTooLong;
  return std::nullopt;
}

std::string ensure_trailing_slash(std::string_view url) {
  std::string out(url);
  if (out.empty() || out.back() != '/') out += '/';
  return out;
}

Error asset_missing() {
  return Error{"wallet_address.asset_missing", "the wallet address's asset is gone"};
}

}  // namespace

// --- URLs -------------------------------------------------------------------------------------

std::vector<AdditionalProperty> clean_properties(std::vector<AdditionalProperty> properties) {
  std::vector<AdditionalProperty> out;
  for (auto& p : properties) {
    std::string key(trim(p.key));
    std::string value(trim(p.value));
    if (key.empty() || value.empty()) continue;
    out.push_back(AdditionalProperty{std::move(key), std::move(value), p.visible_in_open_payments});
  }
  return out;
}

std::expected<std::string, E> resolve_url(std::string_view base, std::string_view address) {
  if (address.size() > kUrlBytesMax) return invalid_url();
  std::string base_href = with_slash(base);
  std::string url;
  auto scheme_end = address.find("://");
  bool absolute =
      scheme_end != std::string_view::npos && scheme_end > 0 &&
      std::all_of(address.begin(), address.begin() + static_cast<long>(scheme_end), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
      });
  if (absolute) {
    if (!lower(address).starts_with(lower(base_href))) return invalid_url();
    url = std::string(address);
  } else {
    std::string_view rest = address;
    while (rest.starts_with('/')) rest.remove_prefix(1);
    url = base_href + std::string(rest);
  }
  url = lower(url);
  if (url.size() > kUrlBytesMax || !url.starts_with("https://"))
    return invalid_url();
  // Characters a request path could not carry back to us unchanged.
  for (char c : url) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '?' || c == '#' || c == '%' || c == '\\') {
      return invalid_url();
    }
  }
  // Lookups drop a trailing slash from the request path, so the stored form has none.
  while (url.ends_with('/')) url.pop_back();
  std::string_view rest = std::string_view(url).substr(std::string_view("https://").size());
  auto slash = rest.find('/');
  if (slash == 0 || slash == std::string_view::npos) return invalid_url();
  std::string_view authority = rest.substr(0, slash);
  if (authority.find('@') != std::string_view::npos) return invalid_url();
  std::string_view path = rest.substr(slash);
  if (path.empty() || path == "/" || path.find("//") != std::string_view::npos) {
    return invalid_url();
  }
  for (std::string_view reserved : {"/incoming-payments", "/outgoing-payments", "/quotes"}) {
    if (path.find(reserved) != std::string_view::npos) return invalid_url();
  }
  return url;
}

std::optional<std::string> request_url(const RequestTarget& target) {
  if (target.host.empty()) return std::nullopt;
  auto path = net::percent_decode(target.path, false);
  if (!path) return std::nullopt;
  while (path->size() > 1 && path->back() == '/') path->pop_back();
  if (path->empty() || (*path)[0] != '/') path->insert(path->begin(), '/');
  std::string url;
  url.reserve(8 + target.host.size() + path->size());
  url += "https://";
  url += target.host;
  if (*path != "/") url += *path;
  for (char& c : url) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return url;
}

// --- Service ----------------------------------------------------------------------------------

WalletAddressSettings WalletAddressSettings::from_config(const Config& config) {
  WalletAddressSettings s;
  s.open_payments_url = config.open_payments_url;
  s.auth_server_grant_url = config.auth_server_grant_url;
  s.operator_tenant_id = Uuid::parse(config.operator_tenant_id);
  s.database_url = config.database_url;
  s.lookup_timeout_ms = config.wallet_address_lookup_timeout_ms;
  s.polling_frequency_ms = config.wallet_address_polling_frequency_ms;
  return s;
}

WalletAddressService::WalletAddressService(WalletAddressStore store, WalletAddressSettings settings,
                                           tenant::TenantService& tenants,
                                           asset::AssetService& assets,
                                           liquidity::LiquidityService& liquidity,
                                           webhook::WebhookService& webhooks,
                                           ledger::Ledger& ledger)
    : store_(std::move(store)),
      settings_(std::move(settings)),
      tenants_(tenants),
      assets_(assets),
      liquidity_(liquidity),
      webhooks_(webhooks),
      ledger_(ledger),
      cache_([] {
        Cache::Options options;
        options.channel = std::string(kNotifyChannel);
        options.name = "wallet address cache";
        options.entries_max = kCacheEntriesMax;
        options.key_of = [](std::string_view payload) {
          return std::optional<std::string>(payload);
        };
        options.single_load = false;
        return options;
      }()) {}

WalletAddressService::~WalletAddressService() {
  stop();
}

asio::awaitable<Outcome<WalletAddress, E>> WalletAddressService::create(NewWalletAddress input) {
  if (auto bad = check_public_name(input.public_name)) co_return fail_with(*bad);
  auto properties = clean_properties(std::move(input.additional_properties));
  if (auto bad = check_properties(properties)) co_return fail_with(*bad);

  auto setting = co_await tenants_.setting(input.tenant_id, kSettingWalletAddressUrl);
  if (!setting) co_return pass_on<E>(setting.error());
  std::string base;
  if (*setting) {
    base = **setting;
  } else if (input.is_operator) {
    base = settings_.open_payments_url;
  } else {
    co_return fail_with(E::kSettingNotFound);
  }
  auto url = resolve_url(base, input.address);
  if (!url) co_return fail_with(url.error());

  auto asset = co_await assets_.get_for_tenant(input.asset_id, input.tenant_id);
  if (!asset) co_return pass_on<E>(asset.error());
  if (!*asset) co_return fail_with(E::kUnknownAsset);

  WalletAddress address;
  address.id = Uuid::v4();
  address.tenant_id = input.tenant_id;
  address.asset_id = input.asset_id;
  address.url = std::move(*url);
  address.public_name = std::move(input.public_name);
  auto created = co_await store_.insert(address, properties);
  if (!created) {
    if (created.error().code == store::kPgUniqueViolation) co_return fail_with(E::kDuplicate);
    co_return pass_on<E>(created.error());
  }
  changed(created->url);
  co_return std::move(*created);
}

asio::awaitable<Outcome<WalletAddress, E>> WalletAddressService::update(WalletAddressPatch patch) {
  if (patch.public_name) {
    if (auto bad = check_public_name(*patch.public_name)) co_return fail_with(*bad);
  }
  if (patch.additional_properties) {
    patch.additional_properties = clean_properties(std::move(*patch.additional_properties));
    if (auto bad = check_properties(*patch.additional_properties)) co_return fail_with(*bad);
  }
  WalletAddressStore::Change change;
  change.id = patch.id;
  change.tenant_id = patch.tenant_id;
  change.public_name = std::move(patch.public_name);
  change.active = patch.active;
  change.additional_properties = std::move(patch.additional_properties);
  auto updated = co_await store_.update(change);
  if (!updated) co_return pass_on<E>(updated.error());
  if (!*updated) co_return fail_with(E::kUnknown);
  changed((*updated)->url);
  co_return std::move(**updated);
}

asio::awaitable<Result<std::optional<WalletAddress>>> WalletAddressService::get(Uuid id) {
  co_return co_await store_.get(id);
}

asio::awaitable<Outcome<std::optional<WalletAddress>, E>> WalletAddressService::get_by_url(
    std::string url) {
  auto found = co_await store_.get_by_url(lower(url));
  if (!found) co_return pass_on<E>(found.error());
  co_return std::move(*found);
}

asio::awaitable<Outcome<Paged<WalletAddress>, E>> WalletAddressService::page(
    std::optional<Uuid> tenant_id, const PageArgs& args) {
  auto page = co_await store_.page(tenant_id, args);
  if (!page) co_return pass_on<E>(page.error());
  co_return std::move(*page);
}

asio::awaitable<Outcome<std::vector<AdditionalProperty>, E>>
WalletAddressService::additional_properties(Uuid id) {
  auto properties = co_await store_.additional_properties(id);
  if (!properties) co_return pass_on<E>(properties.error());
  co_return std::move(*properties);
}

asio::awaitable<Outcome<WalletAddressKey, E>> WalletAddressService::add_key(
    Uuid wallet_address_id, crypto::Jwk jwk) {
  const std::string x =
      encoding::base64url_encode(ByteView(jwk.key.raw().data(), jwk.key.raw().size()));
  auto added = co_await store_.add_key(wallet_address_id, jwk.kid, x, kKeysPerWalletAddressMax);
  if (!added) co_return pass_on<E>(added.error());
  switch (added->refusal) {
    case WalletAddressStore::KeyRefusal::kNone:
      break;
    case WalletAddressStore::KeyRefusal::kUnknownWalletAddress:
      co_return fail_with(E::kUnknown);
    case WalletAddressStore::KeyRefusal::kTooManyKeys:
      co_return fail_with(E::kTooManyKeys);
    case WalletAddressStore::KeyRefusal::kDuplicateKid:
      co_return fail_with(E::kDuplicateKey);
  }
  changed(added->stored.url);
  co_return std::move(added->stored.key);
}

asio::awaitable<Outcome<WalletAddressKey, E>> WalletAddressService::revoke_key(Uuid key_id) {
  auto revoked = co_await store_.revoke_key(key_id);
  if (!revoked) co_return pass_on<E>(revoked.error());
  if (!*revoked) co_return fail_with(E::kUnknownKey);
  changed((*revoked)->url);
  co_return std::move((*revoked)->key);
}

asio::awaitable<Outcome<Paged<WalletAddressKey>, E>> WalletAddressService::keys(
    Uuid wallet_address_id, const PageArgs& args) {
  auto page = co_await store_.keys_page(wallet_address_id, args);
  if (!page) co_return pass_on<E>(page.error());
  co_return std::move(*page);
}

asio::awaitable<Outcome<int, E>> WalletAddressService::trigger_events(std::int64_t limit) {
  if (limit < 1 || limit > kTriggerEventsLimitMax) co_return fail_with(E::kInvalidEventsLimit);
  // An event for what each address received beyond what earlier events reported, emitted in the
  // store's transaction; returns the new reported total.
  WalletAddressStore::ProcessDue process =
      [this](store::PgConn& conn,
             const DueWalletAddress& due) -> asio::awaitable<Result<money::u128>> {
    auto account = co_await ledger_.balances(due.id);
    if (!account) co_return std::unexpected(account.error());
    money::u128 received = *account ? (*account)->credits_posted : 0;
    if (received <= due.total_events_amount) co_return due.total_events_amount;
    const money::u128 amount = received - due.total_events_amount;
    json::object wallet;
    wallet["id"] = due.id.str();
    wallet["createdAt"] = format_rfc3339(due.created_at);
    auto asset = co_await assets_.get_including_deleted(due.asset_id);
    if (!asset) co_return std::unexpected(asset.error());
    if (!*asset) co_return std::unexpected(asset_missing());
    json::object received_amount;
    received_amount["value"] = money::to_string(amount);
    received_amount["assetCode"] = (*asset)->code;
    received_amount["assetScale"] = (*asset)->scale;
    wallet["receivedAmount"] = std::move(received_amount);
    json::object data;
    data["walletAddress"] = std::move(wallet);
    webhook::NewEvent event;
    event.type = std::string(webhook::event_type::kWalletAddressWebMonetization);
    event.data = std::move(data);
    event.tenant_id = due.tenant_id;
    event.withdrawal = webhook::Withdrawal{due.id, due.asset_id, amount};
    auto emitted = co_await webhooks_.emit(conn, std::move(event));
    if (!emitted) co_return std::unexpected(emitted.error());
    co_return received;
  };
  auto processed = co_await store_.process_due(static_cast<int>(limit), process);
  if (!processed) co_return pass_on<E>(processed.error());
  co_return *processed;
}

asio::awaitable<Result<void>> WalletAddressService::schedule_web_monetization(
    Uuid id, money::u128 withdrawal_threshold) {
  auto account = co_await ledger_.balances(id);
  if (!account) co_return std::unexpected(account.error());
  if (!*account) co_return Result<void>{};
  const money::u128 received = (*account)->credits_posted;
  if (received < withdrawal_threshold) co_return Result<void>{};
  co_return co_await store_.mark_due(id, received - withdrawal_threshold);
}

asio::awaitable<Outcome<money::u128, E>> WalletAddressService::withdraw(
    const WalletAddress& address, Uuid transfer_id, money::u128 timeout_seconds) {
  if (timeout_seconds > liquidity::kWithdrawalTimeoutSecondsMax) {
    co_return fail_with(E::kInvalidTransferTimeout);
  }
  auto balance = co_await liquidity_.balance(address.id);
  if (!balance) co_return pass_on<E>(balance.error());
  if (!*balance) co_return fail_with(E::kNoLiquidityAccount);
  if (**balance == 0) co_return fail_with(E::kAmountZero);
  auto asset = co_await assets_.get_including_deleted(address.asset_id);
  if (!asset) co_return pass_on<E>(asset.error());
  if (!*asset) co_return fail_with(E::kWithdrawalUnknownAsset);
  auto withdrawn = co_await liquidity_.withdraw(address.id, **asset, **balance, transfer_id,
                                                static_cast<std::uint32_t>(timeout_seconds));
  // Liquidity's refusals travel as its Error (resolvers.cpp reads them back into its answers).
  if (!withdrawn) co_return pass_on<E>(liquidity::to_error(withdrawn.error()));
  co_return **balance;
}

// --- Open Payments ----------------------------------------------------------------------------

asio::awaitable<Result<std::shared_ptr<const Published>>> WalletAddressService::load_published(
    const std::string& url) {
  auto record = co_await store_.public_record(url);
  if (!record) co_return std::unexpected(record.error());
  if (!*record) co_return std::shared_ptr<const Published>();
  const PublicRecord& row = **record;
  auto asset = co_await assets_.get_including_deleted(row.asset_id);
  if (!asset) co_return std::unexpected(asset.error());
  if (!*asset) co_return std::unexpected(asset_missing());

  auto published = std::make_shared<Published>();
  published->id = row.id;
  published->tenant_id = row.tenant_id;
  published->deactivated_at = row.deactivated_at;
  published->asset_code = (*asset)->code;
  published->asset_scale = (*asset)->scale;
  const std::string tenant = published->tenant_id.str();

  json::object doc;
  doc["id"] = url;
  if (row.public_name) doc["publicName"] = *row.public_name;
  doc["assetCode"] = (*asset)->code;
  doc["assetScale"] = (*asset)->scale;
  doc["authServer"] = ensure_trailing_slash(settings_.auth_server_grant_url) + tenant;
  doc["resourceServer"] = ensure_trailing_slash(settings_.open_payments_url) + tenant;
  json::object extra;
  for (const auto& [key, value] : row.properties) extra[key] = value;
  if (!extra.empty()) doc["additionalProperties"] = std::move(extra);
  published->document = json::serialize(doc);

  json::array keys;
  for (const auto& [kid, x] : row.keys) {
    json::object key;
    key["kid"] = kid;
    key["x"] = x;
    key["alg"] = "EdDSA";
    key["kty"] = "OKP";
    key["crv"] = "Ed25519";
    keys.push_back(std::move(key));
  }
  json::object jwks;
  jwks["keys"] = std::move(keys);
  published->jwks = json::serialize(jwks);
  co_return std::shared_ptr<const Published>(std::move(published));
}

asio::awaitable<Result<std::shared_ptr<const Published>>> WalletAddressService::published(
    std::string url) {
  Cache::Loader load = [this, url] { return load_published(url); };
  co_return co_await cache_.get(std::move(url), std::move(load));
}

asio::awaitable<Result<void>> WalletAddressService::emit_not_found(const std::string& url) {
  // The tenant whose WALLET_ADDRESS_URL is the longest prefix of the URL, else the operator.
  auto owner = co_await tenants_.tenant_of_wallet_address_url(url);
  if (!owner) co_return std::unexpected(owner.error());
  webhook::NewEvent event;
  event.type = std::string(webhook::event_type::kWalletAddressNotFound);
  event.data["walletAddressUrl"] = url;
  if (*owner) {
    event.tenant_id = **owner;
  } else {
    if (!settings_.operator_tenant_id)
      co_return fail("wallet_address.no_operator", "OPERATOR_TENANT_ID is not a UUID");
    event.tenant_id = *settings_.operator_tenant_id;
  }
  auto emitted = co_await webhooks_.emit(std::move(event));
  if (!emitted) co_return std::unexpected(emitted.error());
  co_return Result<void>{};
}

asio::awaitable<Result<std::shared_ptr<const Published>>> WalletAddressService::published_or_poll(
    std::string url) {
  auto found = co_await published(url);
  if (!found || *found) co_return found;
  if (auto emitted = co_await emit_not_found(url); !emitted) {
    spdlog::warn("wallet_address.not_found event for {} not stored: {}", url,
                 emitted.error().message);
  }
  const auto timeout = std::chrono::milliseconds(settings_.lookup_timeout_ms);
  const auto step =
      std::chrono::milliseconds(std::max<std::int64_t>(1, settings_.polling_frequency_ms));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (std::chrono::steady_clock::now() + step <= deadline) {
    timer.expires_after(step);
    co_await timer.async_wait(asio::use_awaitable);
    found = co_await published(url);
    if (!found || *found) co_return found;
  }
  co_return found;
}

void WalletAddressService::start(asio::any_io_executor executor) {
  store::PgConfig config;
  config.url = settings_.database_url;
  if (auto ok = cache_.start(std::move(executor), std::move(config)); !ok) {
    spdlog::error("wallet address cache disabled: {}", ok.error().message);
  }
}

}  // namespace rafiki::backend::wallet_address
