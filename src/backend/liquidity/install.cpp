// Entry points of the liquidity domain (backend/core/domains.h) and its Admin API resolvers:
// depositAssetLiquidity, createAssetLiquidityWithdrawal, postLiquidityWithdrawal,
// voidLiquidityWithdrawal (reference/admin-api.md §9.3), accountingTransfers (§8) and
// Asset.liquidity.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json/array.hpp>

#include <limits>

#include "backend/asset/service.h"
#include "backend/core/admin.h"
#include "backend/core/backend.h"
#include "backend/core/domains.h"
#include "backend/core/idempotency.h"
#include "backend/liquidity/service.h"
#include "ledger/ledger.h"
#include "service/runtime.h"

namespace rafiki::backend::liquidity {

namespace asio = boost::asio;
namespace json = boost::json;
using graphql::FieldResult;
using graphql::ResolveInfo;

// How often pending transfers past their timeout (withdrawals with timeoutSeconds, packets'
// and payments' two-phase transfers) are released, so their reserved amounts count again.
constexpr std::chrono::milliseconds kExpirySweepInterval{1000};

// accountingTransfers: transfers listed per side when `limit` is not given, and at most.
constexpr std::int64_t kAccountingTransfersDefault = 20;
constexpr std::int64_t kAccountingTransfersMax = 1000;

namespace {

std::unexpected<graphql::FieldError> transfer_field_error(TransferError e) {
  return field_error(graphql_code(e), std::string(message(e)));
}

std::unexpected<graphql::FieldError> to_field_error(const Error& e) {
  if (auto te = transfer_error(e)) return transfer_field_error(*te);
  return internal_error(e);
}

json::value success() {
  json::object o;
  o["success"] = true;
  return o;
}

// Transfer ids are UUIDv4, as upstream's validateId.
std::optional<Uuid> transfer_id(const json::object& input, std::string_view name) {
  auto id = Uuid::parse(string_member(input, name).value_or(""));
  if (!id || id->version() != 4) return std::nullopt;
  return id;
}

// The asset a liquidity mutation names: the operator's any, a tenant's only its own.
asio::awaitable<Result<std::optional<asset::Asset>>> named_asset(Backend& backend,
                                                                 const AdminContext& context,
                                                                 const json::object& input) {
  auto id = uuid_member(input, "assetId");
  if (!id) co_return std::optional<asset::Asset>{};
  if (context.is_operator) co_return co_await backend.assets->get(*id);
  co_return co_await backend.assets->get_for_tenant(*id, context.tenant_id);
}

// The tenant owning a ledger account (nullopt when none is known).
asio::awaitable<Result<std::optional<Uuid>>> account_owner(Backend& backend, Uuid account) {
  auto rows = co_await backend.pg.query("SELECT ledger_account_tenant($1) AS owner", account);
  if (!rows) co_return std::unexpected(rows.error());
  co_return rows->row(0).get<std::optional<Uuid>>("owner");
}

// Post or void: upstream lets any tenant post or void any pending withdrawal; here a tenant
// may only resolve withdrawals from its own accounts (another's is "Unknown transfer").
graphql::Resolver resolve_withdrawal(Backend& backend, bool post) {
  return [&backend, post](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
    const AdminContext& context = admin_context(info);
    auto id = transfer_id(input_argument(info), "withdrawalId");
    if (!id) co_return transfer_field_error(TransferError::kInvalidId);
    if (!context.is_operator) {
      auto ids = std::vector<Uuid>{*id};
      auto found = co_await backend.ledger.lookup_transfers(std::move(ids));
      if (!found) co_return internal_error(found.error());
      if (found->empty()) co_return transfer_field_error(TransferError::kUnknownTransfer);
      auto owner = co_await account_owner(backend, found->front().debit_account_id);
      if (!owner) co_return internal_error(owner.error());
      if (!*owner || **owner != context.tenant_id) {
        co_return transfer_field_error(TransferError::kUnknownTransfer);
      }
    }
    Result<void> done;
    if (post) {
      done = co_await backend.liquidity->post_withdrawal(*id);
    } else {
      done = co_await backend.liquidity->void_withdrawal(*id);
    }
    if (!done) co_return to_field_error(done.error());
    co_return success();
  };
}

json::object transfer_json(const store::PgRow& row) {
  json::object o;
  o["id"] = row.get<Uuid>("id").str();
  o["debitAccountId"] = row.get<Uuid>("debit_account_id").str();
  o["creditAccountId"] = row.get<Uuid>("credit_account_id").str();
  o["amount"] = uint64_value(row.get<money::u128>("amount"));
  const auto code = row.get<std::int32_t>("code");
  o["transferType"] = code == transfer_code::kDeposit      ? "DEPOSIT"
                      : code == transfer_code::kWithdrawal ? "WITHDRAWAL"
                                                           : "TRANSFER";
  o["ledger"] = row.get<std::int64_t>("ledger");
  o["createdAt"] = iso_time(row.get<TimePoint>("created_at"));
  o["state"] = row.get<std::int32_t>("state") == 1 ? "PENDING" : "POSTED";
  o["expiresAt"] = iso_time(row.get<std::optional<TimePoint>>("expires_at"));
  return o;
}

}  // namespace

void install(Backend& backend, const Mount& mount) {
  if (mount.runtime) {
    mount.runtime->on_startup("ledger expiry sweeper", [&backend]() -> asio::awaitable<Result<void>> {
      asio::co_spawn(backend.executor, backend.ledger.run_sweeper(kExpirySweepInterval),
                     asio::detached);
      co_return Result<void>{};
    });
    mount.runtime->on_shutdown([&backend]() -> asio::awaitable<void> {
      backend.ledger.stop();
      co_return;
    });
  }
}

void register_resolvers(graphql::Schema& schema, Backend& backend) {
  set_resolver(schema, "Mutation.depositAssetLiquidity",
      idempotent(backend, "depositAssetLiquidity",
                 [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
                   const json::object& input = input_argument(info);
                   auto amount = uint64_member(input, "amount").value_or(0);
                   if (amount == 0) co_return transfer_field_error(TransferError::kAmountZero);
                   auto asset = co_await named_asset(backend, admin_context(info), input);
                   if (!asset) co_return internal_error(asset.error());
                   if (!*asset) co_return field_error(code::kNotFound, "Unknown asset");
                   auto id = transfer_id(input, "id");
                   if (!id) co_return transfer_field_error(TransferError::kInvalidId);
                   auto done = co_await backend.liquidity->deposit((*asset)->id, **asset, amount, *id);
                   if (!done) co_return to_field_error(done.error());
                   co_return success();
                 }));

  set_resolver(schema, "Mutation.createAssetLiquidityWithdrawal",
      idempotent(backend, "createAssetLiquidityWithdrawal",
                 [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
                   const json::object& input = input_argument(info);
                   auto amount = uint64_member(input, "amount").value_or(0);
                   if (amount == 0) co_return transfer_field_error(TransferError::kAmountZero);
                   auto asset = co_await named_asset(backend, admin_context(info), input);
                   if (!asset) co_return internal_error(asset.error());
                   if (!*asset) co_return field_error(code::kNotFound, "Unknown asset");
                   auto id = transfer_id(input, "id");
                   if (!id) co_return transfer_field_error(TransferError::kInvalidId);
                   auto timeout = uint64_member(input, "timeoutSeconds").value_or(0);
                   if (timeout > kWithdrawalTimeoutSecondsMax) {
                     co_return transfer_field_error(TransferError::kInvalidTimeout);
                   }
                   auto done = co_await backend.liquidity->withdraw(
                       (*asset)->id, **asset, amount, *id, static_cast<std::uint32_t>(timeout));
                   if (!done) co_return to_field_error(done.error());
                   co_return success();
                 }));

  set_resolver(schema, "Mutation.postLiquidityWithdrawal",
      idempotent(backend, "postLiquidityWithdrawal", resolve_withdrawal(backend, true)));
  set_resolver(schema, "Mutation.voidLiquidityWithdrawal",
      idempotent(backend, "voidLiquidityWithdrawal", resolve_withdrawal(backend, false)));

  // Posted and still-pending transfers of a ledger account, oldest first, up to `limit` on each
  // side. Upstream has no tenant check; here a tenant sees only its own accounts' transfers
  // (others', like unknown accounts, have none).
  set_resolver(schema, "Query.accountingTransfers",
      [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
        const AdminContext& context = admin_context(info);
        const std::int64_t limit = info.int_argument("limit").value_or(kAccountingTransfersDefault);
        if (limit < 1 || limit > kAccountingTransfersMax) {
          co_return field_error(code::kBadUserInput,
                                "limit must be between 1 and " +
                                    std::to_string(kAccountingTransfersMax));
        }
        json::object out;
        out["debits"] = json::array();
        out["credits"] = json::array();
        auto id = Uuid::parse(info.string_argument("id").value_or(""));
        if (!id) co_return json::value(std::move(out));
        if (!context.is_operator) {
          auto owner = co_await account_owner(backend, *id);
          if (!owner) co_return internal_error(owner.error());
          if (!*owner || **owner != context.tenant_id) co_return json::value(std::move(out));
        }
        for (const char* side : {"debit", "credit"}) {
          auto rows = co_await backend.pg.query(
              std::string("SELECT id, debit_account_id, credit_account_id, amount, code::int AS code, "
                          "ledger, created_at, state::int AS state, expires_at "
                          "FROM ledger_transfers WHERE ") +
                  side +
                  "_account_id = $1 AND pending_id IS NULL "
                  "AND (state IN (0, 2) OR (state = 1 AND (expires_at IS NULL OR expires_at > now()))) "
                  "ORDER BY created_at, id LIMIT $2",
              *id, limit);
          if (!rows) co_return internal_error(rows.error());
          json::array list;
          for (const auto& row : *rows) list.push_back(transfer_json(row));
          out[std::string(side) + "s"] = std::move(list);
        }
        co_return json::value(std::move(out));
      });

  set_resolver(schema, "Asset.liquidity", [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
    const json::object& parent = info.parent.as_object();
    auto id = uuid_member(parent, "id");
    auto owner = uuid_member(parent, "tenantId");
    if (!id || !owner || !may_read(admin_context(info), *owner)) {
      co_return field_error(code::kNotFound, "Unknown asset");
    }
    auto balance = co_await backend.liquidity->balance(*id);
    if (!balance) co_return internal_error(balance.error());
    if (!*balance) co_return json::value(nullptr);
    co_return uint64_value(**balance);
  });
}

}  // namespace rafiki::backend::liquidity
