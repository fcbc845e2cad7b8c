// The stream address stage: STREAM payment tags under the incoming tenant's receiving address.
#include <algorithm>
#include <map>

#include "backend/connector/test_util.h"
#include "ilp/stream/receiver.h"

namespace rafiki::testing::connector {
namespace {

Bytes secret() {
  return Bytes(32, 0x42);
}

struct StreamFixture {
  std::map<std::string, std::string> addresses = {{"tenant-1", "test.rafiki"},
                                                  {"tenant-2", "test.other"}};
  bool broken = false;
  std::unique_ptr<cn::SecretStreamReceivers> receivers;
  std::optional<std::string> seen_tag;
  bool seen_receiver = false;
  int calls = 0;
  std::unique_ptr<cn::Chain> chain;

  StreamFixture() {
    auto created = cn::SecretStreamReceivers::create(
        secret(),
        [this](Uuid tenant) -> asio::awaitable<Result<std::optional<std::string>>> {
          if (broken) co_return fail("pg.connection", "down");
          auto it = std::find_if(addresses.begin(), addresses.end(),
                                 [&](const auto& entry) { return named_id(entry.first) == tenant; });
          if (it == addresses.end()) co_return std::optional<std::string>{};
          co_return std::optional<std::string>(it->second);
        });
    receivers = std::move(*created);
    chain = std::make_unique<cn::Chain>(stages(
        std::make_unique<cn::ErrorHandlerStage>(),
        std::make_unique<cn::StreamAddressStage>(*receivers),
        std::make_unique<FnStage>([this](cn::Context& ctx, cn::Next) -> asio::awaitable<void> {
          ++calls;
          seen_tag = ctx.stream_destination;
          seen_receiver = ctx.stream_receiver != nullptr;
          ctx.fulfill(fulfillment_of(7));
          co_return;
        })));
  }

  // A destination as the backend's SPSP answers issue them (tokens bound to the address).
  std::string address_for(std::string_view server_address, std::string tag) {
    ilp::stream::ReceiverOptions options;
    options.bind_token_to_address = true;
    auto receiver = ilp::stream::Receiver::create(secret(), std::string(server_address), options);
    ilp::stream::ConnectionDetails details;
    details.payment_tag = std::move(tag);
    return receiver->generate_credentials(details)->ilp_address;
  }

  DecodedReject run(std::string destination, std::string tenant = "tenant-1") {
    seen_tag.reset();
    seen_receiver = false;
    PrepareSpec spec;
    spec.destination = std::move(destination);
    return reject_of(run_packet(*chain, make_prepare(spec), make_peer("p1", "USD", 2, tenant)));
  }
};

TEST(ConnectorStreamAddress, DecodesThePaymentTagOfOurOwnTokens) {
  StreamFixture f;
  auto destination = f.address_for("test.rafiki", "incoming-payment-1");
  EXPECT_EQ(f.run(destination).code, "fulfill");
  EXPECT_EQ(f.seen_tag, "incoming-payment-1");
  EXPECT_TRUE(f.seen_receiver);
  // Later segments (a sender's sub-addresses) do not matter.
  EXPECT_EQ(f.run(destination + ".extra").code, "fulfill");
  EXPECT_EQ(f.seen_tag, "incoming-payment-1");
}

TEST(ConnectorStreamAddress, OtherDestinationsGoOnWithoutATag) {
  StreamFixture f;
  for (auto destination :
       {std::string("test.peer-b.alice"), std::string("test.rafiki"),
        std::string("test.rafiki.not-a-token"), std::string("test.rafiki.") + std::string(200, 'A'),
        f.address_for("test.other", "tag"),       // another tenant's receiver
        f.address_for("test.rafikiX", "tag")}) {  // a prefix that is not a whole segment
    EXPECT_EQ(f.run(destination).code, "fulfill") << destination;
    EXPECT_FALSE(f.seen_tag.has_value()) << destination;
    EXPECT_FALSE(f.seen_receiver);
  }
  // The same token arriving from tenant-2, whose address differs: not decoded.
  EXPECT_EQ(f.run(f.address_for("test.rafiki", "tag"), "tenant-2").code, "fulfill");
  EXPECT_FALSE(f.seen_tag.has_value());
  // A tenant without an address receives nothing locally.
  EXPECT_EQ(f.run(f.address_for("test.rafiki", "tag"), "tenant-9").code, "fulfill");
  EXPECT_FALSE(f.seen_tag.has_value());
  EXPECT_EQ(f.calls, 8);
}

TEST(ConnectorStreamAddress, ATokenMovedUnderAnotherTenantsAddressDoesNotDecode) {
  StreamFixture f;
  // tenant-1's token (test.rafiki.<token>) re-addressed under tenant-2's prefix and sent
  // through tenant-2's peer: same server secret, but the token is bound to test.rafiki.
  const std::string issued = f.address_for("test.rafiki", "wallet-of-tenant-1");
  const std::string token = issued.substr(std::string("test.rafiki.").size());
  EXPECT_EQ(f.run("test.other." + token, "tenant-2").code, "fulfill");  // the fake next answers
  EXPECT_FALSE(f.seen_tag.has_value());
  EXPECT_FALSE(f.seen_receiver);
  // Unbound tokens (the plain stream-receiver key) are not ours either.
  auto plain = ilp::stream::Receiver::create(secret(), "test.other");
  ilp::stream::ConnectionDetails details;
  details.payment_tag = "tag";
  EXPECT_EQ(f.run(plain->generate_credentials(details)->ilp_address, "tenant-2").code, "fulfill");
  EXPECT_FALSE(f.seen_tag.has_value());
  // The honest path still decodes.
  EXPECT_EQ(f.run(f.address_for("test.other", "wallet-of-tenant-2"), "tenant-2").code, "fulfill");
  EXPECT_EQ(f.seen_tag, "wallet-of-tenant-2");
}

TEST(ConnectorStreamAddress, ALookupFailureIsT00AndABadSecretIsRefused) {
  StreamFixture f;
  f.broken = true;
  EXPECT_EQ(f.run(f.address_for("test.rafiki", "tag")).code, "T00");
  EXPECT_EQ(f.calls, 0);
  auto bad = cn::SecretStreamReceivers::create(
      Bytes(31, 1), [](Uuid) -> asio::awaitable<Result<std::optional<std::string>>> {
        co_return std::optional<std::string>{};
      });
  EXPECT_FALSE(bad);
}

}  // namespace
}  // namespace rafiki::testing::connector
