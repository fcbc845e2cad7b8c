// The connector's accounts (DomainAccounts) and its ILP-over-HTTP edge. PeerService hands out
// aliasing pointers into its whole routing snapshot (every peer of every tenant, the token index
// and route tables), so the peer-account cache must not keep them: a tenant that creates a peer,
// uses its token once and deletes it, in a loop, would otherwise leave one whole snapshot behind
// per round (entries of deleted peers are only dropped by a full clear at 100,000 entries).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "backend/connector/accounts.h"
#include "backend/peer/util.h"

namespace rafiki::backend::test {
namespace {

using namespace peer_test;

struct Churn {
  int alive = 0;
  int total = 0;
};

// Creates a peer, resolves its token (optionally through the connector's DomainAccounts, as an
// ILP-over-HTTP request does before anything else), deletes it; `rounds` times. Counts how many of
// the snapshots those lookups came from are still alive afterwards.
Churn churn(AdminHarness& h, const Uuid& asset, connector::DomainAccounts* accounts,
            const std::string& tag, int rounds) {
  peer::PeerService& peers = *h.backend().peers;
  std::vector<std::weak_ptr<const peer::Peer>> seen;
  for (int i = 0; i < rounds; ++i) {
    const std::string token = tag + "-tok-" + std::to_string(i);
    auto peer = create_peer(h, peer_input(asset, "test." + tag + std::to_string(i), {token}));
    EXPECT_TRUE(peer.contains("id"));
    if (accounts) {
      // What the ILP-over-HTTP token lookup does (even for a request whose body is garbage: the
      // lookup comes before the content-type and Prepare checks).
      auto account = h.wait(accounts->incoming_peer_by_token(token));
      EXPECT_TRUE(account && *account);
    }
    {
      auto p = h.wait(peers.by_incoming_token(token));
      EXPECT_TRUE(p && *p);
      if (p && *p) seen.push_back(*p);  // shares the snapshot's control block
    }
    auto deleted = h.gql(kDelete, {{"input", {{"id", peer.at("id")}}}});
    EXPECT_FALSE(deleted.contains("errors")) << json::serialize(deleted);
  }
  // One more lookup: the cache loads a fresh snapshot, the old ones are only held by others.
  EXPECT_TRUE(h.wait(peers.by_incoming_token("bulk-tok-0")));
  Churn out;
  out.total = static_cast<int>(seen.size());
  for (auto& w : seen) out.alive += w.expired() ? 0 : 1;
  return out;
}

TEST(ConnectorAccounts, PeerAccountCachePinsEveryOldPeerSnapshot) {
  AdminHarness h;
  Uuid usd = make_asset(h, kOperatorTenantId, "USD");
  // Other peers on the platform: each snapshot holds them all.
  for (int i = 0; i < 100; ++i) {
    create_peer(h, peer_input(usd, "test.bulk" + std::to_string(i),
                              {"bulk-tok-" + std::to_string(i)}));
  }
  peer::PeerService& peers = *h.backend().peers;
  ASSERT_TRUE(peers.start_listener());
  ASSERT_TRUE(eventually(h, [&] { return peers.cache_live(); }));

  // Control: without the connector's cache every old snapshot is freed.
  Churn control = churn(h, usd, nullptr, "ctl", 10);
  EXPECT_EQ(control.alive, 0);

  connector::DomainAccounts accounts(
      h.backend().config, {*h.backend().tenants, *h.backend().assets, *h.backend().liquidity,
                           *h.backend().peers, *h.backend().wallet_addresses});
  Churn with_cache = churn(h, usd, &accounts, "atk", 10);
  // Expected: deleted peers' entries (and the snapshots they pin) do not outlive the peer.
  EXPECT_EQ(with_cache.alive, 0) << with_cache.alive << " of " << with_cache.total
                                 << " whole peer snapshots (each with every peer) are still "
                                    "held by DomainAccounts after their peers were deleted";
  peers.stop_listener();
}

}  // namespace
}  // namespace rafiki::backend::test

namespace rafiki::backend::test {
namespace {

// The connector's ILP-over-HTTP answers other than the chain's (what the pre-change handler
// answered): unchanged by the single lookup.
TEST(ConnectorAccounts, HttpAnswersForBadRequestsAreUnchanged) {
  AdminHarness h;
  net::Router router;
  Mount mount;
  mount.connector = &router;
  connector::install(h.backend(), mount);
  Uuid usd = make_asset(h, kOperatorTenantId, "USD");
  create_peer(h, peer_input(usd, "test.http", {"http-tok"}));
  auto send = [&](std::optional<std::string> auth, std::optional<std::string> type,
                  std::string body) {
    net::Request request;
    request.method = net::Method::kPost;
    request.path = request.target = "/ilp";
    if (auth) request.headers.set("Authorization", *auth);
    if (type) request.headers.set("Content-Type", *type);
    request.body = std::move(body);
    auto handler = router.handler();
    return h.wait(handler(request));
  };
  auto r = send(std::nullopt, "application/octet-stream", "x");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, "Bearer token required in Authorization header");
  r = send("Bearer nope", "text/plain", "x");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, "Access Denied - Invalid Token");
  r = send("Bearer http-tok", "text/plain", "x");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "Expected Content-Type of application/octet-stream");
  r = send("bearer http-tok", "Application/Octet-Stream; x=y", "garbage");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body.rfind("Invalid ILP Prepare: ", 0), 0u) << r.body;
  r = send("Bearer http-tok", "application/octet-stream", "");
  EXPECT_EQ(r.status, 400);
}

}  // namespace
}  // namespace rafiki::backend::test
