// The database refuses a peer or wallet address on a deleted asset (migration 0007), which
// closes the race between deleteAsset and a concurrent createPeer / createWalletAddress.
#include <gtest/gtest.h>

#include "backend/admin_harness.h"

namespace rafiki::backend::test {
namespace {

TEST(AssetDeleteGuard, NoPeerOrWalletAddressLandsOnADeletedAsset) {
  AdminHarness h;
  auto created = data_of(
      h.gql(R"(mutation { createAsset(input: {code: "EUR", scale: 2}) { asset { id } } })"),
      "createAsset");
  const std::string asset(created.at("asset").at("id").as_string());
  const std::string tenant = kOperatorTenantId;
  auto insert_peer = [&](const std::string& id) {
    h.db().exec("INSERT INTO peers (id, tenant_id, asset_id, static_ilp_address, routes, "
                "outgoing_token, outgoing_endpoint) VALUES ('" + id + "', '" + tenant + "', '" +
                asset + "', 'test.guard." + id.substr(0, 8) + "', ARRAY[]::text[], 't', 'http://x')");
  };
  auto insert_wallet_address = [&](const std::string& id) {
    h.db().exec("INSERT INTO wallet_addresses (id, tenant_id, asset_id, url) VALUES ('" + id +
                "', '" + tenant + "', '" + asset + "', 'https://op.example/" + id.substr(0, 8) + "')");
  };
  // A live asset takes both.
  EXPECT_NO_THROW(insert_peer(Uuid::v4().str()));
  EXPECT_NO_THROW(insert_wallet_address(Uuid::v4().str()));
  // Soft-deleted (as deleteAsset leaves it): neither can be created or re-pointed to it.
  h.db().exec("UPDATE assets SET deleted_at = now() WHERE id = '" + asset + "'");
  EXPECT_ANY_THROW(insert_peer(Uuid::v4().str()));
  EXPECT_ANY_THROW(insert_wallet_address(Uuid::v4().str()));
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM peers"), "1");
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM wallet_addresses"), "1");
}

}  // namespace
}  // namespace rafiki::backend::test
