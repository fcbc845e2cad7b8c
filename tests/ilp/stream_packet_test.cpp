// STREAM packets and frames against the RFC 29 fixtures (both directions), the reference
// vectors of ilp.md §7, and bad input: every truncation, bad lengths, tampering, wrong keys.
#include "ilp/stream/packet.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <charconv>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "crypto/aes_gcm.h"
#include "crypto/stream_keys.h"
#include "ilp/oer.h"
#include "ilp/stream/frames.h"
#include "ilp/stream/receipt.h"
#include "ilp/vectors.h"

namespace rafiki::ilp::stream {
namespace {

using testing::hex;
Bytes unhex(std::string_view spaced) {
  std::string compact;
  for (char c : spaced) {
    if (c != ' ') compact.push_back(c);
  }
  return testing::unhex(compact);
}
using testing::vector_bytes;
using testing::vector_text;
namespace json = boost::json;

const json::array& fixtures() {
  static const json::value root = [] {
    std::ifstream file(RAFIKI_SOURCE_DIR "/tests/ilp/testdata/stream-packet-fixtures.json");
    if (!file) throw std::runtime_error("cannot open stream-packet-fixtures.json");
    std::stringstream text;
    text << file.rdbuf();
    return json::parse(text.str());
  }();
  return root.as_array();
}

std::uint64_t number(const json::value& v) {
  std::string_view text = v.as_string();
  std::uint64_t out = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end != text.data() + text.size()) throw std::runtime_error("number");
  return out;
}
std::string text(const json::value& v) {
  return std::string(v.as_string());
}
Bytes base64(const json::value& v) {
  auto bytes = encoding::base64_decode(v.as_string());
  if (!bytes) throw std::runtime_error("bad base64 in fixture");
  return *bytes;
}
std::uint8_t byte(const json::value& v) {
  return static_cast<std::uint8_t>(v.as_int64());
}

Frame frame_from(const json::object& f) {
  switch (static_cast<FrameType>(f.at("type").as_int64())) {
    case FrameType::kConnectionClose:
      return ConnectionClose{byte(f.at("errorCode")), text(f.at("errorMessage"))};
    case FrameType::kConnectionNewAddress:
      return ConnectionNewAddress{text(f.at("sourceAccount"))};
    case FrameType::kConnectionMaxData:
      return ConnectionMaxData{number(f.at("maxOffset"))};
    case FrameType::kConnectionDataBlocked:
      return ConnectionDataBlocked{number(f.at("maxOffset"))};
    case FrameType::kConnectionMaxStreamId:
      return ConnectionMaxStreamId{number(f.at("maxStreamId"))};
    case FrameType::kConnectionStreamIdBlocked:
      return ConnectionStreamIdBlocked{number(f.at("maxStreamId"))};
    case FrameType::kConnectionAssetDetails:
      return ConnectionAssetDetails{text(f.at("sourceAssetCode")), byte(f.at("sourceAssetScale"))};
    case FrameType::kStreamClose:
      return StreamClose{number(f.at("streamId")), byte(f.at("errorCode")),
                         text(f.at("errorMessage"))};
    case FrameType::kStreamMoney:
      return StreamMoney{number(f.at("streamId")), number(f.at("shares"))};
    case FrameType::kStreamMaxMoney:
      return StreamMaxMoney{number(f.at("streamId")), number(f.at("receiveMax")),
                            number(f.at("totalReceived"))};
    case FrameType::kStreamMoneyBlocked:
      return StreamMoneyBlocked{number(f.at("streamId")), number(f.at("sendMax")),
                                number(f.at("totalSent"))};
    case FrameType::kStreamData:
      return StreamData{number(f.at("streamId")), number(f.at("offset")), base64(f.at("data"))};
    case FrameType::kStreamMaxData:
      return StreamMaxData{number(f.at("streamId")), number(f.at("maxOffset"))};
    case FrameType::kStreamDataBlocked:
      return StreamDataBlocked{number(f.at("streamId")), number(f.at("maxOffset"))};
    case FrameType::kStreamReceipt:
      return StreamReceipt{number(f.at("streamId")), base64(f.at("receipt"))};
  }
  throw std::runtime_error("unknown frame type in fixture");
}

Packet packet_from(const json::object& p) {
  Packet packet;
  packet.sequence = number(p.at("sequence"));
  packet.ilp_packet_type = static_cast<PacketType>(p.at("packetType").as_int64());
  packet.prepare_amount = number(p.at("amount"));
  for (const auto& f : p.at("frames").as_array())
    packet.frames.push_back(frame_from(f.as_object()));
  return packet;
}

TEST(StreamPacket, EncodesEveryFixtureByteForByte) {
  ASSERT_EQ(fixtures().size(), 53u);
  int encoded = 0;
  for (const auto& entry : fixtures()) {
    const auto& fixture = entry.as_object();
    if (fixture.contains("decode_only")) continue;
    SCOPED_TRACE(std::string(fixture.at("name").as_string()));
    EXPECT_EQ(hex(encode_packet(packet_from(fixture.at("packet").as_object()))),
              hex(base64(fixture.at("buffer"))));
    ++encoded;
  }
  EXPECT_EQ(encoded, 51);
}

TEST(StreamPacket, DecodesEveryFixtureIncludingSaturatedAmounts) {
  for (const auto& entry : fixtures()) {
    const auto& fixture = entry.as_object();
    SCOPED_TRACE(std::string(fixture.at("name").as_string()));
    auto decoded = decode_packet(base64(fixture.at("buffer")));
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(*decoded, packet_from(fixture.at("packet").as_object()));
  }
}

TEST(StreamPacket, EncodesEachFrameVectorOfTheReferenceNotes) {
  const auto& frames = testing::vectors().at("stream").at("frames").as_object();
  std::vector<Frame> all = {
      ConnectionClose{1, "bye"},
      ConnectionNewAddress{"example.client"},
      ConnectionMaxData{0},
      ConnectionDataBlocked{1000},
      ConnectionMaxStreamId{1},
      ConnectionStreamIdBlocked{3},
      ConnectionAssetDetails{"USD", 2},
      StreamClose{1, 9, "oops"},
      StreamMoney{1, 1},
      StreamMaxMoney{1, kReceiveMaxUnlimited, 500},
      StreamMoneyBlocked{1, 1000, 200},
      StreamData{1, 0, to_bytes("hi")},
      StreamMaxData{1, 65536},
      StreamDataBlocked{1, 65536},
      StreamReceipt{1, Bytes{1}},
  };
  ASSERT_EQ(all.size(), frames.size());
  for (const Frame& frame : all) {
    std::string name(frame_type_name(frame_type(frame)));
    SCOPED_TRACE(name);
    Bytes wire = unhex(frames.at(name).as_string());
    EXPECT_EQ(hex(encode_frame(frame)), hex(wire));
    Reader reader(wire);
    auto decoded = read_frame(reader);
    ASSERT_TRUE(decoded && *decoded);
    EXPECT_EQ(**decoded, frame);
    EXPECT_TRUE(reader.empty());
  }
  Packet packet;
  packet.sequence = 7;
  packet.ilp_packet_type = PacketType::kFulfill;
  packet.prepare_amount = 250;
  packet.frames = all;
  EXPECT_EQ(hex(encode_packet(packet)), vector_text({"stream", "packetWithAllFrames"}));
  auto decoded = decode_packet(vector_bytes({"stream", "packetWithAllFrames"}));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, packet);
}

