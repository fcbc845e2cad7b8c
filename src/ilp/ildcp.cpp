#include "ilp/ildcp.h"

#include <algorithm>
#include <utility>

#include "ilp/address.h"
#include "ilp/oer.h"

namespace rafiki::ildcp {

using namespace ilp;

Result<Bytes> encode_request(TimePoint expires_at) {
  Prepare prepare;
  prepare.amount = 0;
  prepare.expires_at = expires_at;
  prepare.execution_condition = kCondition;
  prepare.destination = kIldcpDestination;
  return encode_prepare(prepare);
}

Result<void> validate_request(const Prepare& prepare, TimePoint now) {
  if (prepare.destination != kIldcpDestination)
    return fail(kErrBadAddress, "ILDCP request must be sent to peer.config");
  if (prepare.execution_condition != kCondition)
    return fail(kErrBadValue, "ILDCP request has the wrong execution condition");
  if (prepare.expires_at <= now) return fail(kErrBadTimestamp, "ILDCP request has expired");
  return {};
}

Result<Bytes> encode_response(const Response& response) {
  if (!is_valid_address(response.client_address))
    return fail(kErrBadAddress, "client address is not a valid ILP address");
  if (response.asset_code.size() > kAssetCodeBytesMax)
    return fail(kErrTooLarge, "asset code too long");
  if (!is_valid_utf8(as_bytes(response.asset_code)))
    return fail(kErrBadUtf8, "asset code is not valid UTF-8");
  Writer data(var_octets_size(response.client_address.size()) + 1 +
              var_octets_size(response.asset_code.size()));
  data.write_var_octets(as_bytes(response.client_address));
  data.write_u8(response.asset_scale);
  data.write_var_octets(as_bytes(response.asset_code));
  Fulfill fulfill;
  fulfill.fulfillment = kFulfillment;
  fulfill.data = data.bytes();
  return encode_fulfill(fulfill);
}

Result<Response> decode_response_data(ByteView data) {
  Reader reader(data);
  auto address = reader.read_var_octets(kAddressLengthMax);
  if (!address) return std::unexpected(std::move(address.error()));
  if (!is_valid_address(as_chars(*address)))
    return fail(kErrBadAddress, "ILDCP client address is not a valid ILP address");
  auto scale = reader.read_u8();
  if (!scale) return std::unexpected(std::move(scale.error()));
  auto code = reader.read_var_utf8(kAssetCodeBytesMax);
  if (!code) return std::unexpected(std::move(code.error()));
  Response response;
  response.client_address = as_chars(*address);
  response.asset_scale = *scale;
  response.asset_code = *code;
  return response;
}

Result<Response> decode_response(ByteView packet) {
  auto fulfill = decode_fulfill(packet);
  if (!fulfill) return std::unexpected(std::move(fulfill.error()));
  if (fulfill->fulfillment != kFulfillment)
    return fail(kErrBadValue, "ILDCP fulfillment must be 32 zero bytes");
  return decode_response_data(fulfill->data);
}

}  // namespace rafiki::ildcp
