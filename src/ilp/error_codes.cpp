#include "ilp/error_codes.h"

#include <array>

#include "ilp/oer.h"

namespace rafiki::ilp {
namespace {

constexpr std::array<ErrorCodeInfo, 21> kTable = {{
    {kF00BadRequest, "Bad Request", ErrorFamily::kFinal},
    {kF01InvalidPacket, "Invalid Packet", ErrorFamily::kFinal},
    {kF02Unreachable, "Unreachable", ErrorFamily::kFinal},
    {kF03InvalidAmount, "Invalid Amount", ErrorFamily::kFinal},
    {kF04InsufficientDestinationAmount, "Insufficient Destination Amount", ErrorFamily::kFinal},
    {kF05WrongCondition, "Wrong Condition", ErrorFamily::kFinal},
    {kF06UnexpectedPayment, "Unexpected Payment", ErrorFamily::kFinal},
    {kF07CannotReceive, "Cannot Receive", ErrorFamily::kFinal},
    {kF08AmountTooLarge, "Amount Too Large", ErrorFamily::kFinal},
    {kF99ApplicationError, "Application Error", ErrorFamily::kFinal},
    {kT00InternalError, "Internal Error", ErrorFamily::kTemporary},
    {kT01PeerUnreachable, "Peer Unreachable", ErrorFamily::kTemporary},
    {kT02PeerBusy, "Peer Busy", ErrorFamily::kTemporary},
    {kT03ConnectorBusy, "Connector Busy", ErrorFamily::kTemporary},
    {kT04InsufficientLiquidity, "Insufficient Liquidity", ErrorFamily::kTemporary},
    {kT05RateLimited, "Rate Limited", ErrorFamily::kTemporary},
    {kT99ApplicationError, "Application Error", ErrorFamily::kTemporary},
    {kR00TransferTimedOut, "Transfer Timed Out", ErrorFamily::kRelative},
    {kR01InsufficientSourceAmount, "Insufficient Source Amount", ErrorFamily::kRelative},
    {kR02InsufficientTimeout, "Insufficient Timeout", ErrorFamily::kRelative},
    {kR99ApplicationError, "Application Error", ErrorFamily::kRelative},
}};

const ErrorCodeInfo* find(std::string_view code) {
  for (const ErrorCodeInfo& info : kTable)
    if (info.code == code) return &info;
  return nullptr;
}

}  // namespace

std::span<const ErrorCodeInfo> error_codes() {
  return kTable;
}

bool is_well_formed_error_code(std::string_view code) {
  if (code.size() != kErrorCodeBytes) return false;
  for (char c : code) {
    bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum) return false;
  }
  return true;
}

bool is_known_error_code(std::string_view code) {
  return find(code) != nullptr;
}

std::string_view error_code_name(std::string_view code) {
  const ErrorCodeInfo* info = find(code);
  return info ? info->name : std::string_view{};
}

std::optional<ErrorFamily> error_family(std::string_view code) {
  if (code.empty()) return std::nullopt;
  switch (code[0]) {
    case 'F':
      return ErrorFamily::kFinal;
    case 'T':
      return ErrorFamily::kTemporary;
    case 'R':
      return ErrorFamily::kRelative;
    default:
      return std::nullopt;
  }
}

Bytes encode_amount_too_large_data(const AmountTooLargeData& data) {
  Writer writer(kAmountTooLargeDataBytes);
  writer.write_u64(data.received_amount);
  writer.write_u64(data.maximum_amount);
  return std::move(writer).take();
}

Result<AmountTooLargeData> decode_amount_too_large_data(ByteView data) {
  Reader reader(data);
  auto received = reader.read_u64();
  if (!received) return std::unexpected(std::move(received.error()));
  auto maximum = reader.read_u64();
  if (!maximum) return std::unexpected(std::move(maximum.error()));
  AmountTooLargeData out;
  out.received_amount = *received;
  out.maximum_amount = *maximum;
  return out;
}

}  // namespace rafiki::ilp
