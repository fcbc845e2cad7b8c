// Assets through the Admin API: create (with the two ledger accounts, next ledger number,
// reactivation of a deleted code+scale), read, list with Relay pagination, update, soft delete
// (refused while in use), tenant scoping, and bad input that must change nothing.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "backend/asset/asset_test_util.h"

namespace rafiki::backend::test {
namespace {

using namespace assets;

const char* kAssetQuery =
    "query($id: String!) { asset(id: $id) { id code scale withdrawalThreshold liquidityThreshold"
    " liquidity createdAt sendingFee { id } receivingFee { id } tenant { id } } }";

TEST(AdminAssets, CreateMakesTheAssetWithItsLedgerAccounts) {
  AdminHarness h;
  json::object input;
  input["code"] = "USD";
  input["scale"] = 2;
  input["withdrawalThreshold"] = "100";
  input["liquidityThreshold"] = "18446744073709551615";
  auto created = data_of(h.gql(kCreateAsset, {{"input", input}}), "createAsset").at("asset");
  ASSERT_TRUE(created.is_object());
  const std::string id(created.at("id").as_string());
  EXPECT_TRUE(Uuid::parse(id));
  EXPECT_EQ(created.at("code").as_string(), "USD");
  EXPECT_EQ(created.at("scale").as_int64(), 2);
  EXPECT_EQ(created.at("withdrawalThreshold").as_string(), "100");
  EXPECT_EQ(created.at("liquidityThreshold").as_string(), "18446744073709551615");
  EXPECT_EQ(created.at("liquidity").as_string(), "0");
  EXPECT_EQ(created.at("tenant").at("id").as_string(), kOperatorTenantId);
  EXPECT_EQ(created.at("createdAt").as_string().size(), 24u);

  // Liquidity account (id = asset id, code 2) and settlement account (code 101) on the asset's
  // ledger, with the flags that keep each side from going the wrong way.
  EXPECT_EQ(h.db().query_value("SELECT a.ledger = l.ledger AND l.code = 2 AND l.flags & 2 = 2 "
                               "FROM assets a JOIN ledger_accounts l ON l.id = a.id WHERE a.id = '" +
                               id + "'"),
            "t");
  EXPECT_EQ(h.db().query_value("SELECT a.ledger = l.ledger AND l.code = 101 AND l.flags & 4 = 4 "
                               "FROM assets a JOIN ledger_accounts l ON l.id = "
                               "a.settlement_account_id WHERE a.id = '" + id + "'"),
            "t");

  auto read = data_of(h.gql(kAssetQuery, {{"id", id}}), "asset");
  EXPECT_EQ(read.at("id").as_string(), id);
  EXPECT_EQ(read.at("createdAt"), created.at("createdAt"));
  EXPECT_TRUE(read.at("sendingFee").is_null());
  EXPECT_TRUE(read.at("receivingFee").is_null());

  // Every asset gets the next ledger number; the same code with another scale is another asset.
  const std::string id2 = create_asset(h, "USD", 3);
  const std::string id3 = create_asset(h, "EUR", 2);
  EXPECT_EQ(h.db().query_value("SELECT count(DISTINCT ledger) FROM assets"), "3");
  EXPECT_EQ(h.db().query_value("SELECT ledger FROM assets WHERE id = '" + id3 + "'"),
            std::to_string(std::stoi(h.db().query_value(
                                "SELECT ledger FROM assets WHERE id = '" + id2 + "'")) + 1));
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM ledger_accounts"), "6");
}

TEST(AdminAssets, DuplicateCodeAndScaleIsRefusedAndStoresNothing) {
  AdminHarness h;
  create_asset(h, "USD", 2);
  json::object input;
  input["code"] = "USD";
  input["scale"] = 2;
  auto again = h.gql(kCreateAsset, {{"input", input}});
  EXPECT_EQ(error_code(again), "DUPLICATE");
  EXPECT_EQ(error_message(again), "Asset already exists");
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM assets"), "1");
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM ledger_accounts"), "2");

  // Another tenant may have the same code and scale.
  add_tenant(h, kTenantA);
  EXPECT_NE(create_asset(h, "USD", 2, as_tenant(kTenantA)), "");

  // Concurrent creates of one code+scale: exactly one wins, the others are duplicates.
  std::vector<std::pair<std::string, json::object>> requests;
  json::object gbp;
  gbp["code"] = "GBP";
  gbp["scale"] = 2;
  for (int i = 0; i < 5; ++i) requests.push_back({kCreateAsset, {{"input", gbp}}});
  auto responses = gql_concurrently(h, requests);
  int ok = 0;
  for (const auto& r : responses) {
    if (error_code(r).empty()) {
      ++ok;
    } else {
      EXPECT_EQ(error_code(r), "DUPLICATE") << json::serialize(r);
    }
  }
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM assets WHERE code = 'GBP'"), "1");
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM ledger_accounts"), "6");
}

TEST(AdminAssets, BadInputIsRefused) {
  AdminHarness h;
  // Scale beyond UInt8, missing fields, negative and overflowing thresholds: refused by the
  // schema's scalars before anything runs.
  auto big_scale = h.gql("mutation { createAsset(input: {code: \"X\", scale: 256}) { asset { id } } }");
  EXPECT_EQ(error_code(big_scale), "GRAPHQL_VALIDATION_FAILED") << json::serialize(big_scale);
  json::object negative;
  negative["code"] = "X";
  negative["scale"] = 2;
  negative["withdrawalThreshold"] = "-1";
  EXPECT_EQ(error_code(h.gql(kCreateAsset, {{"input", negative}})), "BAD_USER_INPUT");
  json::object overflow;
  overflow["code"] = "X";
  overflow["scale"] = 2;
  overflow["liquidityThreshold"] = "18446744073709551616";
  EXPECT_EQ(error_code(h.gql(kCreateAsset, {{"input", overflow}})), "BAD_USER_INPUT");
  // A tenant may not create for another tenant; the operator may not create for a tenant that
  // does not exist.
  add_tenant(h, kTenantA);
  json::object foreign;
  foreign["code"] = "X";
  foreign["scale"] = 2;
  foreign["tenantId"] = kOperatorTenantId;
  auto refused = h.gql(kCreateAsset, {{"input", foreign}}, as_tenant(kTenantA));
  EXPECT_EQ(error_code(refused), "BAD_USER_INPUT");
  EXPECT_EQ(error_message(refused), "Assignment to the specified tenant is not permitted");
  json::object nobody = foreign;
  nobody["tenantId"] = Uuid::v4().str();
  auto unknown = h.gql(kCreateAsset, {{"input", nobody}});
  EXPECT_EQ(error_code(unknown), "NOT_FOUND");
  EXPECT_EQ(error_message(unknown), "Tenant not found");
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM assets"), "0");
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM ledger_accounts"), "0");

  // Reads of unknown or malformed ids.
  for (std::string id : {Uuid::v4().str(), std::string("not-a-uuid")}) {
    auto missing = h.gql(kAssetQuery, {{"id", id}});
    EXPECT_EQ(error_code(missing), "NOT_FOUND");
    EXPECT_EQ(error_message(missing), "Asset not found");
  }
}

TEST(AdminAssets, OperatorCreatesForATenantAndTenantsAreScoped) {
  AdminHarness h;
  add_tenant(h, kTenantA);
  add_tenant(h, kTenantB);
  json::object input;
  input["code"] = "USD";
  input["scale"] = 2;
  input["tenantId"] = kTenantA;
  auto created = data_of(h.gql(kCreateAsset, {{"input", input}}), "createAsset").at("asset");
  EXPECT_EQ(created.at("tenant").at("id").as_string(), kTenantA);
  const std::string a(created.at("id").as_string());
  const std::string b = create_asset(h, "EUR", 2, as_tenant(kTenantB));
  const std::string op = create_asset(h, "JPY", 0);

  // Single reads: own only for tenants, any for the operator; liquidity of a foreign asset is
  // "Unknown asset" even where the asset itself is visible.
  EXPECT_EQ(error_code(h.gql(kAssetQuery, {{"id", b}}, as_tenant(kTenantA))), "NOT_FOUND");
  EXPECT_EQ(data_of(h.gql(kAssetQuery, {{"id", a}}, as_tenant(kTenantA)), "asset").at("id").as_string(), a);
  EXPECT_EQ(data_of(h.gql(kAssetQuery, {{"id", b}}), "asset").at("liquidity").as_string(), "0");

  // Lists: a tenant sees its own whatever tenantId says; the operator all, or one tenant's.
  const std::string list = "query($t: String) { assets(tenantId: $t) { edges { node { id } } } }";
  auto ids = [&](const json::object& response) {
    std::set<std::string> out;
    const json::value page = data_of(response, "assets");
    for (const auto& e : page.at("edges").as_array()) {
      out.insert(std::string(e.at("node").at("id").as_string()));
    }
    return out;
  };
  EXPECT_EQ(ids(h.gql(list, {{"t", kTenantB}}, as_tenant(kTenantA))), std::set<std::string>{a});
  EXPECT_EQ(ids(h.gql(list, {})), (std::set<std::string>{a, b, op}));
  EXPECT_EQ(ids(h.gql(list, {{"t", kTenantB}})), std::set<std::string>{b});

  // assetByCodeAndScale looks in the signature tenant only, the operator included.
  const std::string by = "query($c: String!, $s: UInt8!) { assetByCodeAndScale(code: $c, scale: $s) { id } }";
  EXPECT_EQ(data_of(h.gql(by, {{"c", "USD"}, {"s", 2}}, as_tenant(kTenantA)), "assetByCodeAndScale")
                .at("id")
                .as_string(),
            a);
  EXPECT_TRUE(data_of(h.gql(by, {{"c", "USD"}, {"s", 2}}), "assetByCodeAndScale").is_null());
  EXPECT_TRUE(data_of(h.gql(by, {{"c", "USD"}, {"s", 3}}, as_tenant(kTenantA)), "assetByCodeAndScale")
                  .is_null());

  // Updates and deletes act in the signature tenant only (the operator's included).
  const std::string update =
      "mutation($id: String!) { updateAsset(input: {id: $id, withdrawalThreshold: 5}) { asset { id } } }";
  const std::string del = "mutation($id: ID!) { deleteAsset(input: {id: $id}) { asset { id } } }";
  EXPECT_EQ(error_code(h.gql(update, {{"id", b}}, as_tenant(kTenantA))), "NOT_FOUND");
  EXPECT_EQ(error_code(h.gql(update, {{"id", b}})), "NOT_FOUND");
  EXPECT_EQ(error_code(h.gql(del, {{"id", b}}, as_tenant(kTenantA))), "NOT_FOUND");
  EXPECT_EQ(error_code(h.gql(del, {{"id", b}})), "NOT_FOUND");
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM assets WHERE deleted_at IS NULL "
                               "AND withdrawal_threshold IS NULL"),
            "3");
  EXPECT_EQ(error_code(h.gql(update, {{"id", b}}, as_tenant(kTenantB))), "");
}

