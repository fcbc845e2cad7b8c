// Admin API resolvers of the wallet_address domain (reference/admin-api.md §8, §9.3, §9.4):
// walletAddress, walletAddressByUrl, walletAddresses, the WalletAddress fields, the wallet
// address and key mutations, and createWalletAddressWithdrawal. Domain errors map to GraphQL
// codes and upstream's exact messages here, once.
#include <boost/json/array.hpp>

#include "backend/asset/service.h"
#include "backend/core/admin.h"
#include "backend/core/backend.h"
#include "backend/core/domains.h"
#include "backend/core/idempotency.h"
#include "backend/core/pagination.h"
#include "backend/liquidity/service.h"
#include "backend/tenant/service.h"
#include "backend/wallet_address/service.h"

namespace rafiki::backend::wallet_address {

namespace asio = boost::asio;
namespace json = boost::json;
using graphql::FieldResult;
using graphql::ResolveInfo;

namespace {

std::unexpected<graphql::FieldError> domain_error(const Error& error) {
  if (error.code == kErrorInvalidUrl || error.code == kErrorUnknownAsset ||
      error.code == kErrorInvalidInput || error.code == kErrorInvalidKey ||
      error.code == kErrorTooManyKeys) {
    return field_error(code::kBadUserInput, error.message);
  }
  if (error.code == kErrorUnknown || error.code == kErrorSettingNotFound ||
      error.code == kErrorUnknownKey) {
    return field_error(code::kNotFound, error.message);
  }
  if (error.code == kErrorDuplicate || error.code == kErrorDuplicateKey) {
    return field_error(code::kDuplicate, error.message);
  }
  return internal_error(error);
}

json::object node_json(const WalletAddress& w) {
  json::object o;
  o["id"] = w.id.str();
  o["address"] = w.url;
  o["publicName"] = w.public_name ? json::value(*w.public_name) : json::value(nullptr);
  o["createdAt"] = iso_time(w.created_at);
  o["status"] = w.active(now_ms()) ? "ACTIVE" : "INACTIVE";
  o["tenantId"] = w.tenant_id.str();
  o["assetId"] = w.asset_id.str();
  return o;
}

json::object key_json(const WalletAddressKey& k) {
  json::object jwk;
  jwk["kid"] = k.kid;
  jwk["x"] = k.x;
  jwk["alg"] = "EdDSA";
  jwk["kty"] = "OKP";
  jwk["crv"] = "Ed25519";
  json::object o;
  o["id"] = k.id.str();
  o["walletAddressId"] = k.wallet_address_id.str();
  o["jwk"] = std::move(jwk);
  o["revoked"] = k.revoked;
  o["createdAt"] = iso_time(k.created_at);
  return o;
}

std::vector<AdditionalProperty> properties_input(const json::value& value) {
  std::vector<AdditionalProperty> out;
  if (!value.is_array()) return out;
  for (const auto& item : value.as_array()) {
    if (!item.is_object()) continue;
    const auto& o = item.as_object();
    out.push_back(AdditionalProperty{std::string(string_member(o, "key").value_or("")),
                                     std::string(string_member(o, "value").value_or("")),
                                     bool_member(o, "visibleInOpenPayments").value_or(false)});
  }
  return out;
}

// The wallet address `id` if the request's tenant may read it.
asio::awaitable<Result<std::optional<WalletAddress>>> readable(Backend& backend,
                                                               const AdminContext& context,
                                                               std::string_view id) {
  auto uuid = Uuid::parse(id);
  if (!uuid) co_return std::optional<WalletAddress>();
  auto found = co_await backend.wallet_addresses->get(*uuid);
  if (!found) co_return std::unexpected(found.error());
  if (*found && !may_read(context, (*found)->tenant_id)) co_return std::optional<WalletAddress>();
  co_return found;
}

}  // namespace

void register_resolvers(graphql::Schema& schema, Backend& backend) {
  auto mutation = [&](std::string_view field, graphql::Resolver resolver) {
    set_resolver(schema, "Mutation." + std::string(field),
        idempotent(backend, std::string(field), std::move(resolver)));
  };

  set_resolver(schema, "Query.walletAddress", [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
    auto found =
        co_await readable(backend, admin_context(info), info.string_argument("id").value_or(""));
    if (!found) co_return internal_error(found.error());
    if (!*found) co_return field_error(code::kNotFound, "unknown wallet address");
    co_return json::value(node_json(**found));
  });

  set_resolver(schema, "Query.walletAddressByUrl",
      [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
        auto found = co_await backend.wallet_addresses->get_by_url(
            std::string(info.string_argument("url").value_or("")));
        if (!found) co_return internal_error(found.error());
        if (!*found || !may_read(admin_context(info), (*found)->tenant_id)) {
          co_return json::value(nullptr);
        }
        co_return json::value(node_json(**found));
      });

  set_resolver(schema, "Query.walletAddresses", [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
    PageQuery query;
    query.table = "wallet_addresses";
    if (auto tenant = list_tenant_scope(info)) {
      query.where = "t.tenant_id = $1";
      query.params.emplace_back(*tenant);
    }
    co_return co_await resolve_connection(
        backend.pg, info, std::move(query),
        [](const store::PgRow& row) { return node_json(WalletAddressService::from_row(row)); });
  });

  set_resolver(schema, "WalletAddress.asset", [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
    auto id = uuid_member(info.parent.as_object(), "assetId");
    if (!id) co_return field_error(code::kNotFound, "Asset not found");
    auto found = co_await backend.assets->get_including_deleted(*id);
    if (!found) co_return internal_error(found.error());
    if (!*found) co_return field_error(code::kNotFound, "Asset not found");
    co_return json::value(asset::AssetService::to_json(**found));
  });

  set_resolver(schema, "WalletAddress.liquidity",
      [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
        auto id = uuid_member(info.parent.as_object(), "id");
        if (!id) co_return json::value(nullptr);
        auto balance = co_await backend.liquidity->balance(*id);
        if (!balance) co_return internal_error(balance.error());
        if (!*balance) co_return json::value(nullptr);
        co_return uint64_value(**balance);
      });

  set_resolver(schema, "WalletAddress.additionalProperties",
      [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
        auto id = uuid_member(info.parent.as_object(), "id");
        if (!id) co_return json::value(json::array());
        auto properties = co_await backend.wallet_addresses->additional_properties(*id);
        if (!properties) co_return internal_error(properties.error());
        json::array out;
        for (const auto& p : *properties) {
          json::object o;
          o["key"] = p.key;
          o["value"] = p.value;
          o["visibleInOpenPayments"] = p.visible_in_open_payments;
          out.push_back(std::move(o));
        }
        co_return json::value(std::move(out));
      });

  set_resolver(schema, "WalletAddress.walletAddressKeys",
      [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
        auto id = uuid_member(info.parent.as_object(), "id");
        PageQuery query;
        query.table = "wallet_address_keys";
        query.where = "t.wallet_address_id = $1";
        query.params.emplace_back(id.value_or(Uuid{}));
        co_return co_await resolve_connection(
            backend.pg, info, std::move(query), [](const store::PgRow& row) {
              return key_json(WalletAddressService::key_from_row(row));
            });
      });

  set_resolver(schema, "WalletAddress.tenant", tenant::owner_tenant_resolver(backend));

  mutation("createWalletAddress",
           [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
             const auto& input = input_argument(info);
             auto tenant = for_tenant_id(info, input);
             if (!tenant) co_return std::unexpected(tenant.error());
             NewWalletAddress w;
             w.tenant_id = *tenant;
             w.is_operator = admin_context(info).is_operator;
             auto asset_id = uuid_member(input, "assetId");
             if (!asset_id) co_return field_error(code::kBadUserInput, "unknown asset");
             w.asset_id = *asset_id;
             w.address = std::string(string_member(input, "address").value_or(""));
             if (auto name = string_member(input, "publicName")) w.public_name = std::string(*name);
             if (const auto* props = input.if_contains("additionalProperties")) {
               w.additional_properties = properties_input(*props);
             }
             auto created = co_await backend.wallet_addresses->create(std::move(w));
             if (!created) co_return domain_error(created.error());
             json::object out;
             out["walletAddress"] = node_json(*created);
             co_return json::value(std::move(out));
           });

  mutation(
      "updateWalletAddress", [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
        const auto& input = input_argument(info);
        auto id = uuid_member(input, "id");
        if (!id) co_return field_error(code::kNotFound, "Unknown wallet address");
        WalletAddressPatch patch;
        patch.id = *id;
        patch.tenant_id = admin_context(info).tenant_id;
        patch.public_name = string_patch(input, "publicName");
        if (auto status = string_member(input, "status")) patch.active = *status == "ACTIVE";
        if (const auto* props = input.if_contains("additionalProperties");
            props && !props->is_null()) {
          patch.additional_properties = properties_input(*props);
        }
        auto updated = co_await backend.wallet_addresses->update(std::move(patch));
        if (!updated) co_return domain_error(updated.error());
        json::object out;
        out["walletAddress"] = node_json(*updated);
        co_return json::value(std::move(out));
      });

  mutation("createWalletAddressKey",
           [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
             const auto& input = input_argument(info);
             auto id = uuid_member(input, "walletAddressId");
             if (!id) co_return field_error(code::kNotFound, "Unknown wallet address");
             const json::value* jwk_value = input.if_contains("jwk");
             if (!jwk_value) co_return field_error(code::kBadUserInput, "invalid JWK");
             auto jwk = crypto::jwk_from_json(*jwk_value);
             if (!jwk)
               co_return field_error(code::kBadUserInput, "invalid JWK: " + jwk.error().message);
             auto added = co_await backend.wallet_addresses->add_key(*id, std::move(*jwk));
             if (!added) co_return domain_error(added.error());
             json::object out;
             out["walletAddressKey"] = key_json(*added);
             co_return json::value(std::move(out));
           });

  mutation("revokeWalletAddressKey",
           [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
             auto id = uuid_member(input_argument(info), "id");
             if (!id) co_return field_error(code::kNotFound, "Wallet address key not found");
             auto revoked = co_await backend.wallet_addresses->revoke_key(*id);
             if (!revoked) co_return domain_error(revoked.error());
             json::object out;
             out["walletAddressKey"] = key_json(*revoked);
             co_return json::value(std::move(out));
           });

  mutation(
      "triggerWalletAddressEvents",
      [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
        auto limit = int_member(input_argument(info), "limit").value_or(0);
        if (limit < 1 || limit > kTriggerEventsLimitMax) {
          co_return field_error(code::kBadUserInput, "limit must be between 1 and " +
                                                         std::to_string(kTriggerEventsLimitMax));
        }
        auto count = co_await backend.wallet_addresses->trigger_events(static_cast<int>(limit));
        if (!count) co_return domain_error(count.error());
        json::object out;
        out["count"] = *count;
        co_return json::value(std::move(out));
      });

  mutation(
      "createWalletAddressWithdrawal",
      [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
        const auto& input = input_argument(info);
        auto found = co_await readable(backend, admin_context(info),
                                       string_member(input, "walletAddressId").value_or(""));
        if (!found) co_return internal_error(found.error());
        if (!*found) co_return field_error(code::kNotFound, "Unknown wallet address");
        auto transfer_id = uuid_member(input, "id");
        if (!transfer_id) co_return field_error(code::kBadUserInput, "Invalid transfer id");
        auto timeout = uint64_member(input, "timeoutSeconds").value_or(0);
        if (timeout > liquidity::kWithdrawalTimeoutSecondsMax) {
          co_return field_error(code::kBadUserInput, "Invalid transfer timeout provided");
        }
        auto balance = co_await backend.liquidity->balance((*found)->id);
        if (!balance) co_return internal_error(balance.error());
        if (!*balance) {
          co_return field_error(code::kInternal,
                                "Could not find liquidity account for wallet address");
        }
        if (**balance == 0) co_return field_error(code::kForbidden, "Transfer amount is zero");
        auto asset = co_await backend.assets->get_including_deleted((*found)->asset_id);
        if (!asset) co_return internal_error(asset.error());
        if (!*asset) co_return field_error(code::kNotFound, "Unknown asset");
        auto withdrawn = co_await backend.liquidity->withdraw(
            (*found)->id, **asset, **balance, *transfer_id, static_cast<std::uint32_t>(timeout));
        if (!withdrawn) {
          if (auto e = liquidity::transfer_error(withdrawn.error())) {
            co_return field_error(liquidity::graphql_code(*e), std::string(liquidity::message(*e)));
          }
          co_return internal_error(withdrawn.error());
        }
        json::object withdrawal;
        withdrawal["id"] = transfer_id->str();
        withdrawal["amount"] = uint64_value(**balance);
        withdrawal["walletAddress"] = node_json(**found);
        json::object out;
        out["withdrawal"] = std::move(withdrawal);
        co_return json::value(std::move(out));
      });
}

}  // namespace rafiki::backend::wallet_address
