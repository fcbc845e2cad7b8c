// The liquidity domain's Admin API: depositAssetLiquidity, createAssetLiquidityWithdrawal,
// postLiquidityWithdrawal, voidLiquidityWithdrawal (reference/admin-api.md §9.3),
// accountingTransfers (§8) and Asset.liquidity. Reads the input, asks LiquidityService, writes
// the answer; nothing else.
#include <boost/json/array.hpp>

#include "backend/core/admin.h"
#include "backend/core/backend.h"
#include "backend/core/domains.h"
#include "backend/core/idempotency.h"
#include "backend/liquidity/service.h"

namespace rafiki::backend::liquidity {

namespace {

// The tenant whose accounts a request may touch: none for the operator (any tenant's).
std::optional<Uuid> tenant_scope(const AdminContext& context) {
  if (context.is_operator) return std::nullopt;
  return context.tenant_id;
}

// {success: true}, or the failure.
FieldResult success_payload(const Outcome<void, LiquidityError>& done) {
  if (!done) return field_error_of(done.error());
  return json::value(json::object{{"success", true}});
}

// Transfer ids are UUIDv4, as upstream's validateId; anything else is passed on as the nil id,
// which the service answers with kInvalidId in upstream's order.
Uuid transfer_id(const json::object& input, std::string_view name) {
  auto id = Uuid::parse(string_member(input, name).value_or(""));
  if (!id || id->version() != 4) return Uuid{};
  return *id;
}

// The input of depositAssetLiquidity and createAssetLiquidityWithdrawal. A malformed asset id
// names no asset (the service answers kUnknownAsset after the amount check).
LiquidityService::AssetTransfer asset_transfer(const ResolveInfo& info) {
  const json::object& input = input_argument(info);
  LiquidityService::AssetTransfer transfer;
  transfer.asset_id = uuid_member(input, "assetId").value_or(Uuid{});
  transfer.tenant_scope = tenant_scope(admin_context(info));
  transfer.amount = uint64_member(input, "amount").value_or(0);
  transfer.transfer_id = transfer_id(input, "id");
  transfer.timeout_seconds = uint64_member(input, "timeoutSeconds").value_or(0);
  return transfer;
}

json::object to_json(const AccountTransfer& t) {
  json::object o;
  o["id"] = t.id.str();
  o["debitAccountId"] = t.debit_account_id.str();
  o["creditAccountId"] = t.credit_account_id.str();
  o["amount"] = uint64_value(t.amount);
  o["transferType"] = t.type == TransferType::kDeposit      ? "DEPOSIT"
                      : t.type == TransferType::kWithdrawal ? "WITHDRAWAL"
                                                            : "TRANSFER";
  o["ledger"] = t.ledger;
  o["createdAt"] = iso_time(t.created_at);
  o["state"] = t.pending ? "PENDING" : "POSTED";
  o["expiresAt"] = iso_time(t.expires_at);
  return o;
}

json::array to_json(const std::vector<AccountTransfer>& transfers) {
  json::array list;
  for (const auto& t : transfers) list.push_back(to_json(t));
  return list;
}

// depositAssetLiquidity / createAssetLiquidityWithdrawal: `move` is the service's operation.
using AssetMove = asio::awaitable<Outcome<void, LiquidityError>> (LiquidityService::*)(
    LiquidityService::AssetTransfer);
graphql::Resolver asset_liquidity_mutation(LiquidityService& liquidity, AssetMove move) {
  return [&liquidity, move](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
    auto transfer = asset_transfer(info);
    auto done = co_await (liquidity.*move)(std::move(transfer));
    co_return success_payload(done);
  };
}

// postLiquidityWithdrawal / voidLiquidityWithdrawal. Upstream lets any tenant post or void any
// pending withdrawal; here a tenant may only resolve withdrawals from its own accounts
// (another's is "Unknown transfer").
using WithdrawalMove =
    asio::awaitable<Outcome<void, LiquidityError>> (LiquidityService::*)(Uuid, std::optional<Uuid>);
graphql::Resolver resolve_withdrawal(LiquidityService& liquidity, WithdrawalMove move) {
  return [&liquidity, move](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
    const Uuid id = transfer_id(input_argument(info), "withdrawalId");
    auto done = co_await (liquidity.*move)(id, tenant_scope(admin_context(info)));
    co_return success_payload(done);
  };
}

}  // namespace

void register_resolvers(graphql::Schema& schema, Backend& backend) {
  LiquidityService& liquidity = *backend.liquidity;

  set_resolver(
      schema, "Mutation.depositAssetLiquidity",
      idempotent(backend, "depositAssetLiquidity",
                 asset_liquidity_mutation(liquidity, &LiquidityService::deposit_to_asset)));
  set_resolver(
      schema, "Mutation.createAssetLiquidityWithdrawal",
      idempotent(backend, "createAssetLiquidityWithdrawal",
                 asset_liquidity_mutation(liquidity, &LiquidityService::withdraw_from_asset)));
  set_resolver(schema, "Mutation.postLiquidityWithdrawal",
               idempotent(backend, "postLiquidityWithdrawal",
                          resolve_withdrawal(liquidity, &LiquidityService::post_withdrawal)));
  set_resolver(schema, "Mutation.voidLiquidityWithdrawal",
               idempotent(backend, "voidLiquidityWithdrawal",
                          resolve_withdrawal(liquidity, &LiquidityService::void_withdrawal)));

  // Upstream has no tenant check; here a tenant sees only its own accounts' transfers (others',
  // like unknown accounts, have none).
  set_resolver(
      schema, "Query.accountingTransfers",
      [&liquidity](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
        const std::int64_t limit = info.int_argument("limit").value_or(kAccountingTransfersDefault);
        // A malformed id names no account: the service checks the limit first, as before.
        const Uuid account = Uuid::parse(info.string_argument("id").value_or("")).value_or(Uuid{});
        auto transfers = co_await liquidity.accounting_transfers(
            account, tenant_scope(admin_context(info)), limit);
        if (!transfers) co_return field_error_of(transfers.error());
        json::object out;
        out["debits"] = to_json(transfers->debits);
        out["credits"] = to_json(transfers->credits);
        co_return json::value(std::move(out));
      });

  set_resolver(schema, "Asset.liquidity",
               [&liquidity](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
                 const json::object& parent = info.parent.as_object();
                 auto id = uuid_member(parent, "id");
                 auto owner = uuid_member(parent, "tenantId");
                 if (!id || !owner || !may_read(admin_context(info), *owner)) {
                   co_return field_error_of(Failure(LiquidityError::kUnknownAsset));
                 }
                 auto balance = co_await liquidity.balance(*id);
                 if (!balance) co_return internal_error(balance.error());
                 if (!*balance) co_return json::value(nullptr);
                 co_return uint64_value(**balance);
               });
}

}  // namespace rafiki::backend::liquidity
