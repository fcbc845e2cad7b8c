// The stateless STREAM receiver: credentials against the stream-receiver vectors, and the
// answer to every kind of Prepare (reference notes §7.8 "receiverBehaviour"), with money
// offered to the application only for packets that are then fulfilled.
#include "ilp/stream/receiver.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>

#include "base/encoding.h"
#include "ilp/error_codes.h"
#include "ilp/oer.h"
#include "stream_test_support.h"
#include "vectors.h"

namespace rafiki::ilp::stream {
namespace {

namespace asio = boost::asio;
using ilp::testing::hex;
using ilp::testing::unhex;
using ilp::testing::vector_bytes;
using ilp::testing::vector_text;
using testing::make_prepare;
using testing::run;

const std::string kTag = "9b6a2f4e-3d6c-4a7c-9a0e-0c8c7e2f4a11";

Receiver make_receiver(ReceiverOptions options = {}) {
  auto receiver = Receiver::create(vector_bytes({"streamReceiver", "serverSecret"}),
                                   vector_text({"streamReceiver", "serverAddress"}), options);
  if (!receiver) throw std::runtime_error(receiver.error().message);
  return std::move(*receiver);
}

ConnectionDetails usd_details() {
  ConnectionDetails details;
  details.payment_tag = kTag;
  details.asset = AssetDetails{"USD", 2};
  return details;
}

// What came back for a Prepare, decoded, with the STREAM reply decrypted when there is one.
struct Answer {
  bool fulfilled = false;
  std::string code;
  std::string triggered_by;
  Bytes fulfillment;
  std::optional<Packet> stream;
};

Answer answer_of(ByteView reply_bytes, const ConnectionKeys& keys) {
  auto reply = decode_reply(reply_bytes);
  if (!reply) throw std::runtime_error("receiver answered a non-packet");
  Answer answer;
  ByteView data;
  if (auto* f = std::get_if<Fulfill>(&*reply)) {
    answer.fulfilled = true;
    answer.fulfillment.assign(f->fulfillment.begin(), f->fulfillment.end());
    data = f->data;
  } else {
    auto& r = std::get<Reject>(*reply);
    answer.code = std::string(r.code);
    answer.triggered_by = std::string(r.triggered_by);
    data = r.data;
  }
  if (!data.empty()) {
    auto packet = decrypt_packet(keys, data);
    if (packet) answer.stream = std::move(*packet);
  }
  return answer;
}

struct Exchange {
  Receiver receiver = make_receiver();
  Credentials credentials;
  ConnectionKeys keys;
  std::vector<IncomingMoney> offered;
  MoneyAnswer next_answer;

  explicit Exchange(ConnectionDetails details = usd_details(), ReceiverOptions options = {})
      : receiver(make_receiver(options)) {
    credentials = *receiver.generate_credentials(details);
    keys = *derive_keys(credentials.shared_secret);
  }

  Answer send(ByteView prepare_bytes) {
    auto prepare = decode_prepare(prepare_bytes);
    if (!prepare) throw std::runtime_error("bad test prepare");
    MoneyHandler handler = [this](IncomingMoney money) -> asio::awaitable<MoneyAnswer> {
      offered.push_back(std::move(money));
      co_return next_answer;
    };
    Bytes reply = run(receiver.handle_prepare(*prepare, handler));
    return answer_of(reply, keys);
  }
  Answer send(std::uint64_t amount, Packet packet, bool random_condition = false) {
    return send(make_prepare(keys, credentials.ilp_address, amount, packet, random_condition));
  }
};

Packet request(std::uint64_t sequence, std::uint64_t minimum, std::vector<Frame> frames = {}) {
  Packet packet;
  packet.sequence = sequence;
  packet.prepare_amount = minimum;
  packet.frames = std::move(frames);
  return packet;
}

std::vector<FrameType> types(const Packet& packet) {
  std::vector<FrameType> out;
  for (const auto& f : packet.frames) out.push_back(frame_type(f));
  return out;
}

TEST(StreamReceiver, CredentialsMatchStreamReceiverVectors) {
  Receiver receiver = make_receiver();
  auto credentials = receiver.generate_credentials_with_iv(usd_details(), Bytes(12, 0xa5));
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->ilp_address, vector_text({"streamReceiver", "ilpAddress"}));
  EXPECT_EQ(hex(credentials->shared_secret), vector_text({"streamReceiver", "sharedSecret"}));
  EXPECT_EQ(encoding::base64url_encode(credentials->shared_secret),
            vector_text({"streamReceiver", "sharedSecretBase64url"}));
  EXPECT_EQ(connection_id(credentials->ilp_address),
            vector_text({"streamReceiver", "connectionId"}));
  auto decoded = receiver.decode_destination(credentials->ilp_address);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, usd_details());

