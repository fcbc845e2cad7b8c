// Byte-for-byte agreement of our ILP packet and ILDCP codecs with ilp-packet and
// ilp-protocol-ildcp (the versions upstream Rafiki pins). A corpus of packets made by our
// encoders (boundary amounts, empty and maximum-size data, every error code, ILDCP) goes to one
// node process, which decodes each packet, re-encodes what it decoded, and encodes the same
// fields from scratch; we require the same fields and the same bytes both ways, and decode the
// node-encoded bytes ourselves.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <random>
#include <string>
#include <vector>

#include "base/encoding.h"
#include "base/time.h"
#include "ilp/error_codes.h"
#include "ilp/ildcp.h"
#include "ilp/packet.h"
#include "node_harness.h"

using namespace rafiki;
using namespace rafiki::ilp;
namespace json = boost::json;

namespace {

std::string hex(ByteView bytes) {
  return encoding::hex_encode(bytes);
}

struct Case {
  std::string name;
  std::string kind;  // prepare, fulfill, reject, ildcp_request, ildcp_response, invalid
  Bytes packet;
  json::object fields;
};

// What our decoders read from a packet of `kind`, in the harness's field names.
Result<json::object> our_fields(const std::string& kind, ByteView packet) {
  json::object f;
  if (kind == "prepare") {
    auto p = decode_prepare(packet);
    if (!p) return std::unexpected(p.error());
    f["amount"] = std::to_string(p->amount);
    f["expiresAt"] = format_rfc3339(p->expires_at);
    f["executionCondition"] = hex(p->execution_condition);
    f["destination"] = p->destination;
    f["data"] = hex(p->data);
  } else if (kind == "fulfill") {
    auto p = decode_fulfill(packet);
    if (!p) return std::unexpected(p.error());
    f["fulfillment"] = hex(p->fulfillment);
    f["data"] = hex(p->data);
  } else if (kind == "reject") {
    auto p = decode_reject(packet);
    if (!p) return std::unexpected(p.error());
    f["code"] = p->code;
    f["triggeredBy"] = p->triggered_by;
    f["message"] = p->message;
    f["data"] = hex(p->data);
  } else if (kind == "ildcp_request") {
    auto p = decode_prepare(packet);
    if (!p) return std::unexpected(p.error());
    auto valid = ildcp::validate_request(*p, now_ms());
    if (!valid) return std::unexpected(valid.error());
    f["expiresAt"] = format_rfc3339(p->expires_at);
  } else if (kind == "ildcp_response") {
    auto p = ildcp::decode_response(packet);
    if (!p) return std::unexpected(p.error());
    f["clientAddress"] = p->client_address;
    f["assetScale"] = p->asset_scale;
    f["assetCode"] = p->asset_code;
  } else {
    return fail("test", "no fields for kind " + kind);
  }
  return f;
}

class Corpus {
 public:
  std::vector<Case> cases;

  Bytes random_bytes(std::size_t n) {
    Bytes out(n);
    for (auto& b : out) b = static_cast<std::uint8_t>(rng_());
    return out;
  }

  void add(std::string name, std::string kind, Result<Bytes> packet) {
    ASSERT_TRUE(packet) << name << ": " << packet.error().message;
    Case c;
    c.name = std::move(name);
    c.kind = std::move(kind);
    c.packet = std::move(*packet);
    if (c.kind != "invalid") {
      auto fields = our_fields(c.kind, c.packet);
      ASSERT_TRUE(fields) << c.name << ": " << fields.error().message;
      c.fields = std::move(*fields);
    }
    cases.push_back(std::move(c));
  }

  void prepare(std::string name, std::uint64_t amount, std::string_view expires_iso,
               std::string_view destination, std::size_t data_bytes) {
    Bytes data = random_bytes(data_bytes);
    Bytes condition = random_bytes(kConditionBytes);
    Prepare p;
    p.amount = amount;
    p.expires_at = parse_rfc3339(expires_iso).value();
    std::copy(condition.begin(), condition.end(), p.execution_condition.begin());
    p.destination = destination;
    p.data = data;
    add(std::move(name), "prepare", encode_prepare(p));
  }

