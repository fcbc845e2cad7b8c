// The Admin API signature middleware against both KeyValue stores (in memory, and Redis shared
// by two middlewares standing for two processes).
#include "backend/admin/signature.h"
#include "backend/admin/canonical_json.h"

#include <gtest/gtest.h>

#include <cctype>

#include "base/time.h"
#include "base/uuid.h"
#include "store/async_util.h"
#include "store/redis.h"
#include "support/test_env.h"

using namespace rafiki;
using namespace rafiki::backend::admin;
using rafiki::testing::run_async;
namespace asio = boost::asio;
using asio::awaitable;

namespace {

constexpr std::string_view kSecret = "iyIgCprjb9uL8wFckR+pLEkJWMB7FJhgkvqhTQR/964=";
constexpr std::string_view kBody =
    "{\"query\":\"query { whoami { id } }\",\"variables\":{\"b\":1,\"a\":\"x\"}}";

std::int64_t now() { return now_ms().time_since_epoch().count(); }

constexpr std::string_view kHex =
    "8db6a6bbc750971811c56980c85e1213ae0b150d73e3efdfae9c0999c2272950";

TEST(SignatureHeader, ParsesUpstreamFormat) {
  auto parsed = parse_signature_header("t=1700000000000, v1=" + std::string(kHex));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->timestamp_ms, 1700000000000);
  EXPECT_EQ(parsed->version, 1u);
  EXPECT_EQ(parsed->digest, kHex);
  auto zero = parse_signature_header("t=0, v0=" + std::string(kHex));
  ASSERT_TRUE(zero.has_value());
  EXPECT_EQ(zero->timestamp_ms, 0);
}

TEST(SignatureHeader, AcceptsOneSpellingOnly) {
  const std::string d(kHex);
  // Each of these would otherwise be another "fresh" header for the same signature.
  const std::string bad[] = {"",
                             "t=1,v1=" + d,
                             "t=1, v1=",
                             "t=1, 1=" + d,
                             "t=, v1=" + d,
                             "x=1, v1=" + d,
                             "t=1a, v1=" + d,
                             "t=-1, v1=" + d,
                             "t=+1, v1=" + d,
                             "t=1, v=" + d,
                             "t=1, vx=" + d,
                             "t=1, v1" + d,
                             "t=1 , v1=" + d,
                             "t= 1, v1=" + d,
                             "t=1,  v1=" + d,
                             "t=1e3, v1=" + d,
                             "t=9999999999999999, v1=" + d,
                             "t=01700000000000, v1=" + d,
                             "t=001700000000000, v1=" + d,
                             "t=1700000000000, v01=" + d,
                             "t=1700000000000, v001=" + d,
                             "t=1700000000000, v1=" + d + ", x=1",
                             "t=1700000000000, v1=" + d + " ",
                             "t=1700000000000, v1=" + d + "0",
                             "t=1700000000000, v1=" + d.substr(1),
                             "t=1700000000000, v1=0" + d.substr(1, 62),
                             "t=1700000000000, v1=" + d.substr(0, 63) + "G",
                             "t=1700000000000, v1=8DB6" + d.substr(4),
                             "t=1700000000000, v1=abc123",
                             "v1=" + d + ", t=1700000000000"};
  for (const std::string& header : bad) {
    auto result = parse_signature_header(header);
    EXPECT_FALSE(result.has_value()) << header;
    if (!result) {
      EXPECT_EQ(result.error().code, kSignatureErrorMalformed);
    }
  }
  EXPECT_FALSE(parse_signature_header("t=1, v1=" + std::string(kSignatureHeaderBytesMax, 'a')));
}

TEST(SignatureBody, IntegersBeyondTwoToThe53AreInexact) {
  EXPECT_FALSE(has_inexact_integer(R"({"a":9007199254740992,"b":-9007199254740992})"));
  EXPECT_FALSE(has_inexact_integer(R"({"a":1.5e300,"b":12345678901234567890.5})"));
  EXPECT_FALSE(has_inexact_integer(R"({"a":"90071992547409931234","b":[1,2,3]})"));
  EXPECT_FALSE(has_inexact_integer(R"({"a\"9007199254740993":1})"));
  EXPECT_TRUE(has_inexact_integer(R"({"a":9007199254740993})"));
  EXPECT_TRUE(has_inexact_integer(R"({"v":{"amount":-18446744073709551615}})"));
  EXPECT_TRUE(has_inexact_integer("[1, 100000000000000000000]"));
}