  ConnectionDetails with_receipts;
  with_receipts.payment_tag = "abc";
  with_receipts.receipt = ReceiptDetails{};
  with_receipts.receipt->nonce.fill(0x22);
  with_receipts.receipt->secret.fill(0x33);
  with_receipts.asset = AssetDetails{"EUR", 9};
  auto r = receiver.generate_credentials_with_iv(with_receipts, Bytes(12, 0xa6));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->ilp_address, vector_text({"streamReceiver", "withReceipts", "ilpAddress"}));
  EXPECT_EQ(hex(r->shared_secret), vector_text({"streamReceiver", "withReceipts", "sharedSecret"}));
  EXPECT_EQ(*receiver.decode_destination(r->ilp_address + ".more.segments"), with_receipts);
}

TEST(StreamReceiver, AnyProcessWithTheSameSecretAnswersTheConnection) {
  Receiver a = make_receiver();
  Receiver b = make_receiver();
  auto credentials = a.generate_credentials(usd_details());
  ASSERT_TRUE(credentials);
  EXPECT_EQ(*b.decode_destination(credentials->ilp_address), usd_details());
  auto other = Receiver::create(Bytes(32, 0x45), "test.rafiki");
  EXPECT_FALSE(other->decode_destination(credentials->ilp_address));
  // Fresh tokens each time: two connections never share a secret.
  auto again = a.generate_credentials(usd_details());
  EXPECT_NE(again->ilp_address, credentials->ilp_address);
  EXPECT_NE(again->shared_secret, credentials->shared_secret);
}

TEST(StreamReceiver, BoundTokensOnlyDecodeUnderTheAddressTheyWereIssuedUnder) {
  ReceiverOptions bound;
  bound.bind_token_to_address = true;
  const Bytes secret(32, 0x46);
  auto a = Receiver::create(secret, "test.tenant-a", bound);
  auto b = Receiver::create(secret, "test.tenant-b", bound);
  ASSERT_TRUE(a && b);
  auto issued = a->generate_credentials(usd_details());
  ASSERT_TRUE(issued);
  EXPECT_EQ(*a->decode_destination(issued->ilp_address), usd_details());
  const std::string token = issued->ilp_address.substr(std::string("test.tenant-a.").size());
  EXPECT_FALSE(b->decode_destination("test.tenant-b." + token));
  // Nor by an unbound receiver at the same address, nor the other way round.
  auto plain_a = Receiver::create(secret, "test.tenant-a");
  EXPECT_FALSE(plain_a->decode_destination(issued->ilp_address));
  auto plain_issued = plain_a->generate_credentials(usd_details());
  EXPECT_FALSE(a->decode_destination(plain_issued->ilp_address));
  // A Prepare to the moved token is refused F06 (not ours), with no money offered.
  auto keys = derive_keys(issued->shared_secret);
  ASSERT_TRUE(keys);
  auto prepare_bytes = make_prepare(*keys, "test.tenant-b." + token, 100, request(1, 0));
  auto prepare = decode_prepare(prepare_bytes);
  ASSERT_TRUE(prepare);
  int offered = 0;
  MoneyHandler handler = [&offered](IncomingMoney) -> asio::awaitable<MoneyAnswer> {
    ++offered;
    MoneyAnswer answer;
    co_return answer;
  };
  Bytes reply = run(b->handle_prepare(*prepare, handler));
  auto decoded = decode_reply(reply);
  ASSERT_TRUE(decoded);
  ASSERT_TRUE(std::holds_alternative<Reject>(*decoded));
  EXPECT_EQ(std::get<Reject>(*decoded).code, "F06");
  EXPECT_EQ(offered, 0);
}

