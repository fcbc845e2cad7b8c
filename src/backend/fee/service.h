// The fee domain's rules: who may set a fee on which asset, what a valid fee is, which fee is in
// force. Uses the asset domain (an asset's owner decides who may price it) and the fee store.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <optional>

#include "backend/asset/service.h"
#include "backend/core/domain_error.h"
#include "backend/fee/model.h"
#include "backend/fee/store.h"

namespace rafiki::backend::fee {

class FeeService {
 public:
  FeeService(FeeStore store, asset::AssetService& assets)
      : store_(std::move(store)), assets_(assets) {}

  struct NewFee {
    Uuid asset_id;
    FeeType type = FeeType::kSending;
    money::u128 fixed = 0;
    std::int64_t basis_points = 0;
  };
  // Inserts a new fee of `type` for a live asset of `tenant` (the operator: any tenant's; upstream
  // lets any tenant price any asset, deleted ones included). Fails with kInvalidBasisPoints
  // (outside 0..kBasisPointsMax), kInvalidFixed (above kFixedFeeMax), kUnknownAsset (no such live
  // asset for this tenant), or an infrastructure error.
  boost::asio::awaitable<Outcome<Fee, FeeError>> set(Uuid tenant, bool is_operator, NewFee fee);
  // The fee of `type` in force for the asset; nullopt when none was ever set.
  boost::asio::awaitable<Outcome<std::optional<Fee>, FeeError>> active_fee(Uuid asset_id,
                                                                            FeeType type);
  // A page of the asset's fees, newest first unless the arguments say otherwise.
  boost::asio::awaitable<Outcome<Paged<Fee>, FeeError>> fees_of(Uuid asset_id, const PageArgs& args);

 private:
  FeeStore store_;
  asset::AssetService& assets_;
};

}  // namespace rafiki::backend::fee
