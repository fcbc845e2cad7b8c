#include "ilp/packet.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ilp/error_codes.h"
#include "ilp/oer.h"
#include "vectors.h"

using namespace rafiki;
using namespace rafiki::ilp;
using rafiki::ilp::testing::hex;
using rafiki::ilp::testing::unhex;
using rafiki::ilp::testing::vector_bytes;

namespace {

constexpr std::string_view kExampleCondition =
    "74e1136dc71c9e5f283bec83461cbf1261c4014f72d48f8dd65453a0b84e7de1";

TimePoint at(std::string_view iso) {
  return parse_rfc3339(iso).value();
}

Condition condition_from_hex(std::string_view text) {
  Bytes bytes = unhex(text);
  Condition condition{};
  std::copy(bytes.begin(), bytes.end(), condition.begin());
  return condition;
}

// The Prepare of the ilp-packet fixture (reference/ilp.md §4.2), data left to the caller.
Prepare example_prepare(std::uint64_t amount, ByteView data) {
  Prepare prepare;
  prepare.amount = amount;
  prepare.expires_at = at("2017-12-23T01:21:40.549Z");
  prepare.execution_condition = condition_from_hex(kExampleCondition);
  prepare.destination = "example.alice";
  prepare.data = data;
  return prepare;
}

// Every packet vector in the reference set, with its type.
std::vector<std::pair<std::string, PacketType>> packet_vectors() {
  return {{"prepare", PacketType::kPrepare},
          {"prepareEmptyData", PacketType::kPrepare},
          {"prepareMaxAmount", PacketType::kPrepare},
          {"prepareLongData", PacketType::kPrepare},
          {"fulfill", PacketType::kFulfill},
          {"reject", PacketType::kReject},
          {"rejectEmptyTriggeredBy", PacketType::kReject},
          {"f08Reject", PacketType::kReject},
          {"ildcpRequest", PacketType::kPrepare},
          {"ildcpResponse", PacketType::kFulfill}};
}

// Decodes with the decoder for `type` and re-encodes: an error, or the bytes re-encoded.
Result<Bytes> decode_and_encode(PacketType type, ByteView packet) {
  switch (type) {
    case PacketType::kPrepare: {
      auto decoded = decode_prepare(packet);
      if (!decoded) return std::unexpected(decoded.error());
      return encode_prepare(*decoded);
    }
    case PacketType::kFulfill: {
      auto decoded = decode_fulfill(packet);
      if (!decoded) return std::unexpected(decoded.error());
      return encode_fulfill(*decoded);
    }
    case PacketType::kReject: {
      auto decoded = decode_reject(packet);
      if (!decoded) return std::unexpected(decoded.error());
      return encode_reject(*decoded);
    }
  }
  return fail("test", "unreachable");
}

}  // namespace

TEST(Packet, PrepareMatchesTheReferenceVector) {
  Bytes data = unhex("5db343fdc41898f6df4202329139dc242dd0f558a811b46b28918fdab37c6cb0");
  Bytes expected = vector_bytes({"prepare"});
  EXPECT_EQ(hex(encode_prepare(example_prepare(107, data)).value()), hex(expected));

  auto decoded = decode_prepare(expected);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->amount, 107u);
  EXPECT_EQ(decoded->expires_at, at("2017-12-23T01:21:40.549Z"));
  EXPECT_EQ(hex(decoded->execution_condition), kExampleCondition);
  EXPECT_EQ(decoded->destination, "example.alice");
  EXPECT_EQ(hex(decoded->data), hex(data));
  // Views point into the input.
  EXPECT_GE(decoded->data.data(), expected.data());
  EXPECT_LE(decoded->data.data() + decoded->data.size(), expected.data() + expected.size());
}

TEST(Packet, PrepareWithZeroAmountAndEmptyDataMatchesTheReferenceVector) {
  Bytes expected = vector_bytes({"prepareEmptyData"});
  EXPECT_EQ(encode_prepare(example_prepare(0, {})).value(), expected);
  auto decoded = decode_prepare(expected);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->amount, 0u);
  EXPECT_TRUE(decoded->data.empty());
}