TEST(StreamPacket, SkipsUnknownFramesAndIgnoresPaddingAndExtraFrameBytes) {
  // seq 0, type 12, amount 0, 3 frames: unknown 0x99 (3 bytes), StreamMoney(1,1) with an extra
  // trailing byte inside its contents, unknown 0x08 (empty); then zero padding.
  Bytes wire = unhex("010c0100010001039903aabbcc1105010101010708000000");
  auto decoded = decode_packet(wire);
  ASSERT_TRUE(decoded) << decoded.error().message;
  ASSERT_EQ(decoded->frames.size(), 1u);
  EXPECT_EQ(decoded->frames[0], Frame(StreamMoney{1, 1}));
}

TEST(StreamPacket, RejectsOtherVersionsAndPacketTypes) {
  EXPECT_EQ(decode_packet(unhex("020c010001000100")).error().code, kErrBadVersion);
  EXPECT_EQ(decode_packet(unhex("000c010001000100")).error().code, kErrBadVersion);
  EXPECT_EQ(decode_packet(unhex("010b010001000100")).error().code, kErrBadType);
  EXPECT_EQ(decode_packet(unhex("010f010001000100")).error().code, kErrBadType);
}

TEST(StreamPacket, EveryTruncationOfEveryFixtureIsAnErrorNeverACrash) {
  for (const auto& entry : fixtures()) {
    Bytes wire = base64(entry.as_object().at("buffer"));
    for (std::size_t n = 0; n < wire.size(); ++n) {
      auto decoded = decode_packet(ByteView(wire).first(n));
      EXPECT_FALSE(decoded) << entry.as_object().at("name").as_string() << " cut at " << n;
    }
  }
  Bytes all = vector_bytes({"stream", "packetWithAllFrames"});
  for (std::size_t n = 0; n < all.size(); ++n) EXPECT_FALSE(decode_packet(ByteView(all).first(n)));
}

