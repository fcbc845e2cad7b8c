#include "ilp/packet.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "crypto/hash.h"
#include "ilp/error_codes.h"
#include "ilp/oer.h"

namespace rafiki::ilp {
namespace {

constexpr std::size_t kAmountBytes = 8;

#define RAFIKI_ILP_TRY(var, expr) \
  auto var = (expr);              \
  if (!var) return std::unexpected(std::move(var.error()))

// The contents of an envelope of the expected type; refuses bytes after the envelope.
Result<ByteView> open_envelope(ByteView packet, PacketType expected) {
  Reader reader(packet);
  RAFIKI_ILP_TRY(type, reader.read_u8());
  if (*type != static_cast<std::uint8_t>(expected))
    return fail(kErrBadType, "packet has the wrong type");
  RAFIKI_ILP_TRY(contents, reader.read_var_octets());
  if (!reader.empty()) return fail(kErrTrailingBytes, "bytes after the packet");
  return *contents;
}

// Envelope header written up front so the contents go straight into the final buffer.
Writer start_envelope(PacketType type, std::size_t contents_bytes) {
  Writer writer(1 + var_octets_size(contents_bytes));
  writer.write_u8(static_cast<std::uint8_t>(type));
  writer.write_length(contents_bytes);
  return writer;
}

Result<void> check_data(ByteView data) {
  if (data.size() > kDataBytesMax) return fail(kErrTooLarge, "data longer than 32767 bytes");
  return {};
}

Result<std::string_view> read_address(Reader& reader, bool allow_empty) {
  RAFIKI_ILP_TRY(bytes, reader.read_var_octets(kAddressLengthMax));
  std::string_view address = as_chars(*bytes);
  if (address.empty() && allow_empty) return address;
  if (!is_valid_address(address)) return fail(kErrBadAddress, "invalid ILP address");
  return address;
}

}  // namespace

Result<Bytes> encode_prepare(const Prepare& prepare) {
  if (!is_valid_address(prepare.destination))
    return fail(kErrBadAddress, "destination is not a valid ILP address");
  RAFIKI_ILP_TRY(data_ok, check_data(prepare.data));
  char timestamp[kTimestampChars];
  RAFIKI_ILP_TRY(formatted, format_timestamp_to(prepare.expires_at, timestamp));
  std::size_t contents_bytes = kAmountBytes + kTimestampChars + kConditionBytes +
                               var_octets_size(prepare.destination.size()) +
                               var_octets_size(prepare.data.size());
  Writer writer = start_envelope(PacketType::kPrepare, contents_bytes);
  writer.write_u64(prepare.amount);
  writer.write_bytes(as_bytes(std::string_view(timestamp, kTimestampChars)));
  writer.write_bytes(prepare.execution_condition);
  writer.write_var_octets(as_bytes(prepare.destination));
  writer.write_var_octets(prepare.data);
  return std::move(writer).take();
}

Result<Bytes> encode_fulfill(const Fulfill& fulfill) {
  RAFIKI_ILP_TRY(data_ok, check_data(fulfill.data));
  std::size_t contents_bytes = kFulfillmentBytes + var_octets_size(fulfill.data.size());
  Writer writer = start_envelope(PacketType::kFulfill, contents_bytes);
  writer.write_bytes(fulfill.fulfillment);
  writer.write_var_octets(fulfill.data);
  return std::move(writer).take();
}

Result<Bytes> encode_reject(const Reject& reject) {
  if (!is_well_formed_error_code(reject.code))
    return fail(kErrBadCode, "reject code must be three ASCII letters or digits");
  if (!reject.triggered_by.empty() && !is_valid_address(reject.triggered_by))
    return fail(kErrBadAddress, "triggeredBy is not a valid ILP address");
  if (reject.message.size() > kMessageBytesMax)
    return fail(kErrTooLarge, "message longer than 8191 bytes");
  if (!is_valid_utf8(as_bytes(reject.message)))
    return fail(kErrBadUtf8, "message is not valid UTF-8");
  RAFIKI_ILP_TRY(data_ok, check_data(reject.data));
  std::size_t contents_bytes = kErrorCodeBytes + var_octets_size(reject.triggered_by.size()) +
                               var_octets_size(reject.message.size()) +
                               var_octets_size(reject.data.size());
  Writer writer = start_envelope(PacketType::kReject, contents_bytes);
  writer.write_bytes(as_bytes(reject.code));
  writer.write_var_octets(as_bytes(reject.triggered_by));
  writer.write_var_octets(as_bytes(reject.message));
  writer.write_var_octets(reject.data);
  return std::move(writer).take();
}

Result<Bytes> encode_reply(const Reply& reply) {
  if (const auto* fulfill = std::get_if<Fulfill>(&reply)) return encode_fulfill(*fulfill);
  return encode_reject(std::get<Reject>(reply));
}

Result<PacketType> packet_type(ByteView packet) {
  if (packet.empty()) return fail(kErrTruncated, "empty packet");
  switch (packet[0]) {
    case static_cast<std::uint8_t>(PacketType::kPrepare):
      return PacketType::kPrepare;
    case static_cast<std::uint8_t>(PacketType::kFulfill):
      return PacketType::kFulfill;
    case static_cast<std::uint8_t>(PacketType::kReject):
      return PacketType::kReject;
    default:
      return fail(kErrBadType, "unknown packet type");
  }
}

Result<Prepare> decode_prepare(ByteView packet) {
  RAFIKI_ILP_TRY(contents, open_envelope(packet, PacketType::kPrepare));
  Reader reader(*contents);
  RAFIKI_ILP_TRY(amount, reader.read_u64());
  RAFIKI_ILP_TRY(timestamp, reader.read_bytes(kTimestampChars));
  RAFIKI_ILP_TRY(expires_at, parse_timestamp(as_chars(*timestamp)));
  RAFIKI_ILP_TRY(condition, reader.read_bytes(kConditionBytes));
  RAFIKI_ILP_TRY(destination, read_address(reader, false));
  RAFIKI_ILP_TRY(data, reader.read_var_octets(kDataBytesMax));
  Prepare prepare;
  prepare.amount = *amount;
  prepare.expires_at = *expires_at;
  std::copy(condition->begin(), condition->end(), prepare.execution_condition.begin());
  prepare.destination = *destination;
  prepare.data = *data;
  return prepare;
}

Result<Fulfill> decode_fulfill(ByteView packet) {
  RAFIKI_ILP_TRY(contents, open_envelope(packet, PacketType::kFulfill));
  Reader reader(*contents);
  RAFIKI_ILP_TRY(fulfillment, reader.read_bytes(kFulfillmentBytes));
  RAFIKI_ILP_TRY(data, reader.read_var_octets(kDataBytesMax));
  Fulfill fulfill;
  std::copy(fulfillment->begin(), fulfillment->end(), fulfill.fulfillment.begin());
  fulfill.data = *data;
  return fulfill;
}

Result<Reject> decode_reject(ByteView packet) {
  RAFIKI_ILP_TRY(contents, open_envelope(packet, PacketType::kReject));
  Reader reader(*contents);
  RAFIKI_ILP_TRY(code, reader.read_bytes(kErrorCodeBytes));
  if (!is_well_formed_error_code(as_chars(*code)))
    return fail(kErrBadCode, "reject code must be three ASCII letters or digits");
  RAFIKI_ILP_TRY(triggered_by, read_address(reader, true));
  RAFIKI_ILP_TRY(message, reader.read_var_utf8(kMessageBytesMax));
  RAFIKI_ILP_TRY(data, reader.read_var_octets(kDataBytesMax));
  Reject reject;
  reject.code = as_chars(*code);
  reject.triggered_by = *triggered_by;
  reject.message = *message;
  reject.data = *data;
  return reject;
}

Result<Reply> decode_reply(ByteView packet) {
  RAFIKI_ILP_TRY(type, packet_type(packet));
  if (*type == PacketType::kFulfill) {
    RAFIKI_ILP_TRY(fulfill, decode_fulfill(packet));
    return Reply{*fulfill};
  }
  if (*type == PacketType::kReject) {
    RAFIKI_ILP_TRY(reject, decode_reject(packet));
    return Reply{*reject};
  }
  return fail(kErrBadType, "expected a Fulfill or a Reject, got a Prepare");
}

Condition condition_of(const Fulfillment& fulfillment) {
  return crypto::sha256(fulfillment);
}

bool fulfillment_matches(const Fulfillment& fulfillment, const Condition& condition) {
  Condition actual = condition_of(fulfillment);
  return crypto::constant_time_equal(actual, condition);
}

Result<void> rewrite_prepare(std::span<std::uint8_t> packet, std::uint64_t amount,
                             TimePoint expires_at) {
  RAFIKI_ILP_TRY(valid, decode_prepare(packet));
  char timestamp[kTimestampChars];
  RAFIKI_ILP_TRY(formatted, format_timestamp_to(expires_at, timestamp));
  // The fixed fields start right after the type byte and the envelope's length determinant.
  Reader reader(packet);
  (void)reader.read_u8();
  (void)reader.read_length();
  std::uint8_t* at = packet.data() + reader.position();
  for (std::size_t i = 0; i < kAmountBytes; ++i)
    at[i] = static_cast<std::uint8_t>(amount >> (8 * (kAmountBytes - 1 - i)));
  std::memcpy(at + kAmountBytes, timestamp, kTimestampChars);
  return {};
}

#undef RAFIKI_ILP_TRY

}  // namespace rafiki::ilp