TEST(Packet, PrepareWithMaximumAmountMatchesTheReferenceVector) {
  Bytes expected = vector_bytes({"prepareMaxAmount"});
  EXPECT_EQ(encode_prepare(example_prepare(UINT64_MAX, {})).value(), expected);
  EXPECT_EQ(decode_prepare(expected).value().amount, UINT64_MAX);
}

TEST(Packet, PrepareWithLongDataUsesLongFormLengths) {
  Bytes data(200, 0x01);
  Bytes expected = vector_bytes({"prepareLongData"});
  EXPECT_EQ(encode_prepare(example_prepare(107, data)).value(), expected);
  EXPECT_EQ(hex(ByteView(expected).subspan(1, 3)), "820111");
  auto decoded = decode_prepare(expected);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->data.size(), 200u);
}

TEST(Packet, FulfillMatchesTheReferenceVector) {
  Fulfill fulfill;
  Bytes fulfillment = unhex("c3866b48749ccf113b2e15c25d2407fbfc14476fe7296bb1bf1bcd9e6e416650");
  std::copy(fulfillment.begin(), fulfillment.end(), fulfill.fulfillment.begin());
  Bytes data = unhex("673febd78a33b28e1c0db14c9a06251a05fa831ed4ed91ebcd150e7249c2e600");
  fulfill.data = data;
  Bytes expected = vector_bytes({"fulfill"});
  EXPECT_EQ(encode_fulfill(fulfill).value(), expected);
  auto decoded = decode_fulfill(expected);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(hex(decoded->fulfillment), hex(fulfillment));
  EXPECT_EQ(hex(decoded->data), hex(data));
}

TEST(Packet, RejectMatchesTheReferenceVector) {
  Reject reject;
  reject.code = kF01InvalidPacket;
  reject.triggered_by = "example.us.bob";
  reject.message = "missing destination. ledger=example.us.";
  Bytes data = unhex("000000041041");
  reject.data = data;
  Bytes expected = vector_bytes({"reject"});
  EXPECT_EQ(encode_reject(reject).value(), expected);
  auto decoded = decode_reject(expected);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->code, "F01");
  EXPECT_EQ(decoded->triggered_by, "example.us.bob");
  EXPECT_EQ(decoded->message, "missing destination. ledger=example.us.");
  EXPECT_EQ(hex(decoded->data), "000000041041");
}

TEST(Packet, RejectWithEmptyFieldsMatchesTheReferenceVector) {
  Reject reject;
  reject.code = kT00InternalError;
  Bytes expected = vector_bytes({"rejectEmptyTriggeredBy"});
  EXPECT_EQ(encode_reject(reject).value(), expected);
  auto decoded = decode_reject(expected);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->code, "T00");
  EXPECT_EQ(decoded->triggered_by, "");
  EXPECT_EQ(decoded->message, "");
  EXPECT_TRUE(decoded->data.empty());
}

TEST(Packet, AmountTooLargeRejectMatchesTheReferenceVector) {
  AmountTooLargeData too_large;
  too_large.received_amount = 150;
  too_large.maximum_amount = 100;
  Bytes data = encode_amount_too_large_data(too_large);
  Reject reject;
  reject.code = kF08AmountTooLarge;
  reject.triggered_by = "test.rafiki";
  reject.message = "packet size too large. maxAmount=100 actualAmount=150";
  reject.data = data;
  Bytes expected = vector_bytes({"f08Reject"});
  EXPECT_EQ(encode_reject(reject).value(), expected);
  auto decoded = decode_reject(expected);
  ASSERT_TRUE(decoded);
  auto amounts = decode_amount_too_large_data(decoded->data);
  ASSERT_TRUE(amounts);
  EXPECT_EQ(amounts->received_amount, 150u);
  EXPECT_EQ(amounts->maximum_amount, 100u);
}

TEST(Packet, EveryReferenceVectorRoundTripsByteForByte) {
  for (const auto& [name, type] : packet_vectors()) {
    Bytes packet = vector_bytes({name});
    EXPECT_EQ(packet_type(packet).value(), type) << name;
    auto again = decode_and_encode(type, packet);
    ASSERT_TRUE(again) << name << ": " << again.error().message;
    EXPECT_EQ(hex(*again), hex(packet)) << name;
  }
}