TEST(StreamPacket, RejectsBadLengthsAndOversizedNumbers) {
  // Frame count larger than the frames present.
  EXPECT_EQ(decode_packet(unhex("010c010001000102110401010101")).error().code, kErrTruncated);
  // Frame length pointing past the end.
  EXPECT_EQ(decode_packet(unhex("010c0100010001011109010101")).error().code, kErrTruncated);
  // Non-canonical long-form length (0x81 0x04).
  EXPECT_EQ(decode_packet(unhex("010c010001000101118104010101 01")).error().code, kErrBadLength);
  // Sequence of 9 bytes.
  EXPECT_EQ(decode_packet(unhex("010c09010000000000000000010001 00")).error().code, kErrTooLarge);
  // StreamMoney shares of 9 bytes: only receiveMax/sendMax saturate.
  EXPECT_EQ(decode_packet(unhex("010c0100010001011 10c0101 09010000000000000000")).error().code,
            kErrTooLarge);
  // A huge frame count is refused before anything is allocated.
  EXPECT_EQ(decode_packet(unhex("010c010001000400ffffff")).error().code, kErrTooLarge);
  // A known frame whose contents end inside a field.
  EXPECT_EQ(decode_packet(unhex("010c0100010001011102 0101")).error().code, kErrTruncated);
  EXPECT_EQ(decode_packet(unhex("010c010001000101070203 55")).error().code, kErrTruncated);
}

TEST(StreamPacket, RandomMutationsOfFixturesNeverCrash) {
  std::mt19937 random(20261126);  // fixed seed: the same inputs every run
  std::size_t decoded = 0;
  for (int round = 0; round < 20; ++round) {
    for (const auto& entry : fixtures()) {
      Bytes wire = base64(entry.as_object().at("buffer"));
      int edits = 1 + static_cast<int>(random() % 4);
      for (int e = 0; e < edits && !wire.empty(); ++e) {
        std::size_t at = random() % wire.size();
        switch (random() % 3) {
          case 0:
            wire[at] = static_cast<std::uint8_t>(random());
            break;
          case 1:
            wire.erase(wire.begin() + static_cast<std::ptrdiff_t>(at));
            break;
          default:
            wire.insert(wire.begin() + static_cast<std::ptrdiff_t>(at),
                        static_cast<std::uint8_t>(random()));
        }
      }
      auto packet = decode_packet(wire);
      if (packet) {
        ++decoded;
        // Whatever decodes re-encodes to something that decodes the same.
        auto again = decode_packet(encode_packet(*packet));
        ASSERT_TRUE(again);
        EXPECT_EQ(*again, *packet);
      }
    }
  }
  EXPECT_GT(decoded, 0u);
}

TEST(StreamEncryption, MatchesTheReferenceVector) {
  Bytes secret = vector_bytes({"stream", "sharedSecret"});
  auto keys = derive_keys(secret);
  ASSERT_TRUE(keys);
  EXPECT_EQ(hex(keys->encryption_key), vector_text({"stream", "encryptionKey"}));
  EXPECT_EQ(hex(keys->fulfillment_key), vector_text({"stream", "fulfillmentKey"}));

  Packet packet;
  packet.sequence = 1;
  packet.prepare_amount = 100;
  packet.frames = {StreamMoney{1, 1}};
  EXPECT_EQ(hex(encode_packet(packet)), vector_text({"stream", "examplePacket", "plaintext"}));
  auto sealed =
      encrypt_packet_with_iv(*keys, vector_bytes({"stream", "examplePacket", "iv"}), packet);
  ASSERT_TRUE(sealed);
  EXPECT_EQ(hex(*sealed), vector_text({"stream", "examplePacket", "encrypted"}));
  EXPECT_EQ(hex(fulfillment_for(*keys, *sealed)),
            vector_text({"stream", "examplePacket", "fulfillment"}));
  EXPECT_EQ(hex(condition_for(*keys, *sealed)),
            vector_text({"stream", "examplePacket", "condition"}));
  auto opened = decrypt_packet(*keys, *sealed);
  ASSERT_TRUE(opened);
  EXPECT_EQ(*opened, packet);
}

