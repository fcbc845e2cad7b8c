#include "backend/fee/service.h"

namespace rafiki::backend::fee {

namespace asio = boost::asio;

std::string_view to_string(FeeType type) {
  return type == FeeType::kSending ? "SENDING" : "RECEIVING";
}

std::optional<FeeType> parse_fee_type(std::string_view text) {
  if (text == "SENDING") return FeeType::kSending;
  if (text == "RECEIVING") return FeeType::kReceiving;
  return std::nullopt;
}

asio::awaitable<Outcome<Fee, FeeError>> FeeService::set(Uuid tenant, bool is_operator,
                                                        NewFee input) {
  if (input.basis_points < 0 || input.basis_points > kBasisPointsMax) {
    co_return fail_with(FeeError::kInvalidBasisPoints);
  }
  if (input.fixed > kFixedFeeMax) co_return fail_with(FeeError::kInvalidFixed);
  // One tenant must not price another's payments.
  Result<std::optional<asset::Asset>> asset;
  if (is_operator) {
    asset = co_await assets_.get(input.asset_id);
  } else {
    asset = co_await assets_.get_for_tenant(input.asset_id, tenant);
  }
  if (!asset) co_return pass_on<FeeError>(asset.error());
  if (!*asset) co_return fail_with(FeeError::kUnknownAsset);
  Fee fee;
  fee.id = Uuid::v4();
  fee.asset_id = input.asset_id;
  fee.type = input.type;
  fee.fixed = input.fixed;
  fee.basis_points = static_cast<int>(input.basis_points);
  auto stored = co_await store_.insert(fee);
  if (!stored) {
    // The asset was deleted for good in between.
    if (stored.error().code == store::kPgForeignKeyViolation) {
      co_return fail_with(FeeError::kUnknownAsset);
    }
    co_return pass_on<FeeError>(stored.error());
  }
  co_return *stored;
}

asio::awaitable<Outcome<std::optional<Fee>, FeeError>> FeeService::active_fee(Uuid asset_id,
                                                                              FeeType type) {
  auto found = co_await store_.newest(asset_id, type);
  if (!found) co_return pass_on<FeeError>(found.error());
  co_return *found;
}

asio::awaitable<Outcome<Paged<Fee>, FeeError>> FeeService::fees_of(Uuid asset_id,
                                                                  const PageArgs& args) {
  auto page = co_await store_.page(asset_id, args);
  if (!page) co_return pass_on<FeeError>(page.error());
  co_return std::move(*page);
}

}  // namespace rafiki::backend::fee
