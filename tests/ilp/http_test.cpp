// ILP over HTTP on loopback: our client against our server handler, and each of them against
// requests and answers that break the rules.
#include "ilp/http.h"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "ilp/error_codes.h"
#include "ilp/oer.h"
#include "net/server.h"

using namespace rafiki;
using namespace rafiki::ilp;
namespace asio = boost::asio;

namespace {

// "ok", or the error code of a failed result.
template <class T>
std::string error_code(const Result<T>& result) {
  return result ? "ok" : result.error().code;
}

constexpr std::string_view kToken = "s3cret-token-with-enough-entropy";
constexpr std::string_view kTokenOfABrokenLookup = "token-whose-lookup-fails";
constexpr std::string_view kPeer = "peer-a";
// A test that hangs fails after this long instead of hanging the run.
constexpr auto kTestDeadline = std::chrono::seconds(30);

Bytes make_prepare(std::chrono::milliseconds expires_in, std::string_view destination = "g.bob") {
  Prepare prepare;
  prepare.amount = 42;
  prepare.expires_at = now_ms() + expires_in;
  prepare.execution_condition = condition_of(Fulfillment{});
  prepare.destination = destination;
  static const Bytes data = to_bytes("hello");
  prepare.data = data;
  return encode_prepare(prepare).value();
}

Bytes make_fulfill(std::string_view data) {
  Fulfill fulfill;
  Bytes bytes = to_bytes(data);
  fulfill.data = bytes;
  return encode_fulfill(fulfill).value();
}

Bytes make_reject(std::string_view code) {
  Reject reject;
  reject.code = code;
  reject.triggered_by = "g.connector";
  reject.message = "no";
  return encode_reject(reject).value();
}

// A loopback server running make_http_handler with a fixed token, and a client. The
// application handler is replaceable per test; `prepares` counts what reached it.
class IlpHttpTest : public ::testing::Test {
 protected:
  IlpHttpTest()
      : handler_(make_http_handler(
            [](std::string token) -> asio::awaitable<ilp::TokenLookupResult> {
              if (token == kToken) co_return std::string(kPeer);
              if (token == kTokenOfABrokenLookup) co_return fail("pg.connection", "lost");
              co_return std::nullopt;
            },
            [this](const IncomingPrepare& incoming) -> asio::awaitable<Bytes> {
              ++prepares;
              co_return co_await app(incoming);
            })),
        server_(io_, "ilp test", handler_),
        client_(io_.get_executor()) {
    port_ = server_.listen("127.0.0.1", 0).value();
    server_.start();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/ilp"; }
  HttpEndpoint endpoint(std::string token = std::string(kToken)) const {
    HttpEndpoint e;
    e.url = url();
    e.auth_token = std::move(token);
    return e;
  }

  // Runs `body` as a coroutine to completion, then shuts the server down.
  void run(std::function<asio::awaitable<void>()> body) {
    bool finished = false;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          co_await body();
          client_.close_idle();
          co_await server_.shutdown();
          finished = true;
          // Idle keep-alive timers would hold run_for until they expire; nothing is left to do.
          io_.stop();
        },
        [](std::exception_ptr error) {
          if (error) std::rethrow_exception(error);
        });
    io_.run_for(kTestDeadline);
    ASSERT_TRUE(finished) << "test did not finish in time";
  }

  asio::awaitable<net::ClientResponse> raw_post(net::Headers headers, std::string body) {
    net::ClientRequest request;
    request.method = net::Method::kPost;
    request.url = url();
    request.headers = std::move(headers);
    request.body = std::move(body);
    auto response = co_await client_.request(std::move(request));
    EXPECT_TRUE(response) << response.error().message;
    co_return response ? *response : net::ClientResponse{};
  }

  std::function<asio::awaitable<Bytes>(const IncomingPrepare&)> app =
      [](const IncomingPrepare&) -> asio::awaitable<Bytes> { co_return make_fulfill("ok"); };
  std::atomic<int> prepares{0};

  asio::io_context io_;
  net::Handler handler_;
  net::HttpServer server_;
  net::HttpClient client_;
  std::uint16_t port_ = 0;
};

