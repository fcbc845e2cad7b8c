// Currency conversion (rates model) and the rate conversion stage.
#include <map>

#include "backend/connector/test_util.h"
#include "backend/rates/model.h"

namespace rafiki::testing::connector {
namespace {

namespace rates = rafiki::backend::rates;

rates::RateTable table_of(std::string base, std::map<std::string, double> values) {
  rates::RateTable t;
  t.base = std::move(base);
  for (auto& [code, v] : values) t.rates.emplace(code, rates::Rate::from_double(v));
  return t;
}

TEST(RatesConversion, RatesAreTheExactDecimalsOfTheJsonNumbers) {
  auto r = rates::Rate::from_double(1.1602);
  EXPECT_EQ(r.mantissa, 11602u);
  EXPECT_EQ(r.exponent, -4);
  r = rates::Rate::from_double(17.3792);
  EXPECT_EQ(r.mantissa, 173792u);
  EXPECT_EQ(r.exponent, -4);
  r = rates::Rate::from_double(1e21);
  EXPECT_EQ(r.mantissa, 1u);
  EXPECT_EQ(r.exponent, 21);
  r = rates::Rate::from_double(5e-324);  // the smallest double
  EXPECT_TRUE(r.usable());
  EXPECT_FALSE(rates::Rate::from_double(0).usable());
  EXPECT_FALSE(rates::Rate::from_double(-1.5).usable());
  EXPECT_FALSE(rates::Rate::from_double(std::numeric_limits<double>::infinity()).usable());
  EXPECT_FALSE(rates::Rate::from_double(std::numeric_limits<double>::quiet_NaN()).usable());
  EXPECT_FALSE(rates::Rate::from_integer(0).usable());
  EXPECT_EQ(rates::Rate::from_integer(1000).mantissa, 1u);
  EXPECT_DOUBLE_EQ(rates::Rate::from_double(0.29).to_double(), 0.29);
}

TEST(RatesConversion, SameAssetSameScaleIsUnchanged) {
  rates::AssetRef usd2{"USD", 2};
  EXPECT_EQ(*rates::convert_source(UINT64_MAX, usd2, usd2, nullptr), UINT64_MAX);
  EXPECT_EQ(*rates::convert_source(0, usd2, usd2, nullptr), 0u);
}

TEST(RatesConversion, SameCodeOtherScaleFloorsDownAndRefusesOverflow) {
  rates::AssetRef usd2{"USD", 2}, usd9{"USD", 9}, usd0{"USD", 0};
  EXPECT_EQ(*rates::convert_source(123, usd2, usd9, nullptr), 1'230'000'000u);
  EXPECT_EQ(*rates::convert_source(199, usd2, usd0, nullptr), 1u);  // floored
  EXPECT_EQ(*rates::convert_source(99, usd2, usd0, nullptr), 0u);
  auto too_big = rates::convert_source(UINT64_MAX, usd2, usd9, nullptr);
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().code, rates::kErrAmountTooLarge);
  // Scales far apart (0 ↔ 255) neither overflow nor loop.
  EXPECT_FALSE(
      rates::convert_source(1, rates::AssetRef{"USD", 0}, rates::AssetRef{"USD", 255}, nullptr));
  EXPECT_EQ(*rates::convert_source(UINT64_MAX, rates::AssetRef{"USD", 255},
                                   rates::AssetRef{"USD", 0}, nullptr),
            0u);
  // One whole unit costs 10^255 of the finer unit: too large, not wrapped.
  EXPECT_FALSE(rates::convert_destination(1, rates::AssetRef{"USD", 255}, rates::AssetRef{"USD", 0},
                                          nullptr));
}

TEST(RatesConversion, CrossCurrencyFloorsTheExactProduct) {
  auto t = table_of("USD", {{"EUR", 1.1602}, {"ZAR", 17.3792}, {"XYZ", 0.29}});
  rates::AssetRef usd{"USD", 2}, eur{"EUR", 2}, zar{"ZAR", 0}, xyz{"XYZ", 2};
  EXPECT_EQ(*rates::convert_source(10'000, usd, eur, &t), 11'602u);
  EXPECT_EQ(*rates::convert_source(1, usd, eur, &t), 1u);     // 1.1602 floored
  EXPECT_EQ(*rates::convert_source(100, usd, zar, &t), 17u);  // 1 USD = 17.3792 ZAR, floored
  // 100 × 0.29 is 28.999999999999996 in doubles (upstream delivers 28); the decimal rate is
  // exact here.
  EXPECT_EQ(*rates::convert_source(100, usd, xyz, &t), 29u);
  // Amounts above 2^53 stay exact: no precision lost, nothing rounded up.
  EXPECT_EQ(*rates::convert_source(9'007'199'254'740'993ull, usd, eur, &t),
            10'450'152'575'350'500ull);  // floor(9007199254740993 × 1.1602)
  // The largest amount that still fits, and one more.
  auto max = rates::max_convertible_source(usd, eur, &t);
  ASSERT_TRUE(max);
  EXPECT_TRUE(rates::convert_source(*max, usd, eur, &t));
  EXPECT_FALSE(rates::convert_source(*max + 1, usd, eur, &t));
  EXPECT_EQ(rates::convert_source(UINT64_MAX, usd, eur, &t).error().code,
            rates::kErrAmountTooLarge);
}

TEST(RatesConversion, MissingZeroAndNegativeRatesAreInvalidDestinationPrice) {
  auto t = table_of("USD", {{"EUR", 0.0}, {"GBP", -0.8}});
  rates::AssetRef usd{"USD", 2};
  for (auto code : {"EUR", "GBP", "JPY"}) {
    auto r = rates::convert_source(100, usd, rates::AssetRef{code, 2}, &t);
    ASSERT_FALSE(r) << code;
    EXPECT_EQ(r.error().code, rates::kErrInvalidDestinationPrice);
  }
  EXPECT_FALSE(rates::convert_source(100, usd, rates::AssetRef{"EUR", 2}, nullptr));
  EXPECT_FALSE(rates::max_convertible_source(usd, rates::AssetRef{"EUR", 2}, &t));
}

TEST(RatesConversion, TinyAndHugeRates) {
  auto t = table_of("USD", {{"TINY", 1e-30}, {"HUGE", 1e30}});
  rates::AssetRef usd{"USD", 2};
  EXPECT_EQ(*rates::convert_source(UINT64_MAX, usd, rates::AssetRef{"TINY", 2}, &t), 0u);
  EXPECT_EQ(*rates::convert_source(0, usd, rates::AssetRef{"HUGE", 2}, &t), 0u);
  EXPECT_FALSE(rates::convert_source(1, usd, rates::AssetRef{"HUGE", 2}, &t));
  EXPECT_EQ(*rates::max_convertible_source(usd, rates::AssetRef{"HUGE", 2}, &t), 0u);
  EXPECT_EQ(*rates::max_convertible_source(usd, rates::AssetRef{"TINY", 2}, &t), UINT64_MAX);
}

TEST(RatesConversion, DestinationToSourceRoundsUp) {
  auto t = table_of("USD", {{"EUR", 1.1602}});
  rates::AssetRef usd{"USD", 2}, eur{"EUR", 2};
  // 100 EUR cents cost ceil(100 / 1.1602) = ceil(86.19...) = 87 USD cents.
  EXPECT_EQ(*rates::convert_destination(100, usd, eur, &t), 87u);
  EXPECT_EQ(*rates::convert_destination(11'602, usd, eur, &t), 10'000u);  // exact: no +1
  EXPECT_EQ(*rates::convert_destination(1, usd, rates::AssetRef{"USD", 0}, nullptr), 100u);
  EXPECT_EQ(
      *rates::convert_destination(1, rates::AssetRef{"USD", 9}, rates::AssetRef{"USD", 2}, nullptr),
      10'000'000u);
  EXPECT_FALSE(rates::convert_destination(UINT64_MAX, rates::AssetRef{"USD", 9},
                                          rates::AssetRef{"USD", 2}, nullptr));
}

// --- the stage ---

class FakeRates final : public rates::RatesSource {
 public:
  std::map<std::string, rates::RateTablePtr> tables;
  int calls = 0;
  std::string last_tenant;
  asio::awaitable<Result<rates::RateTablePtr>> rates(std::string_view tenant,
                                                     std::string_view base) override {
    ++calls;
    last_tenant = std::string(tenant);
    auto it = tables.find(std::string(base));
    if (it == tables.end()) co_return fail(rates::kErrCouldNotFetch, "down");
    co_return it->second;
  }
};

struct ConversionFixture {
  FakeRates rates;
  Seen seen;
  cn::Chain chain;
  cn::AccountPtr outgoing;
  explicit ConversionFixture(cn::AccountPtr out)
      : chain(stages(std::make_unique<cn::ErrorHandlerStage>(),
                     std::make_unique<FnStage>(
                         [this](cn::Context& ctx, cn::Next next) -> asio::awaitable<void> {
                           ctx.outgoing = outgoing;
                           co_await next(ctx);
                         }),
                     std::make_unique<cn::RateConversionStage>(rates), recording(&seen))),
        outgoing(std::move(out)) {
    rates.tables["USD"] = std::make_shared<rates::RateTable>(
        table_of("USD", {{"EUR", 0.5}, {"ZERO", 0.0}, {"BIG", 1e12}}));
  }
  DecodedReject run(std::uint64_t amount, cn::AccountPtr incoming) {
    PrepareSpec spec;
    spec.amount = amount;
    return reject_of(run_packet(chain, make_prepare(spec), std::move(incoming)));
  }
};

TEST(ConnectorRateConversion, ConvertsWithTheOutgoingTenantsRates) {
  ConversionFixture f(make_peer("out", "EUR", 2, "tenant-out"));
  EXPECT_EQ(f.run(1'001, make_peer("in", "USD", 2, "tenant-in")).code, "fulfill");
  EXPECT_EQ(f.seen.amount, 500u);  // floor(1001 × 0.5)
  EXPECT_EQ(f.rates.last_tenant, named_id("tenant-out").str());
}

TEST(ConnectorRateConversion, SameCodeNeedsNoRatesAndZeroSkips) {
  ConversionFixture f(make_peer("out", "USD", 4));
  EXPECT_EQ(f.run(7, make_peer("in", "USD", 2)).code, "fulfill");
  EXPECT_EQ(f.seen.amount, 700u);
  EXPECT_EQ(f.rates.calls, 0);
  ConversionFixture g(make_peer("out", "NONE", 2));
  EXPECT_EQ(g.run(0, make_peer("in", "USD", 2)).code, "fulfill");  // quotes' 0 probes
  EXPECT_EQ(g.seen.amount, 0u);
  EXPECT_EQ(g.rates.calls, 0);
}

TEST(ConnectorRateConversion, NoUsableRateIsF07) {
  for (auto code : {"ZERO", "JPY"}) {
    ConversionFixture f(make_peer("out", code, 2));
    auto r = f.run(100, make_peer("in", "USD", 2));
    EXPECT_EQ(r.code, "F07");
    EXPECT_EQ(r.message, "Exchange rate error: InvalidDestinationPrice");
    EXPECT_EQ(f.seen.calls, 0);
  }
}

TEST(ConnectorRateConversion, RatesServiceDownIsT00) {
  ConversionFixture f(make_peer("out", "USD", 2));
  EXPECT_EQ(f.run(100, make_peer("in", "GBP", 2)).code, "T00");
  EXPECT_EQ(f.seen.calls, 0);
}

TEST(ConnectorRateConversion, OverflowIsF08WithTheLargestConvertibleAmount) {
  ConversionFixture f(make_peer("out", "BIG", 2));
  auto r = f.run(UINT64_MAX, make_peer("in", "USD", 2));
  EXPECT_EQ(r.code, "F08");
  auto data = ilp::decode_amount_too_large_data(r.data);
  ASSERT_TRUE(data);
  EXPECT_EQ(data->received_amount, UINT64_MAX);
  EXPECT_EQ(data->maximum_amount, 18'446'744u);  // floor((2^64 − 1) / 10^12)
  EXPECT_EQ(f.run(18'446'744, make_peer("in", "USD", 2)).code, "fulfill");
  EXPECT_EQ(f.seen.amount, 18'446'744'000'000'000'000ull);
  EXPECT_EQ(f.run(18'446'745, make_peer("in", "USD", 2)).code, "F08");
}

}  // namespace
}  // namespace rafiki::testing::connector
