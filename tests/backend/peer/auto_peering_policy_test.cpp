// The accepting side of auto-peering against the operator's outbound policy. Anyone who can
// reach the auto-peering port may ask to peer and names the ILP endpoint we then POST packets
// to; the peer is filed under the operator tenant, whose URLs the policy leaves unrestricted.
#include <gtest/gtest.h>

#include "backend/admin_harness.h"
#include "backend/asset/service.h"
#include "backend/peer/service.h"

namespace rafiki::backend::test {
namespace {

Uuid make_operator_asset(AdminHarness& h) {
  asset::CreateAsset in;
  in.tenant_id = *Uuid::parse(kOperatorTenantId);
  in.code = "USD";
  in.scale = 2;
  auto a = h.wait(h.backend().assets->create(in));
  if (!a) throw std::runtime_error("create asset failed");
  return a->id;
}

// An unauthenticated stranger's endpoint is no more trusted than a tenant's: a link-local or
// metadata address (or, without TENANT_OUTBOUND_ALLOW_PRIVATE, a loopback or private one) must
// not become the endpoint of a peer we send packets to.
//
// Literal addresses are refused when the request arrives. Still open: a host name resolving to
// 169.254.169.254 passes, and the connector picks the policy from the peer's tenant, the
// operator, so the endpoint gets AddressPolicy::kAny at connection time. A peer created by
// auto-peering needs to carry the tenants' policy (a stored mark, or auto-peering restricted to
// public endpoints).
TEST(AutoPeeringPolicy, AStrangersLiteralEndpointMayNotReachForbiddenAddresses) {
  AdminHarness h;
  make_operator_asset(h);
  int n = 0;
  for (const char* endpoint :
       {"http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/ilp", "http://0.0.0.0:6379/",
        "http://127.0.0.1:3001/graphql", "http://10.0.0.1/ilp"}) {
    json::object request{{"staticIlpAddress", "test.stranger" + std::to_string(n++)},
                         {"ilpConnectorUrl", endpoint},
                         {"asset", {{"code", "USD"}, {"scale", 2}}},
                         {"httpToken", Uuid::v4().str()},
                         {"name", "Stranger"}};
    auto answer = h.wait(h.backend().peers->accept_peering(json::serialize(request)));
    EXPECT_EQ(answer.status, 400) << endpoint << ": " << answer.body;
  }
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM peers"), "0");
}

}  // namespace
}  // namespace rafiki::backend::test
