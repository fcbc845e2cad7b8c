// The routing table and the account stage (with a fake resolver over the table).
#include <map>
#include <set>

#include "connector_test_util.h"

namespace rafiki::testing::connector {
namespace {

TEST(ConnectorRoutingTable, LongestWholeSegmentPrefixWins) {
  cn::RoutingTable table;
  ASSERT_TRUE(table.add("t1", "test.a", "peer-a", "usd"));
  ASSERT_TRUE(table.add("t1", "test.a.b", "peer-ab", "usd"));
  ASSERT_TRUE(table.add("t1", "test", "peer-default", "usd"));
  EXPECT_EQ(table.next_hop("test.a.b.c", "t1")->peer_id, "peer-ab");
  EXPECT_EQ(table.next_hop("test.a.b", "t1")->peer_id, "peer-ab");
  EXPECT_EQ(table.next_hop("test.a.bc", "t1")->peer_id, "peer-a");  // not "test.a.b"
  EXPECT_EQ(table.next_hop("test.ab", "t1")->peer_id, "peer-default");
  EXPECT_FALSE(table.next_hop("g.a", "t1"));
  EXPECT_FALSE(table.next_hop("test.a", "t2"));  // another tenant's table
  EXPECT_FALSE(table.next_hop("", "t1"));
  EXPECT_EQ(table.size(), 3u);
}

TEST(ConnectorRoutingTable, NeverBackToTheIncomingPeerAndOptionallyOneAsset) {
  cn::RoutingTable table;
  table.add("t1", "test.a", "peer-a", "usd");
  table.add("t1", "test", "peer-b", "eur");
  EXPECT_EQ(table.next_hop("test.a.x", "t1", "peer-a")->peer_id, "peer-b");  // shorter prefix
  EXPECT_FALSE(table.next_hop("test.a.x", "t1", "peer-a", "usd"));
  EXPECT_EQ(table.next_hop("test.a.x", "t1", "", "eur")->peer_id, "peer-b");
  EXPECT_EQ(table.next_hop("test.a.x", "t1", "", "usd")->asset_id, "usd");
}

TEST(ConnectorRoutingTable, PicksAmongEqualCandidatesAtRandom) {
  cn::RoutingTable table;
  table.add("t1", "test.x", "p1", "usd");
  table.add("t1", "test.x", "p2", "usd");
  table.add("t1", "test.x", "p3", "usd");
  std::set<std::string> seen;
  for (int i = 0; i < 300; ++i) seen.insert(table.next_hop("test.x.y", "t1", "p3")->peer_id);
  EXPECT_EQ(seen, (std::set<std::string>{"p1", "p2"}));
}

TEST(ConnectorRoutingTable, AddRemoveAndBadPrefixes) {
  cn::RoutingTable table;
  EXPECT_FALSE(table.add("t1", "", "p1", "usd"));
  EXPECT_FALSE(table.add("t1", "test.", "p1", "usd"));
  EXPECT_FALSE(table.add("t1", "nope.a", "p1", "usd"));
  EXPECT_FALSE(table.add("t1", "test..a", "p1", "usd"));
  EXPECT_EQ(table.size(), 0u);
  table.add("t1", "test.a", "p1", "usd");
  table.add("t1", "test.a", "p1", "eur");  // same peer: one entry, asset updated
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.next_hop("test.a", "t1")->asset_id, "eur");
  table.add("t1", "test.b", "p1", "eur");
  table.add("t1", "test.b", "p2", "eur");
  EXPECT_FALSE(table.remove("t1", "test.a", "p2"));
  EXPECT_TRUE(table.remove("t1", "test.a", "p1"));
  EXPECT_FALSE(table.next_hop("test.a", "t1"));
  EXPECT_EQ(table.remove_peer("t1", "p1"), 1u);
  EXPECT_EQ(table.next_hop("test.b", "t1")->peer_id, "p2");
  EXPECT_EQ(table.remove_peer("t1", "p2"), 1u);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.remove_peer("t9", "p2"), 0u);
}

// A resolver over a RoutingTable and maps, as the domains will provide.
class FakeResolver final : public cn::AccountResolver {
 public:
  cn::RoutingTable table;
  std::map<std::string, cn::AccountPtr> peers, locals;
  bool broken = false;
  // Answers with the incoming peer itself, as a careless resolver might.
  bool bounce = false;

  asio::awaitable<Result<cn::AccountPtr>> incoming_peer_by_token(std::string_view) override {
    co_return cn::AccountPtr{};
  }
  asio::awaitable<Result<cn::AccountPtr>> local_account(std::string_view tag) override {
    if (broken) co_return fail_now();
    auto it = locals.find(std::string(tag));
    co_return it == locals.end() ? cn::AccountPtr{} : it->second;
  }
  asio::awaitable<Result<cn::AccountPtr>> next_hop(const cn::Account& incoming,
                                                   std::string_view destination) override {
    if (broken) co_return fail_now();
    if (bounce) co_return peers[incoming.id];
    auto hop = table.next_hop(destination, incoming.tenant_id, incoming.id);
    if (!hop) co_return cn::AccountPtr{};
    auto it = peers.find(hop->peer_id);
    co_return it == peers.end() ? cn::AccountPtr{} : it->second;  // deleted meanwhile
  }

