// All SQL on the wallet address tables (wallet_addresses, wallet_address_keys,
// wallet_address_additional_properties). Rows come back as the model's types; nothing here
// decides anything. Every change to an address or its keys notifies kNotifyChannel inside its
// transaction (payload: the address's URL), so that every process can drop its cached copy.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/core/pagination.h"
#include "backend/wallet_address/model.h"
#include "base/errors.h"
#include "store/pg.h"

namespace rafiki::backend::wallet_address {

// The LISTEN/NOTIFY channel of wallet address changes.
inline constexpr std::string_view kNotifyChannel = "wallet_address";

// A key with the URL of its wallet address (whose published entry it changed).
struct StoredKey {
  WalletAddressKey key;
  std::string url;
};

class WalletAddressStore {
 public:
  explicit WalletAddressStore(store::PgPool pg) : pg_(std::move(pg)) {}

  // Inserts the address (id, tenant, asset, url, public name) and its properties in order. Fails
  // with store::kPgUniqueViolation when another address has the URL.
  boost::asio::awaitable<Result<WalletAddress>> insert(
      const WalletAddress& address, const std::vector<AdditionalProperty>& properties);

  struct Change {
    Uuid id;
    Uuid tenant_id;  // the address must belong to this tenant
    std::optional<std::optional<std::string>> public_name;  // absent: keep; null: clear
    std::optional<bool> active;  // ACTIVE: clear a deactivation; INACTIVE: deactivate now
    std::optional<std::vector<AdditionalProperty>> additional_properties;  // replace all
  };
  // Applies `change` under the row's lock; nullopt when the tenant has no such address.
  boost::asio::awaitable<Result<std::optional<WalletAddress>>> update(const Change& change);

  boost::asio::awaitable<Result<std::optional<WalletAddress>>> get(Uuid id);
  boost::asio::awaitable<Result<std::optional<WalletAddress>>> get_by_url(const std::string& url);
  // A page of the tenant's addresses (every tenant's when nullopt).
  boost::asio::awaitable<Result<Paged<WalletAddress>>> page(std::optional<Uuid> tenant_id,
                                                           const PageArgs& args);
  // Every additional property (visible or not), in creation order.
  boost::asio::awaitable<Result<std::vector<AdditionalProperty>>> additional_properties(Uuid id);

  // What adding a key can meet besides success.
  enum class KeyRefusal { kNone, kUnknownWalletAddress, kTooManyKeys, kDuplicateKid };
  struct KeyAdded {
    KeyRefusal refusal = KeyRefusal::kNone;
    StoredKey stored;  // when refusal is kNone
  };
  // Adds a key unless the address is unknown, already has `active_keys_max` non-revoked keys,
  // or has a non-revoked key with that kid (checked under the address's row lock).
  boost::asio::awaitable<Result<KeyAdded>> add_key(Uuid wallet_address_id, const std::string& kid,
                                                   const std::string& x,
                                                   std::size_t active_keys_max);
  // Marks the key revoked (idempotent); nullopt when there is no such key.
  boost::asio::awaitable<Result<std::optional<StoredKey>>> revoke_key(Uuid key_id);
  // A page of the address's keys (revoked ones included).
  boost::asio::awaitable<Result<Paged<WalletAddressKey>>> keys_page(Uuid wallet_address_id,
                                                                   const PageArgs& args);

  // The published view of the address with that (lower-cased) URL; nullopt when there is none.
  boost::asio::awaitable<Result<std::optional<PublicRecord>>> public_record(const std::string& url);

  // In one transaction: locks up to `limit` addresses due (process_at <= now, oldest first,
  // skipping those another process holds), calls `process` for each on the transaction's
  // connection (its writes commit or roll back with the batch), and clears process_at, setting
  // total_events_amount to what `process` returned. Returns how many were processed.
  using ProcessDue = std::function<boost::asio::awaitable<Result<money::u128>>(
      store::PgConn&, const DueWalletAddress&)>;
  boost::asio::awaitable<Result<int>> process_due(int limit, const ProcessDue& process);
  // Marks the address due for a web monetization event (process_at = now) unless it already is
  // or its total_events_amount exceeds `reported_at_most`.
  boost::asio::awaitable<Result<void>> mark_due(Uuid id, money::u128 reported_at_most);

 private:
  store::PgPool pg_;
};

}  // namespace rafiki::backend::wallet_address