TEST(AdminAssets, UpdateLeavesAnOmittedThresholdAndClearsANullOne) {
  AdminHarness h;
  const std::string id = create_asset(h, "USD", 2);
  const std::string m =
      "mutation($input: UpdateAssetInput!) { updateAsset(input: $input) {"
      " asset { id withdrawalThreshold liquidityThreshold } } }";
  json::object both;
  both["id"] = id;
  both["withdrawalThreshold"] = "7";
  both["liquidityThreshold"] = "9";
  auto updated = data_of(h.gql(m, {{"input", both}}), "updateAsset").at("asset");
  EXPECT_EQ(updated.at("withdrawalThreshold").as_string(), "7");
  EXPECT_EQ(updated.at("liquidityThreshold").as_string(), "9");
  // Omitting one leaves it (upstream clears it; partial updates mean one thing everywhere).
  json::object one;
  one["id"] = id;
  one["liquidityThreshold"] = "10";
  updated = data_of(h.gql(m, {{"input", one}}), "updateAsset").at("asset");
  EXPECT_EQ(updated.at("withdrawalThreshold").as_string(), "7");
  EXPECT_EQ(updated.at("liquidityThreshold").as_string(), "10");
  // An explicit null clears it, each field on its own.
  json::object clear_withdrawal;
  clear_withdrawal["id"] = id;
  clear_withdrawal["withdrawalThreshold"] = nullptr;
  updated = data_of(h.gql(m, {{"input", clear_withdrawal}}), "updateAsset").at("asset");
  EXPECT_TRUE(updated.at("withdrawalThreshold").is_null());
  EXPECT_EQ(updated.at("liquidityThreshold").as_string(), "10");
  json::object clear_liquidity;
  clear_liquidity["id"] = id;
  clear_liquidity["liquidityThreshold"] = nullptr;
  updated = data_of(h.gql(m, {{"input", clear_liquidity}}), "updateAsset").at("asset");
  EXPECT_TRUE(updated.at("withdrawalThreshold").is_null());
  EXPECT_TRUE(updated.at("liquidityThreshold").is_null());
  // Nothing but the id: nothing changes.
  json::object nothing;
  nothing["id"] = id;
  nothing["liquidityThreshold"] = "10";
  data_of(h.gql(m, {{"input", nothing}}), "updateAsset");
  nothing.erase("liquidityThreshold");
  updated = data_of(h.gql(m, {{"input", nothing}}), "updateAsset").at("asset");
  EXPECT_TRUE(updated.at("withdrawalThreshold").is_null());
  EXPECT_EQ(updated.at("liquidityThreshold").as_string(), "10");

  for (std::string bad : {Uuid::v4().str(), std::string("nope")}) {
    json::object unknown;
    unknown["id"] = bad;
    auto r = h.gql(m, {{"input", unknown}});
    EXPECT_EQ(error_code(r), "NOT_FOUND");
    EXPECT_EQ(error_message(r), "Asset not found");
  }
  json::object negative;
  negative["id"] = id;
  negative["withdrawalThreshold"] = "-5";
  EXPECT_EQ(error_code(h.gql(m, {{"input", negative}})), "BAD_USER_INPUT");
  EXPECT_EQ(h.db().query_value("SELECT liquidity_threshold FROM assets"), "10");
}

