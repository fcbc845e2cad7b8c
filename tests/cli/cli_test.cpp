// End-to-end tests of the `rafiki` binary: configuration errors, listeners, health, signals.
#include <gtest/gtest.h>
#include <signal.h>

#include <set>

#include "support/http_get.h"
#include "support/process.h"
#include "support/test_env.h"

using namespace rafiki::testing;
using namespace std::chrono_literals;

namespace {

constexpr auto kStartTimeout = 15s;
constexpr auto kStopTimeout = 15s;

std::map<std::string, std::string> backend_env() {
  return {
      {"OPEN_PAYMENTS_URL", "http://127.0.0.1:3000"},
      {"ILP_ADDRESS", "test.cloud-nine-wallet"},
      {"ILP_CONNECTOR_URL", "http://127.0.0.1:3002"},
      {"INSTANCE_NAME", "CLOUD-NINE"},
      {"STREAM_SECRET", "BjPXtnd00G2mRQwP/8ZpwyZASOch5sUXT5o0iR5b5wU="},
      {"AUTH_SERVER_GRANT_URL", "http://127.0.0.1:3006"},
      {"AUTH_SERVER_INTROSPECTION_URL", "http://127.0.0.1:3007"},
      {"AUTH_SERVICE_API_URL", "http://127.0.0.1:3011"},
      {"WEBHOOK_URL", "http://127.0.0.1:3030/webhooks"},
      {"ADMIN_API_SECRET", "iyIgCprjb9uL8wFckR+pLEkJWMB7FJhgkvqhTQR/964="},
      {"KEY_ID", "7097F83B-CB84-469E-96C6-2141C72E22C0"},
      {"OPERATOR_TENANT_ID", "438fa74a-fa7d-4317-9ced-dde32ece1787"},
      {"BIND_ADDRESS", "127.0.0.1"},
      {"RAFIKI_THREADS", "2"},
  };
}

std::map<std::string, std::string> auth_env() {
  return {
      {"AUTH_SERVER_URL", "http://127.0.0.1:3006"},
      {"IDENTITY_SERVER_URL", "http://127.0.0.1:3030/mock-idp/"},
      {"IDENTITY_SERVER_SECRET", "2pEcn2kkCclbOHQiGNEwhJ0rucATZhrA807HTm2rNXE="},
      {"COOKIE_KEY", "42397d1f371dd4b8b7d0308a689a57c882effd4ea909d792302542af47e2cd37"},
      {"ADMIN_API_SECRET", "iyIgCprjb9uL8wFckR+pLEkJWMB7FJhgkvqhTQR/964="},
      {"OPERATOR_TENANT_ID", "438fa74a-fa7d-4317-9ced-dde32ece1787"},
      {"BIND_ADDRESS", "127.0.0.1"},
      {"RAFIKI_THREADS", "2"},
  };
}

// Every listener on an ephemeral port, with services pointed at the test PostgreSQL and Redis.
std::map<std::string, std::string> all_env_ephemeral(const TestDatabase& backend_db,
                                                     const TestDatabase& auth_db) {
  auto env = backend_env();
  for (auto& [k, v] : auth_env()) env.emplace(k, v);
  env["DATABASE_URL"] = backend_db.url();
  env["AUTH_DATABASE_URL"] = auth_db.url();
  env["REDIS_URL"] = redis_url();
  for (auto name : {"BACKEND_ADMIN_PORT", "OPEN_PAYMENTS_PORT", "CONNECTOR_PORT", "AUTH_PORT",
                    "INTERACTION_PORT", "INTROSPECTION_PORT", "AUTH_ADMIN_PORT", "SERVICE_API_PORT",
                    "FRONTEND_PORT"})
    env[name] = "0";
  return env;
}

// Waits for `count` "listening on" lines and returns the ports.
std::vector<std::uint16_t> listening_ports(ChildProcess& p, std::size_t count) {
  std::vector<std::uint16_t> ports;
  std::regex re(R"(listening on http://[0-9.]+:([0-9]+))");
  while (ports.size() < count) {
    auto m = p.wait_for_line(re, kStartTimeout);
    if (!m) break;
    ports.push_back(static_cast<std::uint16_t>(std::stoi((*m)[1])));
  }
  return ports;
}

}  // namespace

