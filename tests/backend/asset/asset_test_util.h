// Helpers shared by the asset, fee and liquidity Admin API tests: tenants, assets created
// through the API, many requests at once, and the ledger's double-entry invariant. They live in
// test::assets so that other tests may include them beside helpers of their own.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include <future>
#include <string>
#include <utility>
#include <vector>

#include "backend/admin_harness.h"

namespace rafiki::backend::test::assets {

inline constexpr const char* kTenantA = "a1a1a1a1-0000-4000-8000-000000000001";
inline constexpr const char* kTenantB = "b2b2b2b2-0000-4000-8000-000000000002";

inline void add_tenant(AdminHarness& h, const char* id) {
  h.db().exec(std::string("INSERT INTO tenants (id, api_secret) VALUES ('") + id +
              "', 'secret-" + id + "')");
}

inline AdminContext as_tenant(const char* id) {
  AdminContext c;
  c.tenant_id = *Uuid::parse(id);
  return c;
}

inline const char* kCreateAsset =
    "mutation($input: CreateAssetInput!) { createAsset(input: $input) {"
    " asset { id code scale withdrawalThreshold liquidityThreshold liquidity createdAt"
    " tenant { id } } } }";

// Creates an asset through the API and returns its id ("" and a test failure on error).
inline std::string create_asset(AdminHarness& h, const std::string& code, int scale,
                                std::optional<AdminContext> as = std::nullopt) {
  json::object input;
  input["code"] = code;
  input["scale"] = scale;
  auto response = h.gql(kCreateAsset, {{"input", input}}, as);
  auto asset = data_of(response, "createAsset");
  if (!asset.is_object()) return "";
  return std::string(asset.at("asset").at("id").as_string());
}

// Runs the requests at once (all started before any is answered); responses in order.
inline std::vector<json::object> gql_concurrently(
    AdminHarness& h, const std::vector<std::pair<std::string, json::object>>& requests,
    std::optional<AdminContext> as = std::nullopt) {
  std::vector<std::future<json::object>> futures;
  for (const auto& [query, vars] : requests) {
    futures.push_back(asio::co_spawn(
        h.io(), h.gql_async(query, vars, as.value_or(h.operator_context())), asio::use_future));
  }
  std::vector<json::object> out;
  for (auto& f : futures) {
    while (f.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      h.io().restart();
      h.io().run_one();
    }
    out.push_back(f.get());
  }
  return out;
}

// Every ledger's debits equal its credits (posted and pending), and no account breaks its
// flags: the number of offending ledgers / accounts ("0" when all is well).
inline std::string unbalanced_ledgers(AdminHarness& h) {
  return h.db().query_value(
      "SELECT count(*) FROM (SELECT ledger FROM ledger_accounts GROUP BY ledger "
      "HAVING sum(debits_posted) <> sum(credits_posted) "
      "OR sum(debits_pending) <> sum(credits_pending)) x");
}

inline std::string liquidity_of(AdminHarness& h, const std::string& account_id) {
  return h.db().query_value(
      "SELECT credits_posted - debits_posted - debits_pending FROM ledger_accounts WHERE id = '" +
      account_id + "'");
}

}  // namespace rafiki::backend::test::assets
