// HttpClient's failures: timeouts, refused connections, responses over the limits or malformed,
// and URLs or requests it refuses to send.
#include <chrono>
#include <string>
#include <vector>

#include "net/client/harness.h"

namespace rafiki::testing::http_client {
namespace {

TEST_F(HttpClientTest, TimesOutWhenServerNeverAnswers) {
  TestServer server(io_, serve_silence);
  HttpClient client(io_.get_executor(), ClientOptions{.request_timeout_ms = kShortTimeoutMs});

  auto started = std::chrono::steady_clock::now();
  auto response = fetch(client, server.url("/"));
  auto elapsed = std::chrono::steady_clock::now() - started;

  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, "http.timeout");
  EXPECT_LT(elapsed, kTimeoutErrorBound);
  EXPECT_EQ(client.idle_connections(), 0u);
}

TEST_F(HttpClientTest, PerRequestTimeoutOverridesTheClientDefault) {
  TestServer server(io_, serve_silence);
  HttpClient client(io_.get_executor());  // default: 30 s

  auto response =
      fetch(client, ClientRequest{.url = server.url("/"), .timeout_ms = kShortTimeoutMs});

  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, "http.timeout");
}

TEST_F(HttpClientTest, TlsHandshakeThatNeverCompletesTimesOut) {
  TestServer server(io_, serve_silence);
  HttpClient client(io_.get_executor(), ClientOptions{.connect_timeout_ms = kShortTimeoutMs});

  auto started = std::chrono::steady_clock::now();
  auto response = fetch(client, fmt::format("https://127.0.0.1:{}/", server.port()));

  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, "http.timeout");
  EXPECT_LT(std::chrono::steady_clock::now() - started, kTimeoutErrorBound);
}

TEST_F(HttpClientTest, ConnectionRefusedIsAConnectError) {
  unsigned short port = 0;
  {
    tcp::acceptor probe(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    port = probe.local_endpoint().port();
  }  // closed: nothing listens there now
  HttpClient client(io_.get_executor());

  auto response = fetch(client, fmt::format("http://127.0.0.1:{}/", port));

  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, "http.connect");
}

TEST_F(HttpClientTest, BodyLargerThanTheLimitIsRefused) {
  constexpr std::size_t kLimit = 1000;
  TestServer server(io_, http_server(
                             [](const RawRequest& request) {
                               if (request.target == "/exact")
                                 return http_response(200, std::string(kLimit, 'a'));
                               if (request.target == "/chunked")
                                 return fmt::format(
                                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                     "258\r\n{}\r\n258\r\n{}\r\n0\r\n\r\n",
                                     std::string(600, 'b'), std::string(600, 'c'));
                               return http_response(200, std::string(kLimit + 1, 'x'));
                             },
                             seen_));
  HttpClient client(io_.get_executor(), ClientOptions{.response_body_bytes_max = kLimit});

  auto exact = fetch(client, server.url("/exact"));
  auto over = fetch(client, server.url("/over"));
  auto chunked = fetch(client, server.url("/chunked"));

  ASSERT_TRUE(exact) << exact.error().message;
  EXPECT_EQ(exact->body.size(), kLimit);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, "http.body_too_large");
  ASSERT_FALSE(chunked);
  EXPECT_EQ(chunked.error().code, "http.body_too_large");
}

TEST_F(HttpClientTest, HeaderLargerThanTheLimitIsAProtocolError) {
  TestServer server(io_, http_server(
                             [](const RawRequest&) {
                               return http_response(
                                   200, "x", fmt::format("X-Big: {}\r\n", std::string(2000, 'h')));
                             },
                             seen_));
  HttpClient client(io_.get_executor(), ClientOptions{.response_header_bytes_max = 1024});

  auto response = fetch(client, server.url("/"));

  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, "http.protocol");
}

TEST_F(HttpClientTest, GarbageResponsesAreProtocolErrors) {
  static const std::vector<std::string> kGarbage = {
      "garbage\r\n\r\n",
      std::string("\x00\x01\x02\xff\xfe\r\n\r\n", 9),
      "HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n",
      "HTTP/9.9 200 OK\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n",
      "HTTP/1.1 200 OK\r\nNo colon here\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nBad\x01Name: 1\r\nContent-Length: 0\r\n\r\n",
  };
  TestServer server(io_, http_server(
                             [](const RawRequest& request) {
                               return kGarbage.at(std::stoul(request.target.substr(1)));
                             },
                             seen_, {.close_after_response = true}));
  HttpClient client(io_.get_executor());

  for (std::size_t i = 0; i < kGarbage.size(); ++i) {
    auto response = fetch(client, server.url(fmt::format("/{}", i)));
    ASSERT_FALSE(response) << "garbage #" << i << " was accepted";
    EXPECT_EQ(response.error().code, "http.protocol")
        << "garbage #" << i << ": " << response.error().message;
  }
  EXPECT_EQ(client.idle_connections(), 0u);
}

TEST_F(HttpClientTest, ResponseCutShortIsAConnectError) {
  TestServer server(io_,
                    http_server(
                        [](const RawRequest&) {
                          return std::string("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort");
                        },
                        seen_, {.close_after_response = true}));
  HttpClient client(io_.get_executor());

  auto response = fetch(client, server.url("/"));

  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, "http.connect");
}

TEST_F(HttpClientTest, RefusesUrlsThatAreNotAbsoluteHttp) {
  HttpClient client(io_.get_executor());
  for (std::string url :
       {"", "not a url", "/relative/path", "ftp://127.0.0.1/file", "ws://127.0.0.1/",
        "file:///etc/passwd", "http://", "http:///path", "http://user:secret@127.0.0.1/",
        "http://127.0.0.1:99999/", "http://127.0.0.1:0/", "http://exa mple.com/",
        "http://bad%00host/", "https://[::1/"}) {
    auto response = fetch(client, url);
    ASSERT_FALSE(response) << url;
    EXPECT_EQ(response.error().code, "http.url") << url << ": " << response.error().message;
  }
}

TEST_F(HttpClientTest, RefusesRequestsItWillNotSend) {
  TestServer server(io_, http_server(echo, seen_));
  HttpClient client(io_.get_executor());
  auto with_header = [&](std::string name, std::string value) {
    Headers headers;
    headers.add(name, value);
    return ClientRequest{.url = server.url("/"), .headers = headers};
  };

  std::vector<ClientRequest> requests = {
      ClientRequest{.method = Method::kOther, .url = server.url("/")},
      with_header("X-Injected", "a\r\nX-Evil: 1"),
      with_header("X-Newline", "a\nb"),
      with_header("Bad Name", "v"),
      with_header("", "v"),
      with_header("X-Nul", std::string("a\0b", 3)),
  };
  for (auto& request : requests) {
    auto response = fetch(client, request);
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, "http.request") << response.error().message;
  }
  EXPECT_EQ(server.connections(), 0);
}

}  // namespace
}  // namespace rafiki::testing::http_client
