#include "service/http_limits.h"

#include <gtest/gtest.h>

#include <map>

using namespace rafiki;
using namespace std::chrono_literals;

namespace {

config::EnvReader reader(std::map<std::string, std::string> vars) {
  return config::EnvReader(
      [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
        auto it = vars.find(std::string(name));
        if (it == vars.end()) return std::nullopt;
        return it->second;
      });
}

}  // namespace

TEST(HttpLimits, KeepsTheServerDefaultsWhenNothingIsSet) {
  auto env = reader({});
  auto limits = service::load_http_limits(env);
  EXPECT_TRUE(env.ok());
  EXPECT_EQ(limits.connections_per_client_max, net::ServerLimits::kConnectionsPerClientMax);
  EXPECT_EQ(limits.request_bytes_per_client_max, net::ServerLimits::kRequestBytesPerClientMax);
  EXPECT_EQ(limits.request_bytes_max, net::ServerLimits::kRequestBytesMax);
  EXPECT_EQ(limits.idle_timeout, net::ServerLimits::kIdleTimeout);
  EXPECT_EQ(limits.header_timeout, net::ServerLimits::kHeaderTimeout);
  EXPECT_EQ(limits.connections_max, net::ServerLimits::kConnectionsMax);
}

TEST(HttpLimits, ReadsWhatTheOperatorSets) {
  // Behind a load balancer every request comes from one address.
  auto env = reader({{"HTTP_CONNECTIONS_PER_CLIENT_MAX", "10000"},
                     {"HTTP_REQUEST_BYTES_PER_CLIENT_MAX", "134217728"},
                     {"HTTP_REQUEST_BYTES_MAX", "268435456"},
                     {"HTTP_IDLE_TIMEOUT_MS", "65000"},
                     {"HTTP_UNKNOWN_THING", "1"}});
  auto limits = service::load_http_limits(env);
  EXPECT_TRUE(env.ok()) << env.error_summary();
  EXPECT_EQ(limits.connections_per_client_max, 10'000u);
  EXPECT_EQ(limits.request_bytes_per_client_max, 134'217'728u);
  EXPECT_EQ(limits.request_bytes_max, 268'435'456u);
  EXPECT_EQ(limits.idle_timeout, 65'000ms);
}

TEST(HttpLimits, ReportsEveryBadValueAndKeepsDefaults) {
  auto env = reader({{"HTTP_CONNECTIONS_PER_CLIENT_MAX", "0"},
                     {"HTTP_REQUEST_BYTES_PER_CLIENT_MAX", "1048576"},  // below a chunked request
                     {"HTTP_REQUEST_BYTES_MAX", "lots"},
                     {"HTTP_IDLE_TIMEOUT_MS", "-5"}});
  auto limits = service::load_http_limits(env);
  EXPECT_EQ(env.errors().size(), 4u) << env.error_summary();
  for (auto name : {"HTTP_CONNECTIONS_PER_CLIENT_MAX", "HTTP_REQUEST_BYTES_PER_CLIENT_MAX",
                    "HTTP_REQUEST_BYTES_MAX", "HTTP_IDLE_TIMEOUT_MS"})
    EXPECT_NE(env.error_summary().find(name), std::string::npos) << name;
  EXPECT_EQ(limits.connections_per_client_max, net::ServerLimits::kConnectionsPerClientMax);
  EXPECT_EQ(limits.idle_timeout, net::ServerLimits::kIdleTimeout);

  auto more = reader({{"HTTP_CONNECTIONS_PER_CLIENT_MAX", "10001"},  // above the listener's cap
                      {"HTTP_IDLE_TIMEOUT_MS", "1.5"}});
  (void)service::load_http_limits(more);
  EXPECT_EQ(more.errors().size(), 2u) << more.error_summary();
}