TEST(SignatureHeader, DigestMatchesJavaScriptSigner) {
  // crypto.createHmac("sha256", "secret").update("1700000000000." + canonicalize(body))
  auto header = sign_request_body("secret", 1, 1700000000000, kBody);
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(*header,
            "t=1700000000000, v1="
            "8db6a6bbc750971811c56980c85e1213ae0b150d73e3efdfae9c0999c2272950");
  EXPECT_FALSE(sign_request_body("secret", 1, 1, "{").has_value());
}

struct InMemory {
  static std::shared_ptr<store::KeyValue> make(asio::any_io_executor) {
    return store::make_memory_key_value();
  }
};

struct OnRedis {
  static std::shared_ptr<store::KeyValue> make(asio::any_io_executor ex) {
    auto kv = store::make_key_value(ex, rafiki::testing::redis_url());
    if (!kv) throw std::runtime_error(kv.error().message);
    return *kv;
  }
};

// Runs one request through a middleware; `reached` counts calls of the inner handler. The
// arguments are views (trivially destructible), so temporaries made for them inside a co_await
// expression are safe on g++ 12.
awaitable<net::Response> send(const net::Middleware& middleware, std::string_view body,
                              std::optional<std::string_view> signature, int& reached) {
  net::Request request;
  request.method = net::Method::kPost;
  request.path = request.target = "/graphql";
  request.body = std::string(body);
  if (signature) request.headers.set("Signature", *signature);
  net::Handler next = [&reached](net::Request&) -> awaitable<net::Response> {
    ++reached;
    co_return net::Response::json(200, "{\"data\":{}}");
  };
  co_return co_await middleware(request, next);
}

SignatureConfig config(std::string secret = std::string(kSecret)) {
  SignatureConfig c;
  c.secret = std::move(secret);
  c.version = 1;
  c.ttl = std::chrono::seconds(30);
  return c;
}

template <class Store>
class SignatureMiddlewareTest : public ::testing::Test {};

using Stores = ::testing::Types<InMemory, OnRedis>;
TYPED_TEST_SUITE(SignatureMiddlewareTest, Stores);

void expect_ok(const net::Response& r) {
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"data\":{}}");
}

void expect_unauthorized(const net::Response& r) {
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, "Unauthorized");
}

TYPED_TEST(SignatureMiddlewareTest, AcceptsAValidSignatureOnce) {
  run_async([](asio::any_io_executor ex) -> awaitable<void> {
    auto kv = TypeParam::make(ex);
    auto middleware = make_signature_middleware(config(), kv);
    int reached = 0;
    // A body unique to this run, so runs sharing one Redis do not see each other's headers.
    std::string body = "{\"query\":\"{ whoami { id } }\",\"variables\":{\"run\":\"" +
                       Uuid::v4().str() + "\"}}";
    auto header = sign_request_body(kSecret, 1, now(), body);
    CO_ASSERT_OK(header);
    auto first = co_await send(middleware, body, *header, reached);
    EXPECT_EQ(first.status, 200);
    EXPECT_EQ(reached, 1);
    // The same header again (a replay), even with the same body: refused.
    auto replay = co_await send(middleware, body, *header, reached);
    expect_unauthorized(replay);
    EXPECT_EQ(reached, 1);
    // Whitespace and member order do not matter: the canonical form is signed.
    std::string reordered = "{ \"variables\" : {\"run\":\"" + Uuid::v4().str() +
                            "\"}, \"query\": \"{ whoami { id } }\" }";
    auto other = sign_request_body(kSecret, 1, now(), reordered);
    CO_ASSERT_OK(other);
    auto second = co_await send(middleware, reordered, *other, reached);
    EXPECT_EQ(second.status, 200);
    EXPECT_EQ(reached, 2);
  });
}

