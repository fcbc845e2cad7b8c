// The Admin API's Asset object, for the resolvers of later domains whose types have an asset
// field (Peer.asset, WalletAddress.asset). The asset domain's own resolvers are resolvers.cpp.
#pragma once

#include <boost/json/object.hpp>

#include "backend/asset/model.h"

namespace rafiki::backend::asset {

// The Asset object without its resolved fields: id, code, scale, withdrawalThreshold,
// liquidityThreshold, createdAt, and tenantId (for Asset.tenant).
boost::json::object to_json(const Asset& asset);

}  // namespace rafiki::backend::asset