TEST(Packet, EveryErrorCodeRoundTrips) {
  for (const ErrorCodeInfo& info : error_codes()) {
    Reject reject;
    reject.code = info.code;
    reject.triggered_by = "test.rafiki";
    reject.message = info.name;
    auto encoded = encode_reject(reject);
    ASSERT_TRUE(encoded) << info.code;
    auto decoded = decode_reject(*encoded);
    ASSERT_TRUE(decoded) << info.code;
    EXPECT_EQ(decoded->code, info.code);
    EXPECT_EQ(decoded->message, info.name);
  }
}

TEST(Packet, DataAtTheLimitIsAcceptedAndOneByteMoreIsRefused) {
  Bytes largest(kDataBytesMax, 0xee);
  auto prepare = encode_prepare(example_prepare(1, largest));
  ASSERT_TRUE(prepare);
  EXPECT_EQ(decode_prepare(*prepare).value().data.size(), kDataBytesMax);
  Fulfill fulfill;
  fulfill.data = largest;
  ASSERT_TRUE(decode_fulfill(encode_fulfill(fulfill).value()));
  Reject reject;
  reject.code = kF99ApplicationError;
  reject.data = largest;
  std::string message(kMessageBytesMax, 'm');
  reject.message = message;
  std::string longest_address = "g." + std::string(kAddressLengthMax - 2, 'a');
  reject.triggered_by = longest_address;
  auto largest_reject = encode_reject(reject);
  ASSERT_TRUE(largest_reject);
  EXPECT_EQ(largest_reject->size(), kPacketBytesMax);
  ASSERT_TRUE(decode_reject(*largest_reject));

  Bytes too_long(kDataBytesMax + 1, 0xee);
  EXPECT_EQ(encode_prepare(example_prepare(1, too_long)).error().code, kErrTooLarge);
  fulfill.data = too_long;
  EXPECT_EQ(encode_fulfill(fulfill).error().code, kErrTooLarge);
  reject.data = too_long;
  EXPECT_EQ(encode_reject(reject).error().code, kErrTooLarge);
  reject.data = {};
  std::string long_message(kMessageBytesMax + 1, 'm');
  reject.message = long_message;
  EXPECT_EQ(encode_reject(reject).error().code, kErrTooLarge);
}

TEST(Packet, DecoderRefusesDataLongerThanTheLimit) {
  // Hand-built: a Fulfill whose data is 32768 bytes (canonical lengths, complete input).
  Writer contents;
  contents.write_bytes(Bytes(kFulfillmentBytes, 0));
  contents.write_var_octets(Bytes(kDataBytesMax + 1, 0));
  Writer packet;
  packet.write_u8(13);
  packet.write_var_octets(contents.bytes());
  auto decoded = decode_fulfill(packet.bytes());
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, kErrTooLarge);
}

TEST(Packet, EncoderRefusesWhatTheDecoderWouldRefuse) {
  EXPECT_EQ(encode_prepare(example_prepare(1, {})).has_value(), true);
  Prepare bad_destination = example_prepare(1, {});
  bad_destination.destination = "g";
  EXPECT_EQ(encode_prepare(bad_destination).error().code, kErrBadAddress);
  Prepare far_future = example_prepare(1, {});
  far_future.expires_at = at("9999-12-31T23:59:59.999Z") + std::chrono::milliseconds(1);
  EXPECT_EQ(encode_prepare(far_future).error().code, kErrBadTimestamp);

  Reject reject;
  reject.code = "F0";
  EXPECT_EQ(encode_reject(reject).error().code, kErrBadCode);
  reject.code = "F00";
  reject.triggered_by = "not an address";
  EXPECT_EQ(encode_reject(reject).error().code, kErrBadAddress);
  reject.triggered_by = "";
  std::string bad_utf8 = "\xc3\x28";
  reject.message = bad_utf8;
  EXPECT_EQ(encode_reject(reject).error().code, kErrBadUtf8);
}

