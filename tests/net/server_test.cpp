#include "net/server.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <thread>

using namespace rafiki::net;
namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

// Runs a server on 127.0.0.1 with an io_context on two threads.
class ServerFixture : public ::testing::Test {
 protected:
  void start(ServerLimits limits = {}) {
    router_.get("/hello", [](Request&) -> asio::awaitable<Response> {
      co_return Response::json(200, R"({"hello":"world"})");
    });
    router_.get("/items/:id/parts/:part", [](Request& r) -> asio::awaitable<Response> {
      co_return Response::text(200, std::string(*r.param("id")) + "|" + std::string(*r.param("part")) +
                                        "|" + r.query_param("q").value_or("-"));
    });
    router_.post("/echo-json", [](Request& r) -> asio::awaitable<Response> {
      boost::system::error_code ec;
      auto v = boost::json::parse(r.body, ec);
      if (ec) co_return Response::error(400, "invalid JSON body");
      co_return Response::json(200, boost::json::serialize(v));
    });
    router_.post("/size", [](Request& r) -> asio::awaitable<Response> {
      co_return Response::text(200, std::to_string(r.body.size()));
    });
    router_.get("/throw", [](Request&) -> asio::awaitable<Response> {
      throw std::runtime_error("boom");
      co_return Response::text(200, "unreachable");
    });
    router_.get("/slow", [](Request&) -> asio::awaitable<Response> {
      asio::steady_timer t(co_await asio::this_coro::executor, 300ms);
      co_await t.async_wait(asio::use_awaitable);
      co_return Response::text(200, "finished");
    });
    router_.get("/inject", [](Request&) -> asio::awaitable<Response> {
      Response r = Response::text(200, "ok");
      r.headers.set("X-Value", "a\r\nSet-Cookie: evil=1");
      co_return r;
    });
    router_.get("/no-content", [](Request&) -> asio::awaitable<Response> {
      co_return Response::text(204, "a body a 204 must not carry");
    });
    server_ = std::make_unique<HttpServer>(io_, "test", router_.handler(), limits);
    auto port = server_->listen("127.0.0.1", 0);
    ASSERT_TRUE(port) << port.error().message;
    port_ = *port;
    server_->start();
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }

  void TearDown() override {
    if (server_) {
      auto f = asio::co_spawn(io_, server_->shutdown(), asio::use_future);
      f.wait_for(5s);
    }
    work_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
  }

  tcp::socket connect() {
    tcp::socket s(client_io_);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    return s;
  }

  static http::response<http::string_body> read_response(tcp::socket& s) {
    boost::beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(s, buf, res);
    return res;
  }

  http::response<http::string_body> roundtrip(const std::string& raw) {
    auto s = connect();
    asio::write(s, asio::buffer(raw));
    return read_response(s);
  }

  // Reads until the server closes; returns what arrived.
  static std::string read_all(tcp::socket& s) {
    std::string out;
    boost::system::error_code ec;
    char buf[4096];
    while (true) {
      std::size_t n = s.read_some(asio::buffer(buf), ec);
      if (ec) break;
      out.append(buf, n);
    }
    return out;
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  asio::io_context client_io_;
  std::vector<std::thread> threads_;
  Router router_;
  std::unique_ptr<HttpServer> server_;
  std::uint16_t port_ = 0;
};

}  // namespace

