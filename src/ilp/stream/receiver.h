// A stateless STREAM receiver (RFC 29), compatible with @interledger/stream-receiver, the
// receiver Rafiki runs. Nothing is stored per connection: the destination address of each
// Prepare is `<server address>.<base64url token>`, where the token is the connection's details
// (payment tag, receipt nonce/secret, asset) AES-256-GCM-encrypted under a key derived from the
// server secret; the connection's shared secret is an HMAC of the token. So any number of
// processes holding the same server secret can answer for the same connection.
//
// handle_prepare answers one ILP Prepare, in stream-receiver's order (reference notes §7.8),
// after two checks of its own (R00 for an expired Prepare, F08 above a configured maximum):
// F02 (not our address), F06 (bad token or undecryptable data), F00 (STREAM packet not on a
// Prepare), F99 + ConnectionClose (the sender closes), F05 (wrong condition), Fulfill for a
// 0-amount packet, F04 (less arrived than the sender's minimum), then money goes to the
// application's handler, which accepts (Fulfill, with a STREAM receipt when the token carries
// receipt details and the handler reports the total), declines for now (T00) or for good
// (F99 + ConnectionClose). Money is only ever offered to the handler for a Prepare this
// receiver will fulfill if the handler accepts.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/errors.h"
#include "crypto/hash.h"
#include "ilp/packet.h"
#include "ilp/stream/frames.h"
#include "ilp/stream/packet.h"
#include "ilp/stream/receipt.h"

namespace rafiki::ilp::stream {

inline constexpr std::size_t kServerSecretBytes = 32;

// Error::code of the receiver's set-up and credential generation.
inline constexpr const char* kErrBadCredentials = "ilp.stream.bad_credentials";

struct AssetDetails {
  std::string code;
  std::uint8_t scale = 0;
  bool operator==(const AssetDetails&) const = default;
};

struct ReceiptDetails {
  ReceiptNonce nonce{};
  ReceiptSecret secret{};
  bool operator==(const ReceiptDetails&) const = default;
};

// What a connection token carries; every part optional.
struct ConnectionDetails {
  std::optional<std::string> payment_tag;  // the application's id for the payment (ASCII)
  std::optional<ReceiptDetails> receipt;
  std::optional<AssetDetails> asset;
  bool operator==(const ConnectionDetails&) const = default;
};

// What a sender needs (SPSP destination_account / shared_secret).
struct Credentials {
  std::string ilp_address;
  std::array<std::uint8_t, kSharedSecretBytes> shared_secret{};
};

// A Prepare carrying money the receiver is about to fulfill, offered to the application.
struct IncomingMoney {
  std::string connection_id;  // hex SHA-256 of the destination address: stable per connection
  ConnectionDetails details;
  std::uint64_t amount = 0;      // what arrived, in the receiver's units
  std::vector<StreamData> data;  // StreamData frames of the Prepare (application data)
};

enum class MoneyDecision {
  kAccept,            // Fulfill
  kTemporaryDecline,  // Reject T00 with a STREAM reply; the sender may retry
  kFinalDecline,      // Reject F99 with ConnectionClose: the sender stops
};

struct MoneyAnswer {
  MoneyDecision decision = MoneyDecision::kAccept;
  // On accept: the connection's total received including this packet; with receipt details in
  // the token, a StreamReceipt for stream 1 over this total is added to the Fulfill.
  std::optional<std::uint64_t> total_received;
  // On final decline: sent back in a StreamData frame (stream 1, offset 0) when not empty.
  Bytes application_data;
};

// Called once per acceptable money Prepare. It credits the money and answers kAccept only if
// the Fulfill may go out; anything else (including throwing) means nothing was credited.
using MoneyHandler = std::function<boost::asio::awaitable<MoneyAnswer>(IncomingMoney)>;

struct ReceiverOptions {
  // Answer a wrong condition and a below-minimum amount with F99 (what ilp-protocol-stream's
  // server does, which @interledger/pay 0.4.0-alpha.9 needs) instead of stream-receiver's F05
  // and F04. The encrypted STREAM reply is the same either way.
  bool f99_for_condition_and_minimum = false;
  // Packets above this amount are rejected F08 with the amount-too-large data.
  std::uint64_t max_packet_amount = UINT64_MAX;
  // Bind tokens to the server address they were issued under: the token key is derived from
  // the server secret *and* the address, so a token moved under another address (another
  // tenant's, with the same server secret) does not decrypt there. Off by default so that
  // stream-receiver's published vectors reproduce; Rafiki's backend turns it on.
  bool bind_token_to_address = false;
};

class Receiver {
 public:
  // Fails with kErrBadCredentials when the secret is not kServerSecretBytes long or the address
  // is not a valid ILP address.
  static Result<Receiver> create(ByteView server_secret, std::string server_address,
                                 ReceiverOptions options = {});

  const std::string& server_address() const { return server_address_; }

  // A fresh connection (random token IV each call). Fails with kErrBadCredentials when the
  // resulting address would be over 1023 bytes or not valid (e.g. an over-long payment tag).
  Result<Credentials> generate_credentials(const ConnectionDetails& details) const;
  // The same with a chosen 12-byte IV, to reproduce published vectors only.
  Result<Credentials> generate_credentials_with_iv(const ConnectionDetails& details,
                                                   ByteView iv) const;

  // The details of a destination address made by generate_credentials (any later address
  // segments are ignored); nullopt when it is not under our address or the token is not ours.
  std::optional<ConnectionDetails> decode_destination(std::string_view destination) const;

  // The encoded Fulfill or Reject answering `prepare`. `prepare` (and what it borrows) and
  // `on_money` must live until the returned awaitable completes. Never fails: every problem is
  // a Reject (triggeredBy our address, empty message).
  boost::asio::awaitable<Bytes> handle_prepare(const Prepare& prepare,
                                               const MoneyHandler& on_money) const;

 private:
  Receiver() = default;

  std::string server_address_;
  crypto::Sha256Digest token_key_{};
  crypto::Sha256Digest shared_secret_generator_{};
  ReceiverOptions options_;
};

// hex(SHA-256(destination)): the connection id stream-receiver gives the application.
std::string connection_id(std::string_view destination);

}  // namespace rafiki::ilp::stream
