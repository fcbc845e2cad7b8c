// Admin API resolvers of the wallet_address domain (reference/admin-api.md §8, §9.3, §9.4):
// walletAddress, walletAddressByUrl, walletAddresses, the WalletAddress fields, the wallet
// address and key mutations, and createWalletAddressWithdrawal. Reads the input, asks
// WalletAddressService, writes the answer; failures become GraphQL errors through
// describe(WalletAddressError).
#include <boost/json/array.hpp>

#include "backend/asset/resolvers.h"
#include "backend/asset/service.h"
#include "backend/core/admin.h"
#include "backend/core/backend.h"
#include "backend/core/domains.h"
#include "backend/core/idempotency.h"
#include "backend/core/pagination.h"
#include "backend/liquidity/service.h"
#include "backend/tenant/resolvers.h"
#include "backend/wallet_address/service.h"

namespace rafiki::backend::wallet_address {

using E = WalletAddressError;

namespace {

std::unexpected<graphql::FieldError> error_of(E error) {
  return field_error_of(Failure<E>(error));
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
asio::awaitable<Result<std::optional<WalletAddress>>> readable(WalletAddressService& addresses,
                                                               const AdminContext& context,
                                                               std::string_view id) {
  auto uuid = Uuid::parse(id);
  if (!uuid) co_return std::optional<WalletAddress>();
  auto found = co_await addresses.get(*uuid);
  if (!found) co_return std::unexpected(found.error());
  if (*found && !may_read(context, (*found)->tenant_id)) co_return std::optional<WalletAddress>();
  co_return found;
}

// The mutations' payloads: {<field>: <object>}.
json::value payload(std::string_view field, json::object object) {
  json::object out;
  out[field] = std::move(object);
  return json::value(std::move(out));
}

}  // namespace

void register_resolvers(graphql::Schema& schema, Backend& backend) {
  WalletAddressService& addresses = *backend.wallet_addresses;
  asset::AssetService& assets = *backend.assets;
  liquidity::LiquidityService& liquidity = *backend.liquidity;
  auto mutation = [&](std::string_view field, graphql::Resolver resolver) {
    set_resolver(schema, "Mutation." + std::string(field),
        idempotent(backend, std::string(field), std::move(resolver)));
  };

  set_resolver(schema, "Query.walletAddress",
      [&addresses](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
        auto found = co_await readable(addresses, admin_context(info),
                                       info.string_argument("id").value_or(""));
        if (!found) co_return internal_error(found.error());
        if (!*found) co_return error_of(E::kNotFound);
        co_return json::value(node_json(**found));
      });

  set_resolver(schema, "Query.walletAddressByUrl",
      [&addresses](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
        auto found =
            co_await addresses.get_by_url(std::string(info.string_argument("url").value_or("")));
        if (!found) co_return field_error_of(found.error());
        if (!*found || !may_read(admin_context(info), (*found)->tenant_id)) {
          co_return json::value(nullptr);
        }
        co_return json::value(node_json(**found));
      });

  set_resolver(schema, "Query.walletAddresses",
      [&addresses](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
        auto args = page_args(info);
        if (!args) co_return std::unexpected(args.error());
        auto page = co_await addresses.page(list_tenant_scope(info), *args);
        if (!page) co_return field_error_of(page.error());
        co_return json::value(connection_json(*page, node_json));
      });

  set_resolver(schema, "WalletAddress.asset",
      [&assets](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
        auto id = uuid_member(info.parent.as_object(), "assetId");
        if (!id) co_return error_of(E::kAssetNotFound);
        auto found = co_await assets.get_including_deleted(*id);
        if (!found) co_return internal_error(found.error());
        if (!*found) co_return error_of(E::kAssetNotFound);
        co_return json::value(asset::to_json(**found));
      });

  set_resolver(schema, "WalletAddress.liquidity",
      [&liquidity](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
        auto id = uuid_member(info.parent.as_object(), "id");
        if (!id) co_return json::value(nullptr);
        auto balance = co_await liquidity.balance(*id);
        if (!balance) co_return internal_error(balance.error());
        if (!*balance) co_return json::value(nullptr);
        co_return uint64_value(**balance);
      });

  set_resolver(schema, "WalletAddress.additionalProperties",
      [&addresses](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
        auto id = uuid_member(info.parent.as_object(), "id");
        if (!id) co_return json::value(json::array());
        auto properties = co_await addresses.additional_properties(*id);
        if (!properties) co_return field_error_of(properties.error());
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
      [&addresses](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
        auto id = uuid_member(info.parent.as_object(), "id");
        auto args = page_args(info);
        if (!args) co_return std::unexpected(args.error());
        auto page = co_await addresses.keys(id.value_or(Uuid{}), *args);
        if (!page) co_return field_error_of(page.error());
        co_return json::value(connection_json(*page, key_json));
      });

  set_resolver(schema, "WalletAddress.tenant", tenant::owner_tenant_resolver(backend));

  mutation("createWalletAddress",
           [&addresses](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
             const auto& input = input_argument(info);
             auto tenant = for_tenant_id(info, input);
             if (!tenant) co_return std::unexpected(tenant.error());
             NewWalletAddress w;
             w.tenant_id = *tenant;
             w.is_operator = admin_context(info).is_operator;
             auto asset_id = uuid_member(input, "assetId");
             if (!asset_id) co_return error_of(E::kUnknownAsset);
             w.asset_id = *asset_id;
             w.address = std::string(string_member(input, "address").value_or(""));
             if (auto name = string_member(input, "publicName")) w.public_name = std::string(*name);
             if (const auto* props = input.if_contains("additionalProperties")) {
               w.additional_properties = properties_input(*props);
             }
             auto created = co_await addresses.create(std::move(w));
             if (!created) co_return field_error_of(created.error());
             co_return payload("walletAddress", node_json(*created));
           });

  mutation("updateWalletAddress",
           [&addresses](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
             const auto& input = input_argument(info);
             auto id = uuid_member(input, "id");
             if (!id) co_return error_of(E::kUnknown);
             WalletAddressPatch patch;
             patch.id = *id;
             patch.tenant_id = admin_context(info).tenant_id;
             patch.public_name = string_patch(input, "publicName");
             if (auto status = string_member(input, "status")) patch.active = *status == "ACTIVE";
             if (const auto* props = input.if_contains("additionalProperties");
                 props && !props->is_null()) {
               patch.additional_properties = properties_input(*props);
             }
             auto updated = co_await addresses.update(std::move(patch));
             if (!updated) co_return field_error_of(updated.error());
             co_return payload("walletAddress", node_json(*updated));
           });

  mutation("createWalletAddressKey",
           [&addresses](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
             const auto& input = input_argument(info);
             auto id = uuid_member(input, "walletAddressId");
             if (!id) co_return error_of(E::kUnknown);
             const json::value* jwk_value = input.if_contains("jwk");
             if (!jwk_value) co_return error_of(E::kInvalidJwk);
             auto jwk = crypto::jwk_from_json(*jwk_value);
             if (!jwk)
               co_return field_error(code::kBadUserInput, "invalid JWK: " + jwk.error().message);
             auto added = co_await addresses.add_key(*id, std::move(*jwk));
             if (!added) co_return field_error_of(added.error());
             co_return payload("walletAddressKey", key_json(*added));
           });

  mutation("revokeWalletAddressKey",
           [&addresses](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
             auto id = uuid_member(input_argument(info), "id");
             if (!id) co_return error_of(E::kUnknownKey);
             auto revoked = co_await addresses.revoke_key(*id);
             if (!revoked) co_return field_error_of(revoked.error());
             co_return payload("walletAddressKey", key_json(*revoked));
           });

  mutation("triggerWalletAddressEvents",
           [&addresses](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
             auto limit = int_member(input_argument(info), "limit").value_or(0);
             auto count = co_await addresses.trigger_events(limit);
             if (!count) co_return field_error_of(count.error());
             json::object out;
             out["count"] = *count;
             co_return json::value(std::move(out));
           });

  mutation(
      "createWalletAddressWithdrawal",
      [&addresses](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
        const auto& input = input_argument(info);
        auto found = co_await readable(addresses, admin_context(info),
                                       string_member(input, "walletAddressId").value_or(""));
        if (!found) co_return internal_error(found.error());
        if (!*found) co_return error_of(E::kUnknown);
        auto transfer_id = uuid_member(input, "id");
        if (!transfer_id) co_return error_of(E::kInvalidTransferId);
        auto timeout = uint64_member(input, "timeoutSeconds").value_or(0);
        auto amount = co_await addresses.withdraw(**found, *transfer_id, timeout);
        if (!amount) {
          // Until the liquidity domain has its own error type, its refusals arrive as its Errors.
          const auto& failure = amount.error();
          if (!failure.is_domain()) {
            if (auto e = liquidity::transfer_error(failure.infrastructure())) {
              co_return field_error(liquidity::graphql_code(*e),
                                    std::string(liquidity::message(*e)));
            }
          }
          co_return field_error_of(failure);
        }
        json::object withdrawal;
        withdrawal["id"] = transfer_id->str();
        withdrawal["amount"] = uint64_value(*amount);
        withdrawal["walletAddress"] = node_json(**found);
        co_return payload("withdrawal", std::move(withdrawal));
      });
}

}  // namespace rafiki::backend::wallet_address