TEST_F(ServerFixture, ServesRoutesWithParametersAndQuery) {
  start();
  auto res = roundtrip("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), R"({"hello":"world"})");
  EXPECT_EQ(res[http::field::content_type], "application/json");
  res = roundtrip("GET /items/a%2Fb/parts/7?x=1&q=hello+there%21 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "a/b|7|hello there!");
}

TEST_F(ServerFixture, AnswersUnknownPaths404AndWrongMethods405WithAllow) {
  start();
  auto res = roundtrip("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(res.result_int(), 404);
  EXPECT_NE(res.body().find("\"code\":\"404\""), std::string::npos);
  res = roundtrip("DELETE /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(res.result_int(), 405);
  EXPECT_EQ(res[http::field::allow], "GET");
  res = roundtrip("GET /items/%zz/parts/1 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(res.result_int(), 400);
}

TEST_F(ServerFixture, HeadUsesGetRouteWithoutBody) {
  start();
  auto s = connect();
  asio::write(s, asio::buffer(std::string("HEAD /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")));
  std::string raw = read_all(s);
  EXPECT_NE(raw.find("HTTP/1.1 200"), std::string::npos);
  EXPECT_NE(raw.find("Content-Length: 17"), std::string::npos);
  EXPECT_EQ(raw.find("hello"), std::string::npos);
}

TEST_F(ServerFixture, KeepsConnectionsAliveAcrossRequests) {
  start();
  auto s = connect();
  for (int i = 0; i < 5; ++i) {
    asio::write(s, asio::buffer(std::string("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")));
    auto res = read_response(s);
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_TRUE(res.keep_alive());
  }
  EXPECT_EQ(server_->connections(), 1u);
}

TEST_F(ServerFixture, RefusesOversizedBodyWith413AndKeepsServing) {
  ServerLimits limits;
  limits.body_bytes_max = 1024;
  start(limits);
  std::string body(2048, 'x');
  auto res = roundtrip("POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\n\r\n" + body);
  EXPECT_EQ(res.result_int(), 413);
  EXPECT_FALSE(res.keep_alive());
  // Chunked bodies are bounded too.
  std::string chunked = "POST /size HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 4; ++i) chunked += "200\r\n" + std::string(512, 'y') + "\r\n";
  chunked += "0\r\n\r\n";
  EXPECT_EQ(roundtrip(chunked).result_int(), 413);
  res = roundtrip("POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: 1024\r\n\r\n" + std::string(1024, 'x'));
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "1024");
}

TEST_F(ServerFixture, RefusesOversizedHeadersWith431) {
  ServerLimits limits;
  limits.header_bytes_max = 1024;
  start(limits);
  auto res = roundtrip("GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n");
  EXPECT_EQ(res.result_int(), 431);
  EXPECT_EQ(roundtrip("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n").result_int(), 200);
}

TEST_F(ServerFixture, AnswersSlowClients408) {
  ServerLimits limits;
  limits.request_timeout = 300ms;
  start(limits);
  auto s = connect();
  asio::write(s, asio::buffer(std::string("GET /hello HTTP/1.1\r\nHost: x\r\n")));  // never finishes
  auto started = std::chrono::steady_clock::now();
  auto res = read_response(s);
  EXPECT_EQ(res.result_int(), 408);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);  // bounded, not a hang
  EXPECT_EQ(roundtrip("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n").result_int(), 200);
}

TEST_F(ServerFixture, ClosesIdleKeptAliveConnectionsQuietly) {
  ServerLimits limits;
  limits.idle_timeout = 200ms;
  start(limits);
  auto s = connect();
  asio::write(s, asio::buffer(std::string("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")));
  EXPECT_EQ(read_response(s).result_int(), 200);
  EXPECT_EQ(read_all(s), "");  // closed after the idle timeout without a response
}

TEST_F(ServerFixture, AnswersGarbage400AndKeepsServing) {
  start();
  auto s = connect();
  asio::write(s, asio::buffer(std::string("\x01\x02\xff garbage \r\n\r\n", 17)));
  std::string raw = read_all(s);
  EXPECT_NE(raw.find("400"), std::string::npos);
  EXPECT_EQ(roundtrip("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n").result_int(), 200);
  // A bad Content-Length is malformed too.
  EXPECT_EQ(roundtrip("POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n").result_int(), 400);
}

TEST_F(ServerFixture, SurvivesTruncatedRequests) {
  start();
  for (int i = 0; i < 20; ++i) {
    auto s = connect();
    asio::write(s, asio::buffer(std::string("POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")));
    s.close();
  }
  EXPECT_EQ(roundtrip("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n").result_int(), 200);
}

TEST_F(ServerFixture, InvalidUtf8BodyGetsClear400FromJsonRoute) {
  start();
  std::string body = "{\"a\":\"\xc3\x28\"}";
  auto res = roundtrip("POST /echo-json HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_EQ(res.result_int(), 400);
  EXPECT_NE(res.body().find("invalid JSON"), std::string::npos);
  body = R"({"a":"ü"})";
  res = roundtrip("POST /echo-json HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                  std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_EQ(res.result_int(), 200);
}

TEST_F(ServerFixture, HandlerExceptionBecomes500WithCorrelationId) {
  start();
  auto res = roundtrip("GET /throw HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(res.result_int(), 500);
  EXPECT_NE(res.body().find("correlation id"), std::string::npos);
  EXPECT_EQ(res.body().find("boom"), std::string::npos);  // internals are not leaked
}

TEST_F(ServerFixture, A204FromAHandlerGoesOutWithoutItsBodyAndTheConnectionServesOn) {
  start();
  auto s = connect();
  const std::string two = "GET /no-content HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
  asio::write(s, asio::buffer(two));
  boost::beast::flat_buffer buf;  // one buffer: both answers may arrive in one read
  http::response<http::string_body> first, second;
  http::read(s, buf, first);
  EXPECT_EQ(first.result_int(), 204);
  EXPECT_TRUE(first.body().empty());
  http::read(s, buf, second);
  EXPECT_EQ(second.result_int(), 200);
  EXPECT_EQ(second.body(), R"({"hello":"world"})");
}

TEST_F(ServerFixture, StripsLineBreaksFromHandlerHeaderValues) {
  start();
  auto res = roundtrip("GET /inject HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.count(http::field::set_cookie), 0u);
}

TEST_F(ServerFixture, RefusesConnectionsOverTheLimitWith503) {
  ServerLimits limits;
  limits.connections_max = 2;
  start(limits);
  auto a = connect();
  auto b = connect();
  // Make sure both are accepted and being served before the third arrives.
  for (auto* s : {&a, &b}) {
    asio::write(*s, asio::buffer(std::string("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")));
    EXPECT_EQ(read_response(*s).result_int(), 200);
  }
  auto c = connect();
  std::string raw = read_all(c);
  EXPECT_NE(raw.find("503"), std::string::npos);
  a.close();
  // Once a slot frees up the server accepts again.
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {
    std::this_thread::sleep_for(20ms);
    auto d = connect();
    asio::write(d, asio::buffer(std::string("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")));
    served = read_response(d).result_int() == 200;
  }
  EXPECT_TRUE(served);
}

TEST_F(ServerFixture, ShutdownFinishesInFlightRequestsAndStopsAccepting) {
  start();
  auto busy = connect();
  asio::write(busy, asio::buffer(std::string("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")));
  auto idle = connect();
  std::this_thread::sleep_for(50ms);
  auto done = asio::co_spawn(io_, server_->shutdown(), asio::use_future);
  auto res = read_response(busy);
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "finished");
  EXPECT_FALSE(res.keep_alive());
  EXPECT_EQ(read_all(idle), "");
  EXPECT_EQ(done.wait_for(5s), std::future_status::ready);
  boost::system::error_code ec;
  tcp::socket late(client_io_);
  late.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
  EXPECT_TRUE(ec) << "no longer accepting";
  server_.reset();
}

TEST(Router, MiddlewareChainRunsInOrderAndCanAnswer) {
  std::vector<std::string> trace;
  Middleware first = [&](Request& r, const Handler& next) -> asio::awaitable<Response> {
    trace.push_back("first");
    if (r.headers.has("X-Stop")) co_return Response::text(401, "stopped");
    co_return co_await next(r);
  };
  Middleware second = [&](Request& r, const Handler& next) -> asio::awaitable<Response> {
    trace.push_back("second");
    co_return co_await next(r);
  };
  Handler h = chain({first, second}, [&](Request&) -> asio::awaitable<Response> {
    trace.push_back("handler");
    co_return Response::text(200, "ok");
  });
  asio::io_context io;
  Request req;
  auto f = asio::co_spawn(io, h(req), asio::use_future);
  io.run();
  EXPECT_EQ(f.get().status, 200);
  EXPECT_EQ(trace, (std::vector<std::string>{"first", "second", "handler"}));
  trace.clear();
  req.headers.set("x-stop", "1");
  io.restart();
  auto g = asio::co_spawn(io, h(req), asio::use_future);
  io.run();
  EXPECT_EQ(g.get().status, 401);
  EXPECT_EQ(trace, (std::vector<std::string>{"first"}));
}