TEST(AdminAssets, DeleteIsSoftAndReactivationKeepsTheAsset) {
  AdminHarness h;
  json::object input;
  input["code"] = "USD";
  input["scale"] = 2;
  input["withdrawalThreshold"] = "11";
  const std::string id(
      data_of(h.gql(kCreateAsset, {{"input", input}}), "createAsset").at("asset").at("id").as_string());
  const std::string ledger = h.db().query_value("SELECT ledger FROM assets");
  const std::string del = "mutation($id: ID!) { deleteAsset(input: {id: $id}) { asset { id code } } }";
  auto deleted = data_of(h.gql(del, {{"id", id}}), "deleteAsset").at("asset");
  EXPECT_EQ(deleted.at("id").as_string(), id);
  EXPECT_EQ(error_code(h.gql(kAssetQuery, {{"id", id}})), "NOT_FOUND");
  EXPECT_EQ(data_of(h.gql("{ assets { edges { node { id } } } }"), "assets").at("edges").as_array().size(),
            0u);
  auto again = h.gql(del, {{"id", id}});
  EXPECT_EQ(error_code(again), "NOT_FOUND");
  EXPECT_EQ(error_message(again), "Asset not found");
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM assets WHERE deleted_at IS NOT NULL"), "1");

  // Creating the code+scale again brings the same asset back with its old thresholds.
  input["withdrawalThreshold"] = "99";
  auto revived = data_of(h.gql(kCreateAsset, {{"input", input}}), "createAsset").at("asset");
  EXPECT_EQ(revived.at("id").as_string(), id);
  EXPECT_EQ(revived.at("withdrawalThreshold").as_string(), "11");
  EXPECT_EQ(h.db().query_value("SELECT ledger FROM assets"), ledger);
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM ledger_accounts"), "2");
  EXPECT_EQ(data_of(h.gql(kAssetQuery, {{"id", id}}), "asset").at("id").as_string(), id);
}