TYPED_TEST(SignatureMiddlewareTest, RefusesMissingMalformedWrongAndStaleSignatures) {
  run_async([](asio::any_io_executor ex) -> awaitable<void> {
    auto kv = TypeParam::make(ex);
    auto middleware = make_signature_middleware(config(), kv);
    int reached = 0;
    std::string body = "{\"query\":\"{ whoami { id } }\",\"variables\":{\"run\":\"" +
                       Uuid::v4().str() + "\"}}";
    const std::int64_t t = now();

    expect_unauthorized(co_await send(middleware, body, std::nullopt, reached));
    for (const char* header : {"", "garbage", "t=1,v1=00", "t=abc, v1=00", "v1=00, t=1"}) {
      expect_unauthorized(co_await send(middleware, body, header, reached));
    }

    auto good = sign_request_body(kSecret, 1, t, body);
    CO_ASSERT_OK(good);
    // Wrong secret, wrong version, tampered body, tampered or upper-case digest.
    auto wrong_secret = sign_request_body("another secret", 1, t, body);
    CO_ASSERT_OK(wrong_secret);
    expect_unauthorized(co_await send(middleware, body, *wrong_secret, reached));
    auto wrong_version = sign_request_body(kSecret, 2, t, body);
    CO_ASSERT_OK(wrong_version);
    expect_unauthorized(co_await send(middleware, body, *wrong_version, reached));
    std::string tampered_body = body;
    tampered_body.replace(tampered_body.find("whoami"), 6, "tenant");
    expect_unauthorized(co_await send(middleware, tampered_body, *good, reached));
    std::string flipped = *good;
    flipped.back() = flipped.back() == '0' ? '1' : '0';
    expect_unauthorized(co_await send(middleware, body, flipped, reached));
    std::string upper = *good;
    for (auto i = upper.find('=', 3) + 1; i < upper.size(); ++i) {
      upper[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper[i])));
    }
    if (upper != *good) expect_unauthorized(co_await send(middleware, body, upper, reached));
    expect_unauthorized(co_await send(middleware, "{not json", *good, reached));

    // Older than the TTL: refused; just inside it: accepted.
    auto stale = sign_request_body(kSecret, 1, t - 31000, body);
    CO_ASSERT_OK(stale);
    expect_unauthorized(co_await send(middleware, body, *stale, reached));
    EXPECT_EQ(reached, 0);
    auto recent = sign_request_body(kSecret, 1, t - 25000, body);
    CO_ASSERT_OK(recent);
    expect_ok(co_await send(middleware, body, *recent, reached));
    EXPECT_EQ(reached, 1);

    // The refusals above did not consume the good header: it still passes, once.
    expect_ok(co_await send(middleware, body, *good, reached));
    expect_unauthorized(co_await send(middleware, body, *good, reached));
    EXPECT_EQ(reached, 2);

    // A timestamp so far ahead that it could not be remembered is refused.
    auto far = sign_request_body(kSecret, 1, t + store::kKvTtlMax.count(), body);
    CO_ASSERT_OK(far);
    expect_unauthorized(co_await send(middleware, body, *far, reached));
    EXPECT_EQ(reached, 2);
  });
}

TYPED_TEST(SignatureMiddlewareTest, ABodyWithAnInexactIntegerIsRefused) {
  run_async([](asio::any_io_executor ex) -> awaitable<void> {
    auto middleware = make_signature_middleware(config(), TypeParam::make(ex));
    int reached = 0;
    // Both round to the same double, so they sign alike; an exact reader sees two amounts.
    std::string body = "{\"query\":\"mutation { x }\",\"variables\":{\"amount\":9007199254740993,"
                       "\"run\":\"" + Uuid::v4().str() + "\"}}";
    auto header = sign_request_body(kSecret, 1, now(), body);
    CO_ASSERT_OK(header);
    expect_unauthorized(co_await send(middleware, body, *header, reached));
    EXPECT_EQ(reached, 0);
  });
}

TYPED_TEST(SignatureMiddlewareTest, AnEmptyBodySignsAsAnEmptyObject) {
  run_async([](asio::any_io_executor ex) -> awaitable<void> {
    auto middleware = make_signature_middleware(config(), TypeParam::make(ex));
    int reached = 0;
    auto header = sign_request_body(kSecret, 1, now(), "{}");
    CO_ASSERT_OK(header);
    expect_ok(co_await send(middleware, "", *header, reached));
    EXPECT_EQ(reached, 1);
  });
}

