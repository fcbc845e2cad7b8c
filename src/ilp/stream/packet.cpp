#include "ilp/stream/packet.h"

#include <stdexcept>

#include "crypto/aes_gcm.h"
#include "crypto/stream_keys.h"

namespace rafiki::ilp::stream {

Bytes encode_packet(const Packet& packet) {
  Writer writer(64);
  writer.write_u8(kVersion);
  writer.write_u8(static_cast<std::uint8_t>(packet.ilp_packet_type));
  writer.write_var_uint(packet.sequence);
  writer.write_var_uint(packet.prepare_amount);
  writer.write_var_uint(packet.frames.size());
  for (const Frame& frame : packet.frames) write_frame(writer, frame);
  return std::move(writer).take();
}

Result<Packet> decode_packet(ByteView plaintext) {
  Reader reader(plaintext);
  auto version = reader.read_u8();
  if (!version) return std::unexpected(version.error());
  if (*version != kVersion) return fail(kErrBadVersion, "STREAM version is not 1");
  auto type = reader.read_u8();
  if (!type) return std::unexpected(type.error());
  if (*type < static_cast<std::uint8_t>(PacketType::kPrepare) ||
      *type > static_cast<std::uint8_t>(PacketType::kReject)) {
    return fail(kErrBadType, "STREAM ilpPacketType is not 12, 13 or 14");
  }
  auto sequence = reader.read_var_uint();
  if (!sequence) return std::unexpected(sequence.error());
  auto amount = reader.read_var_uint();
  if (!amount) return std::unexpected(amount.error());
  auto count = reader.read_var_uint();
  if (!count) return std::unexpected(count.error());
  if (*count > kFramesMax) return fail(kErrTooLarge, "too many STREAM frames");

  Packet packet;
  packet.sequence = *sequence;
  packet.ilp_packet_type = static_cast<PacketType>(*type);
  packet.prepare_amount = *amount;
  for (std::uint64_t i = 0; i < *count; ++i) {
    auto frame = read_frame(reader);
    if (!frame) return std::unexpected(frame.error());
    if (*frame) packet.frames.push_back(std::move(**frame));
  }
  return packet;
}

Result<ConnectionKeys> derive_keys(ByteView shared_secret) {
  if (shared_secret.size() != kSharedSecretBytes) {
    return fail(kErrBadSecret, "a STREAM shared secret is 32 bytes");
  }
  ConnectionKeys keys;
  keys.encryption_key = crypto::stream_encryption_key(shared_secret);
  keys.fulfillment_key = crypto::stream_fulfillment_key(shared_secret);
  return keys;
}

Bytes encrypt_packet(const ConnectionKeys& keys, const Packet& packet) {
  auto sealed = crypto::stream_encrypt(keys.encryption_key, encode_packet(packet));
  // Only a bad key size or an oversized plaintext can fail; neither is possible here.
  if (!sealed) throw std::logic_error("STREAM encryption failed: " + sealed.error().message);
  return std::move(*sealed);
}

Result<Bytes> encrypt_packet_with_iv(const ConnectionKeys& keys, ByteView iv,
                                     const Packet& packet) {
  return crypto::stream_encrypt_with_iv(keys.encryption_key, iv, encode_packet(packet));
}

Result<Packet> decrypt_packet(const ConnectionKeys& keys, ByteView data) {
  auto plaintext = crypto::stream_decrypt(keys.encryption_key, data);
  if (!plaintext) return fail(kErrDecryptFailed, "STREAM data does not decrypt");
  return decode_packet(*plaintext);
}

Fulfillment fulfillment_for(const ConnectionKeys& keys, ByteView prepare_data) {
  return crypto::stream_fulfillment(keys.fulfillment_key, prepare_data);
}

Condition condition_for(const ConnectionKeys& keys, ByteView prepare_data) {
  return condition_of(fulfillment_for(keys, prepare_data));
}

}  // namespace rafiki::ilp::stream