TEST(AdminAssets, AnAssetInUseIsNotDeleted) {
  AdminHarness h;
  const std::string id = create_asset(h, "USD", 2);
  const std::string del = "mutation($id: ID!) { deleteAsset(input: {id: $id}) { asset { id } } }";
  // A wallet address on the asset (the table comes with a later migration; a minimal stand-in
  // is made when it is not there yet).
  if (h.db().query_value("SELECT to_regclass('wallet_addresses') IS NULL") == "t") {
    h.db().exec("CREATE TABLE wallet_addresses (id uuid, tenant_id uuid, asset_id uuid, url text)");
  }
  const std::string wa = Uuid::v4().str();
  h.db().exec("INSERT INTO wallet_addresses (id, tenant_id, asset_id, url) VALUES ('" + wa +
              "', '" + kOperatorTenantId + "', '" + id + "', 'https://op.example/" + wa + "')");
  auto refused = h.gql(del, {{"id", id}});
  EXPECT_EQ(error_code(refused), "FORBIDDEN");
  EXPECT_EQ(error_message(refused), "Cannot delete! Asset in use.");
  EXPECT_EQ(h.db().query_value("SELECT deleted_at IS NULL FROM assets"), "t");
  h.db().exec("DELETE FROM wallet_addresses");

  // A peer on the asset (stand-in table only when the peers migration is not there yet).
  if (h.db().query_value("SELECT to_regclass('peers') IS NULL") == "t") {
    h.db().exec("CREATE TABLE peers (id uuid, tenant_id uuid, asset_id uuid)");
    h.db().exec("INSERT INTO peers VALUES (gen_random_uuid(), '" + std::string(kOperatorTenantId) +
                "', '" + id + "')");
    EXPECT_EQ(error_code(h.gql(del, {{"id", id}})), "FORBIDDEN");
    h.db().exec("DELETE FROM peers");
  }
  EXPECT_EQ(error_code(h.gql(del, {{"id", id}})), "");
  EXPECT_EQ(h.db().query_value("SELECT deleted_at IS NOT NULL FROM assets"), "t");
}