  void fulfill(std::string name, std::size_t data_bytes) {
    Bytes data = random_bytes(data_bytes);
    Bytes fulfillment = random_bytes(kFulfillmentBytes);
    Fulfill p;
    std::copy(fulfillment.begin(), fulfillment.end(), p.fulfillment.begin());
    p.data = data;
    add(std::move(name), "fulfill", encode_fulfill(p));
  }

  void reject(std::string name, std::string_view code, std::string_view triggered_by,
              std::string_view message, ByteView data) {
    Reject p;
    p.code = code;
    p.triggered_by = triggered_by;
    p.message = message;
    p.data = data;
    add(std::move(name), "reject", encode_reject(p));
  }

  void ildcp_response(std::string name, std::string_view address, std::uint8_t scale,
                      std::string_view code) {
    ildcp::Response r;
    r.client_address = address;
    r.asset_scale = scale;
    r.asset_code = code;
    add(std::move(name), "ildcp_response", ildcp::encode_response(r));
  }

 private:
  std::mt19937_64 rng_{20171223};
};

void build_corpus(Corpus& corpus) {
  const std::string longest_address = "g." + std::string(kAddressLengthMax - 2, 'z');
  const std::string expiry = "2017-12-23T01:21:40.549Z";
  for (std::uint64_t amount :
       {0ull, 1ull, 107ull, 255ull, 256ull, 4294967295ull, 4294967296ull, 9007199254740991ull,
        9007199254740992ull, 9007199254740993ull, 9223372036854775807ull, 9223372036854775808ull,
        18446744073709551614ull, 18446744073709551615ull}) {
    corpus.prepare("prepare amount " + std::to_string(amount), amount, expiry, "example.alice", 32);
  }
  for (std::size_t size : {0, 1, 127, 128, 255, 256, 65, 16383, 16384, 32766, 32767}) {
    corpus.prepare("prepare data " + std::to_string(size), 1000, expiry, "g.us.bank.alice", size);
    corpus.fulfill("fulfill data " + std::to_string(size), size);
  }
  for (const char* when :
       {"1970-01-01T00:00:00.001Z", "2024-02-29T23:59:59.999Z", "2030-01-01T00:00:00.000Z",
        "2099-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"}) {
    corpus.prepare(std::string("prepare expires ") + when, 5, when, "test.rafiki", 0);
  }
  for (std::string_view destination :
       {std::string_view("peer.config"), std::string_view("test3.a-b_c~d"),
        std::string_view("private.x.y.z"), std::string_view("local.ABC"),
        std::string_view(longest_address)}) {
    corpus.prepare("prepare to " + std::string(destination.substr(0, 20)), 7, expiry, destination,
                   16);
  }

  for (const ErrorCodeInfo& info : error_codes()) {
    Bytes data = corpus.random_bytes(info.code[2] - '0');
    corpus.reject("reject " + std::string(info.code), info.code, "test.rafiki", info.name, data);
    corpus.reject("reject " + std::string(info.code) + " empty", info.code, "", "", {});
  }
  AmountTooLargeData too_large;
  too_large.received_amount = UINT64_MAX;
  too_large.maximum_amount = 100;
  Bytes f08 = encode_amount_too_large_data(too_large);
  corpus.reject("reject F08 with amounts", kF08AmountTooLarge, "g.connector",
                "packet size too large. maxAmount=100 actualAmount=18446744073709551615", f08);
  corpus.reject("reject application code", "F42", "g.a", "custom", {});
  std::string unicode_message = "€ déjà vu 😀 ünïcödé";
  corpus.reject("reject unicode message", kF99ApplicationError, "g.a", unicode_message, {});
  std::string longest_message = "x";
  while (longest_message.size() + 3 <= kMessageBytesMax) longest_message += "€";
  ASSERT_EQ(longest_message.size(), kMessageBytesMax);
  Bytes longest_data = corpus.random_bytes(kDataBytesMax);
  corpus.reject("reject largest", kT00InternalError, longest_address, longest_message,
                longest_data);
  for (std::size_t size : {0, 127, 128, 32767}) {
    Bytes data = corpus.random_bytes(size);
    corpus.reject("reject data " + std::to_string(size), kF02Unreachable, "g.b", "m", data);
  }

  for (const char* when : {"2100-01-01T00:00:00.000Z", "2999-06-30T12:00:00.123Z"}) {
    corpus.add(std::string("ildcp request ") + when, "ildcp_request",
               ildcp::encode_request(parse_rfc3339(when).value()));
  }
  corpus.ildcp_response("ildcp response XRP", "test.rafiki.child", 9, "XRP");
  corpus.ildcp_response("ildcp response scale 0", "g.parent.child", 0, "USD");
  corpus.ildcp_response("ildcp response scale 255 euro", "private.c", 255, "€");
  corpus.ildcp_response("ildcp response empty code", "g.x", 2, "");
  corpus.ildcp_response("ildcp response longest address", longest_address, 6, "ABCDEFGHIJ");

  // Malformed packets both implementations refuse.
  Bytes valid = corpus.cases.front().packet;
  corpus.add("invalid empty", "invalid", Bytes{});
  corpus.add("invalid type 11", "invalid", [&] {
    Bytes b = valid;
    b[0] = 11;
    return b;
  }());
  corpus.add("invalid truncated envelope", "invalid", Bytes(valid.begin(), valid.end() - 1));
  corpus.add("invalid truncated header", "invalid", Bytes(valid.begin(), valid.begin() + 20));
  corpus.add("invalid length 0x80", "invalid", encoding::hex_decode("0c80").value());
}

}  // namespace