TEST(Cli, PrintsHelpAndVersion) {
  ChildProcess help({rafiki_binary(), "--help"}, {});
  EXPECT_EQ(help.wait(kStopTimeout), 0);
  ChildProcess version({rafiki_binary(), "version"}, {});
  EXPECT_EQ(version.wait(kStopTimeout), 0);
}

TEST(Cli, RefusesUnknownCommandsAndExtraArguments) {
  ChildProcess unknown({rafiki_binary(), "frobnicate"}, {});
  EXPECT_EQ(unknown.wait(kStopTimeout), 2);
  EXPECT_NE(unknown.output().find("unknown command \"frobnicate\""), std::string::npos);
  ChildProcess extra({rafiki_binary(), "backend", "now"}, {});
  EXPECT_EQ(extra.wait(kStopTimeout), 2);
  ChildProcess none({rafiki_binary()}, {});
  EXPECT_EQ(none.wait(kStopTimeout), 2);
}

TEST(Cli, ReportsEveryMissingVariableInOneMessage) {
  ChildProcess p({rafiki_binary(), "backend"}, {});
  EXPECT_EQ(p.wait(kStopTimeout), 1);
  for (auto name : {"OPEN_PAYMENTS_URL", "ILP_ADDRESS", "ILP_CONNECTOR_URL", "INSTANCE_NAME",
                    "STREAM_SECRET", "AUTH_SERVER_GRANT_URL", "AUTH_SERVER_INTROSPECTION_URL",
                    "AUTH_SERVICE_API_URL", "WEBHOOK_URL", "ADMIN_API_SECRET", "KEY_ID",
                    "OPERATOR_TENANT_ID"})
    EXPECT_NE(p.output().find(name), std::string::npos) << name;
  ChildProcess a({rafiki_binary(), "auth"}, {});
  EXPECT_EQ(a.wait(kStopTimeout), 1);
  for (auto name : {"AUTH_SERVER_URL", "IDENTITY_SERVER_URL", "IDENTITY_SERVER_SECRET", "COOKIE_KEY",
                    "ADMIN_API_SECRET", "OPERATOR_TENANT_ID"})
    EXPECT_NE(a.output().find(name), std::string::npos) << name;
}

TEST(Cli, ReportsEveryBadValueWithoutEchoingSecrets) {
  auto env = backend_env();
  env["STREAM_SECRET"] = "dG9vLXNob3J0";  // "too-short"
  env["ILP_ADDRESS"] = "nope";
  env["ADMIN_PORT"] = "99999";
  env["OPERATOR_TENANT_ID"] = "not-a-uuid";
  env["WEBHOOK_URL"] = "ftp://example";
  env["SLIPPAGE"] = "lots";
  env["HTTP_CONNECTIONS_PER_CLIENT_MAX"] = "0";
  ChildProcess p({rafiki_binary(), "backend"}, env);
  EXPECT_EQ(p.wait(kStopTimeout), 1);
  for (auto name : {"STREAM_SECRET", "ILP_ADDRESS", "ADMIN_PORT", "OPERATOR_TENANT_ID", "WEBHOOK_URL", "SLIPPAGE",
                    "HTTP_CONNECTIONS_PER_CLIENT_MAX"})
    EXPECT_NE(p.output().find(name), std::string::npos) << name;
  EXPECT_EQ(p.output().find("dG9vLXNob3J0"), std::string::npos);
}

TEST(Cli, AllInOneRefusesPortClashes) {
  TestDatabase backend_db, auth_db;
  auto env = all_env_ephemeral(backend_db, auth_db);
  env["FRONTEND_PORT"] = "45123";
  env["AUTH_ADMIN_PORT"] = "45123";
  ChildProcess p({rafiki_binary(), "all"}, env);
  EXPECT_EQ(p.wait(kStopTimeout), 1);
  EXPECT_NE(p.output().find("both use port 45123"), std::string::npos) << p.output();
}

