// Reduce-expiry and expire stages, with absurd expiries.
#include "backend/connector/test_util.h"

namespace rafiki::testing::connector {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// 2026-01-01T00:00:00.000Z
const TimePoint kNow = *parse_rfc3339("2026-01-01T00:00:00.000Z");
TimePoint fixed_now() {
  return kNow;
}

Bytes run_reduce(TimePoint expiry, Seen* seen) {
  cn::Chain chain(stages(std::make_unique<cn::ReduceExpiryStage>(cn::ExpiryOptions{}, fixed_now),
                         recording(seen)));
  PrepareSpec spec;
  spec.expires_at = expiry;
  return run_packet(chain, make_prepare(spec), make_peer("p1"));
}

TEST(ConnectorReduceExpiry, TakesTheMessageWindowOff) {
  Seen seen;
  auto reply = run_reduce(kNow + seconds(10), &seen);
  EXPECT_EQ(reject_of(reply).code, "fulfill");
  EXPECT_EQ(seen.expires_at, kNow + seconds(9));
}

TEST(ConnectorReduceExpiry, HoldsAtMostThirtySecondsEvenForFarFutureExpiries) {
  Seen seen;
  EXPECT_EQ(reject_of(run_reduce(kNow + seconds(120), &seen)).code, "fulfill");
  EXPECT_EQ(seen.expires_at, kNow + seconds(30));
  // The largest expiry an ILP timestamp can carry.
  Seen far;
  auto year9999 = *parse_rfc3339("9999-12-31T23:59:59.999Z");
  EXPECT_EQ(reject_of(run_reduce(year9999, &far)).code, "fulfill");
  EXPECT_EQ(far.expires_at, kNow + seconds(30));
}

TEST(ConnectorReduceExpiry, AlreadyExpiredIsR02) {
  Seen seen;
  auto r = reject_of(run_reduce(kNow - milliseconds(1), &seen));
  EXPECT_EQ(r.code, "R02");
  EXPECT_EQ(r.message,
            "source transfer has already expired. sourceExpiry=2025-12-31T23:59:59.999Z "
            "currentTime=2026-01-01T00:00:00.000Z");
  EXPECT_EQ(seen.calls, 0);
  // The smallest timestamp there is.
  auto year0 = *parse_rfc3339("0000-01-01T00:00:00.000Z");
  EXPECT_EQ(reject_of(run_reduce(year0, &seen)).code, "R02");
  EXPECT_EQ(seen.calls, 0);
}

TEST(ConnectorReduceExpiry, NeedsMoreThanTwoWindowsLeft) {
  Seen seen;
  auto r = reject_of(run_reduce(kNow + milliseconds(1999), &seen));
  EXPECT_EQ(r.code, "R02");
  EXPECT_EQ(r.message,
            "source transfer expires too soon to complete payment. "
            "actualSourceExpiry=2026-01-01T00:00:01.999Z "
            "requiredSourceExpiry=2026-01-01T00:00:02.000Z currentTime=2026-01-01T00:00:00.000Z");
  EXPECT_EQ(reject_of(run_reduce(kNow, &seen)).code, "R02");
  EXPECT_EQ(seen.calls, 0);
  EXPECT_EQ(reject_of(run_reduce(kNow + milliseconds(2000), &seen)).code, "fulfill");
  EXPECT_EQ(seen.expires_at, kNow + seconds(1));
}

// --- expire ---

std::unique_ptr<cn::Stage> answering_after(int ms, int* finished) {
  return std::make_unique<FnStage>(
      [ms, finished](cn::Context& ctx, cn::Next) -> asio::awaitable<void> {
        co_await sleep_ms(ms);
        ++*finished;
        ctx.fulfill(fulfillment_of(7));
      });
}

TEST(ConnectorExpire, ReplyBeforeTheExpiryPassesThrough) {
  int finished = 0;
  cn::Chain chain(stages(std::make_unique<cn::ExpireStage>(), answering_after(1, &finished)));
  PrepareSpec spec;
  spec.expires_at = now_ms() + seconds(30);
  EXPECT_EQ(reject_of(run_packet(chain, make_prepare(spec), make_peer("p1"))).code, "fulfill");
  EXPECT_EQ(finished, 1);
}

TEST(ConnectorExpire, ANextHopThatIsTooSlowGetsR00AndIsCancelled) {
  int finished = 0;
  cn::Chain chain(stages(std::make_unique<cn::ExpireStage>(), answering_after(60'000, &finished)));
  PrepareSpec spec;
  spec.expires_at = now_ms() + milliseconds(50);
  auto r = reject_of(run_packet(chain, make_prepare(spec), make_peer("p1")));
  EXPECT_EQ(r.code, "R00");
  EXPECT_EQ(r.message, "packet expired.");
  EXPECT_EQ(finished, 0);  // the slow next was cancelled, not waited for
}

TEST(ConnectorExpire, AlreadyExpiredIsR00WithoutCallingNext) {
  int finished = 0;
  cn::Chain chain(stages(std::make_unique<cn::ExpireStage>(), answering_after(0, &finished)));
  PrepareSpec spec;
  spec.expires_at = now_ms() - seconds(1);
  EXPECT_EQ(reject_of(run_packet(chain, make_prepare(spec), make_peer("p1"))).code, "R00");
  EXPECT_EQ(finished, 0);
}

TEST(ConnectorExpire, FarFutureExpiryDoesNotOverflowTheTimer) {
  int finished = 0;
  cn::Chain chain(stages(std::make_unique<cn::ExpireStage>(), answering_after(1, &finished)));
  PrepareSpec spec;
  spec.expires_at = *parse_rfc3339("9999-12-31T23:59:59.999Z");
  EXPECT_EQ(reject_of(run_packet(chain, make_prepare(spec), make_peer("p1"))).code, "fulfill");
  EXPECT_EQ(finished, 1);
}

TEST(ConnectorExpire, ErrorsOfTheRestPropagateToTheErrorHandler) {
  cn::Chain chain(
      stages(std::make_unique<cn::ErrorHandlerStage>(), std::make_unique<cn::ExpireStage>(),
             std::make_unique<FnStage>([](cn::Context&, cn::Next) -> asio::awaitable<void> {
               co_await sleep_ms(1);
               throw std::runtime_error("peer broke");
             })));
  PrepareSpec spec;
  spec.expires_at = now_ms() + seconds(30);
  EXPECT_EQ(reject_of(run_packet(chain, make_prepare(spec), make_peer("p1"))).code, "T00");
}

}  // namespace
}  // namespace rafiki::testing::connector
