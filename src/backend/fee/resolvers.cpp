// The fee domain's Admin API: setFee, and the fee fields of Asset (sendingFee, receivingFee,
// fees). Reads the input, asks FeeService, writes the answer; nothing else.
#include "backend/core/admin.h"
#include "backend/core/backend.h"
#include "backend/core/idempotency.h"
#include "backend/core/pagination.h"
#include "backend/fee/service.h"

namespace rafiki::backend::fee {

namespace {

json::object to_json(const Fee& fee) {
  json::object o;
  o["id"] = fee.id.str();
  o["assetId"] = fee.asset_id.str();
  o["type"] = to_string(fee.type);
  o["fixed"] = uint64_value(fee.fixed);
  o["basisPoints"] = fee.basis_points;
  o["createdAt"] = iso_time(fee.created_at);
  return o;
}

asio::awaitable<FieldResult> active_fee(FeeService& fees, const ResolveInfo& info, FeeType type) {
  auto asset_id = uuid_member(info.parent.as_object(), "id");
  if (!asset_id) co_return json::value(nullptr);
  auto found = co_await fees.active_fee(*asset_id, type);
  if (!found) co_return field_error_of(found.error());
  if (!*found) co_return json::value(nullptr);
  co_return json::value(to_json(**found));
}

}  // namespace

void register_resolvers(graphql::Schema& schema, Backend& backend) {
  FeeService& fees = *backend.fees;

  set_resolver(schema, "Mutation.setFee",
               idempotent(backend, "setFee",
                          [&fees](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
                            const AdminContext& context = admin_context(info);
                            const json::object& input = input_argument(info);
                            auto type = parse_fee_type(string_member(input, "type").value_or(""));
                            const json::value* details_value = input.if_contains("fee");
                            const json::object* details =
                                details_value ? details_value->if_object() : nullptr;
                            if (!type || !details) {
                              co_return field_error_of(Failure(FeeError::kInvalidType));
                            }
                            auto basis_points = int_member(*details, "basisPoints");
                            if (!basis_points) {
                              co_return field_error_of(Failure(FeeError::kInvalidBasisPoints));
                            }
                            auto fixed = uint64_member(*details, "fixed");
                            if (!fixed) co_return field_error_of(Failure(FeeError::kInvalidFixed));
                            FeeService::NewFee fee;
                            // A malformed id names no asset: the service answers kUnknownAsset
                            // after its other checks, in upstream's order.
                            fee.asset_id = uuid_member(input, "assetId").value_or(Uuid{});
                            fee.type = *type;
                            fee.fixed = *fixed;
                            fee.basis_points = *basis_points;
                            auto set = co_await fees.set(context.tenant_id, context.is_operator,
                                                         std::move(fee));
                            if (!set) co_return field_error_of(set.error());
                            json::object o;
                            o["fee"] = to_json(*set);
                            co_return json::value(std::move(o));
                          }));

  set_resolver(schema, "Asset.sendingFee",
               [&fees](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
                 co_return co_await active_fee(fees, info, FeeType::kSending);
               });
  set_resolver(schema, "Asset.receivingFee",
               [&fees](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
                 co_return co_await active_fee(fees, info, FeeType::kReceiving);
               });
  set_resolver(schema, "Asset.fees", [&fees](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
    auto asset_id = uuid_member(info.parent.as_object(), "id");
    if (!asset_id) co_return json::value(nullptr);
    auto args = page_args(info);
    if (!args) co_return std::unexpected(args.error());
    auto page = co_await fees.fees_of(*asset_id, *args);
    if (!page) co_return field_error_of(page.error());
    co_return json::value(connection_json(*page, to_json));
  });
}

}  // namespace rafiki::backend::fee