net::Headers good_headers() {
  net::Headers h;
  h.set("Authorization", "Bearer " + std::string(kToken));
  h.set("Content-Type", "application/octet-stream");
  return h;
}

}  // namespace

TEST(IlpHttpBearer, ParsesExactlyTwoPartsWithABearerScheme) {
  auto token_of = [](std::string value) {
    net::Headers h;
    h.set("Authorization", value);
    return bearer_token(h);
  };
  EXPECT_EQ(token_of("Bearer abc"), "abc");
  EXPECT_EQ(token_of("bearer abc"), "abc");
  EXPECT_EQ(token_of("BEARER abc"), "abc");
  EXPECT_EQ(token_of("Bearer"), std::nullopt);
  EXPECT_EQ(token_of("Bearer "), std::nullopt);
  EXPECT_EQ(token_of("Bearer a b"), std::nullopt);
  EXPECT_EQ(token_of("Basic abc"), std::nullopt);
  EXPECT_EQ(token_of("Bearer  abc"), std::nullopt);
  EXPECT_EQ(bearer_token(net::Headers{}), std::nullopt);
}

TEST(IlpHttpReject, SendErrorsBecomeR00OrT00) {
  Bytes expired_bytes = reject_for_send_error(Error{kErrHttpExpired, "x"}, "g.me");
  auto expired = decode_reject(expired_bytes);
  ASSERT_TRUE(expired);
  EXPECT_EQ(expired->code, "R00");
  EXPECT_EQ(expired->message, "packet expired.");
  EXPECT_EQ(expired->triggered_by, "g.me");
  for (const char* code : {kErrHttpTransport, kErrHttpStatus, kErrHttpBadReply, kErrTruncated}) {
    Bytes bytes = reject_for_send_error(Error{code, "x"}, "not an address");
    auto reject = decode_reject(bytes);
    ASSERT_TRUE(reject) << code;
    EXPECT_EQ(reject->code, "T00");
    EXPECT_EQ(reject->message, "unexpected internal error");
    EXPECT_EQ(reject->triggered_by, "");
  }
}

TEST_F(IlpHttpTest, PrepareIsAnsweredWithTheApplicationsFulfill) {
  Bytes prepare = make_prepare(std::chrono::seconds(10));
  app = [&](const IncomingPrepare& incoming) -> asio::awaitable<Bytes> {
    EXPECT_EQ(incoming.account, kPeer);
    EXPECT_EQ(Bytes(incoming.packet.begin(), incoming.packet.end()), prepare);
    EXPECT_EQ(incoming.prepare.amount, 42u);
    EXPECT_EQ(incoming.prepare.destination, "g.bob");
    co_return make_fulfill("paid");
  };
  run([&]() -> asio::awaitable<void> {
    auto reply = co_await send_prepare(client_, endpoint(), prepare);
    EXPECT_TRUE(reply) << reply.error().message;
    if (!reply) co_return;
    EXPECT_EQ(*reply, make_fulfill("paid"));
  });
  EXPECT_EQ(prepares, 1);
}

TEST_F(IlpHttpTest, RejectIsStillA200AndComesBackUnchanged) {
  app = [](const IncomingPrepare&) -> asio::awaitable<Bytes> { co_return make_reject("F02"); };
  run([&]() -> asio::awaitable<void> {
    auto reply = co_await send_prepare(client_, endpoint(), make_prepare(std::chrono::seconds(10)));
    EXPECT_EQ(reply.value_or(Bytes{}), make_reject("F02"));
    auto raw = co_await raw_post(good_headers(), to_string(make_prepare(std::chrono::seconds(10))));
    EXPECT_EQ(raw.status, 200);
    EXPECT_EQ(raw.headers.get("Content-Type"), "application/octet-stream");
    EXPECT_EQ(to_bytes(raw.body), make_reject("F02"));
  });
}

