// A STREAM sender (RFC 29) that delivers a fixed source amount to one destination, following
// @interledger/pay's algorithm (reference notes §7.9) so it works against Rafiki's receiver
// and ilp-protocol-stream servers:
//   1. probe the path with unfulfillable packets: discover the maximum packet amount from F08
//      rejects and the exchange rate from the amounts the receiver says arrived;
//   2. refuse to pay when the probed rate is below the caller's minimum;
//   3. send the amount in packets of at most the maximum packet amount, each demanding at least
//      amount × minimum rate at the receiver (the final packet may lose one unit to rounding),
//      several in flight; T and R rejects are retried with exponential backoff, and so are
//      F99 and (with an authentic STREAM reply) F04/F05, which receivers use for "not now";
//      F08 lowers the packet size; other final rejects stop the payment with the reason, as
//      do a ConnectionClose from the receiver and a StreamMaxMoney too low for the payment.
//      A receiver's report of a lower rate than probed is taken into account;
//   4. close the connection (ConnectionClose in a 0-amount packet).
// Packets go out through a function the caller supplies (ILP over HTTP, or in process), so the
// sender owns no transport. Every loop is bounded: packets in flight, probes, consecutive
// retries, idle time.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/errors.h"

namespace rafiki::ilp::stream {

// Carries one encoded ILP Prepare and returns the encoded Fulfill or Reject. An error means no
// reply arrived (treated as T00, as ILP over HTTP does); the function should give up by the
// Prepare's expiry. ilp::send_prepare (ilp/http.h) bound to a client and endpoint fits.
using PrepareSender = std::function<boost::asio::awaitable<Result<Bytes>>(Bytes prepare)>;

// An exchange rate as an exact fraction: destination units per source unit.
struct Ratio {
  std::uint64_t numerator = 0;
  std::uint64_t denominator = 1;
};

// Defaults of the limits (override per payment in PaymentOptions).
inline constexpr std::size_t kPacketsInFlightMax = 20;             // as @interledger/pay
inline constexpr std::chrono::milliseconds kPacketExpiry{20'000};  // Prepare lifetime
inline constexpr std::chrono::milliseconds kIdleTimeout{10'000};   // no progress → give up
inline constexpr std::uint32_t kRetriesInARowMax = 10;             // consecutive tolerated rejects
inline constexpr std::chrono::milliseconds kBackoffInitial{50};
inline constexpr std::chrono::milliseconds kBackoffMax{2'000};
// Probe packets (each one Prepare) before the rate probe gives up.
inline constexpr std::uint32_t kProbePacketsMax = 40;
// The first probe amount, in source units (as @interledger/pay): large enough to measure the
// rate with 12 digits, and to hit any connector's maximum packet amount.
inline constexpr std::uint64_t kProbeAmountStart = 1'000'000'000'000;

struct PaymentOptions {
  std::string destination;  // the receiver's ILP address (SPSP destination_account)
  Bytes shared_secret;      // 32 bytes (SPSP shared_secret)
  std::uint64_t source_amount = 0;
  Ratio minimum_rate;  // 0/1 accepts any rate
  std::size_t packets_in_flight_max = kPacketsInFlightMax;
  std::chrono::milliseconds packet_expiry = kPacketExpiry;
  std::chrono::milliseconds idle_timeout = kIdleTimeout;
  std::uint32_t retries_in_a_row_max = kRetriesInARowMax;
  std::chrono::milliseconds backoff_initial = kBackoffInitial;
  std::chrono::milliseconds backoff_max = kBackoffMax;
};

enum class PaymentError {
  kNone,
  kInvalidArgument,            // bad destination, secret, amount, rate or limits
  kRateProbeFailed,            // no authentic reply to any probe
  kInsufficientExchangeRate,   // the path's rate is below the minimum
  kConnectorError,             // a final reject other than the tolerated ones
  kRetriesExhausted,           // too many temporary / relative rejects in a row
  kIdleTimeout,                // nothing fulfilled for idle_timeout
  kClosedByReceiver,           // the receiver closed the connection or the stream
  kReceiverProtocolViolation,  // a Fulfill without an authentic reply, or below the minimum
  kMaxSafeEncryptionLimit,     // 2^31 packets on one connection
  kIncompatibleReceiveMax,     // the receiver's StreamMaxMoney is below what must arrive
};

// "InsufficientExchangeRate": @interledger/pay's names where it has one.
std::string_view payment_error_name(PaymentError error);

struct PaymentResult {
  std::uint64_t amount_sent = 0;       // source units in fulfilled packets
  std::uint64_t amount_delivered = 0;  // destination units the receiver reported receiving
  // Source units in packets whose outcome is unknown (only after a transport stopped
  // answering within the drain time).
  std::uint64_t amount_in_flight = 0;
  std::uint64_t max_packet_amount = UINT64_MAX;  // as discovered
  Ratio probed_rate;                             // lower bound: delivered / sent of a probe
  std::optional<Bytes> latest_receipt;           // the last StreamReceipt seen, if any
  std::uint64_t packets_sent = 0;                // Prepares, probes and close included
  PaymentError error = PaymentError::kNone;
  std::string reason;  // for humans: what stopped the payment
  bool ok() const { return error == PaymentError::kNone; }
};

// Pays options.source_amount to the destination through `send`. Never throws for a payment
// failure: the result says what was sent and delivered, and why it stopped. The sender's own
// state lives on a strand of the calling coroutine's executor; `send` is called on it.
boost::asio::awaitable<PaymentResult> pay(PrepareSender send, PaymentOptions options);

}  // namespace rafiki::ilp::stream