TEST(StreamReceiver, RefusesBadSetUpAndOverlongAddresses) {
  EXPECT_EQ(Receiver::create(Bytes(31, 1), "test.rafiki").error().code, kErrBadCredentials);
  EXPECT_EQ(Receiver::create(Bytes(32, 1), "test.").error().code, kErrBadCredentials);
  Receiver receiver = make_receiver();
  ConnectionDetails huge;
  huge.payment_tag = std::string(800, 'x');
  EXPECT_EQ(receiver.generate_credentials(huge).error().code, kErrBadCredentials);
}

TEST(StreamReceiver, DecodesStandardBase64TokensLikeNode) {
  Receiver receiver = make_receiver();
  std::string address = vector_text({"streamReceiver", "ilpAddress"});
  std::string standard = address;
  for (char& c : standard) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  EXPECT_EQ(*receiver.decode_destination(standard), usd_details());
  EXPECT_FALSE(receiver.decode_destination("test.rafiki"));
  EXPECT_FALSE(receiver.decode_destination("test.rafiki."));
  EXPECT_FALSE(receiver.decode_destination("test.rafikiX.abc"));
  EXPECT_FALSE(receiver.decode_destination("test.rafiki.!!!"));
}

TEST(StreamReceiver, AnswersEachKindOfPrepareAsStreamReceiverDoes) {
  Exchange ex;
  // Unfulfillable with ConnectionNewAddress: F05 with ConnectionAssetDetails.
  Answer a = ex.send(10, request(1, 0, {ConnectionNewAddress{"test.sender"}}), true);
  EXPECT_EQ(a.code, "F05");
  EXPECT_EQ(a.triggered_by, "test.rafiki");
  ASSERT_TRUE(a.stream);
  EXPECT_EQ(a.stream->sequence, 1u);
  EXPECT_EQ(a.stream->ilp_packet_type, PacketType::kReject);
  EXPECT_EQ(a.stream->prepare_amount, 10u);
  ASSERT_EQ(a.stream->frames.size(), 1u);
  EXPECT_EQ(a.stream->frames[0], Frame(ConnectionAssetDetails{"USD", 2}));

  // Fulfillable amount 0: Fulfill, no frames, no money offered.
  Answer b = ex.send(0, request(2, 0));
  EXPECT_TRUE(b.fulfilled);
  ASSERT_TRUE(b.stream);
  EXPECT_EQ(b.stream->ilp_packet_type, PacketType::kFulfill);
  EXPECT_TRUE(b.stream->frames.empty());

  // Below the sender's minimum: F04 telling the amount that arrived.
  Answer c = ex.send(10, request(3, 11, {StreamMoney{1, 1}}));
  EXPECT_EQ(c.code, "F04");
  EXPECT_EQ(c.stream->prepare_amount, 10u);
  EXPECT_TRUE(ex.offered.empty());

  // Money: offered once, accepted, fulfilled.
  Answer d = ex.send(10, request(4, 9, {StreamMoney{1, 1}, StreamData{1, 0, to_bytes("memo")}}));
  EXPECT_TRUE(d.fulfilled);
  EXPECT_EQ(d.stream->sequence, 4u);
  EXPECT_EQ(d.stream->prepare_amount, 10u);
  ASSERT_EQ(ex.offered.size(), 1u);
  EXPECT_EQ(ex.offered[0].amount, 10u);
  EXPECT_EQ(ex.offered[0].details.payment_tag, kTag);
  EXPECT_EQ(ex.offered[0].connection_id, connection_id(ex.credentials.ilp_address));
  ASSERT_EQ(ex.offered[0].data.size(), 1u);
  EXPECT_EQ(to_string(ex.offered[0].data[0].data), "memo");

  // Final decline with application data: F99 [ConnectionClose, StreamData].
  ex.next_answer.decision = MoneyDecision::kFinalDecline;
  ex.next_answer.application_data = to_bytes("nope");
  Answer e = ex.send(10, request(5, 9, {StreamMoney{1, 1}}));
  EXPECT_EQ(e.code, "F99");
  EXPECT_EQ(types(*e.stream),
            (std::vector<FrameType>{FrameType::kConnectionClose, FrameType::kStreamData}));
  EXPECT_EQ(e.stream->frames[1], Frame(StreamData{1, 0, to_bytes("nope")}));

  // Temporary decline: T00 with a STREAM reply.
  ex.next_answer = MoneyAnswer{};
  ex.next_answer.decision = MoneyDecision::kTemporaryDecline;
  Answer f = ex.send(10, request(6, 9, {StreamMoney{1, 1}}));
  EXPECT_EQ(f.code, "T00");
  ASSERT_TRUE(f.stream);
  EXPECT_EQ(f.stream->sequence, 6u);

  // The sender closes: F99 [ConnectionClose], nothing offered.
  std::size_t offered_before = ex.offered.size();
  Answer g = ex.send(0, request(7, 0, {ConnectionClose{}}));
  EXPECT_EQ(g.code, "F99");
  EXPECT_EQ(types(*g.stream), (std::vector<FrameType>{FrameType::kConnectionClose}));
  Answer g2 = ex.send(10, request(8, 0, {StreamMoney{1, 1}, ConnectionClose{}}));
  EXPECT_EQ(g2.code, "F99");
  EXPECT_EQ(ex.offered.size(), offered_before);
}

