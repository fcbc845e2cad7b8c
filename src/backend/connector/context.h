// The state of one ILP packet on its way through the connector's stage chain: the incoming
// Prepare (encoded and decoded), the incoming and outgoing accounts, the amount and expiry the
// stages rewrote, and the reply. A stage answers by setting `reply` (an encoded Fulfill or
// Reject); ctx.reject() builds connector rejects with the operator address as triggeredBy.
// Stages that find an ILP failure deep inside a helper may throw IlpError instead; the error
// handler stage turns it into the same Reject (reference/connector.md §4.2).
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/errors.h"
#include "base/money.h"
#include "base/time.h"
#include "base/uuid.h"
#include "ilp/packet.h"

namespace rafiki::ilp::stream {
class Receiver;
}

namespace rafiki::backend::connector {

struct AssetInfo {
  Uuid id;  // also the id of the asset's liquidity account
  std::string code;  // "USD"
  int scale = 0;     // 0..255
  std::uint32_t ledger = 0;
};

enum class AccountKind { kPeer, kWalletAddress, kIncomingPayment, kOutgoingPayment };

// An account the connector moves money from or to (reference/connector.md §2). Resolvers hand
// out shared immutable snapshots so the hot path copies a pointer, not strings.
struct Account {
  Uuid id;  // its ledger account's id
  AccountKind kind = AccountKind::kPeer;
  AssetInfo asset;
  Uuid tenant_id;
  // Peers only.
  std::optional<std::uint64_t> max_packet_amount;  // unset or 0: no limit
  std::string static_ilp_address;                  // empty: none
  std::optional<std::string> http_endpoint;        // outgoing ILP-over-HTTP URL
  std::optional<std::string> http_auth_token;      // outgoing bearer token; never logged
  std::optional<money::u128> liquidity_threshold;  // peer.liquidity_low below this
  // Incoming payments only: COMPLETED or EXPIRED, so only 0-amount packets may reach it.
  bool closed = false;

  bool is_local() const { return kind != AccountKind::kPeer; }
};
using AccountPtr = std::shared_ptr<const Account>;

// An ILP failure raised inside a stage's helpers (upstream's ILP error objects): the error
// handler answers with a Reject carrying this code, message and data.
class IlpError : public std::runtime_error {
 public:
  IlpError(std::string_view code, std::string message, Bytes data = {})
      : std::runtime_error(std::move(message)), code_(code), data_(std::move(data)) {}
  const std::string& code() const { return code_; }
  const Bytes& data() const { return data_; }

 private:
  std::string code_;
  Bytes data_;
};

// Message of the T00 reject for anything that is not an ILP error (as upstream words it).
inline constexpr std::string_view kInternalErrorMessage = "unexpected internal error";

struct Context {
  // Decodes `packet` (which must outlive the context). Fails as ilp::decode_prepare.
  static Result<Context> make(ByteView packet, AccountPtr incoming, std::string_view own_address);
  // `prepare` is `packet` already decoded (by the ILP-over-HTTP handler): not decoded again.
  static Context make(ByteView packet, const ilp::Prepare& prepare, AccountPtr incoming,
                      std::string_view own_address);

  // The Prepare as received (or as replaced by a stage: see replace_packet) and its decoded
  // view. Stages change prepare.amount and prepare.expires_at in place; `packet` keeps the
  // received bytes (the client stage patches a copy).
  ByteView packet;
  ilp::Prepare prepare;
  std::uint64_t source_amount = 0;  // amount as received, in the incoming asset
  TimePoint source_expires_at{};    // expiry as received

  AccountPtr incoming;
  AccountPtr outgoing;  // set by the account stage
  // Quote probes: money is never moved (reference/connector.md §1).
  bool unfulfillable = false;
  // STREAM payment tag decoded from the destination (incoming payment or wallet address id),
  // and the receiver of the incoming account's tenant that decoded it (set by the stream
  // address stage; the local receiver stage answers with it).
  std::optional<std::string> stream_destination;
  std::shared_ptr<const ilp::stream::Receiver> stream_receiver;
  // The operator's ILP address: triggeredBy of connector rejects. Borrowed from the chain owner.
  std::string_view own_address;

  // The answer: an encoded Fulfill or Reject; empty until a stage answers.
  Bytes reply;
  // Set by the balance stage for a local destination: credits the packet's money in the ledger
  // (throws IlpError T04 / runtime_error as the balance stage does; safe to retry). The local
  // receiver calls it once it is about to fulfill, so the money is credited before any STREAM
  // receipt counts it; `credited` says it succeeded.
  std::function<boost::asio::awaitable<void>()> credit_local;
  bool credited = false;

  bool amount_changed() const { return prepare.amount != source_amount; }
  bool expiry_changed() const { return prepare.expires_at != source_expires_at; }

  // Sets `reply` to a Reject from this connector. A message or data the encoder refuses (too
  // long, bad UTF-8) is dropped rather than failing the packet.
  void reject(std::string_view code, std::string_view message, ByteView data = {});
  void fulfill(const ilp::Fulfillment& fulfillment, ByteView data = {});

  // Replaces the packet being handled with `encoded` (owned by the context from now on), e.g.
  // the echo stage turning a ping into its answer. Fails as ilp::decode_prepare, changing
  // nothing. The new packet's amount and expiry count as received.
  Result<void> replace_packet(Bytes encoded);

 private:
  std::shared_ptr<Bytes> owned_packet_;
};

}  // namespace rafiki::backend::connector
