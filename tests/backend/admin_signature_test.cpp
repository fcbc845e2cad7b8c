// The Admin API signature middleware against both KeyValue stores (in memory, and Redis shared
// by two middlewares standing for two processes).
#include "backend/admin/signature.h"

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

TEST(SignatureHeader, ParsesUpstreamFormat) {
  auto parsed = parse_signature_header("t=1700000000000, v1=abc123");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->timestamp_ms, 1700000000000);
  EXPECT_EQ(parsed->version, 1u);
  EXPECT_EQ(parsed->digest, "abc123");
  const char* bad[] = {"",          "t=1,v1=ab",  "t=1, v1=",    "t=1, 1=ab",   "t=, v1=ab",
                       "x=1, v1=ab", "t=1a, v1=ab", "t=-1, v1=ab", "t=1, v=ab",   "t=1, vx=ab",
                       "t=1, v1ab", "t=1 , v1=ab", "t=1e3, v1=ab", "t=9999999999999999, v1=ab"};
  for (const char* header : bad) {
    auto result = parse_signature_header(header);
    EXPECT_FALSE(result.has_value()) << header;
    if (!result) {
      EXPECT_EQ(result.error().code, kSignatureErrorMalformed);
    }
  }
  EXPECT_FALSE(parse_signature_header("t=1, v1=" + std::string(kSignatureHeaderBytesMax, 'a')));
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

TYPED_TEST(SignatureMiddlewareTest, AFutureTimestampIsAcceptedOnce) {
  run_async([](asio::any_io_executor ex) -> awaitable<void> {
    // Upstream does not refuse clocks ahead; the header is remembered until it would go stale.
    auto c = config();
    c.ttl = std::chrono::seconds(0);
    auto middleware = make_signature_middleware(c, TypeParam::make(ex));
    int reached = 0;
    std::string body = "{\"query\":\"{ whoami { id } }\",\"variables\":{\"run\":\"" +
                       Uuid::v4().str() + "\"}}";
    auto header = sign_request_body(kSecret, 1, now() + 60000, body);
    CO_ASSERT_OK(header);
    expect_ok(co_await send(middleware, body, *header, reached));
    expect_unauthorized(co_await send(middleware, body, *header, reached));
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
