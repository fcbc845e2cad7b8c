// ILDCP, echo and fulfillment validation stages.
#include "backend/connector/test_util.h"
#include "ilp/ildcp.h"
#include "ilp/oer.h"

namespace rafiki::testing::connector {
namespace {

using std::chrono::seconds;

cn::AccountPtr child_peer(std::string address) {
  auto a = std::make_shared<cn::Account>(*make_peer("child", "XRP", 9));
  a->static_ilp_address = std::move(address);
  return a;
}

TEST(ConnectorIldcp, AnswersPeerConfigWithTheIncomingPeersAddressAndAsset) {
  int calls = 0;
  cn::Chain chain(
      stages(std::make_unique<cn::IldcpStage>(), fulfilling(fulfillment_of(7), &calls)));
  auto request = *ildcp::encode_request(now_ms() + seconds(60));
  auto reply = run_packet(chain, request, child_peer("test.rafiki.child"));
  auto response = ildcp::decode_response(reply);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->client_address, "test.rafiki.child");
  EXPECT_EQ(response->asset_scale, 9);
  EXPECT_EQ(response->asset_code, "XRP");
  EXPECT_EQ(calls, 0);
}

TEST(ConnectorIldcp, MalformedRequestsAreF00) {
  cn::Chain chain(stages(std::make_unique<cn::IldcpStage>(), fulfilling(fulfillment_of(7))));
  PrepareSpec wrong_condition;
  wrong_condition.destination = "peer.config";
  auto r = reject_of(run_packet(chain, make_prepare(wrong_condition), child_peer("test.c")));
  EXPECT_EQ(r.code, "F00");
  EXPECT_FALSE(r.message.empty());
  auto expired = *ildcp::encode_request(now_ms() - seconds(1));
  EXPECT_EQ(reject_of(run_packet(chain, expired, child_peer("test.c"))).code, "F00");
}

TEST(ConnectorIldcp, APeerWithoutStaticAddressIsAnInternalError) {
  cn::Chain chain(stages(std::make_unique<cn::ErrorHandlerStage>(),
                         std::make_unique<cn::IldcpStage>(), fulfilling(fulfillment_of(7))));
  auto request = *ildcp::encode_request(now_ms() + seconds(60));
  auto r = reject_of(run_packet(chain, request, child_peer("")));
  EXPECT_EQ(r.code, "T00");
}

TEST(ConnectorIldcp, OtherDestinationsGoOn) {
  int calls = 0;
  cn::Chain chain(
      stages(std::make_unique<cn::IldcpStage>(), fulfilling(fulfillment_of(7), &calls)));
  PrepareSpec spec;
  spec.destination = "peer.configx";
  EXPECT_EQ(reject_of(run_packet(chain, make_prepare(spec), child_peer("test.c"))).code, "fulfill");
  EXPECT_EQ(calls, 1);
}

// --- echo ---

// g++ 12 at -O3 reports a false -Wstringop-overflow in the vector::insert of Writer::write_bytes
// inlined here (a fresh, empty writer; GCC bug 107852). Silenced for this helper only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overflow"
Bytes echo_data(std::uint8_t type, std::string_view source) {
  ilp::Writer w;
  w.write_bytes(as_bytes(cn::EchoStage::kPrefix));
  w.write_u8(type);
  w.write_var_octets(as_bytes(source));
  return std::move(w).take();
}
#pragma GCC diagnostic pop

TEST(ConnectorEcho, TurnsAPingIntoAPacketBackToTheSource) {
  Seen seen;
  cn::Chain chain(stages(std::make_unique<cn::EchoStage>(), recording(&seen)));
  PrepareSpec spec;
  spec.destination = std::string(kOwnAddress);
  spec.amount = 7;
  spec.data = echo_data(0, "test.sender.echo");
  auto reply = run_packet(chain, make_prepare(spec), make_peer("p1"));
  EXPECT_EQ(reject_of(reply).code, "fulfill");
  ASSERT_EQ(seen.calls, 1);
  EXPECT_EQ(seen.destination, "test.sender.echo");
  EXPECT_EQ(seen.amount, 7u);
  EXPECT_EQ(seen.expires_at, spec.expires_at - std::chrono::seconds(1));
  std::string expected(cn::EchoStage::kPrefix);
  expected += '\x01';
  EXPECT_EQ(seen.data, to_bytes(expected));
}

TEST(ConnectorEcho, BadPingsAreRejected) {
  Seen seen;
  cn::Chain chain(stages(std::make_unique<cn::ErrorHandlerStage>(),
                         std::make_unique<cn::EchoStage>(), recording(&seen)));
  PrepareSpec spec;
  spec.destination = std::string(kOwnAddress);
  spec.data = to_bytes("ECHOECHO");
  auto r = reject_of(run_packet(chain, make_prepare(spec), make_peer("p1")));
  EXPECT_EQ(r.code, "F01");
  EXPECT_EQ(r.message, "packet data too short for echo request. length=8");

  spec.data = to_bytes("ECHOECHOECHOECHXx");
  r = reject_of(run_packet(chain, make_prepare(spec), make_peer("p1")));
  EXPECT_EQ(r.code, "F01");
  EXPECT_EQ(r.message, "packet data does not start with ECHO prefix.");

  spec.data = echo_data(1, "test.sender");  // an echo response sent to us: no loop
  EXPECT_EQ(reject_of(run_packet(chain, make_prepare(spec), make_peer("p1"))).code, "T00");

  spec.data = echo_data(0, "not an address");
  EXPECT_EQ(reject_of(run_packet(chain, make_prepare(spec), make_peer("p1"))).code, "F01");

  std::string truncated(cn::EchoStage::kPrefix);
  truncated += std::string("\x00\x7f", 2);  // length 127, nothing follows
  spec.data = to_bytes(truncated);
  EXPECT_EQ(reject_of(run_packet(chain, make_prepare(spec), make_peer("p1"))).code, "F01");
  EXPECT_EQ(seen.calls, 0);
}

TEST(ConnectorEcho, OtherDestinationsGoOnUntouched) {
  Seen seen;
  cn::Chain chain(stages(std::make_unique<cn::EchoStage>(), recording(&seen)));
  PrepareSpec spec;
  spec.data = echo_data(0, "test.sender");
  run_packet(chain, make_prepare(spec), make_peer("p1"));
  EXPECT_EQ(seen.destination, spec.destination);
  EXPECT_EQ(seen.data, spec.data);
}

// --- validate fulfillment ---

TEST(ConnectorValidateFulfillment, AWrongFulfillmentBecomesF05) {
  cn::Chain chain(
      stages(std::make_unique<cn::ValidateFulfillmentStage>(), fulfilling(fulfillment_of(8))));
  auto r = reject_of(run_packet(chain, make_prepare({}), make_peer("p1")));
  EXPECT_EQ(r.code, "F05");
  EXPECT_EQ(r.message, "fulfillment did not match expected value.");
}

TEST(ConnectorValidateFulfillment, TheRightFulfillmentAndRejectsPass) {
  cn::Chain good(
      stages(std::make_unique<cn::ValidateFulfillmentStage>(), fulfilling(fulfillment_of(7))));
  EXPECT_EQ(reject_of(run_packet(good, make_prepare({}), make_peer("p1"))).code, "fulfill");
  cn::Chain rejecting(
      stages(std::make_unique<cn::ValidateFulfillmentStage>(),
             std::make_unique<FnStage>([](cn::Context& ctx, cn::Next) -> asio::awaitable<void> {
               ctx.reject(ilp::kT04InsufficientLiquidity, "x");
               co_return;
             })));
  EXPECT_EQ(reject_of(run_packet(rejecting, make_prepare({}), make_peer("p1"))).code, "T04");
}

TEST(ConnectorValidateFulfillment, GarbageRepliesAreT00) {
  for (Bytes garbage :
       {Bytes{0x0d}, Bytes{0x0d, 0x01, 0x00}, to_bytes("garbage"), make_prepare({})}) {
    cn::Chain chain(stages(
        std::make_unique<cn::ValidateFulfillmentStage>(),
        std::make_unique<FnStage>([garbage](cn::Context& ctx, cn::Next) -> asio::awaitable<void> {
          ctx.reply = garbage;
          co_return;
        })));
    EXPECT_EQ(reject_of(run_packet(chain, make_prepare({}), make_peer("p1"))).code, "T00");
  }
}

}  // namespace
}  // namespace rafiki::testing::connector
