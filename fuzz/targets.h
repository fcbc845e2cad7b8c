// The checks each fuzz target runs on one input, shared with the regression test that replays
// the seed corpus and every input a fuzzer ever crashed on (tests/ilp/fuzz_regression_test.cpp).
// A decoder must refuse or accept without reading out of bounds (the sanitizers watch), and
// whatever it accepts must re-encode to bytes that decode to the same fields, and re-encode to
// the same bytes again. A broken invariant aborts.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <variant>

#include "base/bytes.h"
#include "ilp/error_codes.h"
#include "ilp/ildcp.h"
#include "ilp/oer.h"
#include "ilp/packet.h"

namespace rafiki::fuzz {

inline void check(bool condition) {
  if (!condition) std::abort();
}

inline bool same(ByteView a, ByteView b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

inline bool same(const ilp::Prepare& a, const ilp::Prepare& b) {
  return a.amount == b.amount && a.expires_at == b.expires_at &&
         a.execution_condition == b.execution_condition && a.destination == b.destination &&
         same(a.data, b.data);
}
inline bool same(const ilp::Fulfill& a, const ilp::Fulfill& b) {
  return a.fulfillment == b.fulfillment && same(a.data, b.data);
}
inline bool same(const ilp::Reject& a, const ilp::Reject& b) {
  return a.code == b.code && a.triggered_by == b.triggered_by && a.message == b.message &&
         same(a.data, b.data);
}

// decode → encode → decode → encode: same fields, same bytes.
template <class Packet, class Decode, class Encode>
void round_trip(ByteView input, Decode decode, Encode encode) {
  auto first = decode(input);
  if (!first) return;
  auto encoded = encode(*first);
  check(encoded.has_value());
  // Only bytes after the last known field inside the contents may be dropped.
  check(encoded->size() <= input.size());
  auto second = decode(*encoded);
  check(second.has_value());
  check(same(*first, *second));
  auto again = encode(*second);
  check(again.has_value() && *again == *encoded);
}

inline void packet_target(ByteView input) {
  round_trip<ilp::Prepare>(input, ilp::decode_prepare, ilp::encode_prepare);
  round_trip<ilp::Fulfill>(input, ilp::decode_fulfill, ilp::encode_fulfill);
  round_trip<ilp::Reject>(input, ilp::decode_reject, ilp::encode_reject);
  auto reply = ilp::decode_reply(input);
  auto type = ilp::packet_type(input);
  if (reply) {
    check(type.has_value() && *type != ilp::PacketType::kPrepare);
    check(ilp::encode_reply(*reply).has_value());
  }
  if (auto prepare = ilp::decode_prepare(input)) {
    Bytes copy(input.begin(), input.end());
    check(ilp::rewrite_prepare(copy, prepare->amount ^ 1, prepare->expires_at).has_value());
    auto rewritten = ilp::decode_prepare(copy);
    check(rewritten.has_value() && rewritten->amount == (prepare->amount ^ 1));
  }
  if (auto amounts = ilp::decode_amount_too_large_data(input)) {
    Bytes encoded = ilp::encode_amount_too_large_data(*amounts);
    check(same(ByteView(encoded), input.first(ilp::kAmountTooLargeDataBytes)));
  }
}

inline void ildcp_target(ByteView input) {
  if (auto response = ildcp::decode_response(input)) {
    auto encoded = ildcp::encode_response(*response);
    check(encoded.has_value());
    auto again = ildcp::decode_response(*encoded);
    check(again.has_value() && again->client_address == response->client_address &&
          again->asset_scale == response->asset_scale && again->asset_code == response->asset_code);
  }
  if (auto data = ildcp::decode_response_data(input)) {
    check(ilp::is_valid_address(data->client_address));
  }
  if (auto prepare = ilp::decode_prepare(input)) {
    auto valid = ildcp::validate_request(*prepare, TimePoint{});
    if (valid) check(prepare->destination == ilp::kIldcpDestination);
  }
}

// Interprets the input as a program of reads on the rest of itself: each step's selector byte
// picks a read; every read either fails leaving the position alone or moves it forward.
inline void oer_target(ByteView input) {
  if (input.empty()) return;
  std::size_t program_bytes = std::min<std::size_t>(1 + input[0] % 16, input.size());
  ByteView program = input.first(program_bytes);
  ByteView operand = input.subspan(program_bytes);
  ilp::Reader reader(operand);
  for (std::uint8_t op : program) {
    std::size_t before = reader.position();
    bool ok = false;
    switch (op % 8) {
      case 0:
        ok = reader.read_u8().has_value();
        break;
      case 1:
        ok = reader.read_u64().has_value();
        break;
      case 2:
        ok = reader.read_bytes(op / 8).has_value();
        break;
      case 3:
        ok = reader.read_length().has_value();
        break;
      case 4:
        ok = reader.read_var_octets().has_value();
        break;
      case 5:
        ok = reader.read_var_utf8().has_value();
        break;
      case 6:
        ok = reader.read_var_uint().has_value();
        break;
      case 7:
        ok = reader.read_var_uint_saturating().has_value();
        break;
    }
    check(ok ? reader.position() >= before : reader.position() == before);
    check(reader.position() <= operand.size());
  }
  // Writer and reader agree on VarUInts and lengths.
  if (input.size() >= 8) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < 8; ++i) value = (value << 8) | input[i];
    ilp::Writer writer;
    writer.write_var_uint(value);
    writer.write_length(static_cast<std::size_t>(value % (1u << 24)));
    ilp::Reader back(writer.bytes());
    check(back.read_var_uint().value() == value);
    check(back.read_length().value() == value % (1u << 24));
  }
}

}  // namespace rafiki::fuzz
