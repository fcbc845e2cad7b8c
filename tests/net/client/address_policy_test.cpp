// HttpClient's address policy, checked on the resolved addresses before connecting.
#include <chrono>
#include <string>

#include "net/client/harness.h"

namespace rafiki::testing::http_client {
namespace {

TEST_F(HttpClientTest, PublicOnlyRequestsNeverConnectToLoopback) {
  TestServer server(io_, http_server(echo, seen_));
  HttpClient client(io_.get_executor());

  auto refused = fetch(
      client, ClientRequest{.url = server.url("/"), .address_policy = AddressPolicy::kPublicOnly});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "http.forbidden_address") << refused.error().message;
  EXPECT_NE(refused.error().message.find("loopback"), std::string::npos) << refused.error().message;
  EXPECT_EQ(server.connections(), 0);
  EXPECT_EQ(seen_->count(), 0u);

  auto allowed = fetch(client, ClientRequest{.url = server.url("/"),
                                             .address_policy = AddressPolicy::kPrivateAllowed});
  ASSERT_TRUE(allowed) << allowed.error().message;
  EXPECT_EQ(allowed->status, 200);
}

TEST_F(HttpClientTest, AHostNameThatResolvesToLoopbackIsRefused) {
  TestServer server(io_, http_server(echo, seen_));
  HttpClient client(io_.get_executor());
  const std::string url = fmt::format("http://localhost:{}/", server.port());

  auto refused =
      fetch(client, ClientRequest{.url = url, .address_policy = AddressPolicy::kPublicOnly});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "http.forbidden_address") << refused.error().message;
  EXPECT_EQ(server.connections(), 0);

  auto unrestricted = fetch(client, url);
  ASSERT_TRUE(unrestricted) << unrestricted.error().message;
  EXPECT_EQ(unrestricted->status, 200);
}

TEST_F(HttpClientTest, LinkLocalAndMetadataAddressesAreRefusedWithoutConnecting) {
  HttpClient client(io_.get_executor(), ClientOptions{.connect_timeout_ms = 60'000});
  // Refused before any packet could leave: a connect attempt would take the whole timeout.
  const auto started = std::chrono::steady_clock::now();
  for (const char* url : {"http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/",
                          "http://[::ffff:169.254.169.254]/", "http://0.0.0.0:1/"}) {
    for (AddressPolicy policy : {AddressPolicy::kPrivateAllowed, AddressPolicy::kPublicOnly}) {
      auto refused = fetch(client, ClientRequest{.url = url, .address_policy = policy});
      ASSERT_FALSE(refused) << url;
      EXPECT_EQ(refused.error().code, "http.forbidden_address")
          << url << ": " << refused.error().message;
    }
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

TEST_F(HttpClientTest, ARestrictedRequestNeverReusesAnUnrestrictedConnection) {
  TestServer server(io_, http_server(echo, seen_));
  HttpClient client(io_.get_executor());

  auto first = fetch(client, server.url("/"));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(client.idle_connections(), 1u);

  auto refused = fetch(client, ClientRequest{.url = server.url("/again"),
                                             .address_policy = AddressPolicy::kPublicOnly});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "http.forbidden_address");
  EXPECT_EQ(seen_->count(), 1u);
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(client.idle_connections(), 1u);  // the unrestricted one, still pooled
}

}  // namespace
}  // namespace rafiki::testing::http_client