TEST_F(IlpHttpTest, ServerRefusesMissingOrMalformedBearerTokens) {
  run([&]() -> asio::awaitable<void> {
    std::string body = to_string(make_prepare(std::chrono::seconds(10)));
    for (const char* authorization : {"", "Bearer", "Basic abc", "Bearer a b", "Token x"}) {
      net::Headers h = good_headers();
      if (*authorization)
        h.set("Authorization", authorization);
      else
        h.remove("Authorization");
      auto response = co_await raw_post(h, body);
      EXPECT_EQ(response.status, 401) << authorization;
      EXPECT_EQ(response.body, "Bearer token required in Authorization header") << authorization;
    }
    net::Headers wrong = good_headers();
    wrong.set("Authorization", "Bearer not-the-token");
    auto response = co_await raw_post(wrong, body);
    EXPECT_EQ(response.status, 401);
    EXPECT_EQ(response.body, "Access Denied - Invalid Token");
    auto via_client = co_await send_prepare(client_, endpoint("not-the-token"),
                                            make_prepare(std::chrono::seconds(10)));
    EXPECT_FALSE(via_client);
    EXPECT_EQ(error_code(via_client), kErrHttpStatus);
  });
  EXPECT_EQ(prepares, 0);
}

// A lookup that could not tell (the database failed) is not an invalid token: 503, so the peer
// retries, and the packet goes nowhere.
TEST_F(IlpHttpTest, ATokenLookupThatFailedAnswers503NotInvalidToken) {
  run([&]() -> asio::awaitable<void> {
    net::Headers h = good_headers();
    h.set("Authorization", std::string("Bearer ") + std::string(kTokenOfABrokenLookup));
    auto response = co_await raw_post(h, to_string(make_prepare(std::chrono::seconds(10))));
    EXPECT_EQ(response.status, 503);
    EXPECT_EQ(response.body, "Service Unavailable - the token could not be checked");
    auto via_client = co_await send_prepare(client_, endpoint(std::string(kTokenOfABrokenLookup)),
                                            make_prepare(std::chrono::seconds(10)));
    EXPECT_FALSE(via_client);
    EXPECT_EQ(error_code(via_client), kErrHttpStatus);
  });
  EXPECT_EQ(prepares, 0);
}

TEST_F(IlpHttpTest, ServerChecksTheContentType) {
  run([&]() -> asio::awaitable<void> {
    std::string body = to_string(make_prepare(std::chrono::seconds(10)));
    for (const char* type : {"", "application/json", "text/plain", "application/octet-streamx"}) {
      net::Headers h = good_headers();
      if (*type)
        h.set("Content-Type", type);
      else
        h.remove("Content-Type");
      auto response = co_await raw_post(h, body);
      EXPECT_EQ(response.status, 400) << type;
      EXPECT_EQ(response.body, "Expected Content-Type of application/octet-stream") << type;
    }
    net::Headers with_parameters = good_headers();
    with_parameters.set("Content-Type", "Application/Octet-Stream; charset=binary");
    auto response = co_await raw_post(with_parameters, body);
    EXPECT_EQ(response.status, 200);
  });
  EXPECT_EQ(prepares, 1);
}

TEST_F(IlpHttpTest, ServerRefusesBodiesThatAreNotAPrepare) {
  run([&]() -> asio::awaitable<void> {
    Bytes prepare = make_prepare(std::chrono::seconds(10));
    Bytes trailing = prepare;
    trailing.push_back(0);
    for (const std::string& body :
         {std::string(), std::string("garbage"), to_string(make_fulfill("x")),
          to_string(ByteView(prepare).first(prepare.size() - 1)), to_string(trailing)}) {
      auto response = co_await raw_post(good_headers(), body);
      EXPECT_EQ(response.status, 400);
      EXPECT_TRUE(response.body.starts_with("Invalid ILP Prepare")) << response.body;
    }
  });
  EXPECT_EQ(prepares, 0);
}

TEST_F(IlpHttpTest, ServerAnswers500WhenTheApplicationRepliesWithGarbage) {
  app = [](const IncomingPrepare&) -> asio::awaitable<Bytes> { co_return to_bytes("nope"); };
  run([&]() -> asio::awaitable<void> {
    auto response =
        co_await raw_post(good_headers(), to_string(make_prepare(std::chrono::seconds(10))));
    EXPECT_EQ(response.status, 500);
    auto reply = co_await send_prepare(client_, endpoint(), make_prepare(std::chrono::seconds(10)));
    EXPECT_FALSE(reply);
    EXPECT_EQ(error_code(reply), kErrHttpStatus);
  });
}