TEST(StreamEncryption, RoundTripsWithFreshIvs) {
  auto keys = derive_keys(Bytes(32, 0x42));
  ASSERT_TRUE(keys);
  Packet packet;
  packet.sequence = 99;
  packet.ilp_packet_type = PacketType::kReject;
  packet.frames = {ConnectionClose{1, ""}, StreamData{1, 0, Bytes(1000, 7)}};
  Bytes a = encrypt_packet(*keys, packet);
  Bytes b = encrypt_packet(*keys, packet);
  EXPECT_NE(a, b);  // a fresh IV each time
  EXPECT_EQ(*decrypt_packet(*keys, a), packet);
  EXPECT_EQ(*decrypt_packet(*keys, b), packet);
}

TEST(StreamEncryption, TamperedShortOrForeignCiphertextNeverDecrypts) {
  auto keys = derive_keys(vector_bytes({"stream", "sharedSecret"}));
  auto other = derive_keys(Bytes(32, 0x12));
  Bytes sealed = vector_bytes({"stream", "examplePacket", "encrypted"});
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    Bytes tampered = sealed;
    tampered[i] ^= 0x01;
    EXPECT_EQ(decrypt_packet(*keys, tampered).error().code, kErrDecryptFailed) << i;
  }
  for (std::size_t n = 0; n < sealed.size(); ++n) {
    EXPECT_EQ(decrypt_packet(*keys, ByteView(sealed).first(n)).error().code, kErrDecryptFailed);
  }
  EXPECT_EQ(decrypt_packet(*other, sealed).error().code, kErrDecryptFailed);
  EXPECT_EQ(derive_keys(Bytes(31, 1)).error().code, kErrBadSecret);
  EXPECT_EQ(derive_keys(Bytes(33, 1)).error().code, kErrBadSecret);
}

TEST(StreamEncryption, AuthenticGarbageIsADecodeErrorNotACrash) {
  auto keys = derive_keys(Bytes(32, 0x42));
  for (const char* plain : {"", "01", "010c", "ff", "010c0100010005"}) {
    auto sealed = crypto::stream_encrypt(keys->encryption_key, unhex(plain));
    ASSERT_TRUE(sealed);
    EXPECT_FALSE(decrypt_packet(*keys, *sealed)) << plain;
  }
}

TEST(StreamReceipts, MatchesTheReferenceVectorAndVerifies) {
  ReceiptNonce nonce{};
  ReceiptSecret secret{};
  Bytes nonce_bytes = vector_bytes({"receipt", "nonce"});
  Bytes secret_bytes = vector_bytes({"receipt", "secret"});
  std::copy(nonce_bytes.begin(), nonce_bytes.end(), nonce.begin());
  std::copy(secret_bytes.begin(), secret_bytes.end(), secret.begin());
  Bytes receipt = create_receipt(nonce, secret, 1, 1000);
  EXPECT_EQ(hex(receipt), vector_text({"receipt", "receipt"}));
  auto verified = verify_receipt(receipt, secret);
  ASSERT_TRUE(verified);
  EXPECT_EQ(verified->nonce, nonce);
  EXPECT_EQ(verified->stream_id, 1);
  EXPECT_EQ(verified->total_received, 1000u);

  ReceiptSecret wrong = secret;
  wrong[0] ^= 1;
  EXPECT_EQ(verify_receipt(receipt, wrong).error().code, kErrBadReceipt);
  for (std::size_t i = 0; i < receipt.size(); ++i) {
    Bytes tampered = receipt;
    tampered[i] ^= 0x80;
    EXPECT_FALSE(verify_receipt(tampered, secret)) << i;
  }
  EXPECT_FALSE(verify_receipt(ByteView(receipt).first(57), secret));
  Bytes longer = receipt;
  longer.push_back(0);
  EXPECT_FALSE(verify_receipt(longer, secret));
}

}  // namespace
}  // namespace rafiki::ilp::stream