TEST(Cli, AllMigratesServesHealthOnEveryListenerAndStopsOnSigterm) {
  TestDatabase backend_db, auth_db;
  ChildProcess p({rafiki_binary(), "all"}, all_env_ephemeral(backend_db, auth_db));
  auto ports = listening_ports(p, 9);
  ASSERT_EQ(ports.size(), 9u) << p.output();
  EXPECT_EQ(std::set<std::uint16_t>(ports.begin(), ports.end()).size(), 9u);
  for (auto port : ports) {
    auto h = http_request(port, "GET", "/healthz");
    EXPECT_EQ(h.status, 200) << port;
    auto r = http_request(port, "GET", "/readyz");
    EXPECT_EQ(r.status, 200) << port << " " << r.body;
  }
  // Both databases were migrated before the listeners opened.
  EXPECT_EQ(backend_db.query_value("SELECT to_regclass('rafiki_migrations') IS NOT NULL"), "t");
  EXPECT_EQ(auth_db.query_value("SELECT to_regclass('rafiki_migrations') IS NOT NULL"), "t");
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait(kStopTimeout), 0) << p.output();
  EXPECT_EQ(http_request(ports[0], "GET", "/healthz").status, 0) << "no longer listening";
}

TEST(Cli, AdminSendsSignedRequestsToTheAdminApi) {
  TestDatabase db;
  auto env = backend_env();
  env["DATABASE_URL"] = db.url();
  env["REDIS_URL"] = redis_url();
  for (auto name : {"ADMIN_PORT", "OPEN_PAYMENTS_PORT", "CONNECTOR_PORT"}) env[name] = "0";
  ChildProcess backend({rafiki_binary(), "backend"}, env);
  // The Admin listener by its name (the connector answers 401 on every path too).
  std::uint16_t admin_port = 0;
  std::regex listening(R"((backend [a-z-]+) listening on http://[0-9.]+:([0-9]+))");
  for (int seen = 0; seen < 3; ++seen) {
    auto m = backend.wait_for_line(listening, kStartTimeout);
    ASSERT_TRUE(m) << backend.output();
    if ((*m)[1] == "backend admin") admin_port = static_cast<std::uint16_t>(std::stoi((*m)[2]));
  }
  ASSERT_NE(admin_port, 0);
  EXPECT_EQ(http_request(admin_port, "POST", "/graphql", "{}").status, 401);
  std::map<std::string, std::string> client_env = {
      {"GRAPHQL_URL", "http://127.0.0.1:" + std::to_string(admin_port) + "/graphql"},
      {"OPERATOR_TENANT_ID", env["OPERATOR_TENANT_ID"]},
      {"ADMIN_API_SECRET", env["ADMIN_API_SECRET"]}};
  const std::string vars = R"({"id": ")" + env["OPERATOR_TENANT_ID"] + R"("})";
  ChildProcess ok({rafiki_binary(), "admin",
                   "query($id: String!) { tenant(id: $id) { id } whoami { id isOperator } }", vars},
                  client_env, true);
  EXPECT_EQ(ok.wait(kStopTimeout), 0) << ok.output();
  EXPECT_NE(ok.output().find(R"("isOperator":true)"), std::string::npos) << ok.output();
  EXPECT_NE(ok.output().find(env["OPERATOR_TENANT_ID"]), std::string::npos);
  // A GraphQL error exits 1; so does a wrong secret (401), and bad variables are a usage error.
  ChildProcess invalid({rafiki_binary(), "admin", "{ nope }"}, client_env, true);
  EXPECT_EQ(invalid.wait(kStopTimeout), 1);
  EXPECT_NE(invalid.output().find("GRAPHQL_VALIDATION_FAILED"), std::string::npos) << invalid.output();
  auto wrong_env = client_env;
  wrong_env["ADMIN_API_SECRET"] = "wrong";
  ChildProcess wrong({rafiki_binary(), "admin", "{ whoami { id } }"}, wrong_env, true);
  EXPECT_EQ(wrong.wait(kStopTimeout), 1);
  EXPECT_NE(wrong.output().find("Unauthorized"), std::string::npos);
  ChildProcess bad_vars({rafiki_binary(), "admin", "{ whoami { id } }", "[1]"}, client_env, true);
  EXPECT_EQ(bad_vars.wait(kStopTimeout), 2);
  backend.signal(SIGTERM);
  EXPECT_EQ(backend.wait(kStopTimeout), 0) << backend.output();
}

