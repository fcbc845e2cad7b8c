// Max packet amount, rate limit and throughput stages, and their token buckets.
#include "backend/connector/test_util.h"

namespace rafiki::testing::connector {
namespace {

std::int64_t g_mono_ms = 1'000'000;
std::int64_t fake_mono() {
  return g_mono_ms;
}

cn::AccountPtr peer_with_max(std::optional<std::uint64_t> max) {
  auto a = std::make_shared<cn::Account>(*make_peer("p1"));
  a->max_packet_amount = max;
  return a;
}

TEST(ConnectorMaxPacketAmount, RejectsF08WithBothAmountsInTheData) {
  int calls = 0;
  cn::Chain chain(
      stages(std::make_unique<cn::MaxPacketAmountStage>(), fulfilling(fulfillment_of(7), &calls)));
  PrepareSpec spec;
  spec.amount = 150;
  auto r = reject_of(run_packet(chain, make_prepare(spec), peer_with_max(100)));
  EXPECT_EQ(r.code, "F08");
  EXPECT_EQ(r.message, "packet size too large. maxAmount=100 actualAmount=150");
  // ilp.md §4.5 vector: 0000000000000096 0000000000000064.
  EXPECT_EQ(r.data, (Bytes{0, 0, 0, 0, 0, 0, 0, 0x96, 0, 0, 0, 0, 0, 0, 0, 0x64}));
  EXPECT_EQ(calls, 0);
}

TEST(ConnectorMaxPacketAmount, PassesAtTheLimitAndWithoutOne) {
  int calls = 0;
  cn::Chain chain(
      stages(std::make_unique<cn::MaxPacketAmountStage>(), fulfilling(fulfillment_of(7), &calls)));
  PrepareSpec spec;
  spec.amount = 100;
  EXPECT_EQ(reject_of(run_packet(chain, make_prepare(spec), peer_with_max(100))).code, "fulfill");
  spec.amount = UINT64_MAX;
  EXPECT_EQ(reject_of(run_packet(chain, make_prepare(spec), peer_with_max(std::nullopt))).code,
            "fulfill");
  EXPECT_EQ(reject_of(run_packet(chain, make_prepare(spec), peer_with_max(0))).code, "fulfill");
  EXPECT_EQ(calls, 3);
  spec.amount = UINT64_MAX;
  auto r = reject_of(run_packet(chain, make_prepare(spec), peer_with_max(UINT64_MAX - 1)));
  EXPECT_EQ(r.code, "F08");
  auto data = ilp::decode_amount_too_large_data(r.data);
  ASSERT_TRUE(data);
  EXPECT_EQ(data->received_amount, UINT64_MAX);
  EXPECT_EQ(data->maximum_amount, UINT64_MAX - 1);
}

TEST(ConnectorTokenBucket, AccumulatesFractionalRefills) {
  // 10,000 per 60 s: one token every 6 ms. Taking one packet each millisecond must not lose
  // the fractions (upstream's rounding would refill nothing at this rate).
  cn::TokenBucket bucket(10'000, 10'000, 60'000, 0);
  for (int i = 0; i < 10'000; ++i) ASSERT_TRUE(bucket.take(1, 0));
  EXPECT_FALSE(bucket.take(1, 0));
  int granted = 0;
  for (std::int64_t t = 1; t <= 600; ++t) granted += bucket.take(1, t) ? 1 : 0;
  EXPECT_EQ(granted, 100);  // 600 ms × 1/6 per ms
  EXPECT_FALSE(bucket.full(600));
  EXPECT_TRUE(bucket.full(600 + 60'000));
  // Never more than the capacity, however long it waited; time going backwards adds nothing.
  EXPECT_FALSE(bucket.take(10'001, 10'000'000));
  EXPECT_TRUE(bucket.take(10'000, 10'000'000));
  EXPECT_FALSE(bucket.take(1, 0));
}

TEST(ConnectorTokenBucket, HugeAmountsDoNotOverflow) {
  cn::TokenBucket bucket(UINT64_MAX, UINT64_MAX, 1'000, 0);
  EXPECT_TRUE(bucket.take(UINT64_MAX, 0));
  EXPECT_FALSE(bucket.take(1, 0));
  EXPECT_TRUE(bucket.take(UINT64_MAX, INT64_MAX));
}

TEST(ConnectorTokenBucket, KeyedBucketsStayBounded) {
  cn::KeyedBuckets buckets(1, 1, 1'000);
  for (std::size_t i = 0; i < cn::KeyedBuckets::kKeysMax + 10; ++i) {
    ASSERT_TRUE(buckets.take(named_id(std::to_string(i)), 1, 0));
  }
  EXPECT_LE(buckets.size(), cn::KeyedBuckets::kKeysMax);
}

TEST(ConnectorRateLimit, ThrottlesPerIncomingAccountWithT05) {
  cn::RateLimitOptions options;
  options.capacity = 3;
  options.refill_count = 3;
  options.refill_period_ms = 60'000;
  int calls = 0;
  cn::Chain chain(stages(std::make_unique<cn::RateLimitStage>(options, fake_mono),
                         fulfilling(fulfillment_of(7), &calls)));
  auto a = make_peer("a");
  auto b = make_peer("b");
  auto packet = make_prepare({});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(reject_of(run_packet(chain, packet, a)).code, "fulfill");
  auto r = reject_of(run_packet(chain, packet, a));
  EXPECT_EQ(r.code, "T05");
  EXPECT_EQ(r.message, "too many requests, throttling.");
  EXPECT_EQ(reject_of(run_packet(chain, packet, b)).code, "fulfill");  // its own bucket
  g_mono_ms += 20'000;                                                 // one token back
  EXPECT_EQ(reject_of(run_packet(chain, packet, a)).code, "fulfill");
  EXPECT_EQ(reject_of(run_packet(chain, packet, a)).code, "T05");
  EXPECT_EQ(calls, 5);
}

TEST(ConnectorRateLimit, DefaultsAreUpstreams) {
  cn::RateLimitOptions options;
  EXPECT_EQ(options.capacity, 10'000u);
  EXPECT_EQ(options.refill_count, 10'000u);
  EXPECT_EQ(options.refill_period_ms, 60'000);
  cn::RateLimitOptions bad;
  bad.refill_period_ms = 0;
  EXPECT_THROW(cn::RateLimitStage stage(bad), std::invalid_argument);
}

TEST(ConnectorThroughput, WithoutALimitEverythingPasses) {
  int calls = 0;
  cn::Chain chain(stages(std::make_unique<cn::ThroughputStage>(cn::Direction::kIncoming),
                         fulfilling(fulfillment_of(7), &calls)));
  PrepareSpec spec;
  spec.amount = UINT64_MAX;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(reject_of(run_packet(chain, make_prepare(spec), make_peer("a"))).code, "fulfill");
  }
  EXPECT_EQ(calls, 3);
}

TEST(ConnectorThroughput, LimitsAmountPerSecondWithT04) {
  cn::ThroughputOptions options;
  options.throughput_limit = 1'000;
  cn::Chain chain(
      stages(std::make_unique<cn::ThroughputStage>(cn::Direction::kIncoming, options, fake_mono),
             fulfilling(fulfillment_of(7))));
  PrepareSpec spec;
  spec.amount = 600;
  auto a = make_peer("a");
  EXPECT_EQ(reject_of(run_packet(chain, make_prepare(spec), a)).code, "fulfill");
  auto r = reject_of(run_packet(chain, make_prepare(spec), a));
  EXPECT_EQ(r.code, "T04");
  EXPECT_EQ(r.message, "exceeded money bandwidth, throttling.");
  spec.amount = 400;
  EXPECT_EQ(reject_of(run_packet(chain, make_prepare(spec), a)).code, "fulfill");
  g_mono_ms += 500;  // half a second: 500 back
  spec.amount = 500;
  EXPECT_EQ(reject_of(run_packet(chain, make_prepare(spec), a)).code, "fulfill");
  spec.amount = UINT64_MAX;
  EXPECT_EQ(reject_of(run_packet(chain, make_prepare(spec), a)).code, "T04");
}

TEST(ConnectorThroughput, OutgoingUsesTheOutgoingAccountAndConvertedAmount) {
  cn::ThroughputOptions options;
  options.throughput_limit = 100;
  auto set_outgoing =
      std::make_unique<FnStage>([](cn::Context& ctx, cn::Next next) -> asio::awaitable<void> {
        ctx.outgoing = make_peer("out");
        ctx.prepare.amount = ctx.prepare.amount / 10;  // "converted"
        co_await next(ctx);
      });
  cn::Chain chain(
      stages(std::move(set_outgoing),
             std::make_unique<cn::ThroughputStage>(cn::Direction::kOutgoing, options, fake_mono),
             fulfilling(fulfillment_of(7))));
  PrepareSpec spec;
  spec.amount = 1'000;  // 100 after "conversion"
  EXPECT_EQ(reject_of(run_packet(chain, make_prepare(spec), make_peer("a"))).code, "fulfill");
  // Another incoming account, same outgoing one: its bucket is empty.
  EXPECT_EQ(reject_of(run_packet(chain, make_prepare(spec), make_peer("b"))).code, "T04");
}

}  // namespace
}  // namespace rafiki::testing::connector
