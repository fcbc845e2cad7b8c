#include "ilp/stream/sender.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <deque>
#include <exception>
#include <memory>
#include <utility>

#include "base/money.h"
#include "base/time.h"
#include "crypto/random.h"
#include "ilp/address.h"
#include "ilp/error_codes.h"
#include "ilp/packet.h"
#include "ilp/stream/frames.h"
#include "ilp/stream/packet.h"

namespace rafiki::ilp::stream {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using money::u128;

// The stream all money goes on (as @interledger/pay).
constexpr std::uint64_t kMoneyStreamId = 1;
// After the payment stops, how long in-flight packets may take to come back beyond their
// expiry before the sender reports them as still in flight.
constexpr std::chrono::milliseconds kDrainGrace{1'000};
// Without F08 data, the probe's search for the maximum packet amount stops once the gap
// between what passed and what failed is below 1/kSearchPrecision of the latter.
constexpr std::uint64_t kSearchPrecision = 50;

std::uint64_t mul_div_u64(std::uint64_t amount, const Ratio& rate, money::Rounding rounding) {
  auto value = money::mul_div(amount, rate.numerator, rate.denominator, rounding);
  if (!value || *value > UINT64_MAX) return UINT64_MAX;
  return static_cast<std::uint64_t>(*value);
}

// a/b < c/d for fractions with nonzero denominators.
bool less_than(const Ratio& a, const Ratio& b) {
  return u128{a.numerator} * b.denominator < u128{b.numerator} * a.denominator;
}

std::string describe_reject(std::string_view code, std::string_view triggered_by,
                            std::string_view message) {
  std::string out(code);
  if (auto name = error_code_name(code); !name.empty()) out += " " + std::string(name);
  if (!triggered_by.empty()) out += " from " + std::string(triggered_by);
  if (!message.empty()) out += ": " + std::string(message);
  return out;
}

// What came back for one Prepare.
struct Outcome {
  bool fulfilled = false;
  std::string code;  // reject code (a transport failure reads as T00, a garbled reply as F01)
  std::string description;
  Bytes reject_data;
  std::optional<Packet> reply;  // the receiver's authentic STREAM reply, if any
};

struct Completion {
  std::uint64_t amount = 0;
  std::uint64_t minimum_delivery = 0;
  Outcome outcome;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(asio::strand<asio::any_io_executor> strand, PrepareSender send, PaymentOptions options,
          ConnectionKeys keys)
      : strand_(strand),
        wake_(strand),
        send_(std::move(send)),
        options_(std::move(options)),
        keys_(keys) {}

  asio::awaitable<PaymentResult> run();

 private:
  // One Prepare out, its reply classified. Never throws for network problems.
  asio::awaitable<Outcome> exchange(std::uint64_t amount, std::uint64_t minimum_delivery,
                                    bool probe, std::vector<Frame> extra_frames);
  static asio::awaitable<void> send_money(std::shared_ptr<Session> self, std::uint64_t amount,
                                          std::uint64_t minimum_delivery);

  asio::awaitable<bool> probe();
  asio::awaitable<void> send_all();
  asio::awaitable<void> drain();
  asio::awaitable<void> close();
  asio::awaitable<void> sleep(Clock::duration duration);

  void stop(PaymentError error, std::string reason) {
    if (result_.error != PaymentError::kNone) return;
    result_.error = error;
    result_.reason = std::move(reason);
  }
  bool stopped() const { return result_.error != PaymentError::kNone; }
  // Lowers the max packet amount after an F08 for a packet of `amount`; false when the F08
  // leaves nothing that can be sent.
  // Without F08 data the probe steps to amount - 1 (then searches); a payment halves.
  bool lower_max_packet(std::uint64_t amount, const Outcome& outcome, bool halve_if_imprecise);
  // Counts a tolerated reject; false (after stopping) once too many came in a row.
  bool count_retry(const Outcome& outcome);
  Clock::duration backoff() const;
  void note_rate(std::uint64_t amount, const Outcome& outcome);
  // Stops the payment when the receiver's StreamMaxMoney for our stream cannot take the least
  // the payment must deliver.
  bool receive_max_too_low(const Outcome& outcome);
  void note_receipt(const Outcome& outcome);
  bool closed_by_receiver(const Outcome& outcome);
  void handle(Completion completion);

  asio::strand<asio::any_io_executor> strand_;
  asio::steady_timer wake_;
  PrepareSender send_;
  PaymentOptions options_;
  ConnectionKeys keys_;
  PaymentResult result_;

  std::uint64_t next_sequence_ = 0;
  bool established_ = false;
  bool max_packet_precise_ = false;
  bool rate_known_ = false;
  std::uint64_t minimum_total_delivery_ = 0;
  std::uint64_t in_flight_amount_ = 0;
  std::size_t in_flight_packets_ = 0;
  std::uint32_t retries_in_a_row_ = 0;
  Clock::time_point backoff_until_{};
  Clock::time_point last_progress_{};
  std::deque<Completion> completions_;
};

asio::awaitable<Outcome> Session::exchange(std::uint64_t amount, std::uint64_t minimum_delivery,
                                           bool probe, std::vector<Frame> extra_frames) {
  Outcome outcome;
  if (next_sequence_ >= kPacketsPerConnectionMax) {
    stop(PaymentError::kMaxSafeEncryptionLimit, "2^31 packets sent on this connection");
    outcome.code = std::string(kF99ApplicationError);
    co_return outcome;
  }
  Packet request;
  request.sequence = next_sequence_++;
  request.ilp_packet_type = PacketType::kPrepare;
  request.prepare_amount = minimum_delivery;
  if (!established_) {
    // Until the receiver has answered once: we open no streams and take no data from it.
    request.frames.push_back(ConnectionMaxStreamId{1});
    request.frames.push_back(ConnectionMaxData{0});
  }
  if (amount > 0 && !probe) request.frames.push_back(StreamMoney{kMoneyStreamId, 1});
  for (Frame& frame : extra_frames) request.frames.push_back(std::move(frame));

  Bytes data = encrypt_packet(keys_, request);
  Fulfillment expected = fulfillment_for(keys_, data);
  Prepare prepare;
  prepare.amount = amount;
  prepare.expires_at = now_ms() + options_.packet_expiry;
  if (probe) {
    crypto::fill_random(prepare.execution_condition);  // nobody can fulfill a probe
  } else {
    prepare.execution_condition = condition_of(expected);
  }
  prepare.destination = options_.destination;
  prepare.data = data;
  auto encoded = encode_prepare(prepare);
  if (!encoded) {  // the destination was validated up front; this is not expected
    outcome.code = std::string(kF01InvalidPacket);
    outcome.description = "cannot encode the Prepare: " + encoded.error().message;
    co_return outcome;
  }

  ++result_.packets_sent;
  Result<Bytes> reply_bytes = fail("ilp.stream.transport", "no reply");
  try {
    reply_bytes = co_await send_(std::move(*encoded));
  } catch (const std::exception& e) {
    reply_bytes = fail("ilp.stream.transport", e.what());
  }
  if (!reply_bytes) {
    outcome.code = std::string(kT00InternalError);
    outcome.description = "no reply: " + reply_bytes.error().message;
    co_return outcome;
  }
  auto reply = decode_reply(*reply_bytes);
  if (!reply) {
    outcome.code = std::string(kF01InvalidPacket);
    outcome.description = "unreadable reply: " + reply.error().message;
    co_return outcome;
  }

  ByteView reply_data;
  PacketType reply_type = PacketType::kReject;
  if (auto* fulfill = std::get_if<Fulfill>(&*reply)) {
    if (probe || fulfill->fulfillment != expected) {
      // A connector checks fulfillments, so no money moved for this one.
      outcome.code = std::string(kF05WrongCondition);
      outcome.description = "F05 fulfillment does not match the condition";
      co_return outcome;
    }
    outcome.fulfilled = true;
    reply_data = fulfill->data;
    reply_type = PacketType::kFulfill;
  } else {
    const Reject& reject = std::get<Reject>(*reply);
    outcome.code = std::string(reject.code);
    outcome.description = describe_reject(reject.code, reject.triggered_by, reject.message);
    outcome.reject_data.assign(reject.data.begin(), reject.data.end());
    reply_data = reject.data;
  }
  if (!reply_data.empty()) {
    auto packet = decrypt_packet(keys_, reply_data);
    // Authentic: ours, for this request, and not claiming a Reject on a Fulfill (what
    // @interledger/pay accepts).
    if (packet && packet->sequence == request.sequence &&
        !(reply_type == PacketType::kFulfill && packet->ilp_packet_type == PacketType::kReject)) {
      outcome.reply = std::move(*packet);
      established_ = true;
    }
  }
  co_return outcome;
}

void Session::note_rate(std::uint64_t amount, const Outcome& outcome) {
  if (!outcome.reply || amount == 0) return;
  Ratio seen{outcome.reply->prepare_amount, amount};
  Ratio& known = result_.probed_rate;
  // What arrived is floored on the way, so the rate lies in [d/s, (d+1)/s). Keep the most
  // precise observation (largest s), unless a new one proves the rate fell below it.
  Ratio seen_upper{outcome.reply->prepare_amount + 1, amount};
  bool unset = !rate_known_;
  bool fell = rate_known_ && !less_than(known, seen_upper);
  if (unset || fell || amount >= known.denominator) {
    known = seen;
    rate_known_ = true;
  }
}

bool Session::receive_max_too_low(const Outcome& outcome) {
  if (!outcome.reply) return false;
  for (const Frame& frame : outcome.reply->frames) {
    auto* max = std::get_if<StreamMaxMoney>(&frame);
    if (max && max->stream_id == kMoneyStreamId && max->receive_max < minimum_total_delivery_) {
      stop(PaymentError::kIncompatibleReceiveMax,
           "the receiver accepts at most " + std::to_string(max->receive_max) +
               " on the stream, the payment must deliver at least " +
               std::to_string(minimum_total_delivery_));
      return true;
    }
  }
  return false;
}

void Session::note_receipt(const Outcome& outcome) {
  if (!outcome.reply) return;
  for (const Frame& frame : outcome.reply->frames) {
    if (auto* receipt = std::get_if<StreamReceipt>(&frame))
      result_.latest_receipt = receipt->receipt;
  }
}

bool Session::closed_by_receiver(const Outcome& outcome) {
  if (!outcome.reply) return false;
  for (const Frame& frame : outcome.reply->frames) {
    if (auto* close = std::get_if<ConnectionClose>(&frame)) {
      std::string reason = "the receiver closed the connection";
      if (!close->message.empty()) reason += ": " + close->message;
      for (const Frame& f : outcome.reply->frames) {
        if (auto* data = std::get_if<StreamData>(&f); data && !data->data.empty()) {
          reason += " (application data: " + to_string(data->data) + ")";
        }
      }
      stop(PaymentError::kClosedByReceiver, reason);
      return true;
    }
    if (auto* close = std::get_if<StreamClose>(&frame);
        close && close->stream_id == kMoneyStreamId) {
      stop(PaymentError::kClosedByReceiver, "the receiver closed the money stream");
      return true;
    }
  }
  return false;
}

bool Session::lower_max_packet(std::uint64_t amount, const Outcome& outcome,
                               bool halve_if_imprecise) {
  std::uint64_t new_max = 0;
  bool precise = false;
  auto data = decode_amount_too_large_data(outcome.reject_data);
  if (data && data->received_amount > data->maximum_amount) {
    // The max is in the units where it was enforced; scale it back to ours (rounding down).
    auto scaled =
        money::mul_div(data->maximum_amount, amount, data->received_amount, money::Rounding::kDown);
    new_max = scaled ? static_cast<std::uint64_t>(*scaled) : 0;
    precise = true;
  } else if (data) {
    return true;  // says the amount was fine: nothing learned, handled as a retry
  } else {
    new_max = halve_if_imprecise ? amount / 2 : (amount == 0 ? 0 : amount - 1);
  }
  if (new_max < result_.max_packet_amount) {
    result_.max_packet_amount = new_max;
    max_packet_precise_ = precise;
  }
  if (result_.max_packet_amount == 0) {
    stop(PaymentError::kConnectorError,
         "the path's maximum packet amount is 0 (" + outcome.description + ")");
    return false;
  }
  return true;
}

bool Session::count_retry(const Outcome& outcome) {
  ++retries_in_a_row_;
  if (retries_in_a_row_ > options_.retries_in_a_row_max) {
    stop(PaymentError::kRetriesExhausted,
         std::to_string(retries_in_a_row_) + " rejects in a row, the last " + outcome.description);
    return false;
  }
  backoff_until_ = Clock::now() + backoff();
  return true;
}

Clock::duration Session::backoff() const {
  auto delay = options_.backoff_initial;
  for (std::uint32_t i = 1; i < retries_in_a_row_ && delay < options_.backoff_max; ++i) delay *= 2;
  return std::min(delay, options_.backoff_max);
}

asio::awaitable<void> Session::sleep(Clock::duration duration) {
  asio::steady_timer timer(strand_);
  timer.expires_after(duration);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

// Tolerated rejects: temporary and relative ones, F99 (an application's refusal), and F04/F05
// when the receiver answered authentically (newer receivers use them where older ones said F99).
bool tolerated(const Outcome& outcome) {
  auto family = error_family(outcome.code);
  if (family == ErrorFamily::kTemporary || family == ErrorFamily::kRelative) return true;
  if (outcome.code == kF99ApplicationError) return true;
  if (outcome.reply &&
      (outcome.code == kF04InsufficientDestinationAmount || outcome.code == kF05WrongCondition)) {
    return true;
  }
  return false;
}

asio::awaitable<bool> Session::probe() {
  std::uint64_t amount = kProbeAmountStart;
  std::uint64_t verified = 0;
  bool any_authentic = false;
  auto deadline = Clock::now() + options_.idle_timeout;
  for (std::uint32_t sent = 0; sent < kProbePacketsMax; ++sent) {
    if (Clock::now() >= deadline) break;
    std::vector<Frame> no_frames;  // named: g++ 12 mishandles braced temporaries in co_await
    Outcome outcome = co_await exchange(amount, 0, /*probe=*/true, std::move(no_frames));
    if (stopped()) co_return false;
    if (closed_by_receiver(outcome) || receive_max_too_low(outcome)) co_return false;
    if (outcome.reply) {
      any_authentic = true;
      retries_in_a_row_ = 0;
      note_rate(amount, outcome);
      verified = std::max(verified, amount);
      if (result_.max_packet_amount == UINT64_MAX) co_return true;  // no limit found
      if (verified >= result_.max_packet_amount) co_return true;
      if (verified >= options_.source_amount) {
        // The whole payment fits in a packet known to pass: no need to search further.
        if (!max_packet_precise_) result_.max_packet_amount = verified;
        co_return true;
      }
      if (!max_packet_precise_ &&
          result_.max_packet_amount - verified <= result_.max_packet_amount / kSearchPrecision) {
        result_.max_packet_amount = verified;  // close enough: use what is known to pass
        co_return true;
      }
      // Binary search between what got through and the (imprecise) maximum.
      amount = verified + (result_.max_packet_amount - verified + 1) / 2;
      continue;
    }
    if (outcome.code == kF08AmountTooLarge) {
      if (!lower_max_packet(amount, outcome, false)) co_return false;
      if (amount <= result_.max_packet_amount) {  // an F08 that taught nothing
        if (!count_retry(outcome)) co_return false;
        co_await sleep(backoff());
        continue;
      }
      if (verified >= result_.max_packet_amount) co_return any_authentic;
      amount = max_packet_precise_ ? result_.max_packet_amount
                                   : verified + (result_.max_packet_amount - verified + 1) / 2;
      continue;
    }
    if (tolerated(outcome)) {
      if (!count_retry(outcome)) co_return false;
      co_await sleep(backoff());
      continue;
    }
    stop(PaymentError::kConnectorError, "rate probe rejected: " + outcome.description);
    co_return false;
  }
  if (any_authentic) {
    // Out of probes: only what got through is known to pass.
    if (!max_packet_precise_ && verified > 0) {
      result_.max_packet_amount = std::min(result_.max_packet_amount, verified);
    }
    co_return true;
  }
  stop(PaymentError::kRateProbeFailed, "no authentic reply from the receiver to any probe");
  co_return false;
}

asio::awaitable<void> Session::send_money(std::shared_ptr<Session> self, std::uint64_t amount,
                                          std::uint64_t minimum_delivery) {
  Completion completion;
  completion.amount = amount;
  completion.minimum_delivery = minimum_delivery;
  std::vector<Frame> no_frames;  // named: g++ 12 mishandles braced temporaries in co_await
  completion.outcome =
      co_await self->exchange(amount, minimum_delivery, false, std::move(no_frames));
  self->completions_.push_back(std::move(completion));
  self->wake_.cancel();
}

void Session::handle(Completion completion) {
  --in_flight_packets_;
  in_flight_amount_ -= completion.amount;
  const Outcome& outcome = completion.outcome;
  note_receipt(outcome);
  if (outcome.fulfilled) {
    result_.amount_sent += completion.amount;
    last_progress_ = Clock::now();
    retries_in_a_row_ = 0;
    if (!outcome.reply) {
      result_.amount_delivered += completion.minimum_delivery;
      stop(PaymentError::kReceiverProtocolViolation, "a Fulfill without an authentic reply");
      return;
    }
    result_.amount_delivered +=
        std::max(completion.minimum_delivery, outcome.reply->prepare_amount);
    if (outcome.reply->prepare_amount < completion.minimum_delivery) {
      stop(PaymentError::kReceiverProtocolViolation,
           "the receiver fulfilled a packet reporting less than the minimum");
    }
    receive_max_too_low(outcome);
    return;
  }
  if (closed_by_receiver(outcome) || receive_max_too_low(outcome)) return;
  // The receiver told us what arrived: keep the rate current (it is what limits packets).
  note_rate(completion.amount, outcome);
  if (outcome.code == kF08AmountTooLarge) {
    if (lower_max_packet(completion.amount, outcome, true) &&
        completion.amount <= result_.max_packet_amount) {
      count_retry(outcome);
    }
    return;
  }
  if (tolerated(outcome)) {
    count_retry(outcome);
    return;
  }
  stop(PaymentError::kConnectorError, outcome.description);
}

asio::awaitable<void> Session::send_all() {
  const std::uint64_t total = options_.source_amount;
  last_progress_ = Clock::now();
  while (!stopped() && result_.amount_sent < total) {
    while (!completions_.empty()) {
      handle(std::move(completions_.front()));
      completions_.pop_front();
    }
    if (stopped() || result_.amount_sent >= total) break;
    auto now = Clock::now();
    if (now - last_progress_ >= options_.idle_timeout) {
      stop(PaymentError::kIdleTimeout,
           "nothing fulfilled for " + std::to_string(options_.idle_timeout.count()) + " ms");
      break;
    }
    std::uint64_t available = total - result_.amount_sent - in_flight_amount_;
    if (available > 0 && in_flight_packets_ < options_.packets_in_flight_max &&
        now >= backoff_until_) {
      std::uint64_t amount = std::min(available, result_.max_packet_amount);
      bool completes = amount == available;
      // The packet that completes the payment may lose one unit to rounding on the way.
      std::uint64_t minimum =
          mul_div_u64(completes ? amount - 1 : amount, options_.minimum_rate, money::Rounding::kUp);
      std::uint64_t expected = mul_div_u64(amount, result_.probed_rate, money::Rounding::kDown);
      if (expected < minimum) {
        stop(PaymentError::kInsufficientExchangeRate,
             "a packet of " + std::to_string(amount) + " would deliver " +
                 std::to_string(expected) + ", below the minimum " + std::to_string(minimum));
        break;
      }
      ++in_flight_packets_;
      in_flight_amount_ += amount;
      asio::co_spawn(strand_, send_money(shared_from_this(), amount, minimum), asio::detached);
      continue;
    }
    // Wait for a reply, the end of a backoff, or the idle deadline.
    auto wake_at = last_progress_ + options_.idle_timeout;
    if (backoff_until_ > now && available > 0) wake_at = std::min(wake_at, backoff_until_);
    wake_.expires_at(wake_at);
    co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<void> Session::drain() {
  auto give_up_at = Clock::now() + options_.packet_expiry + kDrainGrace;
  while (in_flight_packets_ > 0) {
    while (!completions_.empty()) {
      handle(std::move(completions_.front()));
      completions_.pop_front();
    }
    if (in_flight_packets_ == 0 || Clock::now() >= give_up_at) break;
    wake_.expires_at(give_up_at);
    co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  result_.amount_in_flight = in_flight_amount_;
}

asio::awaitable<void> Session::close() {
  std::vector<Frame> frames;
  frames.push_back(ConnectionClose{});
  Outcome outcome = co_await exchange(0, 0, false, std::move(frames));
  note_receipt(outcome);
}

asio::awaitable<PaymentResult> Session::run() {
  // As @interledger/pay's fixed-send minimum: one unit may be lost to rounding.
  minimum_total_delivery_ =
      mul_div_u64(options_.source_amount - 1, options_.minimum_rate, money::Rounding::kUp);
  if (co_await probe()) {
    Ratio rate = result_.probed_rate;
    if (less_than(rate, options_.minimum_rate)) {
      stop(PaymentError::kInsufficientExchangeRate,
           "probed rate " + std::to_string(rate.numerator) + "/" +
               std::to_string(rate.denominator) + " is below the minimum " +
               std::to_string(options_.minimum_rate.numerator) + "/" +
               std::to_string(options_.minimum_rate.denominator));
    } else {
      co_await send_all();
      co_await drain();
    }
  } else {
    stop(PaymentError::kRateProbeFailed, "the rate probe did not finish");  // no-op if stopped
  }
  if (result_.error != PaymentError::kClosedByReceiver &&
      result_.error != PaymentError::kMaxSafeEncryptionLimit && established_) {
    co_await close();
  }
  co_return result_;
}

asio::awaitable<PaymentResult> run_session(std::shared_ptr<Session> session) {
  co_return co_await session->run();
}

}  // namespace

std::string_view payment_error_name(PaymentError error) {
  switch (error) {
    case PaymentError::kNone:
      return "None";
    case PaymentError::kInvalidArgument:
      return "InvalidArgument";
    case PaymentError::kRateProbeFailed:
      return "RateProbeFailed";
    case PaymentError::kInsufficientExchangeRate:
      return "InsufficientExchangeRate";
    case PaymentError::kConnectorError:
      return "ConnectorError";
    case PaymentError::kRetriesExhausted:
      return "RetriesExhausted";
    case PaymentError::kIdleTimeout:
      return "IdleTimeout";
    case PaymentError::kClosedByReceiver:
      return "ClosedByReceiver";
    case PaymentError::kReceiverProtocolViolation:
      return "ReceiverProtocolViolation";
    case PaymentError::kMaxSafeEncryptionLimit:
      return "MaxSafeEncryptionLimit";
    case PaymentError::kIncompatibleReceiveMax:
      return "IncompatibleReceiveMax";
  }
  return "Unknown";
}

asio::awaitable<PaymentResult> pay(PrepareSender send, PaymentOptions options) {
  PaymentResult invalid;
  invalid.error = PaymentError::kInvalidArgument;
  auto keys = derive_keys(options.shared_secret);
  if (!keys) {
    invalid.reason = "the shared secret must be 32 bytes";
    co_return invalid;
  }
  if (!is_valid_address(options.destination)) {
    invalid.reason = "the destination is not a valid ILP address";
    co_return invalid;
  }
  if (options.source_amount == 0) {
    invalid.reason = "the source amount must be positive";
    co_return invalid;
  }
  if (options.minimum_rate.denominator == 0) {
    invalid.reason = "the minimum rate has a zero denominator";
    co_return invalid;
  }
  if (options.packets_in_flight_max == 0 || options.packet_expiry.count() <= 0 ||
      options.idle_timeout.count() <= 0 || options.backoff_initial.count() <= 0 ||
      options.backoff_max < options.backoff_initial || !send) {
    invalid.reason = "the limits must be positive and a send function given";
    co_return invalid;
  }
  auto strand = asio::make_strand(co_await asio::this_coro::executor);
  auto session = std::make_shared<Session>(strand, std::move(send), std::move(options), *keys);
  co_return co_await asio::co_spawn(strand, run_session(session), asio::use_awaitable);
}

}  // namespace rafiki::ilp::stream
