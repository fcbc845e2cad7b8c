// The wallet address domain's Admin API: URLs under the tenant's base, queries and mutations
// with every error code and message, keys, tenancy, pagination, web monetization events and
// withdrawals.
#include "backend/wallet_address/util.h"

namespace rafiki::backend::test::wallet_address_test {
namespace {

TEST(WalletAddressUrl, ResolvesRelativeAndAbsoluteAddressesUnderTheBase) {
  using wallet_address::resolve_url;
  EXPECT_EQ(*resolve_url("https://wallet.example", "Alice"), "https://wallet.example/alice");
  EXPECT_EQ(*resolve_url("https://wallet.example/", "/accounts/Bob"),
            "https://wallet.example/accounts/bob");
  EXPECT_EQ(*resolve_url("https://wallet.example/pay", "carol"),
            "https://wallet.example/pay/carol");
  EXPECT_EQ(*resolve_url("https://wallet.example", "https://WALLET.example/dave/"),
            "https://wallet.example/dave");
  for (const char* bad : {"https://other.example/alice", "http://wallet.example/alice"}) {
    auto r = resolve_url("https://wallet.example", bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error(), wallet_address::WalletAddressError::kInvalidUrl);
    EXPECT_EQ(describe(r.error()).message, "invalid url");
  }
  for (const char* bad : {"", "/", "alice/incoming-payments", "x/outgoing-payments/1", "quotes",
                          "a?b=1", "a#b", "a b", "a%20b", "a//b"}) {
    EXPECT_FALSE(resolve_url("https://wallet.example", bad)) << bad;
  }
  EXPECT_FALSE(resolve_url("http://wallet.example", "alice"));
  EXPECT_FALSE(resolve_url("https://wallet.example", std::string(3000, 'a')));
}

TEST(WalletAddressUrl, RequestUrlIsHttpsHostAndDecodedPathLowerCased) {
  using wallet_address::request_url;
  EXPECT_EQ(*request_url({"Wallet.example", "/Alice%20B/"}), "https://wallet.example/alice b");
  EXPECT_EQ(*request_url({"wallet.example:8443", "/alice"}), "https://wallet.example:8443/alice");
  EXPECT_EQ(*request_url({"wallet.example", "/"}), "https://wallet.example");
  EXPECT_FALSE(request_url({"", "/alice"}));
  EXPECT_FALSE(request_url({"wallet.example", "/bad%zz"}));
}

TEST(WalletAddressUrl, AcceptHeaderNegotiation) {
  using wallet_address::accepts_json;
  EXPECT_TRUE(accepts_json(std::nullopt));
  EXPECT_TRUE(accepts_json("application/json"));
  EXPECT_TRUE(accepts_json("text/html, application/json;q=0.9"));
  EXPECT_TRUE(accepts_json("*/*"));
  EXPECT_TRUE(accepts_json("application/*"));
  EXPECT_FALSE(accepts_json("text/html"));
  EXPECT_FALSE(accepts_json("application/json;q=0"));
  EXPECT_FALSE(accepts_json("application/xml, text/plain"));
}

TEST(WalletAddressUrl, AdditionalPropertiesAreTrimmedAndBlankOnesDropped) {
  auto cleaned = wallet_address::clean_properties(
      {{" a ", " 1 ", true}, {"", "x", true}, {"b", "  ", false}, {"c", "3", false}});
  ASSERT_EQ(cleaned.size(), 2u);
  EXPECT_EQ(cleaned[0].key, "a");
  EXPECT_EQ(cleaned[0].value, "1");
  EXPECT_TRUE(cleaned[0].visible_in_open_payments);
  EXPECT_EQ(cleaned[1].key, "c");
  EXPECT_FALSE(cleaned[1].visible_in_open_payments);
}

// --- Admin API ---

TEST(WalletAddressAdmin, OperatorCreatesUnderOpenPaymentsUrl) {
  AdminHarness h;
  const std::string asset = add_asset(h, kOperatorTenantId);
  json::object input = create_input(asset, "Alice");
  input["publicName"] = "Alice Smith";
  input["additionalProperties"] = json::array{
      json::object{{"key", " iban "}, {"value", " NL01 "}, {"visibleInOpenPayments", true}},
      json::object{{"key", "hidden"}, {"value", "x"}, {"visibleInOpenPayments", false}},
      json::object{{"key", "blank"}, {"value", " "}, {"visibleInOpenPayments", true}}};
  auto w = create_ok(h, input);
  ASSERT_FALSE(w.empty());
  EXPECT_EQ(w.at("address").as_string(), "https://op.example/alice");
  EXPECT_EQ(w.at("publicName").as_string(), "Alice Smith");
  EXPECT_EQ(w.at("status").as_string(), "ACTIVE");
  EXPECT_TRUE(w.at("createdAt").as_string().ends_with("Z"));
  EXPECT_EQ(w.at("asset").at("id").as_string(), asset);
  EXPECT_EQ(w.at("asset").at("code").as_string(), "USD");
  EXPECT_EQ(w.at("tenant").at("id").as_string(), kOperatorTenantId);
  EXPECT_TRUE(w.at("liquidity").is_null());  // no account until money arrives
  const auto& props = w.at("additionalProperties").as_array();
  ASSERT_EQ(props.size(), 2u);
  EXPECT_EQ(props[0].at("key").as_string(), "iban");
  EXPECT_EQ(props[0].at("value").as_string(), "NL01");
  EXPECT_EQ(props[1].at("visibleInOpenPayments").as_bool(), false);
}

TEST(WalletAddressAdmin, CreateErrors) {
  AdminHarness h;
  add_tenant(h, kTenantA, std::nullopt);
  add_tenant(h, kTenantB, "https://b.example/pay");
  const std::string asset = add_asset(h, kOperatorTenantId);
  const std::string asset_b = add_asset(h, kTenantB, "EUR");

  for (const char* bad : {"http://op.example/x", "https://elsewhere.example/x", "/",
                          "x/incoming-payments", "x/outgoing-payments", "x/quotes"}) {
    auto r = create(h, create_input(asset, bad));
    EXPECT_EQ(error_code(r), "BAD_USER_INPUT") << bad;
    EXPECT_EQ(error_message(r), "invalid url") << bad;
  }
  // Another tenant's asset, an unknown one, and a non-UUID.
  for (const std::string& a : {asset_b, Uuid::v4().str(), std::string("nope")}) {
    auto r = create(h, create_input(a, "bob"));
    EXPECT_EQ(error_code(r), "BAD_USER_INPUT");
    EXPECT_EQ(error_message(r), "unknown asset");
  }
  create_ok(h, create_input(asset, "bob"));
  auto dup = create(h, create_input(asset, "BOB"));
  EXPECT_EQ(error_code(dup), "DUPLICATE");
  EXPECT_EQ(error_message(dup), "Duplicate wallet address found with the same url");

  // A tenant without WALLET_ADDRESS_URL has no base.
  const std::string asset_a = add_asset(h, kTenantA);
  auto no_base = create(h, create_input(asset_a, "carol"), as_tenant(kTenantA));
  EXPECT_EQ(error_code(no_base), "NOT_FOUND");
  EXPECT_EQ(error_message(no_base), "Setting for wallet address has not been found.");

  // A tenant with one creates under it, relative or absolute; not for another tenant.
  auto rel = create_ok(h, create_input(asset_b, "dave"), as_tenant(kTenantB));
  EXPECT_EQ(rel.at("address").as_string(), "https://b.example/pay/dave");
  auto abs = create_ok(h, create_input(asset_b, "https://b.example/pay/Erin"), as_tenant(kTenantB));
  EXPECT_EQ(abs.at("address").as_string(), "https://b.example/pay/erin");
  auto outside =
      create(h, create_input(asset_b, "https://b.example/other/erin"), as_tenant(kTenantB));
  EXPECT_EQ(error_message(outside), "invalid url");
  json::object foreign = create_input(asset_b, "frank");
  foreign["tenantId"] = kTenantA;
  auto r = create(h, foreign, as_tenant(kTenantB));
  EXPECT_EQ(error_code(r), "BAD_USER_INPUT");
  EXPECT_EQ(error_message(r), "Assignment to the specified tenant is not permitted");
  // The operator may create for a tenant (then that tenant's base and assets apply).
  json::object for_b = create_input(asset_b, "gina");
  for_b["tenantId"] = kTenantB;
  auto gina = create_ok(h, for_b);
  EXPECT_EQ(gina.at("address").as_string(), "https://b.example/pay/gina");
  EXPECT_EQ(gina.at("tenant").at("id").as_string(), kTenantB);
  // Over-long input is refused with a clear message.
  json::object long_name = create_input(asset, "hugo");
  long_name["publicName"] = std::string(5000, 'n');
  EXPECT_EQ(error_code(create(h, long_name)), "BAD_USER_INPUT");
}

TEST(WalletAddressAdmin, QueriesAreTenantScoped) {
  AdminHarness h;
  add_tenant(h, kTenantA, "https://a.example");
  const std::string asset = add_asset(h, kOperatorTenantId);
  const std::string asset_a = add_asset(h, kTenantA);
  auto op = create_ok(h, create_input(asset, "op-one"));
  auto a = create_ok(h, create_input(asset_a, "a-one"), as_tenant(kTenantA));

  const std::string q = "query($id: String!) { walletAddress(id: $id) { id address } }";
  EXPECT_EQ(data_of(h.gql(q, {{"id", a.at("id")}}), "walletAddress").at("address").as_string(),
            "https://a.example/a-one");
  auto hidden = h.gql(q, {{"id", op.at("id")}}, as_tenant(kTenantA));
  EXPECT_EQ(error_code(hidden), "NOT_FOUND");
  EXPECT_EQ(error_message(hidden), "unknown wallet address");
  EXPECT_EQ(error_code(h.gql(q, {{"id", Uuid::v4().str()}})), "NOT_FOUND");
  EXPECT_EQ(error_code(h.gql(q, {{"id", "not-a-uuid"}})), "NOT_FOUND");

  const std::string by_url = "query($url: String!) { walletAddressByUrl(url: $url) { id } }";
  EXPECT_EQ(
      data_of(h.gql(by_url, {{"url", "HTTPS://OP.example/Op-One"}}), "walletAddressByUrl").at("id"),
      op.at("id"));
  EXPECT_TRUE(data_of(h.gql(by_url, {{"url", "https://op.example/nobody"}}), "walletAddressByUrl")
                  .is_null());
  EXPECT_TRUE(data_of(h.gql(by_url, {{"url", "https://op.example/op-one"}}, as_tenant(kTenantA)),
                      "walletAddressByUrl")
                  .is_null());

  const std::string list =
      "query($t: String) { walletAddresses(tenantId: $t) { edges { node { id } } } }";
  auto count = [&](json::object vars, std::optional<AdminContext> as) {
    return data_of(h.gql(list, std::move(vars), as), "walletAddresses")
        .at("edges")
        .as_array()
        .size();
  };
  EXPECT_EQ(count({}, std::nullopt), 2u);
  EXPECT_EQ(count({{"t", kTenantA}}, std::nullopt), 1u);
  EXPECT_EQ(count({}, as_tenant(kTenantA)), 1u);
  EXPECT_EQ(count({{"t", kOperatorTenantId}}, as_tenant(kTenantA)), 1u);  // argument ignored
}

TEST(WalletAddressAdmin, PagesForwardsAndBackwards) {
  AdminHarness h;
  const std::string asset = add_asset(h, kOperatorTenantId);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(std::string(
        create_ok(h, create_input(asset, "p" + std::to_string(i))).at("id").as_string()));
  }
  const std::string q =
      "query($first: Int, $after: String, $last: Int, $before: String, $order: SortOrder) {"
      " walletAddresses(first: $first, after: $after, last: $last, before: $before, sortOrder: "
      "$order) {"
      " edges { cursor node { id } } pageInfo { startCursor endCursor hasNextPage hasPreviousPage "
      "} } }";
  auto page = data_of(h.gql(q, {{"first", 2}, {"order", "ASC"}}), "walletAddresses");
  auto edges = page.at("edges").as_array();
  ASSERT_EQ(edges.size(), 2u);
  EXPECT_EQ(edges[0].at("node").at("id").as_string(), ids[0]);
  EXPECT_EQ(edges[1].at("cursor").as_string(), ids[1]);
  EXPECT_TRUE(page.at("pageInfo").at("hasNextPage").as_bool());
  EXPECT_FALSE(page.at("pageInfo").at("hasPreviousPage").as_bool());

