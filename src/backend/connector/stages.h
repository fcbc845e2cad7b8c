// The connector's stages (reference/connector.md §3, §4), one class each, assembled into a
// Chain by the chain owner. Order in the running connector (see docs/connector.md):
//   error handler → [stream address] → echo → ILDCP → account (routing) → max packet amount →
//   rate limit → incoming throughput → rate conversion → [balance] → [stream receiver] →
//   outgoing throughput → reduce expiry → expire → validate fulfillment → HTTP client.
// ILDCP runs before the account stage so `peer.config` is answered without a route (upstream
// puts it after and so rejects it F02 unless a route covers `peer`).
// Every stage is thread-safe and keeps nothing per packet beyond what its limits need.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "backend/connector/chain.h"
#include "backend/core/outbound.h"
#include "backend/connector/resolver.h"
#include "backend/connector/token_bucket.h"
#include "backend/rates/model.h"
#include "ledger/ledger.h"
#include "store/kv.h"
#include "net/client.h"

namespace rafiki::backend::connector {

// Clocks, injectable so tests control time. Wall clock for expiries (ILP timestamps are wall
// time); a monotonic millisecond count for token buckets.
using WallClock = TimePoint (*)();
using MonotonicClock = std::int64_t (*)();
std::int64_t monotonic_ms();

// Messages as upstream words them.
inline constexpr std::string_view kUnknownDestinationMessage = "unknown destination account";
inline constexpr std::string_view kIncorrectStateMessage =
    "destination account is in an incorrect state";
inline constexpr std::string_view kRateLimitedMessage = "too many requests, throttling.";
inline constexpr std::string_view kThroughputMessage = "exceeded money bandwidth, throttling.";
inline constexpr std::string_view kExpiredMessage = "packet expired.";
inline constexpr std::string_view kBadFulfillmentMessage =
    "fulfillment did not match expected value.";
inline constexpr std::string_view kNoEndpointMessage = "no outgoing endpoint";
inline constexpr std::string_view kExchangeRateErrorPrefix = "Exchange rate error: ";

// Catches everything the rest of the chain throws and turns it into a Reject: IlpError → its
// code, message and data; anything else → T00 "unexpected internal error". A chain that ends
// without a reply is an internal error too. Rejects
// from peers pass through unchanged.
class ErrorHandlerStage final : public Stage {
 public:
  std::string_view name() const override { return "error-handler"; }
  boost::asio::awaitable<void> handle(Context& ctx, Next next) override;
};

// F08 when the incoming account has a non-zero max packet amount and the Prepare's (source)
// amount exceeds it; message "packet size too large. maxAmount=<max> actualAmount=<amount>",
// data = amount ‖ max as two UInt64.
class MaxPacketAmountStage final : public Stage {
 public:
  std::string_view name() const override { return "max-packet-amount"; }
  boost::asio::awaitable<void> handle(Context& ctx, Next next) override;
};

// Packets per incoming account (upstream's RateLimitMiddlewareOptions names and defaults).
struct RateLimitOptions {
  static constexpr std::int64_t kRefillPeriodMsDefault = 60'000;
  static constexpr std::uint64_t kRefillCountDefault = 10'000;
  std::int64_t refill_period_ms = kRefillPeriodMsDefault;
  std::uint64_t refill_count = kRefillCountDefault;
  std::uint64_t capacity = kRefillCountDefault;  // upstream: defaults to refillCount
};

// T05 "too many requests, throttling." when the incoming account's bucket is empty. Buckets
// live in this process (as upstream).
class RateLimitStage final : public Stage {
 public:
  explicit RateLimitStage(RateLimitOptions options = {}, MonotonicClock clock = monotonic_ms);
  std::string_view name() const override { return "rate-limit"; }
  boost::asio::awaitable<void> handle(Context& ctx, Next next) override;

