// STREAM frames (RFC 29 §5.3): the messages a STREAM packet carries. Each frame is on the wire
// `UInt8 type ‖ var octet string contents`; the contents of every type RFC 29 defines are
// modelled here as a struct that owns its bytes, and Frame is the variant of all of them.
//
// Decoding follows ilp-protocol-stream so both ends agree on what a packet means: a frame whose
// type is unknown is skipped (its length says how far); bytes after the last known field
// inside a frame's contents are ignored; a known frame whose contents are malformed is an
// error (the whole packet is then undecipherable). VarUInts longer than 8 bytes are an error,
// except StreamMaxMoney.receive_max and StreamMoneyBlocked.send_max, which saturate to
// 2^64 - 1 (RFC 29 §5.3 "infinite"). Strings are kept as the raw bytes received.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/errors.h"
#include "ilp/oer.h"

namespace rafiki::ilp::stream {

enum class FrameType : std::uint8_t {
  kConnectionClose = 0x01,
  kConnectionNewAddress = 0x02,
  kConnectionMaxData = 0x03,
  kConnectionDataBlocked = 0x04,
  kConnectionMaxStreamId = 0x05,
  kConnectionStreamIdBlocked = 0x06,
  kConnectionAssetDetails = 0x07,
  kStreamClose = 0x10,
  kStreamMoney = 0x11,
  kStreamMaxMoney = 0x12,
  kStreamMoneyBlocked = 0x13,
  kStreamData = 0x14,
  kStreamMaxData = 0x15,
  kStreamDataBlocked = 0x16,
  kStreamReceipt = 0x17,
};

// The UInt8 error codes of ConnectionClose and StreamClose (RFC 29 §5.4). Other values are
// carried unchanged.
enum class ErrorCode : std::uint8_t {
  kNoError = 0x01,
  kInternalError = 0x02,
  kEndpointBusy = 0x03,
  kFlowControlError = 0x04,
  kStreamIdError = 0x05,
  kStreamStateError = 0x06,
  kFrameFormatError = 0x07,
  kProtocolViolation = 0x08,
  kApplicationError = 0x09,
};

// The most a StreamMaxMoney.receive_max can say: "no limit".
inline constexpr std::uint64_t kReceiveMaxUnlimited = UINT64_MAX;

struct ConnectionClose {
  std::uint8_t error_code = static_cast<std::uint8_t>(ErrorCode::kNoError);
  std::string message;
  bool operator==(const ConnectionClose&) const = default;
};
struct ConnectionNewAddress {
  std::string source_address;
  bool operator==(const ConnectionNewAddress&) const = default;
};
struct ConnectionMaxData {
  std::uint64_t max_offset = 0;
  bool operator==(const ConnectionMaxData&) const = default;
};
struct ConnectionDataBlocked {
  std::uint64_t max_offset = 0;
  bool operator==(const ConnectionDataBlocked&) const = default;
};
struct ConnectionMaxStreamId {
  std::uint64_t max_stream_id = 0;
  bool operator==(const ConnectionMaxStreamId&) const = default;
};
struct ConnectionStreamIdBlocked {
  std::uint64_t max_stream_id = 0;
  bool operator==(const ConnectionStreamIdBlocked&) const = default;
};
struct ConnectionAssetDetails {
  std::string asset_code;
  std::uint8_t asset_scale = 0;
  bool operator==(const ConnectionAssetDetails&) const = default;
};
struct StreamClose {
  std::uint64_t stream_id = 0;
  std::uint8_t error_code = static_cast<std::uint8_t>(ErrorCode::kNoError);
  std::string message;
  bool operator==(const StreamClose&) const = default;
};
struct StreamMoney {
  std::uint64_t stream_id = 0;
  std::uint64_t shares = 0;
  bool operator==(const StreamMoney&) const = default;
};
struct StreamMaxMoney {
  std::uint64_t stream_id = 0;
  std::uint64_t receive_max = 0;  // saturated to kReceiveMaxUnlimited when decoded
  std::uint64_t total_received = 0;
  bool operator==(const StreamMaxMoney&) const = default;
};
struct StreamMoneyBlocked {
  std::uint64_t stream_id = 0;
  std::uint64_t send_max = 0;  // saturated like receive_max
  std::uint64_t total_sent = 0;
  bool operator==(const StreamMoneyBlocked&) const = default;
};
struct StreamData {
  std::uint64_t stream_id = 0;
  std::uint64_t offset = 0;
  Bytes data;
  bool operator==(const StreamData&) const = default;
};
struct StreamMaxData {
  std::uint64_t stream_id = 0;
  std::uint64_t max_offset = 0;
  bool operator==(const StreamMaxData&) const = default;
};
struct StreamDataBlocked {
  std::uint64_t stream_id = 0;
  std::uint64_t max_offset = 0;
  bool operator==(const StreamDataBlocked&) const = default;
};
struct StreamReceipt {
  std::uint64_t stream_id = 0;
  Bytes receipt;
  bool operator==(const StreamReceipt&) const = default;
};

using Frame =
    std::variant<ConnectionClose, ConnectionNewAddress, ConnectionMaxData, ConnectionDataBlocked,
                 ConnectionMaxStreamId, ConnectionStreamIdBlocked, ConnectionAssetDetails,
                 StreamClose, StreamMoney, StreamMaxMoney, StreamMoneyBlocked, StreamData,
                 StreamMaxData, StreamDataBlocked, StreamReceipt>;

FrameType frame_type(const Frame& frame);
// "StreamMoney", as ilp-protocol-stream names the type.
std::string_view frame_type_name(FrameType type);

// Appends `type ‖ var octets(contents)` to `writer`. Never fails.
void write_frame(Writer& writer, const Frame& frame);
Bytes encode_frame(const Frame& frame);

// Reads one frame at the reader's position. Returns nullopt (after moving past it) for a frame
// of an unknown type. Fails, leaving the reader where it was, with kErrTruncated (input ends
// inside the frame or inside a field of its contents), kErrBadLength (non-canonical length
// determinant), kErrTooLarge (a VarUInt over 8 bytes where no saturation applies).
Result<std::optional<Frame>> read_frame(Reader& reader);

}  // namespace rafiki::ilp::stream
