// Entry points of the fee domain (backend/core/domains.h) and its Admin API resolvers: setFee,
// and the fee fields of Asset (sendingFee, receivingFee, fees).
#include "backend/asset/service.h"
#include "backend/core/admin.h"
#include "backend/core/backend.h"
#include "backend/core/domains.h"
#include "backend/core/idempotency.h"
#include "backend/core/pagination.h"
#include "backend/fee/service.h"

namespace rafiki::backend::fee {

namespace asio = boost::asio;
namespace json = boost::json;
using graphql::FieldResult;
using graphql::ResolveInfo;

namespace {

asio::awaitable<FieldResult> resolve_fee(Backend& backend, const ResolveInfo& info,
                                         FeeType type) {
  auto id = uuid_member(info.parent.as_object(), "id");
  if (!id) co_return json::value(nullptr);
  auto found = co_await backend.fees->active_fee(*id, type);
  if (!found) co_return internal_error(found.error());
  if (!*found) co_return json::value(nullptr);
  co_return json::value(FeeService::to_json(**found));
}

}  // namespace

void install(Backend& backend, const Mount&) {
  backend.fees = std::make_shared<FeeService>(backend);
}

void register_resolvers(graphql::Schema& schema, Backend& backend) {
  // Upstream sets fees on any tenant's asset; here a tenant may only set fees on its own assets
  // (another tenant's asset is "Unknown asset"), the operator on any.
  auto ok = schema.set_resolver(
      "Mutation.setFee",
      idempotent(backend, "setFee", [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
        const AdminContext& context = admin_context(info);
        const json::object& input = input_argument(info);
        auto type = parse_fee_type(string_member(input, "type").value_or(""));
        const json::value* details_value = input.if_contains("fee");
        const json::object* details = details_value ? details_value->if_object() : nullptr;
        if (!type || !details) co_return field_error(code::kBadUserInput, "invalid fee");
        auto fixed = uint64_member(*details, "fixed");
        auto basis_points = int_member(*details, "basisPoints");
        if (!basis_points || *basis_points < 0 || *basis_points > kBasisPointsMax) {
          co_return field_error(code::kBadUserInput, "Basis point fee must be between 0 and 10000");
        }
        if (!fixed) {
          co_return field_error(code::kBadUserInput, "Fixed fee must be greater than or equal to 0");
        }
        auto asset_id = uuid_member(input, "assetId");
        if (!asset_id) co_return field_error(code::kNotFound, "Unknown asset");
        Result<std::optional<asset::Asset>> asset;
        if (context.is_operator) {
          asset = co_await backend.assets->get(*asset_id);
        } else {
          asset = co_await backend.assets->get_for_tenant(*asset_id, context.tenant_id);
        }
        if (!asset) co_return internal_error(asset.error());
        if (!*asset) co_return field_error(code::kNotFound, "Unknown asset");
        auto set = co_await backend.fees->set(*asset_id, *type, *fixed, static_cast<int>(*basis_points));
        if (!set) {
          if (set.error().code == kFeeErrorUnknownAsset) {
            co_return field_error(code::kNotFound, "Unknown asset");
          }
          if (set.error().code == kFeeErrorBasisPoints || set.error().code == kFeeErrorFixed) {
            co_return field_error(code::kBadUserInput, set.error().message);
          }
          co_return internal_error(set.error());
        }
        json::object o;
        o["fee"] = FeeService::to_json(*set);
        co_return json::value(std::move(o));
      }));
  if (!ok) throw std::logic_error(ok.error().message);

  auto set = [&](std::string_view field, graphql::Resolver resolver) {
    auto done = schema.set_resolver(field, std::move(resolver));
    if (!done) throw std::logic_error(done.error().message);
  };
  set("Asset.sendingFee", [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
    co_return co_await resolve_fee(backend, info, FeeType::kSending);
  });
  set("Asset.receivingFee", [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
    co_return co_await resolve_fee(backend, info, FeeType::kReceiving);
  });

  set("Asset.fees", [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
    auto id = uuid_member(info.parent.as_object(), "id");
    if (!id) co_return json::value(nullptr);
    PageQuery query;
    query.table = "fees";
    query.where = "t.asset_id = $1";
    query.params.push_back(*id);
    co_return co_await resolve_connection(backend.pg, info, std::move(query),
                                          [](const store::PgRow& row) {
                                            return FeeService::to_json(
                                                FeeService::from_row(row));
                                          });
  });

}

}  // namespace rafiki::backend::fee
