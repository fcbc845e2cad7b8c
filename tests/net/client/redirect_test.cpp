// HttpClient's redirects: off by default, limits, method and body rules, credentials dropped
// across origins, every hop checked against the address policy.
#include <memory>
#include <string>

#include "net/client/harness.h"

namespace rafiki::testing::http_client {
namespace {

class HttpClientRedirectTest : public HttpClientTest {
 protected:
  void SetUp() override {
    other_ = std::make_unique<TestServer>(io_, http_server(echo, other_seen_));
    server_ = std::make_unique<TestServer>(
        io_, http_server(
                 [port = other_->port()](const RawRequest& request) {
                   auto to = [](std::string_view status, std::string_view location) {
                     return fmt::format(
                         "HTTP/1.1 {} Moved\r\nLocation: {}\r\n"
                         "Content-Length: 0\r\n\r\n",
                         status, location);
                   };
                   const auto& t = request.target;
                   if (t == "/start") return to("302", "/end?from=start");
                   if (t == "/see-other") return to("303", "/end");
                   if (t == "/temporary") return to("307", "end");
                   if (t == "/loop") return to("302", "/loop");
                   if (t == "/away")
                     return to("301", fmt::format("http://127.0.0.1:{}/landing", port));
                   if (t == "/ftp") return to("302", "ftp://127.0.0.1/file");
                   if (t == "/metadata") return to("302", "http://169.254.169.254/latest/");
                   if (t == "/bad") return to("302", "http://[bad");
                   if (t == "/no-location")
                     return std::string("HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n");
                   return echo(request);
                 },
                 seen_));
  }

  std::shared_ptr<Seen> other_seen_ = std::make_shared<Seen>();
  std::unique_ptr<TestServer> other_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(HttpClientRedirectTest, NotFollowedByDefault) {
  HttpClient client(io_.get_executor());

  auto response = fetch(client, server_->url("/start"));

  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 302);
  EXPECT_EQ(response->headers.get("location"), "/end?from=start");
  EXPECT_EQ(seen_->count(), 1u);
}

TEST_F(HttpClientRedirectTest, FollowedWhenAsked) {
  HttpClient client(io_.get_executor(), ClientOptions{.redirects_max = 3});

  auto response = fetch(client, server_->url("/start"));

  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "GET /end?from=start ");
}

TEST_F(HttpClientRedirectTest, PerRequestRedirectsOverrideTheClientDefault) {
  HttpClient client(io_.get_executor());

  auto response = fetch(client, ClientRequest{.url = server_->url("/start"), .redirects_max = 1});

  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
}

TEST_F(HttpClientRedirectTest, SeeOtherTurnsAPostIntoAGetWithoutBody) {
  HttpClient client(io_.get_executor(), ClientOptions{.redirects_max = 1});
  Headers headers;
  headers.set("Content-Type", "text/plain");

  auto response = fetch(client, ClientRequest{.method = Method::kPost,
                                              .url = server_->url("/see-other"),
                                              .headers = headers,
                                              .body = "payload"});

  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->body, "GET /end ");
  auto seen = seen_->all();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_FALSE(seen[1].header("content-type").has_value());
  EXPECT_FALSE(seen[1].header("content-length").has_value());
}

TEST_F(HttpClientRedirectTest, TemporaryRedirectKeepsMethodAndBody) {
  HttpClient client(io_.get_executor(), ClientOptions{.redirects_max = 1});

  auto response = fetch(
      client,
      ClientRequest{.method = Method::kPost, .url = server_->url("/temporary"), .body = "payload"});

  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->body, "POST /end payload");
}

TEST_F(HttpClientRedirectTest, StopsAfterTheLimitAndReturnsTheLastRedirect) {
  HttpClient client(io_.get_executor(), ClientOptions{.redirects_max = 3});

  auto response = fetch(client, server_->url("/loop"));

  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 302);
  EXPECT_EQ(seen_->count(), 4u);  // the first request and three redirects
}

TEST_F(HttpClientRedirectTest, CrossOriginRedirectDropsCredentials) {
  HttpClient client(io_.get_executor(), ClientOptions{.redirects_max = 1});
  Headers headers;
  headers.set("Authorization", "GNAP secret-token");
  headers.set("Cookie", "session=1");
  headers.set("X-Test", "kept");

  auto response = fetch(client, ClientRequest{.url = server_->url("/away"), .headers = headers});

  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->body, "GET /landing ");
  auto seen = other_seen_->all();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_FALSE(seen[0].header("authorization").has_value());
  EXPECT_FALSE(seen[0].header("cookie").has_value());
  EXPECT_EQ(seen[0].header("x-test"), "kept");
}

TEST_F(HttpClientRedirectTest, EveryRedirectTargetIsCheckedAgainstThePolicy) {
  HttpClient client(io_.get_executor(), ClientOptions{.redirects_max = 3});

  auto refused = fetch(client, ClientRequest{.url = server_->url("/metadata"),
                                             .address_policy = AddressPolicy::kPrivateAllowed});

  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "http.forbidden_address") << refused.error().message;
  EXPECT_EQ(seen_->count(), 1u);  // the first hop was allowed (loopback), the second not
}

TEST_F(HttpClientRedirectTest, BadRedirectTargetsAreErrors) {
  HttpClient client(io_.get_executor(), ClientOptions{.redirects_max = 2});

  auto ftp = fetch(client, server_->url("/ftp"));
  auto bad = fetch(client, server_->url("/bad"));
  auto missing = fetch(client, server_->url("/no-location"));

  ASSERT_FALSE(ftp);
  EXPECT_EQ(ftp.error().code, "http.url");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "http.protocol");
  ASSERT_TRUE(missing) << missing.error().message;  // a 3xx without Location is final
  EXPECT_EQ(missing->status, 302);
}

}  // namespace
}  // namespace rafiki::testing::http_client