TEST(Packet, TruncationAtEveryBytePositionIsAnError) {
  for (const auto& [name, type] : packet_vectors()) {
    Bytes packet = vector_bytes({name});
    for (std::size_t n = 0; n < packet.size(); ++n) {
      auto result = decode_and_encode(type, ByteView(packet).first(n));
      EXPECT_FALSE(result) << name << " cut to " << n;
      if (!result) {
        EXPECT_TRUE(result.error().code == kErrTruncated)
            << name << " cut to " << n << ": " << result.error().code;
      }
    }
  }
}

TEST(Packet, TruncatedContentsInsideAConsistentEnvelopeAreAnError) {
  // Shorten the contents and fix the envelope length, so only the fields run short.
  for (const auto& [name, type] : packet_vectors()) {
    Bytes packet = vector_bytes({name});
    Reader reader(packet);
    (void)reader.read_u8();
    ByteView contents = reader.read_var_octets().value();
    for (std::size_t n = 0; n < contents.size(); ++n) {
      Writer shortened;
      shortened.write_u8(packet[0]);
      shortened.write_var_octets(contents.first(n));
      auto result = decode_and_encode(type, shortened.bytes());
      EXPECT_FALSE(result) << name << " contents cut to " << n;
    }
  }
}

TEST(Packet, TrailingBytesAfterTheEnvelopeAreRefused) {
  for (const auto& [name, type] : packet_vectors()) {
    Bytes packet = vector_bytes({name});
    packet.push_back(0x00);
    auto result = decode_and_encode(type, packet);
    ASSERT_FALSE(result) << name;
    EXPECT_EQ(result.error().code, kErrTrailingBytes) << name;
  }
}

TEST(Packet, BytesAfterTheLastFieldInsideTheContentsAreIgnored) {
  Bytes packet = vector_bytes({"prepareEmptyData"});
  Reader reader(packet);
  (void)reader.read_u8();
  Bytes contents = to_bytes(as_chars(reader.read_var_octets().value()));
  contents.push_back(0x42);
  Writer extended;
  extended.write_u8(12);
  extended.write_var_octets(contents);
  auto decoded = decode_prepare(extended.bytes());
  ASSERT_TRUE(decoded);
  EXPECT_EQ(encode_prepare(*decoded).value(), vector_bytes({"prepareEmptyData"}));
}

TEST(Packet, WrongTypeBytesAreRefused) {
  for (const auto& [name, type] : packet_vectors()) {
    Bytes packet = vector_bytes({name});
    for (int byte = 0; byte < 256; ++byte) {
      if (byte == static_cast<int>(type)) continue;
      packet[0] = static_cast<std::uint8_t>(byte);
      auto result = decode_and_encode(type, packet);
      ASSERT_FALSE(result) << name << " type " << byte;
      EXPECT_EQ(result.error().code, kErrBadType);
    }
  }
  EXPECT_EQ(packet_type(unhex("0b00")).error().code, kErrBadType);
  EXPECT_EQ(packet_type({}).error().code, kErrTruncated);
  EXPECT_EQ(decode_reply(vector_bytes({"prepare"})).error().code, kErrBadType);
}

TEST(Packet, NonCanonicalEnvelopeLengthsAreRefused) {
  Bytes packet = vector_bytes({"rejectEmptyTriggeredBy"});  // 0e 06 ...
  ByteView contents = ByteView(packet).subspan(2);
  for (const char* prefix : {"8106", "820006", "80", "89000000000000000006", "ff"}) {
    Bytes bad = unhex(prefix);
    bad.insert(bad.begin(), 0x0e);
    bad.insert(bad.end(), contents.begin(), contents.end());
    auto result = decode_reject(bad);
    ASSERT_FALSE(result) << prefix;
    EXPECT_EQ(result.error().code, kErrBadLength) << prefix;
  }
}

TEST(Packet, LengthsLongerThanTheInputAreRefused) {
  Bytes packet = vector_bytes({"prepare"});
  packet[1] = 0x69;  // one more than the 0x68 contents bytes present
  EXPECT_EQ(decode_prepare(packet).error().code, kErrTruncated);
  packet = vector_bytes({"prepare"});
  packet[1] = 0x7f;
  EXPECT_EQ(decode_prepare(packet).error().code, kErrTruncated);
  // The destination's length prefix points past the end of the contents.
  packet = vector_bytes({"prepare"});
  std::size_t destination_prefix = 2 + 8 + 17 + 32;
  ASSERT_EQ(packet[destination_prefix], 0x0d);
  packet[destination_prefix] = 0x7f;
  EXPECT_EQ(decode_prepare(packet).error().code, kErrTruncated);
  packet[destination_prefix] = 0x84;  // 4-byte length, only partly present
  EXPECT_FALSE(decode_prepare(packet));
}