TEST(AdminAssets, AFailedLedgerCallLeavesNoAsset) {
  AdminHarness h;
  // Make the ledger refuse settlement accounts for a moment.
  h.db().exec("ALTER TABLE ledger_accounts ADD CONSTRAINT test_no_settlement CHECK (code <> 101)");
  json::object input;
  input["code"] = "USD";
  input["scale"] = 2;
  auto failed = h.gql(kCreateAsset, {{"input", input}});
  EXPECT_EQ(error_code(failed), "INTERNAL_SERVER_ERROR");
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM assets"), "0");
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM ledger_accounts"), "0");
  h.db().exec("ALTER TABLE ledger_accounts DROP CONSTRAINT test_no_settlement");
  EXPECT_NE(create_asset(h, "USD", 2), "");
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM ledger_accounts"), "2");
}

TEST(AdminAssets, OneIdempotencyKeyCreatesOneAsset) {
  AdminHarness h(AdminHarness::Options{true, {}});
  json::object input;
  input["code"] = "USD";
  input["scale"] = 2;
  input["idempotencyKey"] = "create-" + Uuid::v4().str();
  auto first = data_of(h.gql(kCreateAsset, {{"input", input}}), "createAsset");
  auto second = data_of(h.gql(kCreateAsset, {{"input", input}}), "createAsset");
  EXPECT_EQ(first.at("asset").at("id"), second.at("asset").at("id"));
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM assets"), "1");
  // Update and delete with keys: the stored result is replayed, the change made once.
  const std::string id(first.at("asset").at("id").as_string());
  const std::string del =
      "mutation($id: ID!, $k: String) { deleteAsset(input: {id: $id, idempotencyKey: $k}) { asset { id } } }";
  const std::string key = "delete-" + Uuid::v4().str();
  EXPECT_EQ(error_code(h.gql(del, {{"id", id}, {"k", key}})), "");
  EXPECT_EQ(error_code(h.gql(del, {{"id", id}, {"k", key}})), "");
  EXPECT_EQ(error_code(h.gql(del, {{"id", id}})), "NOT_FOUND");
}

TEST(AdminAssets, AssetsPageForwardsAndBackwards) {
  AdminHarness h;
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(create_asset(h, "C" + std::to_string(i), 2));
  const std::string q =
      "query($first: Int, $after: String, $last: Int, $before: String, $order: SortOrder) {"
      " assets(first: $first, after: $after, last: $last, before: $before, sortOrder: $order) {"
      " edges { cursor node { id code } } pageInfo { startCursor endCursor hasNextPage hasPreviousPage } } }";
  auto page_ids = [](const json::value& page) {
    std::vector<std::string> out;
    for (const auto& e : page.at("edges").as_array()) {
      out.push_back(std::string(e.at("node").at("id").as_string()));
      EXPECT_EQ(e.at("cursor"), e.at("node").at("id"));
    }
    return out;
  };
  auto p1 = data_of(h.gql(q, {{"first", 2}, {"order", "ASC"}}), "assets");
  EXPECT_EQ(page_ids(p1), (std::vector<std::string>{ids[0], ids[1]}));
  EXPECT_TRUE(p1.at("pageInfo").at("hasNextPage").as_bool());
  EXPECT_FALSE(p1.at("pageInfo").at("hasPreviousPage").as_bool());
  auto p2 = data_of(h.gql(q, {{"first", 2}, {"after", ids[1]}, {"order", "ASC"}}), "assets");
  EXPECT_EQ(page_ids(p2), (std::vector<std::string>{ids[2], ids[3]}));
  EXPECT_TRUE(p2.at("pageInfo").at("hasPreviousPage").as_bool());
  auto p3 = data_of(h.gql(q, {{"first", 2}, {"after", ids[3]}, {"order", "ASC"}}), "assets");
  EXPECT_EQ(page_ids(p3), (std::vector<std::string>{ids[4]}));
  EXPECT_FALSE(p3.at("pageInfo").at("hasNextPage").as_bool());
  auto back = data_of(h.gql(q, {{"last", 2}, {"before", ids[4]}, {"order", "ASC"}}), "assets");
  EXPECT_EQ(page_ids(back), (std::vector<std::string>{ids[2], ids[3]}));
  EXPECT_TRUE(back.at("pageInfo").at("hasPreviousPage").as_bool());
  EXPECT_TRUE(back.at("pageInfo").at("hasNextPage").as_bool());
  // Default order is newest first.
  auto desc = data_of(h.gql(q, {{"first", 1}}), "assets");
  EXPECT_EQ(page_ids(desc), std::vector<std::string>{ids[4]});
  EXPECT_EQ(error_code(h.gql(q, {{"last", 2}})), "INTERNAL_SERVER_ERROR");
}

