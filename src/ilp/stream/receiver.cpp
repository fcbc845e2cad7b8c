#include "ilp/stream/receiver.h"

#include <algorithm>
#include <exception>
#include <utility>

#include "base/encoding.h"
#include "base/time.h"
#include "crypto/aes_gcm.h"
#include "crypto/stream_keys.h"
#include "ilp/address.h"
#include "ilp/error_codes.h"
#include "ilp/oer.h"

namespace rafiki::ilp::stream {
namespace {

constexpr std::uint8_t kFlagPaymentTag = 0x01;
constexpr std::uint8_t kFlagReceipt = 0x02;
constexpr std::uint8_t kFlagAsset = 0x04;
// The stream every receipt of this receiver is for (stream-receiver's choice).
constexpr std::uint8_t kReceiptStreamId = 1;

Bytes encode_details(const ConnectionDetails& details) {
  Writer writer(64);
  std::uint8_t flags = 0;
  if (details.payment_tag) flags |= kFlagPaymentTag;
  if (details.receipt) flags |= kFlagReceipt;
  if (details.asset) flags |= kFlagAsset;
  writer.write_u8(flags);
  if (details.payment_tag) writer.write_var_octets(as_bytes(*details.payment_tag));
  if (details.receipt) {
    writer.write_bytes(details.receipt->nonce);
    writer.write_bytes(details.receipt->secret);
  }
  if (details.asset) {
    writer.write_var_octets(as_bytes(details.asset->code));
    writer.write_u8(details.asset->scale);
  }
  return std::move(writer).take();
}

std::optional<ConnectionDetails> decode_details(ByteView plaintext) {
  Reader reader(plaintext);
  auto flags = reader.read_u8();
  if (!flags) return std::nullopt;
  ConnectionDetails details;
  if (*flags & kFlagPaymentTag) {
    auto tag = reader.read_var_octets();
    if (!tag) return std::nullopt;
    details.payment_tag = to_string(*tag);
  }
  if (*flags & kFlagReceipt) {
    auto nonce = reader.read_bytes(kReceiptNonceBytes);
    if (!nonce) return std::nullopt;
    auto secret = reader.read_bytes(kReceiptSecretBytes);
    if (!secret) return std::nullopt;
    ReceiptDetails receipt;
    std::copy(nonce->begin(), nonce->end(), receipt.nonce.begin());
    std::copy(secret->begin(), secret->end(), receipt.secret.begin());
    details.receipt = receipt;
  }
  if (*flags & kFlagAsset) {
    auto code = reader.read_var_octets();
    if (!code) return std::nullopt;
    auto scale = reader.read_u8();
    if (!scale) return std::nullopt;
    details.asset = AssetDetails{to_string(*code), *scale};
  }
  return details;
}

// Node's base64 decoder, which stream-receiver uses, takes both alphabets and no padding.
std::optional<Bytes> decode_base64_any(std::string_view text) {
  std::string url(text);
  std::replace(url.begin(), url.end(), '+', '-');
  std::replace(url.begin(), url.end(), '/', '_');
  while (!url.empty() && url.back() == '=') url.pop_back();
  return encoding::base64url_decode(url);
}

// The token segment of a destination under `server_address`, or nullopt.
std::optional<std::string_view> token_segment(std::string_view destination,
                                              std::string_view server_address) {
  if (destination.size() <= server_address.size() + 1 || !destination.starts_with(server_address) ||
      destination[server_address.size()] != '.') {
    return std::nullopt;
  }
  std::string_view local = destination.substr(server_address.size() + 1);
  local = local.substr(0, local.find('.'));
  if (local.empty()) return std::nullopt;
  return local;
}

// The credentials of the connection whose encrypted token is `token`: its address under
// `server_address` and its shared secret. Fails with kErrBadCredentials when that address would
// not be a valid ILP address.
Result<Credentials> credentials_for_token(const std::string& server_address,
                                          ByteView shared_secret_generator, ByteView token) {
  Credentials credentials;
  credentials.ilp_address = server_address + "." + encoding::base64url_encode(token);
  if (!is_valid_address(credentials.ilp_address)) {
    return fail(kErrBadCredentials, "the connection's ILP address would be too long");
  }
  credentials.shared_secret =
      crypto::stream_connection_shared_secret(shared_secret_generator, token);
  return credentials;
}

bool has_frame(const Packet& packet, FrameType type) {
  return std::any_of(packet.frames.begin(), packet.frames.end(),
                     [type](const Frame& f) { return frame_type(f) == type; });
}

}  // namespace

namespace {
// Derives an address-bound token key from the plain one (ReceiverOptions::bind_token_to_address).
constexpr std::string_view kAddressBindingLabel = "rafiki_stream_token_address ";
}  // namespace

std::string connection_id(std::string_view destination) {
  return encoding::hex_encode(crypto::sha256(destination));
}

Result<Receiver> Receiver::create(ByteView server_secret, std::string server_address,
                                  ReceiverOptions options) {
  if (server_secret.size() != kServerSecretBytes) {
    return fail(kErrBadCredentials, "the STREAM server secret must be 32 bytes");
  }
  if (!is_valid_address(server_address)) {
    return fail(kErrBadCredentials, "the STREAM server address is not a valid ILP address");
  }
  Receiver receiver;
  receiver.server_address_ = std::move(server_address);
  receiver.token_key_ = crypto::stream_connection_token_key(server_secret);
  if (options.bind_token_to_address) {
    std::string label(kAddressBindingLabel);
    label += receiver.server_address_;
    receiver.token_key_ = crypto::hmac_sha256(receiver.token_key_, as_bytes(label));
  }
  receiver.shared_secret_generator_ = crypto::stream_shared_secret_generator(server_secret);
  receiver.options_ = options;
  return receiver;
}

Result<Credentials> Receiver::generate_credentials(const ConnectionDetails& details) const {
  auto token = crypto::stream_encrypt(token_key_, encode_details(details));
  if (!token) return std::unexpected(token.error());
  return credentials_for_token(server_address_, shared_secret_generator_, *token);
}

Result<Credentials> Receiver::generate_credentials_with_iv(const ConnectionDetails& details,
                                                           ByteView iv) const {
  auto token = crypto::stream_encrypt_with_iv(token_key_, iv, encode_details(details));
  if (!token) return std::unexpected(token.error());
  return credentials_for_token(server_address_, shared_secret_generator_, *token);
}

std::optional<ConnectionDetails> Receiver::decode_destination(std::string_view destination) const {
  auto segment = token_segment(destination, server_address_);
  if (!segment) return std::nullopt;
  auto token = decode_base64_any(*segment);
  if (!token) return std::nullopt;
  auto plaintext = crypto::stream_decrypt(token_key_, *token);
  if (!plaintext) return std::nullopt;
  return decode_details(*plaintext);
}

boost::asio::awaitable<Bytes> Receiver::handle_prepare(const Prepare& prepare,
                                                       const MoneyHandler& on_money) const {
  auto reject = [this](std::string_view code, ByteView data = {}) {
    Reject r;
    r.code = code;
    r.triggered_by = server_address_;
    r.data = data;
    auto bytes = encode_reject(r);
    // Our code and address are valid and data fits, so this cannot fail.
    return bytes ? std::move(*bytes) : Bytes{};
  };

  if (prepare.expires_at <= now_ms()) co_return reject(kR00TransferTimedOut);
  if (prepare.amount > options_.max_packet_amount) {
    AmountTooLargeData too_large;
    too_large.received_amount = prepare.amount;
    too_large.maximum_amount = options_.max_packet_amount;
    Bytes data = encode_amount_too_large_data(too_large);
    co_return reject(kF08AmountTooLarge, data);
  }

  auto segment = token_segment(prepare.destination, server_address_);
  if (!segment) co_return reject(kF02Unreachable);
  auto token = decode_base64_any(*segment);
  if (!token) co_return reject(kF06UnexpectedPayment);
  auto token_plaintext = crypto::stream_decrypt(token_key_, *token);
  if (!token_plaintext) co_return reject(kF06UnexpectedPayment);
  auto details = decode_details(*token_plaintext);
  if (!details) co_return reject(kF06UnexpectedPayment);

  auto shared_secret = crypto::stream_connection_shared_secret(shared_secret_generator_, *token);
  auto keys = derive_keys(shared_secret);
  if (!keys) co_return reject(kT00InternalError);
  auto request = decrypt_packet(*keys, prepare.data);
  if (!request) co_return reject(kF06UnexpectedPayment);
  if (request->ilp_packet_type != PacketType::kPrepare) co_return reject(kF00BadRequest);

  // From here on every answer carries an encrypted STREAM reply telling the sender what arrived.
  Packet reply;
  reply.sequence = request->sequence;
  reply.ilp_packet_type = PacketType::kReject;
  reply.prepare_amount = prepare.amount;
  auto reject_with_reply = [&](std::string_view code) {
    reply.ilp_packet_type = PacketType::kReject;
    Bytes data = encrypt_packet(*keys, reply);
    return reject(code, data);
  };
  auto fulfill_with_reply = [&](const Fulfillment& fulfillment) {
    reply.ilp_packet_type = PacketType::kFulfill;
    Bytes data = encrypt_packet(*keys, reply);
    Fulfill f;
    f.fulfillment = fulfillment;
    f.data = data;
    auto bytes = encode_fulfill(f);
    return bytes ? std::move(*bytes) : Bytes{};
  };

  if (has_frame(*request, FrameType::kConnectionClose)) {
    reply.frames.push_back(ConnectionClose{});
    co_return reject_with_reply(kF99ApplicationError);
  }
  if (has_frame(*request, FrameType::kConnectionNewAddress) && details->asset) {
    reply.frames.push_back(ConnectionAssetDetails{details->asset->code, details->asset->scale});
  }
  Fulfillment fulfillment = fulfillment_for(*keys, prepare.data);
  if (!fulfillment_matches(fulfillment, prepare.execution_condition)) {
    co_return reject_with_reply(options_.f99_for_condition_and_minimum ? kF99ApplicationError
                                                                       : kF05WrongCondition);
  }
  if (prepare.amount == 0) co_return fulfill_with_reply(fulfillment);
  if (prepare.amount < request->prepare_amount) {
    co_return reject_with_reply(options_.f99_for_condition_and_minimum
                                    ? kF99ApplicationError
                                    : kF04InsufficientDestinationAmount);
  }

  IncomingMoney money;
  money.connection_id = connection_id(prepare.destination);
  money.details = *details;
  money.amount = prepare.amount;
  for (Frame& frame : request->frames) {
    if (auto* data = std::get_if<StreamData>(&frame)) money.data.push_back(std::move(*data));
  }
  MoneyAnswer answer;
  bool handler_failed = false;
  try {
    answer = co_await on_money(std::move(money));
  } catch (const std::exception&) {
    handler_failed = true;
  }
  if (handler_failed || answer.decision == MoneyDecision::kTemporaryDecline) {
    co_return reject_with_reply(kT00InternalError);
  }
  if (answer.decision == MoneyDecision::kFinalDecline) {
    reply.frames.push_back(ConnectionClose{});
    if (!answer.application_data.empty()) {
      reply.frames.push_back(StreamData{1, 0, std::move(answer.application_data)});
    }
    co_return reject_with_reply(kF99ApplicationError);
  }
  if (details->receipt && answer.total_received) {
    reply.frames.push_back(StreamReceipt{
        kReceiptStreamId, create_receipt(details->receipt->nonce, details->receipt->secret,
                                         kReceiptStreamId, *answer.total_received)});
  }
  co_return fulfill_with_reply(fulfillment);
}

}  // namespace rafiki::ilp::stream
