// Fees through the Admin API: setFee validation and history, the newest fee of each type in
// force (Asset.sendingFee / receivingFee, FeeService::active_fee), Asset.fees pagination, and
// tenant scoping.
#include <gtest/gtest.h>

#include "backend/asset/asset_test_util.h"
#include "backend/fee/service.h"

namespace rafiki::backend::test {
namespace {

using namespace assets;

const char* kSetFee =
    "mutation($input: SetFeeInput!) { setFee(input: $input) {"
    " fee { id assetId type fixed basisPoints createdAt } } }";

json::object fee_input(const std::string& asset, const char* type, json::value fixed,
                       json::value basis_points) {
  json::object fee;
  fee["fixed"] = std::move(fixed);
  fee["basisPoints"] = std::move(basis_points);
  json::object input;
  input["assetId"] = asset;
  input["type"] = type;
  input["fee"] = std::move(fee);
  return input;
}

TEST(AdminFees, SetFeeKeepsHistoryAndTheNewestOfEachTypeIsActive) {
  AdminHarness h;
  const std::string asset = create_asset(h, "USD", 2);
  auto first = data_of(h.gql(kSetFee, {{"input", fee_input(asset, "SENDING", "100", 50)}}), "setFee")
                   .at("fee");
  EXPECT_EQ(first.at("assetId").as_string(), asset);
  EXPECT_EQ(first.at("type").as_string(), "SENDING");
  EXPECT_EQ(first.at("fixed").as_string(), "100");
  EXPECT_EQ(first.at("basisPoints").as_int64(), 50);
  auto second = data_of(h.gql(kSetFee, {{"input", fee_input(asset, "SENDING", "0", 10000)}}), "setFee")
                    .at("fee");
  auto receiving =
      data_of(h.gql(kSetFee, {{"input", fee_input(asset, "RECEIVING", "18446744073709551615", 0)}}),
              "setFee")
          .at("fee");
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM fees"), "3");

  auto read = data_of(h.gql("query($id: String!) { asset(id: $id) { sendingFee { id fixed basisPoints }"
                            " receivingFee { id fixed } } }",
                            {{"id", asset}}),
                      "asset");
  EXPECT_EQ(read.at("sendingFee").at("id"), second.at("id"));
  EXPECT_EQ(read.at("sendingFee").at("basisPoints").as_int64(), 10000);
  EXPECT_EQ(read.at("receivingFee").at("id"), receiving.at("id"));
  EXPECT_EQ(read.at("receivingFee").at("fixed").as_string(), "18446744073709551615");

  // The service call quotes use.
  auto active = h.wait(h.backend().fees->active_fee(*Uuid::parse(asset), fee::FeeType::kSending));
  ASSERT_TRUE(active && *active);
  EXPECT_EQ((*active)->id.str(), second.at("id").as_string());
  EXPECT_EQ((*active)->basis_points, 10000);
  const std::string other = create_asset(h, "EUR", 2);
  auto none = h.wait(h.backend().fees->active_fee(*Uuid::parse(other), fee::FeeType::kSending));
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

TEST(AdminFees, BadFeesAreRefusedAndStoreNothing) {
  AdminHarness h;
  const std::string asset = create_asset(h, "USD", 2);
  for (int bp : {-1, 10001}) {
    auto r = h.gql(kSetFee, {{"input", fee_input(asset, "SENDING", "1", bp)}});
    EXPECT_EQ(error_code(r), "BAD_USER_INPUT");
    EXPECT_EQ(error_message(r), "Basis point fee must be between 0 and 10000");
  }
  // Negative or overflowing fixed fees never pass the UInt64 scalar.
  EXPECT_EQ(error_code(h.gql(kSetFee, {{"input", fee_input(asset, "SENDING", "-1", 1)}})),
            "BAD_USER_INPUT");
  EXPECT_EQ(error_code(h.gql(kSetFee, {{"input", fee_input(asset, "SENDING",
                                                          "18446744073709551616", 1)}})),
            "BAD_USER_INPUT");
  EXPECT_EQ(error_code(h.gql(kSetFee, {{"input", fee_input(asset, "OTHER", "1", 1)}})),
            "BAD_USER_INPUT");
  for (std::string bad : {Uuid::v4().str(), std::string("not-a-uuid")}) {
    auto r = h.gql(kSetFee, {{"input", fee_input(bad, "SENDING", "1", 1)}});
    EXPECT_EQ(error_code(r), "NOT_FOUND");
    EXPECT_EQ(error_message(r), "Unknown asset");
  }
  // A deleted asset takes no new fees.
  h.gql("mutation($id: ID!) { deleteAsset(input: {id: $id}) { asset { id } } }", {{"id", asset}});
  EXPECT_EQ(error_code(h.gql(kSetFee, {{"input", fee_input(asset, "SENDING", "1", 1)}})),
            "NOT_FOUND");
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM fees"), "0");
}

TEST(AdminFees, TenantsSetFeesOnTheirOwnAssetsOnly) {
  AdminHarness h;
  add_tenant(h, kTenantA);
  add_tenant(h, kTenantB);
  const std::string a = create_asset(h, "USD", 2, as_tenant(kTenantA));
  const std::string b = create_asset(h, "USD", 2, as_tenant(kTenantB));
  auto foreign = h.gql(kSetFee, {{"input", fee_input(b, "SENDING", "1", 1)}}, as_tenant(kTenantA));
  EXPECT_EQ(error_code(foreign), "NOT_FOUND");
  EXPECT_EQ(error_message(foreign), "Unknown asset");
  EXPECT_EQ(error_code(h.gql(kSetFee, {{"input", fee_input(a, "SENDING", "1", 1)}}, as_tenant(kTenantA))),
            "");
  // The operator sets fees on any tenant's asset.
  EXPECT_EQ(error_code(h.gql(kSetFee, {{"input", fee_input(b, "RECEIVING", "2", 2)}})), "");
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM fees"), "2");
}

TEST(AdminFees, FeeHistoryPagesForwardsAndBackwards) {
  AdminHarness h;
  const std::string asset = create_asset(h, "USD", 2);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto fee = data_of(h.gql(kSetFee, {{"input", fee_input(asset, i % 2 ? "RECEIVING" : "SENDING",
                                                           json::string(std::to_string(i)), i)}}),
                       "setFee");
    ids.push_back(std::string(fee.at("fee").at("id").as_string()));
  }
  const std::string q =
      "query($id: String!, $first: Int, $after: String, $last: Int, $before: String, $order: SortOrder) {"
      " asset(id: $id) { fees(first: $first, after: $after, last: $last, before: $before, sortOrder: $order) {"
      " edges { cursor node { id fixed } } pageInfo { hasNextPage hasPreviousPage } } } }";
  auto page = [&](json::object vars) {
    vars["id"] = asset;
    auto fees = data_of(h.gql(q, vars), "asset").at("fees");
    std::vector<std::string> out;
    for (const auto& e : fees.at("edges").as_array()) {
      out.push_back(std::string(e.at("node").at("id").as_string()));
    }
    return std::make_pair(out, fees.at("pageInfo"));
  };
  auto [p1, info1] = page({{"first", 3}, {"order", "ASC"}});
  EXPECT_EQ(p1, (std::vector<std::string>{ids[0], ids[1], ids[2]}));
  EXPECT_TRUE(info1.at("hasNextPage").as_bool());
  auto [p2, info2] = page({{"first", 3}, {"after", ids[2]}, {"order", "ASC"}});
  EXPECT_EQ(p2, (std::vector<std::string>{ids[3], ids[4]}));
  EXPECT_FALSE(info2.at("hasNextPage").as_bool());
  EXPECT_TRUE(info2.at("hasPreviousPage").as_bool());
  auto [p3, info3] = page({{"last", 2}, {"before", ids[3]}, {"order", "ASC"}});
  EXPECT_EQ(p3, (std::vector<std::string>{ids[1], ids[2]}));
  EXPECT_TRUE(info3.at("hasPreviousPage").as_bool());
  auto [p4, info4] = page({{"first", 2}});  // newest first by default
  EXPECT_EQ(p4, (std::vector<std::string>{ids[4], ids[3]}));
  // Another asset's history is not mixed in.
  const std::string other = create_asset(h, "EUR", 2);
  h.gql(kSetFee, {{"input", fee_input(other, "SENDING", "1", 1)}});
  auto [all, info5] = page({{"first", 100}});
  EXPECT_EQ(all.size(), 5u);
}

}  // namespace
}  // namespace rafiki::backend::test
