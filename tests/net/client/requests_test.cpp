// HttpClient's plain requests: methods, bodies, headers, interim responses.
#include "net/client/harness.h"

namespace rafiki::testing::http_client {
namespace {

TEST_F(HttpClientTest, GetReturnsStatusHeadersAndBody) {
  TestServer server(io_, http_server(echo, seen_));
  HttpClient client(io_.get_executor());
  Headers headers;
  headers.set("X-Test", "hello");
  ClientRequest request{.method = Method::kGet, .url = server.url("/path?q=1"), .headers = headers};

  auto response = fetch(client, request);

  ASSERT_TRUE(response) << response.error().code << ": " << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "GET /path?q=1 ");
  EXPECT_EQ(response->headers.get("x-echo"), "hello");
  auto seen = seen_->all();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].header("host"), fmt::format("127.0.0.1:{}", server.port()));
  EXPECT_TRUE(seen[0].header("user-agent").has_value());
  EXPECT_FALSE(seen[0].header("content-length").has_value());
}

TEST_F(HttpClientTest, PostSendsBodyWithContentLengthAndCallerHeaders) {
  TestServer server(io_, http_server(
                             [](const RawRequest& request) {
                               return http_response(201, request.body, "", "Created");
                             },
                             seen_));
  HttpClient client(io_.get_executor());
  Headers headers;
  headers.set("Content-Type", "application/json");
  headers.set("Content-Length", "999");  // ignored: the body decides the framing

  Result<ClientResponse> response;
  run([&]() -> asio::awaitable<void> {
    response = co_await client.post(server.url("/things"), R"({"a":1})", headers);
  });

  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, R"({"a":1})");
  auto seen = seen_->all();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].target, "/things");
  EXPECT_EQ(seen[0].header("content-type"), "application/json");
  EXPECT_EQ(seen[0].header("content-length"), "7");
}

TEST_F(HttpClientTest, PostWithEmptyBodySendsContentLengthZero) {
  TestServer server(io_, http_server(echo, seen_));
  HttpClient client(io_.get_executor());

  auto response = fetch(client, ClientRequest{.method = Method::kPost, .url = server.url("/")});

  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->body, "POST / ");
  EXPECT_EQ(seen_->all().at(0).header("content-length"), "0");
}

TEST_F(HttpClientTest, HeadResponseHasNoBodyAndKeepsTheConnection) {
  TestServer server(io_,
                    http_server(
                        [](const RawRequest& request) {
                          if (request.method == "HEAD")
                            return std::string("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n");
                          return http_response(200, "after head");
                        },
                        seen_));
  HttpClient client(io_.get_executor());

  auto head = fetch(client, ClientRequest{.method = Method::kHead, .url = server.url("/")});
  auto get = fetch(client, server.url("/"));

  ASSERT_TRUE(head) << head.error().message;
  EXPECT_EQ(head->headers.get("content-length"), "50");
  EXPECT_EQ(head->body, "");
  ASSERT_TRUE(get) << get.error().message;
  EXPECT_EQ(get->body, "after head");
  EXPECT_EQ(server.connections(), 1);
}

TEST_F(HttpClientTest, SkipsInterimResponses) {
  TestServer server(io_, http_server(
                             [](const RawRequest&) {
                               return "HTTP/1.1 100 Continue\r\n\r\n"
                                      "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" +
                                      http_response(200, "final");
                             },
                             seen_));
  HttpClient client(io_.get_executor());

  auto response = fetch(client, server.url("/"));

  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "final");
}

}  // namespace
}  // namespace rafiki::testing::http_client