TYPED_TEST(SignatureMiddlewareTest, ATimestampWithinTheSkewAheadIsAcceptedOnceAndFurtherIsRefused) {
  run_async([](asio::any_io_executor ex) -> awaitable<void> {
    // A clock a little ahead is accepted; the signature is remembered until it would go stale.
    auto c = config();
    c.ttl = std::chrono::seconds(0);
    auto middleware = make_signature_middleware(c, TypeParam::make(ex));
    int reached = 0;
    std::string body = "{\"query\":\"{ whoami { id } }\",\"variables\":{\"run\":\"" +
                       Uuid::v4().str() + "\"}}";
    const std::int64_t skew_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(kSignatureFutureSkewMax).count();
    auto header = sign_request_body(kSecret, 1, now() + skew_ms - 5000, body);
    CO_ASSERT_OK(header);
    expect_ok(co_await send(middleware, body, *header, reached));
    expect_unauthorized(co_await send(middleware, body, *header, reached));
    EXPECT_EQ(reached, 1);
    // Further ahead than the skew: a captured header would stay usable long after capture.
    auto ahead = sign_request_body(kSecret, 1, now() + skew_ms + 5000, body);
    CO_ASSERT_OK(ahead);
    expect_unauthorized(co_await send(middleware, body, *ahead, reached));
    EXPECT_EQ(reached, 1);
  });
}

TYPED_TEST(SignatureMiddlewareTest, ACapturedSignatureRespelledIsStillAReplay) {
  run_async([](asio::any_io_executor ex) -> awaitable<void> {
    auto middleware = make_signature_middleware(config(), TypeParam::make(ex));
    int reached = 0;
    std::string body = "{\"query\":\"{ whoami { id } }\",\"variables\":{\"run\":\"" +
                       Uuid::v4().str() + "\"}}";
    const std::int64_t t = now();
    auto header = sign_request_body(kSecret, 1, t, body);
    CO_ASSERT_OK(header);
    expect_ok(co_await send(middleware, body, *header, reached));
    const std::string digest = header->substr(header->find("v1=") + 3);
    const std::string ts = std::to_string(t);
    const std::vector<std::string> variants = {
        "t=0" + ts + ", v1=" + digest, "t=00" + ts + ", v1=" + digest,
        "t=" + ts + ", v01=" + digest, "t=" + ts + ", v1=" + digest + ", v2=" + digest};
    for (const std::string& variant : variants) {
      expect_unauthorized(co_await send(middleware, body, variant, reached));
    }
    EXPECT_EQ(reached, 1);
  });
}

TEST(SignatureMiddlewareRedis, AReplayToAnotherProcessIsRefused) {
  run_async([](asio::any_io_executor ex) -> awaitable<void> {
    // Two connections and two middlewares: two processes of one deployment.
    auto first = make_signature_middleware(config(), OnRedis::make(ex));
    auto second = make_signature_middleware(config(), OnRedis::make(ex));
    int reached = 0;
    std::string body = "{\"query\":\"{ whoami { id } }\",\"variables\":{\"run\":\"" +
                       Uuid::v4().str() + "\"}}";
    auto header = sign_request_body(kSecret, 1, now(), body);
    CO_ASSERT_OK(header);
    expect_ok(co_await send(first, body, *header, reached));
    expect_unauthorized(co_await send(second, body, *header, reached));
    EXPECT_EQ(reached, 1);
  });
}

TEST(SignatureMiddlewareRedis, AStoreFailureAnswers500) {
  run_async([](asio::any_io_executor ex) -> awaitable<void> {
    auto kv = store::make_key_value(ex, "redis://127.0.0.1:1/0");  // nothing listens there
    CO_ASSERT_OK(kv);
    auto middleware = make_signature_middleware(config(), *kv);
    int reached = 0;
    auto header = sign_request_body(kSecret, 1, now(), kBody);
    CO_ASSERT_OK(header);
    auto response = co_await send(middleware, kBody, *header, reached);
    EXPECT_EQ(response.status, 500);
    EXPECT_EQ(reached, 0);
  });
}

}  // namespace
