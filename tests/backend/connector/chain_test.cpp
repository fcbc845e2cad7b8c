// The stage chain itself, the packet context and the error handler stage.
#include <stdexcept>

#include "backend/connector/test_util.h"

namespace rafiki::testing::connector {
namespace {

TEST(ConnectorChain, RunsStagesInOrderAroundNext) {
  std::vector<std::string> trace;
  auto step = [&trace](std::string name) {
    return std::make_unique<FnStage>(
        [&trace, name](cn::Context& ctx, cn::Next next) -> asio::awaitable<void> {
          trace.push_back(name + ">");
          co_await next(ctx);
          trace.push_back("<" + name);
        });
  };
  cn::Chain chain(stages(step("a"), step("b"), fulfilling(fulfillment_of(7))));
  ASSERT_EQ(chain.size(), 3u);
  auto reply = run_packet(chain, make_prepare({}), make_peer("p1"));
  EXPECT_EQ(reject_of(reply).code, "fulfill");
  EXPECT_EQ(trace, (std::vector<std::string>{"a>", "b>", "<b", "<a"}));
}

TEST(ConnectorChain, AStageThatAnswersStopsTheChain) {
  int later = 0;
  cn::Chain chain(
      stages(std::make_unique<FnStage>([](cn::Context& ctx, cn::Next) -> asio::awaitable<void> {
               ctx.reject(ilp::kF02Unreachable, "no");
               co_return;
             }),
             fulfilling(fulfillment_of(7), &later)));
  auto r = reject_of(run_packet(chain, make_prepare({}), make_peer("p1")));
  EXPECT_EQ(r.code, "F02");
  EXPECT_EQ(r.triggered_by, kOwnAddress);
  EXPECT_EQ(later, 0);
}

TEST(ConnectorChain, PastTheLastStageNothingAnswers) {
  cn::Chain chain(stages());
  auto reply = run_packet(chain, make_prepare({}), make_peer("p1"));
  EXPECT_TRUE(reply.empty());
}

TEST(ConnectorContext, RefusesGarbagePackets) {
  auto peer = make_peer("p1");
  EXPECT_FALSE(cn::Context::make(Bytes{}, peer, kOwnAddress));
  EXPECT_FALSE(cn::Context::make(Bytes{0x0c}, peer, kOwnAddress));
  EXPECT_FALSE(cn::Context::make(to_bytes("hello world"), peer, kOwnAddress));
  auto good = make_prepare({});
  auto truncated = Bytes(good.begin(), good.end() - 5);
  EXPECT_FALSE(cn::Context::make(truncated, peer, kOwnAddress));
  auto trailing = good;
  trailing.push_back(0);
  EXPECT_FALSE(cn::Context::make(trailing, peer, kOwnAddress));
  // A Fulfill is not a Prepare.
  ilp::Fulfill f;
  f.fulfillment = fulfillment_of(1);
  EXPECT_FALSE(cn::Context::make(*ilp::encode_fulfill(f), peer, kOwnAddress));

  auto ctx = cn::Context::make(good, peer, kOwnAddress);
  ASSERT_TRUE(ctx);
  EXPECT_EQ(ctx->source_amount, 100u);
  EXPECT_FALSE(ctx->amount_changed());
  ctx->prepare.amount = 5;
  EXPECT_TRUE(ctx->amount_changed());
}

TEST(ConnectorContext, RejectKeepsTheCodeWhenTheMessageIsRefused) {
  auto packet = make_prepare({});
  auto ctx = cn::Context::make(packet, make_peer("p1"), kOwnAddress);
  ASSERT_TRUE(ctx);
  ctx->reject(ilp::kT04InsufficientLiquidity, std::string(ilp::kMessageBytesMax + 1, 'x'));
  auto r = reject_of(ctx->reply);
  EXPECT_EQ(r.code, "T04");
  EXPECT_EQ(r.message, "");
  ctx->reject("bad code", "m");
  EXPECT_EQ(reject_of(ctx->reply).code, "T00");
}

// --- error handler ---

std::unique_ptr<cn::Stage> throwing(std::function<void()> thrower) {
  return std::make_unique<FnStage>([thrower](cn::Context&, cn::Next) -> asio::awaitable<void> {
    thrower();
    co_return;
  });
}

TEST(ConnectorErrorHandler, IlpErrorBecomesItsReject) {
  cn::Chain chain(
      stages(std::make_unique<cn::ErrorHandlerStage>(), throwing([] {
               throw cn::IlpError(ilp::kF99ApplicationError, "declined", Bytes{1, 2, 3});
             })));
  auto r = reject_of(run_packet(chain, make_prepare({}), make_peer("p1")));
  EXPECT_EQ(r.code, "F99");
  EXPECT_EQ(r.message, "declined");
  EXPECT_EQ(r.data, (Bytes{1, 2, 3}));
  EXPECT_EQ(r.triggered_by, kOwnAddress);
}

TEST(ConnectorErrorHandler, AnyOtherExceptionIsT00WithoutDetails) {
  cn::Chain chain(stages(std::make_unique<cn::ErrorHandlerStage>(),
                         throwing([] { throw std::runtime_error("db password=secret"); })));
  auto r = reject_of(run_packet(chain, make_prepare({}), make_peer("p1")));
  EXPECT_EQ(r.code, "T00");
  EXPECT_EQ(r.message, "unexpected internal error");
  EXPECT_TRUE(r.data.empty());

  cn::Chain odd(stages(std::make_unique<cn::ErrorHandlerStage>(), throwing([] { throw 42; })));
  EXPECT_EQ(reject_of(run_packet(odd, make_prepare({}), make_peer("p1"))).code, "T00");
}

TEST(ConnectorErrorHandler, NoReplyIsAnInternalError) {
  cn::Chain chain(stages(std::make_unique<cn::ErrorHandlerStage>()));
  EXPECT_EQ(reject_of(run_packet(chain, make_prepare({}), make_peer("p1"))).code, "T00");
}

TEST(ConnectorErrorHandler, PeerRejectsPassThroughUnchanged) {
  ilp::Reject peer_reject;
  peer_reject.code = "F99";
  peer_reject.triggered_by = "test.other";
  peer_reject.message = "their words";
  auto encoded = *ilp::encode_reject(peer_reject);
  cn::Chain chain(stages(
      std::make_unique<cn::ErrorHandlerStage>(),
      std::make_unique<FnStage>([encoded](cn::Context& ctx, cn::Next) -> asio::awaitable<void> {
        ctx.reply = encoded;
        co_return;
      })));
  EXPECT_EQ(run_packet(chain, make_prepare({}), make_peer("p1")), encoded);
}

}  // namespace
}  // namespace rafiki::testing::connector