TEST(StreamReceiver, CompatibilityModeAnswersF99ForConditionAndMinimum) {
  ReceiverOptions options;
  options.f99_for_condition_and_minimum = true;
  Exchange ex(usd_details(), options);
  Answer a = ex.send(10, request(1, 0), true);
  EXPECT_EQ(a.code, "F99");
  EXPECT_EQ(a.stream->prepare_amount, 10u);
  Answer b = ex.send(10, request(2, 11, {StreamMoney{1, 1}}));
  EXPECT_EQ(b.code, "F99");
  EXPECT_TRUE(ex.offered.empty());
}

TEST(StreamReceiver, RejectsWhatIsNotForItWithoutData) {
  Exchange ex;
  Packet packet = request(1, 0, {StreamMoney{1, 1}});
  // Another address.
  Answer a = ex.send(make_prepare(ex.keys, "test.elsewhere.abc", 10, packet));
  EXPECT_EQ(a.code, "F02");
  EXPECT_FALSE(a.stream);
  Answer a2 = ex.send(make_prepare(ex.keys, "test.rafiki", 10, packet));
  EXPECT_EQ(a2.code, "F02");
  // A token that is not ours.
  Answer b = ex.send(
      make_prepare(ex.keys, "test.rafiki.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 10, packet));
  EXPECT_EQ(b.code, "F06");
  EXPECT_FALSE(b.stream);
  // Data encrypted under another connection's secret.
  auto other_keys = *derive_keys(Bytes(32, 9));
  Answer c = ex.send(make_prepare(other_keys, ex.credentials.ilp_address, 10, packet));
  EXPECT_EQ(c.code, "F06");
  EXPECT_FALSE(c.stream);
  // A STREAM packet that claims to ride on a Fulfill.
  Packet wrong_type = packet;
  wrong_type.ilp_packet_type = PacketType::kFulfill;
  Answer d = ex.send(10, wrong_type);
  EXPECT_EQ(d.code, "F00");
  EXPECT_FALSE(d.stream);
  EXPECT_TRUE(ex.offered.empty());
}

TEST(StreamReceiver, TamperedPacketsNeverCreditMoney) {
  Exchange ex;
  Bytes good =
      make_prepare(ex.keys, ex.credentials.ilp_address, 10, request(1, 1, {StreamMoney{1, 1}}));
  auto prepare = decode_prepare(good);
  ASSERT_TRUE(prepare);
  // Flip each byte of the STREAM data in turn (keeping the original condition).
  std::size_t data_offset = static_cast<std::size_t>(prepare->data.data() - good.data());
  for (std::size_t i = 0; i < prepare->data.size(); ++i) {
    Bytes tampered = good;
    tampered[data_offset + i] ^= 0x04;
    Answer a = ex.send(tampered);
    EXPECT_FALSE(a.fulfilled) << i;
    EXPECT_TRUE(a.code == "F06" || a.code == "F05") << a.code;
  }
  // Flip each byte of the condition.
  auto fields = *decode_prepare(good);
  for (std::size_t i = 0; i < kConditionBytes; ++i) {
    Prepare p = fields;
    p.execution_condition[i] ^= 0x01;
    Answer a = ex.send(*encode_prepare(p));
    EXPECT_EQ(a.code, "F05");
  }
  EXPECT_TRUE(ex.offered.empty());
  // The untouched packet still goes through, once.
  EXPECT_TRUE(ex.send(good).fulfilled);
  EXPECT_EQ(ex.offered.size(), 1u);
}

TEST(StreamReceiver, IssuesReceiptsWhenTheTokenCarriesReceiptDetails) {
  ConnectionDetails details = usd_details();
  details.receipt = ReceiptDetails{};
  details.receipt->nonce.fill(0x22);
  details.receipt->secret.fill(0x33);
  Exchange ex(details);
  ex.next_answer.total_received = 1000;
  Answer a = ex.send(10, request(1, 10, {StreamMoney{1, 1}}));
  ASSERT_TRUE(a.fulfilled);
  ASSERT_EQ(a.stream->frames.size(), 1u);
  auto& receipt = std::get<StreamReceipt>(a.stream->frames[0]);
  EXPECT_EQ(receipt.stream_id, 1u);
  EXPECT_EQ(hex(receipt.receipt), vector_text({"receipt", "receipt"}));

  // Without receipt details, no receipt even when the total is known.
  Exchange plain;
  plain.next_answer.total_received = 1000;
  Answer b = plain.send(10, request(1, 10, {StreamMoney{1, 1}}));
  ASSERT_TRUE(b.fulfilled);
  EXPECT_TRUE(b.stream->frames.empty());
}

TEST(StreamReceiver, HandlerFailureIsATemporaryRejectAndExpiredOrTooLargeNeverReachIt) {
  ReceiverOptions options;
  options.max_packet_amount = 100;
  Exchange ex(usd_details(), options);
  MoneyHandler throws = [](IncomingMoney) -> asio::awaitable<MoneyAnswer> {
    throw std::runtime_error("database down");
    co_return MoneyAnswer{};
  };
  Bytes prepare_bytes =
      make_prepare(ex.keys, ex.credentials.ilp_address, 10, request(1, 1, {StreamMoney{1, 1}}));
  auto prepare = *decode_prepare(prepare_bytes);
  Answer a = answer_of(run(ex.receiver.handle_prepare(prepare, throws)), ex.keys);
  EXPECT_EQ(a.code, "T00");

  Answer b = ex.send(101, request(2, 1, {StreamMoney{1, 1}}));
  EXPECT_EQ(b.code, "F08");
  Prepare expired = prepare;
  expired.expires_at = now_ms() - std::chrono::seconds(1);
  Answer c = ex.send(*encode_prepare(expired));
  EXPECT_EQ(c.code, "R00");
  EXPECT_TRUE(ex.offered.empty());
}

}  // namespace
}  // namespace rafiki::ilp::stream