TEST(Packet, InvalidFieldsAreRefused) {
  Bytes packet = vector_bytes({"prepareEmptyData"});
  std::size_t timestamp_at = 2 + 8;
  Bytes bad_time = packet;
  bad_time[timestamp_at + 4] = '1';  // month 13
  bad_time[timestamp_at + 5] = '3';
  EXPECT_EQ(decode_prepare(bad_time).error().code, kErrBadTimestamp);
  Bytes letter_time = packet;
  letter_time[timestamp_at] = 'x';
  EXPECT_EQ(decode_prepare(letter_time).error().code, kErrBadTimestamp);
  Bytes bad_destination = packet;
  bad_destination[2 + 8 + 17 + 32 + 1] = 'X';  // "Xxample.alice": no such scheme
  EXPECT_EQ(decode_prepare(bad_destination).error().code, kErrBadAddress);

  Bytes reject = vector_bytes({"reject"});
  Bytes bad_code = reject;
  bad_code[2] = ' ';
  EXPECT_EQ(decode_reject(bad_code).error().code, kErrBadCode);
  Bytes bad_triggered_by = reject;
  bad_triggered_by[2 + 3 + 1] = '!';
  EXPECT_EQ(decode_reject(bad_triggered_by).error().code, kErrBadAddress);
  Bytes bad_message = reject;
  bad_message[2 + 3 + 1 + 14 + 1] = 0xff;
  EXPECT_EQ(decode_reject(bad_message).error().code, kErrBadUtf8);
}

TEST(Packet, DecodeReplyGivesFulfillOrReject) {
  auto fulfill = decode_reply(vector_bytes({"fulfill"}));
  ASSERT_TRUE(fulfill);
  EXPECT_TRUE(std::holds_alternative<Fulfill>(*fulfill));
  Bytes reject_bytes = vector_bytes({"reject"});
  auto reject = decode_reply(reject_bytes);
  ASSERT_TRUE(reject);
  ASSERT_TRUE(std::holds_alternative<Reject>(*reject));
  EXPECT_EQ(std::get<Reject>(*reject).code, "F01");
  EXPECT_EQ(encode_reply(*reject).value(), reject_bytes);
}

TEST(Packet, FulfillmentMatchesItsCondition) {
  Fulfillment zeros{};
  Condition ildcp =
      condition_from_hex("66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925");
  EXPECT_EQ(condition_of(zeros), ildcp);
  EXPECT_TRUE(fulfillment_matches(zeros, ildcp));
  Fulfillment other{};
  other[31] = 1;
  EXPECT_FALSE(fulfillment_matches(other, ildcp));
}

TEST(Packet, RewritePrepareChangesOnlyAmountAndExpiry) {
  Bytes data(300, 0x07);  // long-form envelope length
  Bytes packet = encode_prepare(example_prepare(107, data)).value();
  TimePoint later = at("2030-06-15T12:34:56.789Z");
  ASSERT_TRUE(rewrite_prepare(packet, 99, later));
  auto decoded = decode_prepare(packet);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->amount, 99u);
  EXPECT_EQ(decoded->expires_at, later);
  Prepare expected = example_prepare(99, data);
  expected.expires_at = later;
  EXPECT_EQ(packet, encode_prepare(expected).value());

  Bytes not_prepare = vector_bytes({"fulfill"});
  Bytes before = not_prepare;
  EXPECT_EQ(rewrite_prepare(not_prepare, 1, later).error().code, kErrBadType);
  EXPECT_EQ(not_prepare, before);
  Bytes untouched = packet;
  EXPECT_EQ(
      rewrite_prepare(packet, 1, at("9999-12-31T23:59:59.999Z") + std::chrono::milliseconds(1))
          .error()
          .code,
      kErrBadTimestamp);
  EXPECT_EQ(packet, untouched);
}
