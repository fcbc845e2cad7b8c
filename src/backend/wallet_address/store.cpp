#include "backend/wallet_address/store.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "store/listen.h"

namespace rafiki::backend::wallet_address {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::string_view kColumns =
    "id, tenant_id, asset_id, url, public_name, deactivated_at, created_at";
constexpr std::string_view kKeyColumns = "id, wallet_address_id, kid, x, revoked, created_at";

WalletAddress from_row(const store::PgRow& row) {
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

WalletAddressKey key_from_row(const store::PgRow& row) {
  WalletAddressKey k;
  k.id = row.get<Uuid>("id");
  k.wallet_address_id = row.get<Uuid>("wallet_address_id");
  k.kid = row.get<std::string>("kid");
  k.x = row.get<std::string>("x");
  k.revoked = row.get<bool>("revoked");
  k.created_at = row.get<TimePoint>("created_at");
  return k;
}

// A json_agg of two-element arrays of strings, as pairs.
std::vector<std::pair<std::string, std::string>> string_pairs(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  const json::value parsed = json::parse(text);
  for (const auto& pair : parsed.as_array()) {
    const auto& two = pair.as_array();
    out.emplace_back(std::string(two.at(0).as_string()), std::string(two.at(1).as_string()));
  }
  return out;
}

asio::awaitable<Result<std::optional<WalletAddress>>> one_address(store::PgPool& pg,
                                                                  std::string_view column,
                                                                  store::PgParam value) {
  std::vector<store::PgParam> params;
  params.push_back(std::move(value));
  auto rows = co_await pg.query_params(
      "SELECT " + std::string(kColumns) + " FROM wallet_addresses WHERE " + std::string(column) +
          " = $1",
      std::move(params));
  if (!rows) co_return std::unexpected(rows.error());
  if (rows->empty()) co_return std::optional<WalletAddress>();
  co_return std::optional<WalletAddress>(from_row((*rows)[0]));
}

// A page of `table` (aliased t) where `where` holds with $1 = `param` (every row when empty).
template <class T, class FromRow>
asio::awaitable<Result<Paged<T>>> typed_fetch(store::PgPool& pg, std::string table,
                                              std::string where,
                                              std::optional<store::PgParam> param,
                                              const PageArgs& args, FromRow from_row) {
  PageQuery query;
  query.table = std::move(table);
  query.where = std::move(where);
  if (param) query.params.push_back(std::move(*param));
  auto page = co_await fetch_page(pg, query, args);
  if (!page) co_return std::unexpected(page.error());
  co_return typed_page<T>(*page, from_row);
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

}  // namespace

asio::awaitable<Result<WalletAddress>> WalletAddressStore::insert(
    const WalletAddress& address, const std::vector<AdditionalProperty>& properties) {
  co_return co_await pg_.transaction(
      [&](store::PgConn& conn) -> asio::awaitable<Result<WalletAddress>> {
        auto row = co_await conn.query(
            "INSERT INTO wallet_addresses (id, tenant_id, asset_id, url, public_name) "
            "VALUES ($1, $2, $3, $4, $5) RETURNING " +
                std::string(kColumns),
            address.id, address.tenant_id, address.asset_id, address.url, address.public_name);
        if (!row) co_return std::unexpected(row.error());
        if (auto ok = co_await insert_properties(conn, address.id, properties); !ok) {
          co_return std::unexpected(ok.error());
        }
        if (auto ok = co_await store::notify(conn, kNotifyChannel, address.url); !ok) {
          co_return std::unexpected(ok.error());
        }
        co_return from_row((*row)[0]);
      });
}

asio::awaitable<Result<std::optional<WalletAddress>>> WalletAddressStore::update(
    const Change& change) {
  co_return co_await pg_.transaction(
      [&](store::PgConn& conn) -> asio::awaitable<Result<std::optional<WalletAddress>>> {
        auto current = co_await conn.query("SELECT " + std::string(kColumns) +
                                               " FROM wallet_addresses WHERE id = $1 AND "
                                               "tenant_id = $2 FOR UPDATE",
                                           change.id, change.tenant_id);
        if (!current) co_return std::unexpected(current.error());
        if (current->empty()) co_return std::optional<WalletAddress>();
        WalletAddress w = from_row((*current)[0]);
        // "keep", "deactivate" or "activate".
        std::string status_change = "keep";
        if (change.active) {
          bool active = w.active(now_ms());
          if (*change.active && !active) status_change = "activate";
          if (!*change.active && active) status_change = "deactivate";
        }
        std::optional<std::string> new_name;
        if (change.public_name) new_name = *change.public_name;
        std::string sql =
            "UPDATE wallet_addresses SET "
            "public_name = CASE WHEN $2 THEN $3 ELSE public_name END, "
            "deactivated_at = CASE $4 WHEN 'deactivate' THEN now() WHEN 'activate' THEN NULL "
            "ELSE deactivated_at END, updated_at = now() WHERE id = $1 RETURNING " +
            std::string(kColumns);
        std::vector<store::PgParam> params;
        params.emplace_back(change.id);
        params.emplace_back(change.public_name.has_value());
        params.emplace_back(new_name);
        params.emplace_back(status_change);
        auto row = co_await conn.query_params(std::move(sql), std::move(params));
        if (!row) co_return std::unexpected(row.error());
        if (change.additional_properties) {
          auto removed = co_await conn.query(
              "DELETE FROM wallet_address_additional_properties WHERE wallet_address_id = $1",
              change.id);
          if (!removed) co_return std::unexpected(removed.error());
          if (auto ok = co_await insert_properties(conn, change.id, *change.additional_properties);
              !ok) {
            co_return std::unexpected(ok.error());
          }
        }
        if (auto ok = co_await store::notify(conn, kNotifyChannel, w.url); !ok) {
          co_return std::unexpected(ok.error());
        }
        co_return std::optional<WalletAddress>(from_row((*row)[0]));
      });
}

asio::awaitable<Result<std::optional<WalletAddress>>> WalletAddressStore::get(Uuid id) {
  co_return co_await one_address(pg_, "id", id);
}

asio::awaitable<Result<std::optional<WalletAddress>>> WalletAddressStore::get_by_url(
    const std::string& url) {
  co_return co_await one_address(pg_, "url", url);
}

asio::awaitable<Result<Paged<WalletAddress>>> WalletAddressStore::page(
    std::optional<Uuid> tenant_id, const PageArgs& args) {
  std::string table = "wallet_addresses";
  std::string where;
  std::optional<store::PgParam> tenant;
  if (tenant_id) {
    where = "t.tenant_id = $1";
    tenant.emplace(*tenant_id);
  }
  co_return co_await typed_fetch<WalletAddress>(pg_, std::move(table), std::move(where),
                                                std::move(tenant), args, from_row);
}

asio::awaitable<Result<std::vector<AdditionalProperty>>> WalletAddressStore::additional_properties(
    Uuid id) {
  auto rows = co_await pg_.query(
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

asio::awaitable<Result<WalletAddressStore::KeyAdded>> WalletAddressStore::add_key(
    Uuid wallet_address_id, const std::string& kid, const std::string& x,
    std::size_t active_keys_max) {
  auto added = co_await pg_.transaction([&](store::PgConn& conn)
                                            -> asio::awaitable<Result<KeyAdded>> {
    auto owner = co_await conn.query(
        "SELECT url, (SELECT count(*) FROM wallet_address_keys k WHERE k.wallet_address_id = "
        "w.id AND NOT k.revoked) AS keys FROM wallet_addresses w WHERE w.id = $1 FOR UPDATE",
        wallet_address_id);
    if (!owner) co_return std::unexpected(owner.error());
    KeyAdded out;
    if (owner->empty()) {
      out.refusal = KeyRefusal::kUnknownWalletAddress;
      co_return out;
    }
    out.stored.url = (*owner)[0].get<std::string>("url");
    if ((*owner)[0].get<std::int64_t>("keys") >= static_cast<std::int64_t>(active_keys_max)) {
      out.refusal = KeyRefusal::kTooManyKeys;
      co_return out;
    }
    auto row = co_await conn.query(
        "INSERT INTO wallet_address_keys (id, wallet_address_id, kid, x) VALUES ($1, $2, $3, $4) "
        "RETURNING " +
            std::string(kKeyColumns),
        Uuid::v4(), wallet_address_id, kid, x);
    if (!row) co_return std::unexpected(row.error());
    if (auto ok = co_await store::notify(conn, kNotifyChannel, out.stored.url); !ok) {
      co_return std::unexpected(ok.error());
    }
    out.stored.key = key_from_row((*row)[0]);
    co_return out;
  });
  // The insert met the unique index of non-revoked kids (the transaction rolled back).
  if (!added && added.error().code == store::kPgUniqueViolation) {
    KeyAdded duplicate;
    duplicate.refusal = KeyRefusal::kDuplicateKid;
    co_return duplicate;
  }
  co_return added;
}

asio::awaitable<Result<std::optional<StoredKey>>> WalletAddressStore::revoke_key(Uuid key_id) {
  co_return co_await pg_.transaction(
      [&](store::PgConn& conn) -> asio::awaitable<Result<std::optional<StoredKey>>> {
        auto row = co_await conn.query(
            "UPDATE wallet_address_keys k SET revoked = true, "
            "updated_at = CASE WHEN k.revoked THEN k.updated_at ELSE now() END "
            "FROM wallet_addresses w WHERE k.id = $1 AND w.id = k.wallet_address_id "
            "RETURNING k.id, k.wallet_address_id, k.kid, k.x, k.revoked, k.created_at, w.url",
            key_id);
        if (!row) co_return std::unexpected(row.error());
        if (row->empty()) co_return std::optional<StoredKey>();
        StoredKey out{key_from_row((*row)[0]), (*row)[0].get<std::string>("url")};
        if (auto ok = co_await store::notify(conn, kNotifyChannel, out.url); !ok) {
          co_return std::unexpected(ok.error());
        }
        co_return std::optional<StoredKey>(std::move(out));
      });
}

asio::awaitable<Result<Paged<WalletAddressKey>>> WalletAddressStore::keys_page(
    Uuid wallet_address_id, const PageArgs& args) {
  std::string table = "wallet_address_keys";
  std::string where = "t.wallet_address_id = $1";
  std::optional<store::PgParam> owner;
  owner.emplace(wallet_address_id);
  co_return co_await typed_fetch<WalletAddressKey>(pg_, std::move(table), std::move(where),
                                                   std::move(owner), args, key_from_row);
}

asio::awaitable<Result<std::optional<PublicRecord>>> WalletAddressStore::public_record(
    const std::string& url) {
  auto rows = co_await pg_.query(
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
  if (rows->empty()) co_return std::optional<PublicRecord>();
  auto row = (*rows)[0];
  PublicRecord out;
  out.id = row.get<Uuid>("id");
  out.tenant_id = row.get<Uuid>("tenant_id");
  out.asset_id = row.get<Uuid>("asset_id");
  out.public_name = row.get<std::optional<std::string>>("public_name");
  out.deactivated_at = row.get<std::optional<TimePoint>>("deactivated_at");
  out.properties = string_pairs(row.get<std::string_view>("properties"));
  out.keys = string_pairs(row.get<std::string_view>("keys"));
  co_return std::optional<PublicRecord>(std::move(out));
}

asio::awaitable<Result<int>> WalletAddressStore::process_due(int limit,
                                                             const ProcessDue& process) {
  co_return co_await pg_.transaction([&](store::PgConn& conn) -> asio::awaitable<Result<int>> {
    auto due = co_await conn.query(
        "SELECT id, tenant_id, asset_id, created_at, total_events_amount FROM wallet_addresses "
        "WHERE process_at <= now() ORDER BY process_at LIMIT $1 FOR UPDATE SKIP LOCKED",
        limit);
    if (!due) co_return std::unexpected(due.error());
    int processed = 0;
    for (auto row : *due) {
      DueWalletAddress address;
      address.id = row.get<Uuid>("id");
      address.tenant_id = row.get<Uuid>("tenant_id");
      address.asset_id = row.get<Uuid>("asset_id");
      address.created_at = row.get<TimePoint>("created_at");
      address.total_events_amount = row.get<money::u128>("total_events_amount");
      auto total = co_await process(conn, address);
      if (!total) co_return std::unexpected(total.error());
      auto cleared = co_await conn.query(
          "UPDATE wallet_addresses SET process_at = NULL, total_events_amount = $2, "
          "updated_at = now() WHERE id = $1",
          address.id, *total);
      if (!cleared) co_return std::unexpected(cleared.error());
      ++processed;
    }
    co_return processed;
  });
}

asio::awaitable<Result<void>> WalletAddressStore::mark_due(Uuid id, money::u128 reported_at_most) {
  auto updated = co_await pg_.query(
      "UPDATE wallet_addresses SET process_at = now() WHERE id = $1 AND process_at IS NULL "
      "AND total_events_amount <= $2",
      id, reported_at_most);
  if (!updated) co_return std::unexpected(updated.error());
  co_return Result<void>{};
}

}  // namespace rafiki::backend::wallet_address
