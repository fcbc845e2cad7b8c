// STREAM packets (RFC 29 §5.2): the plaintext inside the `data` of an ILP Prepare, Fulfill or
// Reject, and its encryption under a connection's shared secret.
//
//   UInt8 version (1) ‖ UInt8 ilpPacketType ‖ VarUInt sequence ‖ VarUInt prepareAmount ‖
//   VarUInt numFrames ‖ Frame × numFrames ‖ (padding: ignored)
//
// The envelope is crypto::stream_encrypt's: IV(12) ‖ tag(16) ‖ AES-256-GCM ciphertext, key
// HMAC(sharedSecret, "ilp_stream_encryption"). A Prepare's fulfillment is
// HMAC(HMAC(sharedSecret, "ilp_stream_fulfillment"), data) over the whole encrypted data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/bytes.h"
#include "base/errors.h"
#include "crypto/hash.h"
#include "ilp/packet.h"
#include "ilp/stream/frames.h"

namespace rafiki::ilp::stream {

inline constexpr std::uint8_t kVersion = 1;
inline constexpr std::size_t kSharedSecretBytes = 32;
// Frames a decoded packet may hold. Each frame takes at least 2 bytes and a packet rides in at
// most kDataBytesMax bytes, so a valid peer never gets near this.
inline constexpr std::size_t kFramesMax = kDataBytesMax / 2;
// Encrypted packets a sender may send per connection before AES-GCM's random-IV safety margin
// is used up (RFC 29 §5.2; @interledger/pay's MaxSafeEncryptionLimit).
inline constexpr std::uint64_t kPacketsPerConnectionMax = std::uint64_t{1} << 31;

// Error::code values besides the OER ones (kErrTruncated, kErrBadLength, kErrTooLarge,
// kErrBadType).
inline constexpr const char* kErrBadVersion = "ilp.stream.bad_version";
inline constexpr const char* kErrDecryptFailed = "ilp.stream.decrypt_failed";
inline constexpr const char* kErrBadSecret = "ilp.stream.bad_secret";

struct Packet {
  std::uint64_t sequence = 0;
  PacketType ilp_packet_type = PacketType::kPrepare;
  std::uint64_t prepare_amount = 0;
  std::vector<Frame> frames;
  bool operator==(const Packet&) const = default;
};

// The plaintext bytes. Never fails.
Bytes encode_packet(const Packet& packet);

// Fails with kErrBadVersion (version byte not 1), kErrBadType (ilpPacketType not 12, 13 or 14),
// kErrTooLarge (more than kFramesMax frames, or a VarUInt over 8 bytes), and as read_frame
// (kErrTruncated, kErrBadLength). Unknown frames are dropped; bytes after the frames ignored.
Result<Packet> decode_packet(ByteView plaintext);

// The two keys of a connection, derived once from its 32-byte shared secret.
struct ConnectionKeys {
  crypto::Sha256Digest encryption_key{};
  crypto::Sha256Digest fulfillment_key{};
};
// Fails with kErrBadSecret unless the secret is kSharedSecretBytes long.
Result<ConnectionKeys> derive_keys(ByteView shared_secret);

// The encrypted packet (fresh random IV). Never fails with keys from derive_keys; throws
// std::runtime_error only if the random generator fails.
Bytes encrypt_packet(const ConnectionKeys& keys, const Packet& packet);
// The same with a caller-chosen 12-byte IV, to reproduce published vectors only. Fails as
// crypto::stream_encrypt_with_iv on a bad IV.
Result<Bytes> encrypt_packet_with_iv(const ConnectionKeys& keys, ByteView iv, const Packet& packet);
// Fails with kErrDecryptFailed when `data` is shorter than the envelope or does not
// authenticate under the key (tampered, or another connection's), then as decode_packet.
Result<Packet> decrypt_packet(const ConnectionKeys& keys, ByteView data);

// The fulfillment of a Prepare whose data is `prepare_data`, and the condition it carries.
Fulfillment fulfillment_for(const ConnectionKeys& keys, ByteView prepare_data);
Condition condition_for(const ConnectionKeys& keys, ByteView prepare_data);

}  // namespace rafiki::ilp::stream
