// Entry points of the asset domain (backend/core/domains.h) and its Admin API resolvers:
// asset, assetByCodeAndScale, assets, createAsset, updateAsset, deleteAsset, and Asset.tenant.
// Asset.liquidity is the liquidity domain's, Asset.sendingFee / receivingFee / fees the fee
// domain's (domains only use domains before them).
#include "backend/core/admin.h"
#include "backend/core/backend.h"
#include "backend/core/domains.h"
#include "backend/core/idempotency.h"
#include "backend/core/pagination.h"
#include "backend/asset/service.h"
#include "backend/tenant/service.h"

namespace rafiki::backend::asset {

namespace asio = boost::asio;
namespace json = boost::json;
using graphql::FieldResult;
using graphql::ResolveInfo;

namespace {

// The asset domain's errors as the Admin API reports them (reference/admin-api.md §5).
std::unexpected<graphql::FieldError> to_field_error(const Error& e) {
  if (e.code == kAssetErrorUnknown) return field_error(code::kNotFound, "Asset not found");
  if (e.code == kAssetErrorDuplicate) return field_error(code::kDuplicate, "Asset already exists");
  if (e.code == kAssetErrorInUse) {
    return field_error(code::kForbidden, "Cannot delete! Asset in use.");
  }
  if (e.code == "tenant.unknown") return field_error(code::kNotFound, "Tenant not found");
  if (e.code == "invalid_argument") return field_error(code::kBadUserInput, e.message);
  return internal_error(e);
}

json::value asset_response(const Asset& asset) {
  json::object o;
  o["asset"] = AssetService::to_json(asset);
  return o;
}

}  // namespace

void install(Backend&, const Mount&) {}

void register_resolvers(graphql::Schema& schema, Backend& backend) {
  set_resolver(schema, "Query.asset", [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
    const AdminContext& context = admin_context(info);
    auto id = Uuid::parse(info.string_argument("id").value_or(""));
    if (!id) co_return field_error(code::kNotFound, "Asset not found");
    auto asset = co_await backend.assets->get(*id);
    if (!asset) co_return internal_error(asset.error());
    if (!*asset || !may_read(context, (*asset)->tenant_id)) {
      co_return field_error(code::kNotFound, "Asset not found");
    }
    co_return json::value(AssetService::to_json(**asset));
  });

  // In the signature tenant only, even for the operator (as upstream); soft-deleted assets are
  // not returned (upstream returns them).
  set_resolver(schema, "Query.assetByCodeAndScale",
      [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
        const AdminContext& context = admin_context(info);
        std::string code(info.string_argument("code").value_or(""));
        int scale = static_cast<int>(info.int_argument("scale").value_or(-1));
        auto asset = co_await backend.assets->get_by_code_and_scale(context.tenant_id,
                                                                    std::move(code), scale);
        if (!asset) co_return internal_error(asset.error());
        if (!*asset || (*asset)->deleted_at) co_return json::value(nullptr);
        co_return json::value(AssetService::to_json(**asset));
      });

  set_resolver(schema, "Query.assets", [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
    PageQuery query;
    query.table = "assets";
    query.where = "t.deleted_at IS NULL";
    if (auto tenant = list_tenant_scope(info)) {
      query.where += " AND t.tenant_id = $1";
      query.params.push_back(*tenant);
    }
    co_return co_await resolve_connection(backend.pg, info, std::move(query),
                                          [](const store::PgRow& row) {
                                            return AssetService::to_json(AssetService::from_row(row));
                                          });
  });

  set_resolver(schema, "Mutation.createAsset",
      idempotent(backend, "createAsset",
                 [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
                   const json::object& input = input_argument(info);
                   auto tenant = for_tenant_id(info, input);
                   if (!tenant) co_return std::unexpected(tenant.error());
                   CreateAsset create;
                   create.tenant_id = *tenant;
                   create.code = std::string(string_member(input, "code").value_or(""));
                   create.scale = static_cast<int>(int_member(input, "scale").value_or(-1));
                   create.withdrawal_threshold = uint64_member(input, "withdrawalThreshold");
                   create.liquidity_threshold = uint64_member(input, "liquidityThreshold");
                   auto asset = co_await backend.assets->create(std::move(create));
                   if (!asset) co_return to_field_error(asset.error());
                   co_return asset_response(*asset);
                 }));

  // Both thresholds are written as given: an omitted one is cleared (as upstream; clients send
  // both). Scoped to the signature tenant, the operator included (as upstream).
  set_resolver(schema, "Mutation.updateAsset",
      idempotent(backend, "updateAsset",
                 [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
                   const json::object& input = input_argument(info);
                   auto id = uuid_member(input, "id");
                   if (!id) co_return field_error(code::kNotFound, "Asset not found");
                   UpdateAsset update;
                   update.id = *id;
                   update.tenant_id = admin_context(info).tenant_id;
                   update.withdrawal_threshold = uint64_patch(input, "withdrawalThreshold");
                   update.liquidity_threshold = uint64_patch(input, "liquidityThreshold");
                   auto asset = co_await backend.assets->update(std::move(update));
                   if (!asset) co_return to_field_error(asset.error());
                   co_return asset_response(*asset);
                 }));

  set_resolver(schema, "Mutation.deleteAsset",
      idempotent(backend, "deleteAsset",
                 [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
                   const json::object& input = input_argument(info);
                   auto id = uuid_member(input, "id");
                   if (!id) co_return field_error(code::kNotFound, "Asset not found");
                   auto asset = co_await backend.assets->remove(*id, admin_context(info).tenant_id);
                   if (!asset) co_return to_field_error(asset.error());
                   co_return asset_response(*asset);
                 }));

  set_resolver(schema, "Asset.tenant", tenant::owner_tenant_resolver(backend));
}

}  // namespace rafiki::backend::asset