TEST_F(IlpHttpTest, ClientRefusesA2xxBodyThatIsNotAReply) {
  // A server that answers 200 with a Prepare (not a reply) and with garbage.
  int calls = 0;
  net::Handler bad = [&](net::Request&) -> asio::awaitable<net::Response> {
    net::Response response;
    response.status = 200;
    response.body = ++calls == 1 ? to_string(make_prepare(std::chrono::seconds(10))) : "junk";
    co_return response;
  };
  net::HttpServer bad_server(io_, "bad peer", bad);
  std::uint16_t bad_port = bad_server.listen("127.0.0.1", 0).value();
  bad_server.start();
  run([&]() -> asio::awaitable<void> {
    HttpEndpoint e;
    e.url = "http://127.0.0.1:" + std::to_string(bad_port) + "/";
    e.auth_token = "x";
    for (int i = 0; i < 2; ++i) {
      auto reply = co_await send_prepare(client_, e, make_prepare(std::chrono::seconds(10)));
      EXPECT_FALSE(reply);
      EXPECT_EQ(error_code(reply), kErrHttpBadReply);
    }
    client_.close_idle();
    co_await bad_server.shutdown();
  });
}

TEST_F(IlpHttpTest, ClientGivesUpWhenThePrepareExpires) {
  // The peer holds the request until the test releases it, long after the expiry.
  std::optional<asio::steady_timer> hold;
  app = [&](const IncomingPrepare&) -> asio::awaitable<Bytes> {
    hold.emplace(co_await asio::this_coro::executor, kTestDeadline);
    co_await hold->async_wait(asio::as_tuple(asio::use_awaitable));
    co_return make_fulfill("too late");
  };
  run([&]() -> asio::awaitable<void> {
    auto reply =
        co_await send_prepare(client_, endpoint(), make_prepare(std::chrono::milliseconds(300)));
    if (hold) hold->cancel();
    EXPECT_EQ(error_code(reply), kErrHttpExpired);
    if (!reply) {
      EXPECT_EQ(decode_reject(reject_for_send_error(reply.error(), "g.me")).value().code, "R00");
    }
  });
  EXPECT_EQ(prepares, 1);
}

TEST_F(IlpHttpTest, ClientSendsNothingForAnExpiredOrInvalidPrepare) {
  run([&]() -> asio::awaitable<void> {
    auto expired =
        co_await send_prepare(client_, endpoint(), make_prepare(-std::chrono::seconds(1)));
    EXPECT_FALSE(expired);
    EXPECT_EQ(error_code(expired), kErrHttpExpired);
    auto invalid = co_await send_prepare(client_, endpoint(), make_fulfill("x"));
    EXPECT_FALSE(invalid);
    EXPECT_EQ(error_code(invalid), kErrBadType);
  });
  EXPECT_EQ(prepares, 0);
}

TEST_F(IlpHttpTest, ClientReportsAnUnreachablePeerAsATransportError) {
  // A port that was just free: bind, note it, close.
  std::uint16_t closed_port;
  {
    net::Handler none = [](net::Request&) -> asio::awaitable<net::Response> {
      co_return net::Response{};
    };
    asio::io_context other;
    net::HttpServer probe(other, "probe", none);
    closed_port = probe.listen("127.0.0.1", 0).value();
  }
  run([&]() -> asio::awaitable<void> {
    HttpEndpoint e;
    e.url = "http://127.0.0.1:" + std::to_string(closed_port) + "/";
    e.auth_token = "x";
    auto reply = co_await send_prepare(client_, e, make_prepare(std::chrono::seconds(10)));
    EXPECT_FALSE(reply);
    if (!reply) {
      EXPECT_EQ(reply.error().code, kErrHttpTransport);
      EXPECT_EQ(decode_reject(reject_for_send_error(reply.error(), "g.me")).value().code, "T00");
    }
  });
}