  auto next =
      data_of(h.gql(q, {{"first", 2}, {"after", ids[1]}, {"order", "ASC"}}), "walletAddresses");
  EXPECT_EQ(next.at("edges").as_array()[0].at("node").at("id").as_string(), ids[2]);
  EXPECT_TRUE(next.at("pageInfo").at("hasPreviousPage").as_bool());

  auto back =
      data_of(h.gql(q, {{"last", 2}, {"before", ids[4]}, {"order", "ASC"}}), "walletAddresses");
  auto back_edges = back.at("edges").as_array();
  ASSERT_EQ(back_edges.size(), 2u);
  EXPECT_EQ(back_edges[0].at("node").at("id").as_string(), ids[2]);
  EXPECT_EQ(back_edges[1].at("node").at("id").as_string(), ids[3]);
  EXPECT_TRUE(back.at("pageInfo").at("hasNextPage").as_bool());

  // Default order: newest first.
  auto desc = data_of(h.gql(q, {{"first", 1}}), "walletAddresses");
  EXPECT_EQ(desc.at("edges").as_array()[0].at("node").at("id").as_string(), ids[4]);
  auto bad = h.gql(q, {{"last", 2}});
  EXPECT_EQ(error_message(bad), "Can't paginate backwards from the start.");
}

TEST(WalletAddressAdmin, UpdateKeepsClearsAndDeactivates) {
  AdminHarness h;
  add_tenant(h, kTenantA, "https://a.example");
  const std::string asset = add_asset(h, kOperatorTenantId);
  json::object input = create_input(asset, "upd");
  input["publicName"] = "Old";
  input["additionalProperties"] =
      json::array{json::object{{"key", "k"}, {"value", "v"}, {"visibleInOpenPayments", true}}};
  const std::string id(create_ok(h, input).at("id").as_string());

  // publicName absent: kept; status INACTIVE.
  auto r = data_of(h.gql(kUpdate, {{"input", {{"id", id}, {"status", "INACTIVE"}}}}),
                   "updateWalletAddress")
               .at("walletAddress");
  EXPECT_EQ(r.at("publicName").as_string(), "Old");
  EXPECT_EQ(r.at("status").as_string(), "INACTIVE");
  EXPECT_EQ(r.at("additionalProperties").as_array().size(), 1u);
  EXPECT_FALSE(
      h.db()
          .query_value("SELECT deactivated_at FROM wallet_addresses WHERE id = '" + id + "'")
          .empty());

  // New name, ACTIVE again, properties replaced (blank ones dropped).
  json::object set{{"id", id}, {"publicName", "New"}, {"status", "ACTIVE"}};
  set["additionalProperties"] =
      json::array{json::object{{"key", "a"}, {"value", "1"}, {"visibleInOpenPayments", false}},
                  json::object{{"key", " "}, {"value", "1"}, {"visibleInOpenPayments", false}}};
  r = data_of(h.gql(kUpdate, {{"input", set}}), "updateWalletAddress").at("walletAddress");
  EXPECT_EQ(r.at("publicName").as_string(), "New");
  EXPECT_EQ(r.at("status").as_string(), "ACTIVE");
  ASSERT_EQ(r.at("additionalProperties").as_array().size(), 1u);
  EXPECT_EQ(r.at("additionalProperties").as_array()[0].at("key").as_string(), "a");

  // Explicit null clears the name.
  r = data_of(h.gql(kUpdate, {{"input", {{"id", id}, {"publicName", nullptr}}}}),
              "updateWalletAddress")
          .at("walletAddress");
  EXPECT_TRUE(r.at("publicName").is_null());

  // Unknown, and another tenant's (even the operator's own from a tenant).
  for (auto [target, as] : {std::pair{Uuid::v4().str(), std::optional<AdminContext>()},
                            std::pair{id, std::optional<AdminContext>(as_tenant(kTenantA))}}) {
    auto e = h.gql(kUpdate, {{"input", {{"id", target}, {"publicName", "x"}}}}, as);
    EXPECT_EQ(error_code(e), "NOT_FOUND");
    EXPECT_EQ(error_message(e), "Unknown wallet address");
  }
}

TEST(WalletAddressAdmin, KeysAddRevokeAndList) {
  AdminHarness h;
  const std::string asset = add_asset(h, kOperatorTenantId);
  const std::string wa(create_ok(h, create_input(asset, "keyed")).at("id").as_string());
  const std::string x1 = fresh_x();
  auto k1 = data_of(add_key(h, wa, "key-1", x1), "createWalletAddressKey").at("walletAddressKey");
  EXPECT_EQ(k1.at("walletAddressId").as_string(), wa);
  EXPECT_FALSE(k1.at("revoked").as_bool());
  EXPECT_EQ(k1.at("jwk").at("x").as_string(), x1);
  EXPECT_EQ(k1.at("jwk").at("alg").as_string(), "EdDSA");
  EXPECT_EQ(k1.at("jwk").at("crv").as_string(), "Ed25519");

  auto dup = add_key(h, wa, "key-1", fresh_x());
  EXPECT_EQ(error_code(dup), "DUPLICATE");
  EXPECT_EQ(error_message(dup), "Key already exists");

  for (const std::string& bad_x :
       {std::string("not base64!"), std::string("AAAA"), std::string(""), x1 + "AAAA"}) {
    auto bad = add_key(h, wa, "key-bad", bad_x);
    EXPECT_EQ(error_code(bad), "BAD_USER_INPUT") << bad_x;
    EXPECT_TRUE(error_message(bad).starts_with("invalid JWK")) << error_message(bad);
  }
  auto unknown = add_key(h, Uuid::v4().str(), "key-9", fresh_x());
  EXPECT_EQ(error_code(unknown), "NOT_FOUND");
  EXPECT_EQ(error_message(unknown), "Unknown wallet address");

  const std::string key_id(k1.at("id").as_string());
  for (int i = 0; i < 2; ++i) {  // idempotent
    auto rev = data_of(h.gql(kRevoke, {{"input", {{"id", key_id}}}}), "revokeWalletAddressKey");
    EXPECT_TRUE(rev.at("walletAddressKey").at("revoked").as_bool());
  }
  auto missing = h.gql(kRevoke, {{"input", {{"id", Uuid::v4().str()}}}});
  EXPECT_EQ(error_code(missing), "NOT_FOUND");
  EXPECT_EQ(error_message(missing), "Wallet address key not found");

  // A revoked kid may be used again.
  data_of(add_key(h, wa, "key-1", fresh_x()), "createWalletAddressKey");
  const std::string q =
      "query($id: String!) { walletAddress(id: $id) { walletAddressKeys(sortOrder: ASC) {"
      " edges { node { id revoked jwk { kid } } } pageInfo { hasNextPage } } } }";
  auto keys = data_of(h.gql(q, {{"id", wa}}), "walletAddress")
                  .at("walletAddressKeys")
                  .at("edges")
                  .as_array();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_TRUE(keys[0].at("node").at("revoked").as_bool());
  EXPECT_FALSE(keys[1].at("node").at("revoked").as_bool());
}

TEST(WalletAddressAdmin, CreateWithIdempotencyKeyRunsOnce) {
  AdminHarness h;
  const std::string asset = add_asset(h, kOperatorTenantId);
  json::object input = create_input(asset, "once");
  input["idempotencyKey"] = "create-once";
  auto first = create_ok(h, input);
  auto again = create_ok(h, input);
  EXPECT_EQ(first.at("id"), again.at("id"));
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM wallet_addresses"), "1");
  input["publicName"] = "changed";
  EXPECT_EQ(error_code(create(h, input)), "INTERNAL_SERVER_ERROR");  // same key, other arguments
}

// Credits `amount` to the wallet address's (web monetization) account, creating it.
void credit_wallet_address(AdminHarness& h, const std::string& wa, const std::string& asset_id,
                           money::u128 amount) {
  auto asset = h.wait(h.backend().assets->get(*Uuid::parse(asset_id)));
  ASSERT_TRUE(asset && *asset);
  ASSERT_TRUE(h.wait(h.backend().liquidity->create_account(
      *Uuid::parse(wa), (*asset)->ledger, liquidity::account_code::kWalletAddress)));
  auto deposited =
      h.wait(h.backend().liquidity->deposit(*Uuid::parse(wa), **asset, amount, Uuid::v4()));
  ASSERT_TRUE(deposited) << liquidity::to_error(deposited.error()).message;
}

TEST(WalletAddressAdmin, TriggerEventsEmitsWebMonetizationOncePerReceipt) {
  AdminHarness h;
  const std::string asset = add_asset(h, kOperatorTenantId);
  const std::string wa(create_ok(h, create_input(asset, "wm")).at("id").as_string());
  const std::string idle(create_ok(h, create_input(asset, "idle")).at("id").as_string());
  credit_wallet_address(h, wa, asset, 150);
  h.db().exec("UPDATE wallet_addresses SET process_at = now() - interval '1 second'");
  const std::string q =
      "mutation($input: TriggerWalletAddressEventsInput!) {"
      " triggerWalletAddressEvents(input: $input) { count } }";
  auto r = data_of(h.gql(q, {{"input", {{"limit", 10}}}}), "triggerWalletAddressEvents");
  EXPECT_EQ(r.at("count").as_int64(), 2);
  EXPECT_EQ(
      h.db().query_value("SELECT count(*) FROM wallet_addresses WHERE process_at IS NOT NULL"),
      "0");
  EXPECT_EQ(
      h.db().query_value(
          "SELECT count(*) FROM webhook_events WHERE type = 'wallet_address.web_monetization'"),
      "1");
  EXPECT_EQ(h.db().query_value("SELECT data->'walletAddress'->'receivedAmount' FROM webhook_events "
                               "WHERE type = 'wallet_address.web_monetization'"),
            R"({"value": "150", "assetCode": "USD", "assetScale": 2})");
  EXPECT_FALSE(h.db()
                   .query_value("SELECT data->'walletAddress'->>'createdAt' FROM webhook_events "
                                "WHERE type = 'wallet_address.web_monetization'")
                   .empty());
  // The withdrawal the ASE is expected to make.
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM webhook_events WHERE type = "
                               "'wallet_address.web_monetization' AND withdrawal_amount = 150"),
            "1");
  EXPECT_EQ(h.db().query_value("SELECT data->'walletAddress'->>'id' FROM webhook_events "
                               "WHERE type = 'wallet_address.web_monetization'"),
            wa);
  // Nothing due now; once due again with nothing new received, no second event.
  EXPECT_EQ(data_of(h.gql(q, {{"input", {{"limit", 10}}}}), "triggerWalletAddressEvents")
                .at("count")
                .as_int64(),
            0);
  h.db().exec("UPDATE wallet_addresses SET process_at = now() WHERE id = '" + wa + "'");
  EXPECT_EQ(data_of(h.gql(q, {{"input", {{"limit", 10}}}}), "triggerWalletAddressEvents")
                .at("count")
                .as_int64(),
            1);
  EXPECT_EQ(
      h.db().query_value(
          "SELECT count(*) FROM webhook_events WHERE type = 'wallet_address.web_monetization'"),
      "1");
  EXPECT_EQ(error_code(h.gql(q, {{"input", {{"limit", 0}}}})), "BAD_USER_INPUT");
  (void)idle;
}