 private:
  KeyedBuckets buckets_;
  MonotonicClock clock_;
};

// Amount per account (upstream's ThroughputMiddlewareOptions). No limit: the stage only passes
// packets on (upstream builds it without a limit).
struct ThroughputOptions {
  static constexpr std::int64_t kRefillPeriodMsDefault = 1'000;
  std::optional<std::uint64_t> throughput_limit;  // amount per refill period; unset or 0: off
  std::int64_t throughput_limit_refill_period_ms = kRefillPeriodMsDefault;
};
enum class Direction { kIncoming, kOutgoing };

// T04 "exceeded money bandwidth, throttling." when the account's amount bucket cannot cover the
// packet: incoming = the incoming account and the source amount; outgoing = the outgoing
// account and the converted amount.
class ThroughputStage final : public Stage {
 public:
  ThroughputStage(Direction direction, ThroughputOptions options = {},
                  MonotonicClock clock = monotonic_ms);
  std::string_view name() const override;
  boost::asio::awaitable<void> handle(Context& ctx, Next next) override;

 private:
  Direction direction_;
  std::optional<KeyedBuckets> buckets_;
  MonotonicClock clock_;
};

// Answers `peer.config` (ILDCP, reference/ilp.md §5) with the incoming peer's static address and
// asset; F00 with the reason for a malformed request (wrong condition, expired); an incoming
// account without a static address → T00. Other destinations go on.
class IldcpStage final : public Stage {
 public:
  explicit IldcpStage(WallClock clock = now_ms);
  std::string_view name() const override { return "ildcp"; }
  boost::asio::awaitable<void> handle(Context& ctx, Next next) override;

 private:
  WallClock clock_;
};

// Decodes the STREAM payment tag of a destination under the incoming account's tenant's
// receiving address (reference/connector.md §4.3) into ctx.stream_destination, keeping that
// tenant's receiver in ctx.stream_receiver. A tenant without an address, a destination not under
// it, or a token that is not ours: the packet goes on without a tag (to be routed). A failing
// lookup → T00. (Upstream also extracts STREAM application data here for the optional partial
// payment decision; that is not built.)
class StreamAddressStage final : public Stage {
 public:
  explicit StreamAddressStage(StreamReceivers& receivers);
  std::string_view name() const override { return "stream-address"; }
  boost::asio::awaitable<void> handle(Context& ctx, Next next) override;

 private:
  StreamReceivers& receivers_;
};

// The echo protocol (reference/connector.md §4.16) for packets addressed to the connector
// itself (ctx.own_address): data `ECHOECHOECHOECHO` ‖ 0x00 ‖ var-octet source address is
// turned into a Prepare to that address (same amount and condition, expiry − 1 s, data
// `ECHOECHOECHOECHO` ‖ 0x01) that continues down the chain to be routed; the answer to it is
// the answer. F01 for short data or a wrong prefix, F01 for a bad source address, T00 for a
// type byte other than 0. Other destinations go on.
class EchoStage final : public Stage {
 public:
  static constexpr std::string_view kPrefix = "ECHOECHOECHOECHO";
  static constexpr std::chrono::milliseconds kMinMessageWindow{1'000};
  std::string_view name() const override { return "echo"; }
  boost::asio::awaitable<void> handle(Context& ctx, Next next) override;
};

// Resolves the outgoing account (reference/connector.md §4.4): the local account named by the
// STREAM payment tag if any (F02 "unknown destination account" when it belongs to another
// tenant than the incoming account; F02 "destination account is in an incorrect state" for a
// closed incoming payment and a non-zero amount), else the resolver's next hop (never the
// incoming peer itself); nothing → F02 "unknown destination account". An outgoing account set
// before (in-process packets) is kept.
class AccountStage final : public Stage {
 public:
  explicit AccountStage(AccountResolver& resolver);
  std::string_view name() const override { return "account"; }
  boost::asio::awaitable<void> handle(Context& ctx, Next next) override;

 private:
  AccountResolver& resolver_;
};

// Converts the amount into the outgoing account's asset (the conversion part of upstream's
// balance stage, reference/connector.md §4.9): rates of the outgoing account's tenant for the
// incoming asset's code; floor. Amount 0 skips. No usable rate → F07 "Exchange rate error:
// InvalidDestinationPrice"; a result beyond 2^64−1 → F08 with the largest convertible source
// amount as the maximum; rates unavailable → T00.
class RateConversionStage final : public Stage {
 public:
  explicit RateConversionStage(rates::RatesSource& rates);
  std::string_view name() const override { return "rate-conversion"; }
  boost::asio::awaitable<void> handle(Context& ctx, Next next) override;