TEST(IlpPacketInterop, CorpusAgreesByteForByteWithIlpPacket) {
  Corpus corpus;
  build_corpus(corpus);
  if (HasFatalFailure()) return;
  ASSERT_GT(corpus.cases.size(), 100u);

  json::array input;
  for (const Case& c : corpus.cases) {
    json::object item;
    item["name"] = c.name;
    item["kind"] = c.kind;
    item["hex"] = hex(c.packet);
    item["fields"] = c.fields;
    input.push_back(std::move(item));
  }
  auto output = rafiki::interop::run_node_harness("ilp_packet.js", input);
  ASSERT_TRUE(output);
  const json::array& results = output->as_array();
  ASSERT_EQ(results.size(), corpus.cases.size());

  for (std::size_t i = 0; i < results.size(); ++i) {
    const Case& c = corpus.cases[i];
    const json::object& r = results[i].as_object();
    SCOPED_TRACE(c.name);
    ASSERT_EQ(r.at("name").as_string(), c.name);
    if (c.kind == "invalid") {
      EXPECT_FALSE(r.at("ok").as_bool()) << "ilp-packet accepted a packet we refuse";
      EXPECT_FALSE(decode_reply(c.packet)) << "we accepted a malformed packet";
      EXPECT_FALSE(decode_prepare(c.packet)) << "we accepted a malformed packet";
      continue;
    }
    ASSERT_TRUE(r.at("ok").as_bool()) << "ilp-packet refused it: " << r.at("error").as_string();
    // node decoded what we meant to encode ...
    EXPECT_EQ(r.at("decoded").as_object(), c.fields);
    // ... re-encoded it to our bytes ...
    std::string ours = hex(c.packet);
    EXPECT_EQ(std::string(r.at("reencoded").as_string()), ours);
    // ... and encoded the same fields to our bytes, which we decode to the same fields.
    std::string theirs(r.at("fromFields").as_string());
    EXPECT_EQ(theirs, ours);
    Bytes their_bytes = encoding::hex_decode(theirs).value();
    auto decoded = our_fields(c.kind, their_bytes);
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(*decoded, c.fields);
  }
}
