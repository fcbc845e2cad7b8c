// The asset domain's Admin API (reference/admin-api.md §5): asset, assetByCodeAndScale, assets,
// createAsset, updateAsset, deleteAsset, and Asset.tenant. Asset.liquidity is the liquidity
// domain's, Asset.sendingFee / receivingFee / fees the fee domain's (domains only use domains
// before them). Reads the input, asks AssetService, writes the answer; nothing else.
#include "backend/asset/resolvers.h"

#include "backend/asset/service.h"
#include "backend/core/admin.h"
#include "backend/core/backend.h"
#include "backend/core/domains.h"
#include "backend/core/idempotency.h"
#include "backend/core/pagination.h"
#include "backend/tenant/resolvers.h"

namespace rafiki::backend::asset {

json::object to_json(const Asset& a) {
  json::object o;
  o["id"] = a.id.str();
  o["code"] = a.code;
  o["scale"] = a.scale;
  o["withdrawalThreshold"] =
      a.withdrawal_threshold ? uint64_value(*a.withdrawal_threshold) : json::value(nullptr);
  o["liquidityThreshold"] =
      a.liquidity_threshold ? uint64_value(*a.liquidity_threshold) : json::value(nullptr);
  o["createdAt"] = iso_time(a.created_at);
  o["tenantId"] = a.tenant_id.str();
  return o;
}

namespace {

FieldResult unknown_asset() {
  return field_error_of(Failure(AssetError::kUnknown));
}

// The tenant whose assets a request may read: none for the operator (any tenant's).
std::optional<Uuid> read_scope(const AdminContext& context) {
  if (context.is_operator) return std::nullopt;
  return context.tenant_id;
}

// The payload of the asset mutations: {asset}, or the failure.
FieldResult asset_payload(const Outcome<Asset, AssetError>& asset) {
  if (!asset) return field_error_of(asset.error());
  return json::value(json::object{{"asset", to_json(*asset)}});
}

CreateAsset create_input(const json::object& input, Uuid tenant) {
  CreateAsset create;
  create.tenant_id = tenant;
  create.code = std::string(string_member(input, "code").value_or(""));
  create.scale = static_cast<int>(int_member(input, "scale").value_or(-1));
  create.withdrawal_threshold = uint64_member(input, "withdrawalThreshold");
  create.liquidity_threshold = uint64_member(input, "liquidityThreshold");
  return create;
}

// Both thresholds are written as given: an omitted one is cleared (as upstream; clients send
// both). Scoped to the signature tenant, the operator included (as upstream).
UpdateAsset update_input(const json::object& input, Uuid id, Uuid tenant) {
  UpdateAsset update;
  update.id = id;
  update.tenant_id = tenant;
  update.withdrawal_threshold = uint64_patch(input, "withdrawalThreshold");
  update.liquidity_threshold = uint64_patch(input, "liquidityThreshold");
  return update;
}

}  // namespace

void register_resolvers(graphql::Schema& schema, Backend& backend) {
  AssetService& assets = *backend.assets;

  set_resolver(schema, "Query.asset",
               [&assets](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
                 auto id = Uuid::parse(info.string_argument("id").value_or(""));
                 if (!id) co_return unknown_asset();
                 auto asset = co_await assets.get_in_scope(*id, read_scope(admin_context(info)));
                 if (!asset) co_return internal_error(asset.error());
                 if (!*asset) co_return unknown_asset();
                 co_return json::value(to_json(**asset));
               });

  // In the signature tenant only, even for the operator (as upstream); soft-deleted assets are
  // not returned (upstream returns them).
  set_resolver(schema, "Query.assetByCodeAndScale",
               [&assets](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
                 const AdminContext& context = admin_context(info);
                 std::string code(info.string_argument("code").value_or(""));
                 int scale = static_cast<int>(info.int_argument("scale").value_or(-1));
                 auto asset = co_await assets.get_by_code_and_scale(context.tenant_id,
                                                                    std::move(code), scale);
                 if (!asset) co_return internal_error(asset.error());
                 if (!*asset || (*asset)->deleted_at) co_return json::value(nullptr);
                 co_return json::value(to_json(**asset));
               });

  set_resolver(schema, "Query.assets",
               [&assets](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
                 auto args = page_args(info);
                 if (!args) co_return std::unexpected(args.error());
                 auto page = co_await assets.page(list_tenant_scope(info), *args);
                 if (!page) co_return internal_error(page.error());
                 co_return json::value(connection_json(*page, to_json));
               });

  set_resolver(schema, "Mutation.createAsset",
               idempotent(backend, "createAsset",
                          [&assets](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
                            const json::object& input = input_argument(info);
                            auto tenant = for_tenant_id(info, input);
                            if (!tenant) co_return std::unexpected(tenant.error());
                            CreateAsset create = create_input(input, *tenant);
                            auto asset = co_await assets.create(std::move(create));
                            co_return asset_payload(asset);
                          }));

  set_resolver(schema, "Mutation.updateAsset",
               idempotent(backend, "updateAsset",
                          [&assets](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
                            const json::object& input = input_argument(info);
                            auto id = uuid_member(input, "id");
                            if (!id) co_return unknown_asset();
                            UpdateAsset update =
                                update_input(input, *id, admin_context(info).tenant_id);
                            auto asset = co_await assets.update(std::move(update));
                            co_return asset_payload(asset);
                          }));

  set_resolver(schema, "Mutation.deleteAsset",
               idempotent(backend, "deleteAsset",
                          [&assets](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
                            auto id = uuid_member(input_argument(info), "id");
                            if (!id) co_return unknown_asset();
                            auto asset = co_await assets.remove(*id, admin_context(info).tenant_id);
                            co_return asset_payload(asset);
                          }));

  set_resolver(schema, "Asset.tenant", tenant::owner_tenant_resolver(backend));
}

}  // namespace rafiki::backend::asset
