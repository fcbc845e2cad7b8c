#include "backend/wallet_address/service.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "backend/asset/service.h"
#include "backend/core/backend.h"
#include "backend/tenant/service.h"
#include "backend/webhook/model.h"
#include "backend/webhook/service.h"
#include "base/encoding.h"
#include "net/http.h"
#include "store/listen.h"

namespace rafiki::backend::wallet_address {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::string_view kColumns =
    "id, tenant_id, asset_id, url, public_name, deactivated_at, created_at";
constexpr std::string_view kKeyColumns = "id, wallet_address_id, kid, x, revoked, created_at";
constexpr std::string_view kSettingWalletAddressUrl = "WALLET_ADDRESS_URL";

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

Error invalid_url() {
  return Error{std::string(kErrorInvalidUrl), "invalid url"};
}

Result<void> check_properties(const std::vector<AdditionalProperty>& properties) {
  if (properties.size() > kAdditionalPropertiesMax) {
    return fail(std::string(kErrorInvalidInput),
                "at most " + std::to_string(kAdditionalPropertiesMax) + " additional properties");
  }
  for (const auto& p : properties) {
    if (p.key.size() > kAdditionalPropertyBytesMax ||
        p.value.size() > kAdditionalPropertyBytesMax) {
      return fail(std::string(kErrorInvalidInput),
                  "additional property keys and values are limited to " +
                      std::to_string(kAdditionalPropertyBytesMax) + " bytes");
    }
  }
  return {};
}

Result<void> check_public_name(const std::optional<std::string>& name) {
  if (name && name->size() > kPublicNameBytesMax) {
    return fail(std::string(kErrorInvalidInput),
                "publicName is limited to " + std::to_string(kPublicNameBytesMax) + " bytes");
  }
  return {};
}

asio::awaitable<Result<void>> insert_properties(store::PgConn& conn, Uuid wallet_address_id,
                                                const std::vector<AdditionalProperty>& properties) {
  int position = 0;
  for (const auto& p : properties) {
    auto r = co_await conn.query(
        "INSERT INTO wallet_address_additional_properties "
        "(id, wallet_address_id, key, value, visible_in_open_payments, position) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        Uuid::v4(), wallet_address_id, p.key, p.value, p.visible_in_open_payments, position++);
    if (!r) co_return std::unexpected(r.error());
  }
  co_return Result<void>{};
}

std::string ensure_trailing_slash(std::string_view url) {
  std::string out(url);
  if (out.empty() || out.back() != '/') out += '/';
  return out;
}

}  // namespace

// --- PublishedCache ---------------------------------------------------------------------------

std::shared_ptr<const Published> PublishedCache::find(const std::string& url) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(url);
  return it == entries_.end() ? nullptr : it->second;
}

std::uint64_t PublishedCache::generation() const {
  std::lock_guard lock(mutex_);
  return generation_;
}

void PublishedCache::insert(std::uint64_t generation, const std::string& url,
                            std::shared_ptr<const Published> entry) {
  std::lock_guard lock(mutex_);
  if (generation != generation_) return;
  if (entries_.size() >= kCacheEntriesMax && !entries_.contains(url)) {
    entries_.erase(entries_.begin());
  }
  entries_[url] = std::move(entry);
}

void PublishedCache::invalidate(const std::string& url) {
  std::lock_guard lock(mutex_);
  ++generation_;
  entries_.erase(url);
}

void PublishedCache::clear() {
  std::lock_guard lock(mutex_);
  ++generation_;
  entries_.clear();
}

std::size_t PublishedCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

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