// `tenant` on every node of a page: each node gets its own owner (the per-request memo keys by
// tenant), and a change between two requests shows in the second (the memo lives one request).
TEST(AdminAssets, EachNodesTenantIsItsOwnAndFreshPerRequest) {
  AdminHarness h;
  add_tenant(h, kTenantA);
  add_tenant(h, kTenantB);
  std::map<std::string, std::string> owner;
  owner[create_asset(h, "USD", 2, as_tenant(kTenantA))] = kTenantA;
  owner[create_asset(h, "EUR", 2, as_tenant(kTenantA))] = kTenantA;
  owner[create_asset(h, "GBP", 2, as_tenant(kTenantB))] = kTenantB;
  owner[create_asset(h, "JPY", 0)] = h.operator_context().tenant_id.str();
  const std::string list =
      "query { assets(first: 10) { edges { node { id tenant { id publicName } } } } }";
  auto names = [&]() {
    std::map<std::string, std::string> by_asset;
    const json::value page = data_of(h.gql(list), "assets");
    for (const auto& e : page.at("edges").as_array()) {
      const auto& node = e.at("node").as_object();
      std::string id(node.at("id").as_string());
      EXPECT_EQ(std::string(node.at("tenant").at("id").as_string()), owner[id]) << id;
      const auto& name = node.at("tenant").at("publicName");
      by_asset[id] = name.is_string() ? std::string(name.as_string()) : "";
    }
    EXPECT_EQ(by_asset.size(), owner.size());
    return by_asset;
  };
  for (const auto& [asset, name] : names()) EXPECT_EQ(name, "") << asset;
  h.db().exec(std::string("UPDATE tenants SET public_name = 'Tenant B' WHERE id = '") + kTenantB +
              "'");
  for (const auto& [asset, name] : names()) {
    EXPECT_EQ(name, owner[asset] == kTenantB ? "Tenant B" : "") << asset;
  }
}

// Within one mutation request, a tenant changed by one field shows changed in the later ones.
TEST(AdminAssets, ATenantRenamedEarlierInTheSameMutationShowsItsNewName) {
  AdminHarness h;
  add_tenant(h, kTenantB);
  const std::string mutation =
      "mutation($a: CreateAssetInput!, $b: CreateAssetInput!, $u: UpdateTenantInput!) {"
      " first: createAsset(input: $a) { asset { tenant { publicName } } }"
      " rename: updateTenant(input: $u) { tenant { id } }"
      " second: createAsset(input: $b) { asset { tenant { publicName } } } }";
  json::object a{{"code", "USD"}, {"scale", 2}};
  json::object b{{"code", "EUR"}, {"scale", 2}};
  json::object u{{"id", kTenantB}, {"publicName", "Renamed"}};
  auto r = h.gql(mutation, {{"a", a}, {"b", b}, {"u", u}}, as_tenant(kTenantB));
  EXPECT_TRUE(data_of(r, "first").at("asset").at("tenant").at("publicName").is_null());
  EXPECT_EQ(data_of(r, "second").at("asset").at("tenant").at("publicName").as_string(), "Renamed");
}

}  // namespace
}  // namespace rafiki::backend::test