 private:
  static std::unexpected<Error> fail_now() {
    return rafiki::fail("pg.connection", "database down");
  }
};

struct AccountFixture {
  FakeResolver resolver;
  Seen seen;
  cn::Chain chain;
  AccountFixture()
      : chain(stages(std::make_unique<cn::ErrorHandlerStage>(),
                     std::make_unique<cn::AccountStage>(resolver), recording(&seen))) {
    for (auto id : {"a", "b"}) {
      resolver.peers[id] = make_peer(id);
      resolver.table.add("tenant-1", std::string("test.") + id, id, "asset-USD");
    }
  }
  // Runs with a STREAM payment tag already decoded (what the stream address stage sets).
  Bytes run(const PrepareSpec& spec, cn::AccountPtr incoming,
            std::optional<std::string> tag = std::nullopt) {
    auto packet = make_prepare(spec);
    Bytes reply;
    run_async([&](asio::any_io_executor) -> asio::awaitable<void> {
      auto ctx = cn::Context::make(packet, incoming, kOwnAddress);
      ctx->stream_destination = tag;
      co_await chain.run(*ctx);
      reply = std::move(ctx->reply);
    });
    return reply;
  }
};

TEST(ConnectorAccountStage, RoutesToThePeerOfTheLongestPrefix) {
  AccountFixture f;
  PrepareSpec spec;
  spec.destination = "test.b.bob";
  EXPECT_EQ(reject_of(f.run(spec, f.resolver.peers["a"])).code, "fulfill");
  ASSERT_TRUE(f.seen.outgoing);
  EXPECT_EQ(f.seen.outgoing->id, "b");
}

TEST(ConnectorAccountStage, UnknownDestinationsAndLoopsAreF02) {
  AccountFixture f;
  PrepareSpec spec;
  spec.destination = "test.c.carol";
  auto r = reject_of(f.run(spec, f.resolver.peers["a"]));
  EXPECT_EQ(r.code, "F02");
  EXPECT_EQ(r.message, "unknown destination account");
  spec.destination = "test.a.alice";  // routed back to where it came from
  EXPECT_EQ(reject_of(f.run(spec, f.resolver.peers["a"])).code, "F02");
  f.resolver.bounce = true;  // even if the resolver would allow it
  EXPECT_EQ(reject_of(f.run(spec, f.resolver.peers["a"])).code, "F02");
  f.resolver.bounce = false;
  f.resolver.peers.erase("b");  // deleted after routing
  spec.destination = "test.b.bob";
  EXPECT_EQ(reject_of(f.run(spec, f.resolver.peers["a"])).code, "F02");
  EXPECT_EQ(f.seen.calls, 0);
}

TEST(ConnectorAccountStage, LocalAccountsByPaymentTag) {
  AccountFixture f;
  auto wallet = std::make_shared<cn::Account>(*make_peer("wallet-1"));
  wallet->kind = cn::AccountKind::kWalletAddress;
  f.resolver.locals["tag-wallet"] = wallet;
  auto closed = std::make_shared<cn::Account>(*make_peer("payment-1"));
  closed->kind = cn::AccountKind::kIncomingPayment;
  closed->closed = true;
  f.resolver.locals["tag-closed"] = closed;

  PrepareSpec spec;
  spec.destination = "test.connector.tag";
  EXPECT_EQ(reject_of(f.run(spec, f.resolver.peers["a"], "tag-wallet")).code, "fulfill");
  EXPECT_EQ(f.seen.outgoing->id, "wallet-1");

  auto r = reject_of(f.run(spec, f.resolver.peers["a"], "tag-closed"));
  EXPECT_EQ(r.code, "F02");
  EXPECT_EQ(r.message, "destination account is in an incorrect state");
  spec.amount = 0;  // closing frames and quotes still reach a completed payment
  EXPECT_EQ(reject_of(f.run(spec, f.resolver.peers["a"], "tag-closed")).code, "fulfill");
  EXPECT_EQ(f.seen.outgoing->id, "payment-1");

  // A tag naming nothing local falls back to routing.
  spec.destination = "test.b.x";
  EXPECT_EQ(reject_of(f.run(spec, f.resolver.peers["a"], "tag-unknown")).code, "fulfill");
  EXPECT_EQ(f.seen.outgoing->id, "b");
}

TEST(ConnectorAccountStage, LookupFailuresAreT00) {
  AccountFixture f;
  f.resolver.broken = true;
  PrepareSpec spec;
  spec.destination = "test.b.bob";
  EXPECT_EQ(reject_of(f.run(spec, f.resolver.peers["a"])).code, "T00");
  EXPECT_EQ(reject_of(f.run(spec, f.resolver.peers["a"], "tag")).code, "T00");
  EXPECT_EQ(f.seen.calls, 0);
}

}  // namespace
}  // namespace rafiki::testing::connector