 private:
  rates::RatesSource& rates_;
};

struct ExpiryOptions {
  static constexpr std::chrono::milliseconds kMinExpirationWindowDefault{1'000};
  static constexpr std::chrono::milliseconds kMaxHoldWindowDefault{30'000};
  std::chrono::milliseconds min_expiration_window = kMinExpirationWindowDefault;
  std::chrono::milliseconds max_hold_window = kMaxHoldWindowDefault;
};

// Takes the minimum message window off the expiry and caps how long we hold a packet
// (reference/connector.md §4.12); R02 when it has expired or would have less than the window.
class ReduceExpiryStage final : public Stage {
 public:
  explicit ReduceExpiryStage(ExpiryOptions options = {}, WallClock clock = now_ms);
  std::string_view name() const override { return "reduce-expiry"; }
  boost::asio::awaitable<void> handle(Context& ctx, Next next) override;

 private:
  ExpiryOptions options_;
  WallClock clock_;
};

// Races the rest of the chain against the (reduced) expiry: R00 "packet expired." when the
// expiry comes first (the rest is cancelled; stages after this one must honour cancellation) or
// has already passed.
class ExpireStage final : public Stage {
 public:
  explicit ExpireStage(WallClock clock = now_ms);
  std::string_view name() const override { return "expire"; }
  boost::asio::awaitable<void> handle(Context& ctx, Next next) override;

 private:
  WallClock clock_;
};

// F05 "fulfillment did not match expected value." instead of a Fulfill whose fulfillment does
// not hash to the Prepare's condition. A reply that is neither Fulfill nor Reject → T00.
class ValidateFulfillmentStage final : public Stage {
 public:
  std::string_view name() const override { return "validate-fulfillment"; }
  boost::asio::awaitable<void> handle(Context& ctx, Next next) override;
};

// The end of the chain for remote destinations: ILP over HTTP to the outgoing peer (reference/
// connector.md §4.15), the received bytes with amount and expiry patched. F02 "no outgoing
// endpoint" without an endpoint; transport failures → T00 (R00 when the expiry passed). The
// endpoint of a peer owned by a non-operator tenant may only reach the addresses `outbound`
// allows it; one it forbids fails like an unreachable peer (T00), with nothing sent.
class HttpClientStage final : public Stage {
 public:
  explicit HttpClientStage(net::HttpClient client, OutboundPolicy outbound = {});
  std::string_view name() const override { return "http-client"; }
  boost::asio::awaitable<void> handle(Context& ctx, Next next) override;

 private:
  net::HttpClient client_;
  OutboundPolicy outbound_;
};

// What the balance stage asks of the domains (the chain owner's implementation; fakes in tests).
class BalanceHooks {
 public:
  virtual ~BalanceHooks() = default;
  // Called after pending transfers crediting the outgoing peer were created (committed):
  // whether the peer still exists. A deleting transaction locks the peer's ledger account (as
  // every ledger batch does until it commits) before reading its balance, so either it saw our
  // pending credit and refused, or it committed before our batch and a read now finds no peer.
  // On false the transfers are voided and the packet rejected F02.
  virtual boost::asio::awaitable<Result<bool>> peer_still_exists(const Account& peer) = 0;
  // After the transfers of a fulfilled packet were posted (upstream's onDebit / onCredit):
  // liquidity-low checks of the source peer and the destination's asset, Web Monetization
  // bookkeeping of a wallet address. Failures are the hook's to log; money already moved.
  virtual boost::asio::awaitable<void> posted(const Context& ctx) = 0;
};

struct BalanceOptions {
  static constexpr std::uint32_t kTwoPhaseTimeoutSecondsDefault = 5;  // upstream's default
  // Added to the longest time a packet can be held, so a Fulfill that arrives in time can
  // always be posted (upstream posts after its 5 s timeout may have expired the transfers).
  static constexpr std::uint32_t kPendingTimeoutMarginSeconds = 2;
  // How long after a relayed Fulfill its post is retried while the ledger's outcome is unknown
  // (database down or slow). The pending timeout includes it, so every retry still finds the
  // transfers pending.
  static constexpr std::chrono::seconds kPostRetryWindowDefault{10};
  static constexpr std::chrono::milliseconds kPostRetryBackoffFirst{50};
  static constexpr std::chrono::milliseconds kPostRetryBackoffMax{1000};
  static constexpr int kResolveAttemptsMax = 5;  // void / local credit retried when unavailable
  std::uint32_t two_phase_timeout_seconds = kTwoPhaseTimeoutSecondsDefault;
  std::chrono::milliseconds max_hold_window = ExpiryOptions::kMaxHoldWindowDefault;
  std::chrono::milliseconds post_retry_window = kPostRetryWindowDefault;
  // Tests shrink the margin to make a post miss its pending transfers; never set in production.
  std::uint32_t pending_timeout_margin_seconds = kPendingTimeoutMarginSeconds;
};

// Insufficient-funds messages (upstream's TransferError names), rejected T04.
inline constexpr std::string_view kInsufficientBalanceMessage = "InsufficientBalance";
inline constexpr std::string_view kInsufficientLiquidityMessage = "InsufficientLiquidity";

// Moves the money of a packet in the ledger (reference/connector.md §4.9, accounting.md §5.3).
// Amount 0 and quote probes move nothing. Legs: same ledger → incoming → outgoing; different
// ledgers → incoming → liquidity(source asset) and liquidity(destination asset) → outgoing with
// the converted amount, linked (both or neither).
//  * Remote destinations: pending legs first (timeout covering the longest hold and the post's
//    retry window), then the rest of the chain; Fulfill → post, anything else (reject,
//    exception, expiry) → void. The next hop has been paid once it fulfilled, so its Fulfill is
//    always relayed: a post that still fails is logged as an error naming the transfer ids and
//    the amount (money owed that the operator must settle by hand).
//  * Local destinations: the receiver credits the money through ctx.credit_local when it is
//    about to fulfill, before it counts the STREAM receipt total, so no receipt ever covers money
//    that was not credited; a failed credit is a reject (T04 for insufficient liquidity, else
//    T00). A chain without the receiver stage gets the credit after its Fulfill.
// Insufficient funds: T04 InsufficientLiquidity when the destination asset's liquidity account
// lacks it, else T04 InsufficientBalance; other ledger failures → T00.
class BalanceStage final : public Stage {
 public:
  BalanceStage(ledger::Ledger ledger, BalanceHooks& hooks, BalanceOptions options = {},
               WallClock clock = now_ms);
  std::string_view name() const override { return "balance"; }
  boost::asio::awaitable<void> handle(Context& ctx, Next next) override;

 private:
  ledger::Ledger ledger_;
  BalanceHooks& hooks_;
  BalanceOptions options_;
  WallClock clock_;
};

// The local STREAM receiver (reference/connector.md §4.11), end of the chain for local
// destinations: the receiver that decoded the payment tag answers the Prepare (converted
// amount). Money it is about to fulfill is first credited (ctx.credit_local, set by the balance
// stage); only then, and only when the connection's token asks for receipts, is the connection's
// total received counted in the key-value store (shared by every process, kept kTotalTtl), so a
// receipt never covers money that was not credited. A failed credit answers T04 (insufficient
// liquidity) or T00; a credit that succeeded is always fulfilled (without a receipt if the total
// cannot be counted). Without receipts nothing is counted. Remote destinations go on.
class StreamReceiverStage final : public Stage {
 public:
  static constexpr std::chrono::milliseconds kTotalTtl{600'000};
  explicit StreamReceiverStage(std::shared_ptr<store::KeyValue> kv);
  std::string_view name() const override { return "stream-receiver"; }
  boost::asio::awaitable<void> handle(Context& ctx, Next next) override;

 private:
  std::shared_ptr<store::KeyValue> kv_;
};

}  // namespace rafiki::backend::connector