TEST(WalletAddressAdmin, WithdrawalTakesTheWholeBalance) {
  AdminHarness h;
  add_tenant(h, kTenantA, "https://a.example");
  const std::string asset = add_asset(h, kOperatorTenantId);
  const std::string wa(create_ok(h, create_input(asset, "wd")).at("id").as_string());
  const std::string q =
      "mutation($input: CreateWalletAddressWithdrawalInput!) { "
      "createWalletAddressWithdrawal(input: $input) {"
      " withdrawal { id amount walletAddress { id liquidity } } } }";
  auto input = [&](const std::string& id, const std::string& wallet) {
    return json::object{{"input",
                         {{"walletAddressId", wallet},
                          {"id", id},
                          {"idempotencyKey", Uuid::v4().str()},
                          {"timeoutSeconds", "0"}}}};
  };
  auto no_account = h.gql(q, input(Uuid::v4().str(), wa));
  EXPECT_EQ(error_code(no_account), "INTERNAL_SERVER_ERROR");
  credit_wallet_address(h, wa, asset, 75);
  auto unknown = h.gql(q, input(Uuid::v4().str(), Uuid::v4().str()));
  EXPECT_EQ(error_code(unknown), "NOT_FOUND");
  EXPECT_EQ(error_message(unknown), "Unknown wallet address");
  auto foreign = h.gql(q, input(Uuid::v4().str(), wa), as_tenant(kTenantA));
  EXPECT_EQ(error_code(foreign), "NOT_FOUND");
  auto bad_id = h.gql(q, input("nope", wa));
  EXPECT_EQ(error_message(bad_id), "Invalid transfer id");

  const std::string transfer = Uuid::v4().str();
  auto ok =
      data_of(h.gql(q, input(transfer, wa)), "createWalletAddressWithdrawal").at("withdrawal");
  EXPECT_EQ(ok.at("id").as_string(), transfer);
  EXPECT_EQ(ok.at("amount").as_string(), "75");
  EXPECT_EQ(ok.at("walletAddress").at("liquidity").as_string(), "0");
  auto empty = h.gql(q, input(Uuid::v4().str(), wa));
  EXPECT_EQ(error_code(empty), "FORBIDDEN");
  EXPECT_EQ(error_message(empty), "Transfer amount is zero");

  // A two-phase withdrawal reserves the balance until posted.
  credit_wallet_address(h, wa, asset, 40);
  auto pending_input = input(Uuid::v4().str(), wa);
  pending_input["input"].as_object()["timeoutSeconds"] = "60";
  auto pending = data_of(h.gql(q, pending_input), "createWalletAddressWithdrawal").at("withdrawal");
  EXPECT_EQ(pending.at("amount").as_string(), "40");
  EXPECT_EQ(pending.at("walletAddress").at("liquidity").as_string(), "0");
  auto posted = h.wait(h.backend().liquidity->post_withdrawal(
      *Uuid::parse(std::string(pending.at("id").as_string()))));
  EXPECT_TRUE(posted);
}

// --- Open Payments over HTTP ---

// Required members and types of the spec's wallet-address and json-web-key-set schemas
// (wallet-address-server.yaml, Open Payments 1.3.0).

}  // namespace
}  // namespace rafiki::backend::test::wallet_address_test
