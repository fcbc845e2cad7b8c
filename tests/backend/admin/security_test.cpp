// The Admin API as an attacker sees it: one signature authenticates exactly one request (one
// spelling of the header, replays keyed on what was signed, no clock far ahead, nothing executed
// that the signature does not cover), and operator rights come from OPERATOR_TENANT_ID alone.
#include <gtest/gtest.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cctype>
#include <set>
#include <string>
#include <vector>

#include "backend/admin_http.h"
#include "backend/core/idempotency.h"
#include "base/time.h"

namespace rafiki::backend::test {
namespace {

const char* kTenant = "c3c3c3c3-0000-4000-8000-000000000003";
const char* kTenantB = "f6f6f6f6-0000-4000-8000-000000000006";

void insert_tenant(AdminHarness& h, const char* id, const std::string& secret) {
  h.db().exec(std::string("INSERT INTO tenants (id, api_secret) VALUES ('") + id + "', '" +
              secret + "')");
}

std::int64_t now() { return now_ms().time_since_epoch().count(); }

std::string tenant_count(AdminHarness& h) { return h.db().query_value("SELECT count(*) FROM tenants"); }

TEST(AdminSignatureAttacks, ARespelledHeaderOfAnAcceptedSignatureIsRefused) {
  AdminHarness h;
  insert_tenant(h, kTenant, "secret-c");
  SignedServer s(h);
  const std::string body = R"({"query":"{ whoami { id } }"})";
  const std::int64_t t = now();
  auto headers = signed_headers(kTenant, "secret-c", body, t);
  ASSERT_EQ(s.post(body, headers).first, 200);

  const std::string header(*headers.get("signature"));
  const std::string digest = header.substr(header.find("v1=") + 3);
  const std::string ts = std::to_string(t);
  const std::vector<std::string> variants = {
      "t=0" + ts + ", v1=" + digest,           "t=000" + ts + ", v1=" + digest,
      "t=" + ts + ", v01=" + digest,           "t=" + ts + ", v1=" + digest + ", x=1",
      "t=" + ts + ",v1=" + digest,             "t=" + ts + ", v1=" + digest + " ",
      "t=" + ts + ", v1=" + digest + "," + ts};
  for (const auto& variant : variants) {
    net::Headers forged;
    forged.set("tenant-id", kTenant);
    forged.set("signature", variant);
    auto r = s.post(body, forged);
    EXPECT_EQ(r.first, 401) << variant;
    EXPECT_EQ(r.second, "Unauthorized");
  }
}

// The tenant-id header is not signed: a captured request replayed under the id of another
// tenant that happens to share the secret must not run a second time (as that tenant).
TEST(AdminSignatureAttacks, AnAcceptedSignatureIsNotAcceptedAgainForAnotherTenantId) {
  AdminHarness h;
  insert_tenant(h, kTenant, "secret-c");
  insert_tenant(h, kTenantB, "secret-c");
  SignedServer s(h);
  const std::string body = R"({"query":"{ whoami { id } }"})";
  auto headers = signed_headers(kTenant, "secret-c", body, now());
  ASSERT_EQ(s.post(body, headers).first, 200);
  net::Headers other;
  other.set("tenant-id", kTenantB);
  other.set("signature", *headers.get("signature"));
  EXPECT_EQ(s.post(body, other).first, 401);
}

TEST(AdminSignatureAttacks, ATimestampFarAheadIsRefused) {
  AdminHarness h;
  insert_tenant(h, kTenant, "secret-c");
  SignedServer s(h);
  const std::string body = R"({"query":"{ whoami { id } }"})";
  const std::int64_t skew_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(admin::kSignatureFutureSkewMax).count();
  EXPECT_EQ(s.post(body, signed_headers(kTenant, "secret-c", body, now() + skew_ms + 10'000)).first,
            401);
  EXPECT_EQ(s.post(body, signed_headers(kTenant, "secret-c", body, now() + 24 * 3600 * 1000)).first,
            401);
  EXPECT_EQ(s.post(body, signed_headers(kTenant, "secret-c", body, now() + 10'000)).first, 200);
}

TEST(AdminSignatureAttacks, OnlyWhatTheSignatureCoversIsExecuted) {
  AdminHarness h;
  insert_tenant(h, kTenant, "secret-c");
  SignedServer s(h);
  // A GET's query string is not signed: with any captured header (here a fresh, valid one for
  // an empty body) it must not run.
  const std::string query =
      "/graphql?query=%7B%20tenants%20%7B%20edges%20%7B%20node%20%7B%20apiSecret%20%7D%20%7D%20%7D%20%7D";
  for (net::Method method : {net::Method::kGet, net::Method::kHead}) {
    auto headers = signed_headers(kOperatorTenantId, kOperatorSecret, "{}", now());
    auto r = s.send(method, query, "", headers);
    EXPECT_EQ(r.first, 405);
    EXPECT_EQ(r.second.find(kOperatorSecret), std::string::npos);
  }
  // A POST runs its body only: a query string beside a signed body is ignored.
  const std::string body = R"({"query":"{ whoami { id } }"})";
  auto r = s.send(net::Method::kPost, query, body,
                  signed_headers(kOperatorTenantId, kOperatorSecret, body, now()));
  EXPECT_EQ(r.first, 200);
  EXPECT_NE(r.second.find("whoami"), std::string::npos);
  EXPECT_EQ(r.second.find("apiSecret"), std::string::npos);
  // Other methods are refused too.
  for (net::Method method : {net::Method::kPut, net::Method::kDelete, net::Method::kPatch}) {
    auto other = s.send(method, "/graphql", body,
                        signed_headers(kOperatorTenantId, kOperatorSecret, body, now() + 1));
    EXPECT_EQ(other.first, 405);
  }
}

TEST(AdminOperator, ATenantHoldingTheOperatorsSecretIsNotTheOperator) {
  AdminHarness h;
  // A row from before this rule (or written around the API) with the operator's secret.
  insert_tenant(h, kTenant, kOperatorSecret);
  SignedServer s(h);
  const std::string body = R"({"query":"{ whoami { id isOperator } }"})";
  auto r = s.post(body, signed_headers(kTenant, kOperatorSecret, body, now()));
  ASSERT_EQ(r.first, 200);
  EXPECT_NE(r.second.find("\"isOperator\":false"), std::string::npos) << r.second;
  const std::string tenants = R"({"query":"{ tenants { edges { node { id } } } }"})";
  auto listing = s.post(tenants, signed_headers(kTenant, kOperatorSecret, tenants, now()));
  EXPECT_NE(listing.second.find("FORBIDDEN"), std::string::npos) << listing.second;
  // The operator itself still is.
  auto op = s.post(body, signed_headers(kOperatorTenantId, kOperatorSecret, body, now()));
  EXPECT_NE(op.second.find("\"isOperator\":true"), std::string::npos) << op.second;
}

// OPERATOR_TENANT_ID is a UUID in any case; the operator is that tenant however it is spelled.
TEST(AdminOperator, AnUppercaseOperatorTenantIdStillNamesTheOperator) {
  std::string upper = kOperatorTenantId;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  AdminHarness h(AdminHarness::Options{false, {{"OPERATOR_TENANT_ID", upper}}});
  SignedServer s(h);
  const std::string body = R"({"query":"{ whoami { id isOperator } }"})";
  auto r = s.post(body, signed_headers(kOperatorTenantId, kOperatorSecret, body, now()));
  ASSERT_EQ(r.first, 200);
  EXPECT_NE(r.second.find("\"isOperator\":true"), std::string::npos) << r.second;
}

TEST(AdminOperator, NoTenantMayTakeTheOperatorsSecret) {
  AdminHarness h;
  const std::string before = tenant_count(h);
  const std::string create =
      "mutation($input: CreateTenantInput!) { createTenant(input: $input) { tenant { id } } }";
  json::object input;
  input["apiSecret"] = kOperatorSecret;
  input["email"] = "mallory@example.com";
  auto created = h.gql(create, {{"input", input}});
  EXPECT_EQ(error_code(created), "BAD_USER_INPUT");
  EXPECT_EQ(error_message(created), "apiSecret must differ from the operator's secret");
  EXPECT_EQ(tenant_count(h), before);

  // A tenant setting its own secret to the operator's.
  insert_tenant(h, kTenant, "secret-c");
  AdminContext as_c;
  as_c.tenant_id = *Uuid::parse(kTenant);
  const std::string update =
      "mutation($input: UpdateTenantInput!) { updateTenant(input: $input) { tenant { id } } }";
  json::object patch;
  patch["id"] = kTenant;
  patch["apiSecret"] = kOperatorSecret;
  auto updated = h.gql(update, {{"input", patch}}, as_c);
  EXPECT_EQ(error_code(updated), "BAD_USER_INPUT");
  EXPECT_EQ(h.db().query_value(std::string("SELECT api_secret FROM tenants WHERE id = '") + kTenant +
                               "'"),
            "secret-c");
}

// A mutation slower than the idempotency lock's lease keeps its lock: a retry with the same key
// while it runs is refused as concurrent, never run a second time.
TEST(AdminIdempotency, ALockOutlivesItsLeaseWhileTheMutationRuns) {
  for (bool redis : {false, true}) {
    AdminHarness h(AdminHarness::Options{redis, {{"GRAPHQL_IDEMPOTENCY_KEY_LOCK_MS", "100"}}});
    auto calls = std::make_shared<int>(0);
    auto ok = h.schema()->set_resolver(
        "Mutation.setFee",
        idempotent(h.backend(), "setFee",
                   [calls, &h](const graphql::ResolveInfo&) -> asio::awaitable<graphql::FieldResult> {
                     ++*calls;
                     asio::steady_timer t(h.io(), std::chrono::milliseconds(600));  // 6 leases
                     co_await t.async_wait(asio::use_awaitable);
                     json::object r;
                     r["fee"] = nullptr;
                     co_return json::value(std::move(r));
                   }));
    ASSERT_TRUE(ok);
    const std::string m =
        "mutation($key: String) { setFee(input: {assetId: \"x\", type: SENDING,"
        " fee: {fixed: 1, basisPoints: 1}, idempotencyKey: $key}) { fee { id } } }";
    const std::string key = "slow-" + Uuid::v4().str();
    using namespace boost::asio::experimental::awaitable_operators;
    auto [first, retry] = h.wait([&]() -> asio::awaitable<std::tuple<json::object, json::object>> {
      json::object vars;
      vars["key"] = key;
      auto slow = h.gql_async(m, vars, h.operator_context());
      auto later = [&h, &m, vars]() -> asio::awaitable<json::object> {
        asio::steady_timer t(h.io(), std::chrono::milliseconds(350));  // past 3 leases
        co_await t.async_wait(asio::use_awaitable);
        co_return co_await h.gql_async(m, vars, h.operator_context());
      };
      co_return co_await (std::move(slow) && later());
    }());
    EXPECT_EQ(error_code(first), "") << (redis ? "redis" : "memory");
    EXPECT_EQ(error_message(retry), "Concurrent request for idempotencyKey: " + key);
    EXPECT_EQ(*calls, 1);
    // Afterwards the stored result answers without running again.
    EXPECT_EQ(error_code(h.gql(m, {{"key", key}})), "");
    EXPECT_EQ(*calls, 1);
  }
}

}  // namespace
}  // namespace rafiki::backend::test