TEST(Cli, WebhookSecretPrintsTheTenantsDerivedKeyFromStandardInput) {
  // docs/admin-api.md's worked example (openssl dgst -sha256 -hmac <secret> of the label).
  ChildProcess key({"/bin/sh", "-c", "printf 'tenant-a-secret\\n' | '" + rafiki_binary() +
                                         "' webhook-secret"},
                   {}, true);
  EXPECT_EQ(key.wait(kStopTimeout), 0) << key.output();
  EXPECT_NE(key.output().find("c9463801ed0c268ea118bba6bb20a2e5a14c55413429f5d4e30a961e5c5adf0e"),
            std::string::npos)
      << key.output();
  ChildProcess empty({"/bin/sh", "-c", "'" + rafiki_binary() + "' webhook-secret </dev/null"}, {},
                     true);
  EXPECT_EQ(empty.wait(kStopTimeout), 2);
}

TEST(Cli, ReadyzNamesTheDependencyThatDoesNotAnswer) {
  TestDatabase auth_db;
  auto env = auth_env();
  for (auto name : {"AUTH_PORT", "INTERACTION_PORT", "INTROSPECTION_PORT", "ADMIN_PORT", "SERVICE_API_PORT"})
    env[name] = "0";
  env["AUTH_DATABASE_URL"] = auth_db.url();
  env["REDIS_URL"] = "redis://127.0.0.1:1/0";  // nothing listens there
  ChildProcess p({rafiki_binary(), "auth"}, env);
  auto ports = listening_ports(p, 5);
  ASSERT_EQ(ports.size(), 5u) << p.output();
  EXPECT_EQ(http_request(ports[0], "GET", "/healthz").status, 200);
  auto r = http_request(ports[0], "GET", "/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("auth redis"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("auth postgres"), std::string::npos) << r.body;
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait(kStopTimeout), 0) << p.output();
}

TEST(Cli, MigrateAppliesAndIsANoOpTheSecondTime) {
  TestDatabase backend_db, auth_db;
  std::map<std::string, std::string> env{{"DATABASE_URL", backend_db.url()},
                                         {"AUTH_DATABASE_URL", auth_db.url()}};
  ChildProcess first({rafiki_binary(), "migrate"}, env);
  EXPECT_EQ(first.wait(kStopTimeout), 0) << first.output();
  EXPECT_EQ(backend_db.query_value("SELECT to_regclass('rafiki_migrations') IS NOT NULL"), "t");
  EXPECT_EQ(auth_db.query_value("SELECT to_regclass('rafiki_migrations') IS NOT NULL"), "t");
  ChildProcess again({rafiki_binary(), "migrate", "backend"}, env);
  EXPECT_EQ(again.wait(kStopTimeout), 0) << again.output();
  ChildProcess bad({rafiki_binary(), "migrate", "ledger"}, env);
  EXPECT_EQ(bad.wait(kStopTimeout), 2);
  ChildProcess unreachable({rafiki_binary(), "migrate", "auth"},
                           {{"AUTH_DATABASE_URL", "postgresql://rafiki:rafiki@127.0.0.1:1/nope"}});
  EXPECT_EQ(unreachable.wait(kStopTimeout), 1);
}

TEST(Cli, StopsOnSigintToo) {
  TestDatabase auth_db;
  auto env = auth_env();
  env["AUTH_DATABASE_URL"] = auth_db.url();
  for (auto name : {"AUTH_PORT", "INTERACTION_PORT", "INTROSPECTION_PORT", "ADMIN_PORT", "SERVICE_API_PORT"})
    env[name] = "0";
  ChildProcess p({rafiki_binary(), "auth"}, env);
  ASSERT_EQ(listening_ports(p, 5).size(), 5u) << p.output();
  p.signal(SIGINT);
  EXPECT_EQ(p.wait(kStopTimeout), 0) << p.output();
}

TEST(Cli, FailsClearlyWhenAPortIsTaken) {
  auto env = std::map<std::string, std::string>{{"PORT", "0"}, {"BIND_ADDRESS", "127.0.0.1"}};
  ChildProcess first({rafiki_binary(), "frontend"}, env);
  auto ports = listening_ports(first, 1);
  ASSERT_EQ(ports.size(), 1u);
  env["PORT"] = std::to_string(ports[0]);
  ChildProcess second({rafiki_binary(), "frontend"}, env);
  EXPECT_EQ(second.wait(kStopTimeout), 1);
  EXPECT_NE(second.output().find("cannot listen"), std::string::npos) << second.output();
  first.signal(SIGTERM);
  EXPECT_EQ(first.wait(kStopTimeout), 0);
}