Result<std::string> resolve_url(std::string_view base, std::string_view address) {
  if (address.size() > kUrlBytesMax) return std::unexpected(invalid_url());
  std::string base_href = with_slash(base);
  std::string url;
  auto scheme_end = address.find("://");
  bool absolute =
      scheme_end != std::string_view::npos && scheme_end > 0 &&
      std::all_of(address.begin(), address.begin() + static_cast<long>(scheme_end), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
      });
  if (absolute) {
    if (!lower(address).starts_with(lower(base_href))) return std::unexpected(invalid_url());
    url = std::string(address);
  } else {
    std::string_view rest = address;
    while (rest.starts_with('/')) rest.remove_prefix(1);
    url = base_href + std::string(rest);
  }
  url = lower(url);
  if (url.size() > kUrlBytesMax || !url.starts_with("https://"))
    return std::unexpected(invalid_url());
  // Characters a request path could not carry back to us unchanged.
  for (char c : url) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '?' || c == '#' || c == '%' || c == '\\') {
      return std::unexpected(invalid_url());
    }
  }
  // Lookups drop a trailing slash from the request path, so the stored form has none.
  while (url.ends_with('/')) url.pop_back();
  std::string_view rest = std::string_view(url).substr(std::string_view("https://").size());
  auto slash = rest.find('/');
  if (slash == 0 || slash == std::string_view::npos) return std::unexpected(invalid_url());
  std::string_view authority = rest.substr(0, slash);
  if (authority.find('@') != std::string_view::npos) return std::unexpected(invalid_url());
  std::string_view path = rest.substr(slash);
  if (path.empty() || path == "/" || path.find("//") != std::string_view::npos) {
    return std::unexpected(invalid_url());
  }
  for (std::string_view reserved : {"/incoming-payments", "/outgoing-payments", "/quotes"}) {
    if (path.find(reserved) != std::string_view::npos) return std::unexpected(invalid_url());
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

WalletAddressService::WalletAddressService(Backend& backend) : backend_(backend) {}

WalletAddressService::~WalletAddressService() {
  stop();
}

WalletAddress WalletAddressService::from_row(const store::PgRow& row) {
  WalletAddress w;
  w.id = row.get<Uuid>("id");
  w.tenant_id = row.get<Uuid>("tenant_id");
  w.asset_id = row.get<Uuid>("asset_id");
  w.url = row.get<std::string>("url");
  w.public_name = row.get<std::optional<std::string>>("public_name");
  w.deactivated_at = row.get<std::optional<TimePoint>>("deactivated_at");
  w.created_at = row.get<TimePoint>("created_at");
  return w;
}

WalletAddressKey WalletAddressService::key_from_row(const store::PgRow& row) {
  WalletAddressKey k;
  k.id = row.get<Uuid>("id");
  k.wallet_address_id = row.get<Uuid>("wallet_address_id");
  k.kid = row.get<std::string>("kid");
  k.x = row.get<std::string>("x");
  k.revoked = row.get<bool>("revoked");
  k.created_at = row.get<TimePoint>("created_at");
  return k;
}

asio::awaitable<Result<WalletAddress>> WalletAddressService::create(NewWalletAddress input) {
  if (auto ok = check_public_name(input.public_name); !ok) co_return std::unexpected(ok.error());
  auto properties = clean_properties(std::move(input.additional_properties));
  if (auto ok = check_properties(properties); !ok) co_return std::unexpected(ok.error());

  auto setting = co_await backend_.tenants->setting(input.tenant_id, kSettingWalletAddressUrl);
  if (!setting) co_return std::unexpected(setting.error());
  std::string base;
  if (*setting) {
    base = **setting;
  } else if (input.is_operator) {
    base = backend_.config.open_payments_url;
  } else {
    co_return fail(std::string(kErrorSettingNotFound),
                   "Setting for wallet address has not been found.");
  }
  auto url = resolve_url(base, input.address);
  if (!url) co_return std::unexpected(url.error());

  auto asset = co_await backend_.assets->get_for_tenant(input.asset_id, input.tenant_id);
  if (!asset) co_return std::unexpected(asset.error());
  if (!*asset) co_return fail(std::string(kErrorUnknownAsset), "unknown asset");

  const Uuid id = Uuid::v4();
  auto created = co_await backend_.pg.transaction(
      [&](store::PgConn& conn) -> asio::awaitable<Result<WalletAddress>> {
        auto row = co_await conn.query(
            "INSERT INTO wallet_addresses (id, tenant_id, asset_id, url, public_name) "
            "VALUES ($1, $2, $3, $4, $5) RETURNING " +
                std::string(kColumns),
            id, input.tenant_id, input.asset_id, *url, input.public_name);
        if (!row) {
          if (row.error().code == store::kPgUniqueViolation) {
            co_return fail(std::string(kErrorDuplicate),
                           "Duplicate wallet address found with the same url");
          }
          co_return std::unexpected(row.error());
        }
        if (auto ok = co_await insert_properties(conn, id, properties); !ok) {
          co_return std::unexpected(ok.error());
        }
        if (auto ok = co_await store::notify(conn, kNotifyChannel, *url); !ok) {
          co_return std::unexpected(ok.error());
        }
        co_return from_row((*row)[0]);
      });
  if (created) changed(created->url);
  co_return created;
}

asio::awaitable<Result<WalletAddress>> WalletAddressService::update(WalletAddressPatch patch) {
  if (patch.public_name) {
    if (auto ok = check_public_name(*patch.public_name); !ok) co_return std::unexpected(ok.error());
  }
  if (patch.additional_properties) {
    patch.additional_properties = clean_properties(std::move(*patch.additional_properties));
    if (auto ok = check_properties(*patch.additional_properties); !ok) {
      co_return std::unexpected(ok.error());
    }
  }
  auto updated = co_await backend_.pg.transaction(
      [&](store::PgConn& conn) -> asio::awaitable<Result<WalletAddress>> {
        auto current = co_await conn.query("SELECT " + std::string(kColumns) +
                                               " FROM wallet_addresses WHERE id = $1 AND "
                                               "tenant_id = $2 FOR UPDATE",
                                           patch.id, patch.tenant_id);
        if (!current) co_return std::unexpected(current.error());
        if (current->empty()) co_return fail(std::string(kErrorUnknown), "Unknown wallet address");
        WalletAddress w = from_row((*current)[0]);
        // "keep", "deactivate" or "activate".
        std::string status_change = "keep";
        if (patch.active) {
          bool active = w.active(now_ms());
          if (*patch.active && !active) status_change = "activate";
          if (!*patch.active && active) status_change = "deactivate";
        }
        std::optional<std::string> new_name;
        if (patch.public_name) new_name = *patch.public_name;
        std::string sql =
            "UPDATE wallet_addresses SET "
            "public_name = CASE WHEN $2 THEN $3 ELSE public_name END, "
            "deactivated_at = CASE $4 WHEN 'deactivate' THEN now() WHEN 'activate' THEN NULL "
            "ELSE deactivated_at END, updated_at = now() WHERE id = $1 RETURNING " +
            std::string(kColumns);
        std::vector<store::PgParam> params;
        params.emplace_back(patch.id);
        params.emplace_back(patch.public_name.has_value());
        params.emplace_back(new_name);
        params.emplace_back(status_change);
        auto row = co_await conn.query_params(std::move(sql), std::move(params));
        if (!row) co_return std::unexpected(row.error());
        if (patch.additional_properties) {
          auto removed = co_await conn.query(
              "DELETE FROM wallet_address_additional_properties WHERE wallet_address_id = $1",
              patch.id);
          if (!removed) co_return std::unexpected(removed.error());
          if (auto ok = co_await insert_properties(conn, patch.id, *patch.additional_properties);
              !ok) {
            co_return std::unexpected(ok.error());
          }
        }
        if (auto ok = co_await store::notify(conn, kNotifyChannel, w.url); !ok) {
          co_return std::unexpected(ok.error());
        }
        co_return from_row((*row)[0]);
      });
  if (updated) changed(updated->url);
  co_return updated;
}

asio::awaitable<Result<std::optional<WalletAddress>>> WalletAddressService::get(Uuid id) {
  auto rows = co_await backend_.pg.query(
      "SELECT " + std::string(kColumns) + " FROM wallet_addresses WHERE id = $1", id);
  if (!rows) co_return std::unexpected(rows.error());
  if (rows->empty()) co_return std::optional<WalletAddress>();
  co_return std::optional<WalletAddress>(from_row((*rows)[0]));
}

asio::awaitable<Result<std::optional<WalletAddress>>> WalletAddressService::get_by_url(
    std::string url) {
  auto rows = co_await backend_.pg.query(
      "SELECT " + std::string(kColumns) + " FROM wallet_addresses WHERE url = $1", lower(url));
  if (!rows) co_return std::unexpected(rows.error());
  if (rows->empty()) co_return std::optional<WalletAddress>();
  co_return std::optional<WalletAddress>(from_row((*rows)[0]));
}

asio::awaitable<Result<std::vector<AdditionalProperty>>>
WalletAddressService::additional_properties(Uuid id) {
  auto rows = co_await backend_.pg.query(
      "SELECT key, value, visible_in_open_payments FROM wallet_address_additional_properties "
      "WHERE wallet_address_id = $1 ORDER BY position",
      id);
  if (!rows) co_return std::unexpected(rows.error());
  std::vector<AdditionalProperty> out;
  for (auto row : *rows) {
    out.push_back(
        AdditionalProperty{row.get<std::string>(0), row.get<std::string>(1), row.get<bool>(2)});
  }
  co_return out;
}

asio::awaitable<Result<WalletAddressKey>> WalletAddressService::add_key(Uuid wallet_address_id,
                                                                        crypto::Jwk jwk) {
  std::string x = encoding::base64url_encode(ByteView(jwk.key.raw().data(), jwk.key.raw().size()));
  std::string url;
  auto added = co_await backend_.pg.transaction([&](store::PgConn& conn)
                                                    -> asio::awaitable<Result<WalletAddressKey>> {
    auto owner = co_await conn.query(
        "SELECT url, (SELECT count(*) FROM wallet_address_keys k WHERE k.wallet_address_id = "
        "w.id AND NOT k.revoked) AS keys FROM wallet_addresses w WHERE w.id = $1 FOR UPDATE",
        wallet_address_id);
    if (!owner) co_return std::unexpected(owner.error());
    if (owner->empty()) co_return fail(std::string(kErrorUnknown), "Unknown wallet address");
    url = (*owner)[0].get<std::string>("url");
    if ((*owner)[0].get<std::int64_t>("keys") >=
        static_cast<std::int64_t>(kKeysPerWalletAddressMax)) {
      co_return fail(std::string(kErrorTooManyKeys), "a wallet address has at most " +
                                                         std::to_string(kKeysPerWalletAddressMax) +
                                                         " active keys");
    }
    auto row = co_await conn.query(
        "INSERT INTO wallet_address_keys (id, wallet_address_id, kid, x) VALUES ($1, $2, $3, $4) "
        "RETURNING " +
            std::string(kKeyColumns),
        Uuid::v4(), wallet_address_id, jwk.kid, x);
    if (!row) {
      if (row.error().code == store::kPgUniqueViolation) {
        co_return fail(std::string(kErrorDuplicateKey), "Key already exists");
      }
      co_return std::unexpected(row.error());
    }
    if (auto ok = co_await store::notify(conn, kNotifyChannel, url); !ok) {
      co_return std::unexpected(ok.error());
    }
    co_return key_from_row((*row)[0]);
  });
  if (added) changed(url);
  co_return added;
}

asio::awaitable<Result<WalletAddressKey>> WalletAddressService::revoke_key(Uuid key_id) {
  std::string url;
  auto revoked = co_await backend_.pg.transaction(
      [&](store::PgConn& conn) -> asio::awaitable<Result<WalletAddressKey>> {
        auto row = co_await conn.query(
            "UPDATE wallet_address_keys k SET revoked = true, "
            "updated_at = CASE WHEN k.revoked THEN k.updated_at ELSE now() END "
            "FROM wallet_addresses w WHERE k.id = $1 AND w.id = k.wallet_address_id "
            "RETURNING k.id, k.wallet_address_id, k.kid, k.x, k.revoked, k.created_at, w.url",
            key_id);
        if (!row) co_return std::unexpected(row.error());
        if (row->empty())
          co_return fail(std::string(kErrorUnknownKey), "Wallet address key not found");
        url = (*row)[0].get<std::string>("url");
        if (auto ok = co_await store::notify(conn, kNotifyChannel, url); !ok) {
          co_return std::unexpected(ok.error());
        }
        co_return key_from_row((*row)[0]);
      });
  if (revoked) changed(url);
  co_return revoked;
}

asio::awaitable<Result<int>> WalletAddressService::trigger_events(int limit) {
  if (limit < 1 || limit > kTriggerEventsLimitMax) {
    co_return fail(std::string(kErrorInvalidInput),
                   "limit must be between 1 and " + std::to_string(kTriggerEventsLimitMax));
  }
  co_return co_await backend_.pg.transaction(
      [&](store::PgConn& conn) -> asio::awaitable<Result<int>> {
        auto due = co_await conn.query(
            "SELECT id, tenant_id, asset_id, created_at, total_events_amount FROM wallet_addresses "
            "WHERE process_at <= now() ORDER BY process_at LIMIT $1 FOR UPDATE SKIP LOCKED",
            limit);
        if (!due) co_return std::unexpected(due.error());
        int processed = 0;
        for (auto row : *due) {
          const Uuid id = row.get<Uuid>("id");
          const money::u128 evented = row.get<money::u128>("total_events_amount");
          auto account = co_await backend_.ledger.balances(id);
          if (!account) co_return std::unexpected(account.error());
          money::u128 received = *account ? (*account)->credits_posted : 0;
          money::u128 total = evented;
          if (received > evented) {
            const money::u128 amount = received - evented;
            json::object wallet;
            wallet["id"] = id.str();
            wallet["createdAt"] = format_rfc3339(row.get<TimePoint>("created_at"));
            auto asset = co_await backend_.assets->get_including_deleted(row.get<Uuid>("asset_id"));
            if (!asset) co_return std::unexpected(asset.error());
            if (!*asset)
              co_return fail("wallet_address.asset_missing", "the wallet address's asset is gone");
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
            event.tenant_id = row.get<Uuid>("tenant_id");
            event.withdrawal = webhook::Withdrawal{id, row.get<Uuid>("asset_id"), amount};
            auto emitted = co_await backend_.webhooks->emit(conn, std::move(event));
            if (!emitted) co_return std::unexpected(emitted.error());
            total = received;
          }
          auto cleared = co_await conn.query(
              "UPDATE wallet_addresses SET process_at = NULL, total_events_amount = $2, "
              "updated_at = now() WHERE id = $1",
              id, total);
          if (!cleared) co_return std::unexpected(cleared.error());
          ++processed;
        }
        co_return processed;
      });
}

// --- Open Payments ----------------------------------------------------------------------------

asio::awaitable<Result<std::shared_ptr<const Published>>> WalletAddressService::load_published(
    const std::string& url) {
  auto rows = co_await backend_.pg.query(
      "SELECT w.id, w.tenant_id, w.asset_id, w.public_name, w.deactivated_at, "
      "coalesce((SELECT json_agg(json_build_array(p.key, p.value) ORDER BY p.position) "
      "FROM wallet_address_additional_properties p WHERE p.wallet_address_id = w.id AND "
      "p.visible_in_open_payments), '[]')::text AS properties, "
      "coalesce((SELECT json_agg(json_build_array(k.kid, k.x) ORDER BY k.created_at, k.id) "
      "FROM wallet_address_keys k WHERE k.wallet_address_id = w.id AND NOT k.revoked), "
      "'[]')::text AS keys "
      "FROM wallet_addresses w WHERE w.url = $1",
      url);
  if (!rows) co_return std::unexpected(rows.error());
  if (rows->empty()) co_return std::shared_ptr<const Published>();
  auto row = (*rows)[0];
  auto asset = co_await backend_.assets->get_including_deleted(row.get<Uuid>("asset_id"));
  if (!asset) co_return std::unexpected(asset.error());
  if (!*asset) co_return fail("wallet_address.asset_missing", "the wallet address's asset is gone");

  auto published = std::make_shared<Published>();
  published->id = row.get<Uuid>("id");
  published->tenant_id = row.get<Uuid>("tenant_id");
  published->deactivated_at = row.get<std::optional<TimePoint>>("deactivated_at");
  published->asset_code = (*asset)->code;
  published->asset_scale = (*asset)->scale;
  const std::string tenant = published->tenant_id.str();

  json::object doc;
  doc["id"] = url;
  if (auto name = row.get<std::optional<std::string>>("public_name")) doc["publicName"] = *name;
  doc["assetCode"] = (*asset)->code;
  doc["assetScale"] = (*asset)->scale;
  doc["authServer"] = ensure_trailing_slash(backend_.config.auth_server_grant_url) + tenant;
  doc["resourceServer"] = ensure_trailing_slash(backend_.config.open_payments_url) + tenant;
  json::object extra;
  const json::value properties = json::parse(row.get<std::string_view>("properties"));
  for (const auto& pair : properties.as_array()) {
    const auto& kv = pair.as_array();
    extra[kv.at(0).as_string()] = kv.at(1);
  }
  if (!extra.empty()) doc["additionalProperties"] = std::move(extra);
  published->document = json::serialize(doc);

  json::array keys;
  const json::value key_rows = json::parse(row.get<std::string_view>("keys"));
  for (const auto& pair : key_rows.as_array()) {
    const auto& kv = pair.as_array();
    json::object key;
    key["kid"] = kv.at(0);
    key["x"] = kv.at(1);
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
  const bool usable = cache_active();
  if (usable) {
    if (auto hit = cache_->find(url)) co_return hit;
  }
  const std::uint64_t generation = cache_->generation();
  auto loaded = co_await load_published(url);
  if (loaded && *loaded && usable && cache_active()) cache_->insert(generation, url, *loaded);
  co_return loaded;
}

asio::awaitable<Result<void>> WalletAddressService::emit_not_found(const std::string& url) {
  // The tenant whose WALLET_ADDRESS_URL is the longest prefix of the URL, else the operator.
  auto rows = co_await backend_.pg.query(
      "SELECT s.tenant_id FROM tenant_settings s JOIN tenants t ON t.id = s.tenant_id "
      "WHERE s.key = $1 AND s.deleted_at IS NULL AND t.deleted_at IS NULL "
      "AND starts_with($2, lower(s.value)) ORDER BY length(s.value) DESC LIMIT 1",
      kSettingWalletAddressUrl, url);
  if (!rows) co_return std::unexpected(rows.error());
  webhook::NewEvent event;
  event.type = std::string(webhook::event_type::kWalletAddressNotFound);
  event.data["walletAddressUrl"] = url;
  if (!rows->empty()) {
    event.tenant_id = (*rows)[0].get<Uuid>(0);
  } else {
    auto operator_id = Uuid::parse(backend_.config.operator_tenant_id);
    if (!operator_id)
      co_return fail("wallet_address.no_operator", "OPERATOR_TENANT_ID is not a UUID");
    event.tenant_id = *operator_id;
  }
  auto emitted = co_await backend_.webhooks->emit(std::move(event));
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
  const auto timeout = std::chrono::milliseconds(backend_.config.wallet_address_lookup_timeout_ms);
  const auto step = std::chrono::milliseconds(
      std::max<std::int64_t>(1, backend_.config.wallet_address_polling_frequency_ms));
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
  if (listener_) return;
  store::PgConfig config;
  config.url = backend_.config.database_url;
  auto listener = store::PgListener::create(executor, config, {std::string(kNotifyChannel)});
  if (!listener) {
    spdlog::error("wallet address cache disabled: {}", listener.error().message);
    return;
  }
  (*listener)->on_notification(
      [cache = cache_](const store::PgNotification& n) { cache->invalidate(n.payload); });
  (*listener)->on_resync([cache = cache_] { cache->clear(); });
  listener_ = *listener;
  asio::co_spawn(executor, listener_->run(), asio::detached);
}

std::shared_ptr<const Published> WalletAddressService::cached(const std::string& url) const {
  if (!cache_active()) return nullptr;
  return cache_->find(url);
}

bool WalletAddressService::cache_active() const {
  return listener_ && listener_->connected();
}

void WalletAddressService::stop() {
  if (listener_) listener_->stop();
}

}  // namespace rafiki::backend::wallet_address
