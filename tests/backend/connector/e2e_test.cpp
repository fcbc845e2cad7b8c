// Money between two `rafiki backend` processes over ILP (issue: the connector). Two instances,
// "cloud-nine-wallet" and "happy-life-bank", each with its own database, are set up only
// through their Admin APIs (signed requests); an ilp-protocol-stream sender pays a
// happy-life-bank wallet address through cloud-nine-wallet's connector. The test then checks
// both ledgers exactly, the rejects of bad packets, that a packet whose fulfillment never comes
// leaves nothing pending, and the ledger invariants on both instances.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <thread>

#include "backend/admin/signature.h"
#include "base/time.h"
#include "base/uuid.h"
#include "ilp/packet.h"
#include "interop/node_harness.h"
#include "net/client.h"
#include "net/server.h"
#include "support/process.h"
#include "support/test_env.h"

namespace asio = boost::asio;
namespace json = boost::json;
using namespace rafiki;
using namespace rafiki::testing;
using namespace std::chrono_literals;

namespace {

constexpr auto kStartTimeout = 20s;
constexpr std::string_view kOperatorTenant = "438fa74a-fa7d-4317-9ced-dde32ece1787";
constexpr std::string_view kAdminSecret = "iyIgCprjb9uL8wFckR+pLEkJWMB7FJhgkvqhTQR/964=";
// Peering tokens as in the local environment (reference/localenv.md).
constexpr std::string_view kC9ToHlb = "test-USD-cloud-nine-wallet";  // what C9 presents to HLB
constexpr std::string_view kHlbToC9 = "test-USD-happy-life-bank";    // what HLB presents to C9
constexpr std::string_view kSenderToken = "sender-token";            // the STREAM sender → C9
constexpr std::string_view kPoorToken = "poor-token";                // a peer with 100 units
constexpr std::string_view kHlbHost = "happy-life-bank.test";
// EUR per USD served by the test's rates server (both assets scale 2).
constexpr std::string_view kRatesBody = R"({"base":"USD","rates":{"EUR":0.5}})";

// An io_context on its own thread for the test's HTTP clients and servers.
struct Io {
  asio::io_context io;
  net::HttpClient client{io.get_executor()};
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
  std::thread thread{[this] { io.run(); }};
  ~Io() {
    guard.reset();
    io.stop();
    thread.join();
  }
  template <class T>
  T run(asio::awaitable<T> a) {
    return asio::co_spawn(io, std::move(a), asio::use_future).get();
  }
};

struct Instance {
  std::string name;
  std::string ilp_address;
  std::unique_ptr<TestDatabase> db;
  std::unique_ptr<ChildProcess> process;
  std::uint16_t admin_port = 0, open_payments_port = 0, connector_port = 0;

  std::string connector_url() const {
    return "http://127.0.0.1:" + std::to_string(connector_port) + "/ilp";
  }
};

std::map<std::string, std::string> env_for(const Instance& i, const std::string& rates_url) {
  return {
      {"OPEN_PAYMENTS_URL", "https://" + std::string(i.name == "happy-life-bank" ? kHlbHost
                                                                              : "cloud-nine.test")},
      {"TRUST_PROXY", "true"},  // wallet addresses are https URLs; the test says which host
      {"ILP_ADDRESS", i.ilp_address},
      {"ILP_CONNECTOR_URL", "http://127.0.0.1:3002"},
      {"INSTANCE_NAME", i.name},
      {"STREAM_SECRET", i.name == "happy-life-bank"
                            ? "BjPXtnd00G2mRQwP/8ZpwyZASOch5sUXT5o0iR5b5wU="
                            : "BWasgHxNWMIqnLg6vvNWYnYsaPj3H7mWX6TjEOmqDGg="},
      {"AUTH_SERVER_GRANT_URL", "http://127.0.0.1:3006"},
      {"AUTH_SERVER_INTROSPECTION_URL", "http://127.0.0.1:3007"},
      {"AUTH_SERVICE_API_URL", "http://127.0.0.1:3011"},
      {"WEBHOOK_URL", "http://127.0.0.1:9/webhooks"},
      {"ADMIN_API_SECRET", std::string(kAdminSecret)},
      {"KEY_ID", "7097F83B-CB84-469E-96C6-2141C72E22C0"},
      {"OPERATOR_TENANT_ID", std::string(kOperatorTenant)},
      {"BIND_ADDRESS", "127.0.0.1"},
      {"RAFIKI_THREADS", "2"},
      {"EXCHANGE_RATES_URL", rates_url},
      {"DATABASE_URL", i.db->url()},
      {"REDIS_URL", redis_url()},
      {"ADMIN_PORT", "0"},
      {"OPEN_PAYMENTS_PORT", "0"},
      {"CONNECTOR_PORT", "0"},
  };
}

void start(Instance& i, const std::string& rates_url) {
  i.db = std::make_unique<TestDatabase>();
  i.process = std::make_unique<ChildProcess>(std::vector<std::string>{rafiki_binary(), "backend"},
                                             env_for(i, rates_url));
  std::regex re(R"((backend [a-z-]+) listening on http://[0-9.]+:([0-9]+))");
  for (int seen = 0; seen < 3; ++seen) {
    auto m = i.process->wait_for_line(re, kStartTimeout);
    ASSERT_TRUE(m) << i.name << " did not start:\n" << i.process->output();
    auto port = static_cast<std::uint16_t>(std::stoi((*m)[2]));
    if ((*m)[1] == "backend admin") i.admin_port = port;
    if ((*m)[1] == "backend open-payments") i.open_payments_port = port;
    if ((*m)[1] == "backend connector") i.connector_port = port;
  }
  ASSERT_NE(i.admin_port, 0);
  ASSERT_NE(i.connector_port, 0);
  ASSERT_NE(i.open_payments_port, 0);
}

// One signed Admin API request; returns `data` (fails the test on errors).
json::value admin(Io& io, const Instance& i, const std::string& query,
                  json::object variables = {}) {
  json::object body;
  body["query"] = query;
  body["variables"] = std::move(variables);
  const std::string text = json::serialize(body);
  auto signature = backend::admin::sign_request_body(
      kAdminSecret, 1, now_ms().time_since_epoch().count(), text);
  EXPECT_TRUE(signature);
  if (!signature) return nullptr;
  net::ClientRequest request;
  request.method = net::Method::kPost;
  request.url = "http://127.0.0.1:" + std::to_string(i.admin_port) + "/graphql";
  request.headers.set("content-type", "application/json");
  request.headers.set("tenant-id", std::string(kOperatorTenant));
  request.headers.set("signature", *signature);
  request.body = text;
  auto response = io.run(io.client.request(std::move(request)));
  EXPECT_TRUE(response) << (response ? "" : response.error().message);
  if (!response) return nullptr;
  EXPECT_EQ(response->status, 200) << response->body;
  auto answer = json::parse(response->body);
  EXPECT_FALSE(answer.as_object().contains("errors")) << i.name << ": " << response->body;
  return answer.as_object().contains("data") ? answer.at("data") : json::value(nullptr);
}

std::string create_asset(Io& io, const Instance& i, const std::string& code,
                         std::optional<std::string> liquidity_threshold = std::nullopt,
                         std::optional<std::string> withdrawal_threshold = std::nullopt) {
  json::object input{{"code", code}, {"scale", 2}};
  if (liquidity_threshold) input["liquidityThreshold"] = *liquidity_threshold;
  if (withdrawal_threshold) input["withdrawalThreshold"] = *withdrawal_threshold;
  auto data = admin(io, i, "mutation($input: CreateAssetInput!) { createAsset(input: $input) "
                    "{ asset { id } } }",
                    {{"input", input}});
  return std::string(data.at("createAsset").at("asset").at("id").as_string());
}

void deposit_asset(Io& io, const Instance& i, const std::string& asset, const std::string& amount) {
  json::object input{{"assetId", asset},
                     {"amount", amount},
                     {"id", Uuid::v4().str()},
                     {"idempotencyKey", Uuid::v4().str()}};
  admin(io, i, "mutation($input: DepositAssetLiquidityInput!) { depositAssetLiquidity(input: "
        "$input) { success } }",
        {{"input", input}});
}

std::string create_peer(Io& io, const Instance& i, const std::string& asset,
                        const std::string& address, const std::string& endpoint,
                        std::string_view outgoing_token, std::string_view incoming_token,
                        const std::string& liquidity,
                        std::optional<std::string> max_packet = std::nullopt,
                        std::optional<std::string> liquidity_threshold = std::nullopt) {
  json::object http{{"outgoing", json::object{{"authToken", outgoing_token},
                                              {"endpoint", endpoint}}},
                    {"incoming", json::object{{"authTokens", json::array{incoming_token}}}}};
  json::object input{{"assetId", asset},
                     {"staticIlpAddress", address},
                     {"http", http},
                     {"initialLiquidity", liquidity}};
  if (max_packet) input["maxPacketAmount"] = *max_packet;
  if (liquidity_threshold) input["liquidityThreshold"] = *liquidity_threshold;
  auto data = admin(io, i, "mutation($input: CreatePeerInput!) { createPeer(input: $input) "
                    "{ peer { id } } }",
                    {{"input", input}});
  return std::string(data.at("createPeer").at("peer").at("id").as_string());
}

std::string create_wallet_address(Io& io, const Instance& i, const std::string& asset,
                                  const std::string& url) {
  json::object input{{"assetId", asset}, {"address", url}};
  auto data = admin(io, i, "mutation($input: CreateWalletAddressInput!) { "
                    "createWalletAddress(input: $input) { walletAddress { id } } }",
                    {{"input", input}});
  return std::string(data.at("createWalletAddress").at("walletAddress").at("id").as_string());
}

// The `liquidity` of an Asset, Peer or WalletAddress ("0" when the account does not exist).
std::string liquidity(Io& io, const Instance& i, const std::string& type, const std::string& id) {
  auto data = admin(io, i, "query($id: String!) { " + type + "(id: $id) { liquidity } }",
                    {{"id", id}});
  const auto& v = data.at(type).at("liquidity");
  return v.is_null() ? "0" : std::string(v.as_string());
}

// The data of every webhook event of `type`.
std::vector<json::object> events(Io& io, const Instance& i, const std::string& type) {
  auto data = admin(io, i,
                    "query($types: [String!]) { webhookEvents(first: 100, filter: {type: {in: "
                    "$types}}) { edges { node { type data } } } }",
                    {{"types", json::array{json::string(type)}}});
  std::vector<json::object> out;
  for (const auto& edge : data.at("webhookEvents").at("edges").as_array()) {
    out.push_back(edge.at("node").at("data").as_object());
  }
  return out;
}

struct IlpAnswer {
  int status = 0;
  std::string body;
};

IlpAnswer send_packet(Io& io, const Instance& i, std::string_view token, const Bytes& packet,
                      std::string content_type = "application/octet-stream") {
  net::ClientRequest request;
  request.method = net::Method::kPost;
  request.url = i.connector_url();
  request.headers.set("authorization", "Bearer " + std::string(token));
  request.headers.set("content-type", content_type);
  request.body.assign(packet.begin(), packet.end());
  request.timeout_ms = 30'000;
  auto response = io.run(io.client.request(std::move(request)));
  IlpAnswer answer;
  if (!response) return answer;
  answer.status = response->status;
  answer.body = std::move(response->body);
  return answer;
}

std::optional<ilp::Reject> as_reject(const IlpAnswer& a) {
  ByteView bytes(reinterpret_cast<const std::uint8_t*>(a.body.data()), a.body.size());
  auto r = ilp::decode_reject(bytes);
  if (!r) return std::nullopt;
  return *r;
}


Bytes prepare(std::uint64_t amount, std::string_view destination,
              std::chrono::milliseconds expires_in = 10s) {
  ilp::Prepare p;
  p.amount = amount;
  p.expires_at = now_ms() + expires_in;
  p.execution_condition.fill(7);
  p.destination = destination;
  auto encoded = ilp::encode_prepare(p);
  EXPECT_TRUE(encoded);
  return encoded ? *encoded : Bytes{};
}

// Per ledger, posted and pending debits equal credits; nothing is pending any more; no
// account with debits_must_not_exceed_credits is below zero.
void expect_ledger_invariants(const Instance& i) {
  EXPECT_EQ(i.db->query_value(
                "SELECT count(*) FROM (SELECT ledger FROM ledger_accounts GROUP BY ledger HAVING "
                "sum(debits_posted) <> sum(credits_posted) OR "
                "sum(debits_pending) <> sum(credits_pending)) unbalanced"),
            "0")
      << i.name;
  EXPECT_EQ(i.db->query_value("SELECT coalesce(sum(debits_pending + credits_pending), 0) "
                              "FROM ledger_accounts"),
            "0")
      << i.name << ": pending money left";
  EXPECT_EQ(i.db->query_value("SELECT count(*) FROM ledger_accounts WHERE flags & 2 <> 0 AND "
                              "debits_posted + debits_pending > credits_posted"),
            "0")
      << i.name;
}

// An HTTP server that holds every request for `hold` before answering 500 (a next hop whose
// fulfillment never comes), and one that serves the fixed rates.
net::Handler holding_handler(std::chrono::milliseconds hold) {
  return [hold](net::Request&) -> asio::awaitable<net::Response> {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(hold);
    co_await timer.async_wait(asio::use_awaitable);
    co_return net::Response::text(500, "too late");
  };
}

}  // namespace

class ConnectorE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    io_ = new Io();
    net::ServerLimits limits;
    limits.shutdown_grace = 50ms;
    rates_ = new net::HttpServer(
        io_->io, "rates",
        [](net::Request& r) -> asio::awaitable<net::Response> {
          if (r.query_param("base").value_or("") != "USD") {
            co_return net::Response::json(404, "{}");
          }
          co_return net::Response::json(200, std::string(kRatesBody));
        },
        limits);
    auto rates_port = rates_->listen("127.0.0.1", 0);
    ASSERT_TRUE(rates_port);
    rates_->start();
    blackhole_ = new net::HttpServer(io_->io, "blackhole", holding_handler(20s), limits);
    auto hole_port = blackhole_->listen("127.0.0.1", 0);
    ASSERT_TRUE(hole_port);
    blackhole_->start();
    blackhole_url_ = new std::string("http://127.0.0.1:" + std::to_string(*hole_port) + "/ilp");
    const std::string rates_url = "http://127.0.0.1:" + std::to_string(*rates_port) + "/rates";

    c9_ = new Instance{"cloud-nine-wallet", "test.cloud-nine-wallet", {}, {}, 0, 0, 0};
    hlb_ = new Instance{"happy-life-bank", "test.happy-life-bank", {}, {}, 0, 0, 0};
    start(*c9_, rates_url);
    start(*hlb_, rates_url);
  }

  static void TearDownTestSuite() {
    delete c9_;
    delete hlb_;
    io_->run([]() -> asio::awaitable<void> {
      co_await rates_->shutdown();
      co_await blackhole_->shutdown();
    }());
    delete rates_;
    delete blackhole_;
    delete blackhole_url_;
    delete io_;
  }

  static Io* io_;
  static net::HttpServer* rates_;
  static net::HttpServer* blackhole_;
  static std::string* blackhole_url_;
  static Instance* c9_;
  static Instance* hlb_;
};

Io* ConnectorE2E::io_ = nullptr;
net::HttpServer* ConnectorE2E::rates_ = nullptr;
net::HttpServer* ConnectorE2E::blackhole_ = nullptr;
std::string* ConnectorE2E::blackhole_url_ = nullptr;
Instance* ConnectorE2E::c9_ = nullptr;
Instance* ConnectorE2E::hlb_ = nullptr;

TEST_F(ConnectorE2E, StreamPaymentsAcrossTwoInstancesAndBadPackets) {
  Io& io = *io_;
  Instance& c9 = *c9_;
  Instance& hlb = *hlb_;
  ASSERT_NE(c9.connector_port, 0);
  ASSERT_NE(hlb.connector_port, 0);

  // --- Set-up through the Admin APIs ---
  const std::string c9_usd = create_asset(io, c9, "USD");
  // Web Monetization: alice's receipts become due for an event past 10,000.
  const std::string hlb_usd = create_asset(io, hlb, "USD", std::nullopt, "10000");
  // EUR liquidity 1,000,000 with a threshold of 999,500: bob's 1,000 EUR cross it once.
  const std::string hlb_eur = create_asset(io, hlb, "EUR", "999500");
  deposit_asset(io, hlb, hlb_eur, "1000000");
  // C9 side: HLB as next hop, the STREAM sender and a poor peer as incoming peers, and a peer
  // that never answers.
  const std::string c9_hlb = create_peer(io, c9, c9_usd, "test.happy-life-bank",
                                         hlb.connector_url(), kC9ToHlb, kHlbToC9, "1000000");
  // The sender's threshold is crossed during the second payment (and stays crossed).
  const std::string sender = create_peer(io, c9, c9_usd, "test.sender", "http://127.0.0.1:9/ilp",
                                         "unused", kSenderToken, "100000000000000", std::nullopt,
                                         std::to_string(100000000000000 - 14000));
  const std::string poor = create_peer(io, c9, c9_usd, "test.poor", "http://127.0.0.1:9/ilp",
                                       "unused-poor", kPoorToken, "100", "500");
  const std::string hole = create_peer(io, c9, c9_usd, "test.blackhole", *blackhole_url_,
                                       "unused-hole", "hole-token", "1000");
  // HLB side: C9 as peer (what C9 may still send: 1,000,000).
  const std::string hlb_c9 = create_peer(io, hlb, hlb_usd, "test.cloud-nine-wallet",
                                         c9.connector_url(), kHlbToC9, kC9ToHlb, "1000000");
  const std::string alice = create_wallet_address(io, hlb, hlb_usd,
                                                  "https://" + std::string(kHlbHost) + "/alice");
  const std::string bob = create_wallet_address(io, hlb, hlb_eur,
                                                "https://" + std::string(kHlbHost) + "/bob");
  const std::string spsp_base = "http://127.0.0.1:" + std::to_string(hlb.open_payments_port);

  // --- Same asset: 12,345 units to alice ---
  json::object pay{{"spspUrl", spsp_base + "/alice"},
                   {"forwardedHost", kHlbHost},
                   {"connectorUrl", c9.connector_url()},
                   {"token", kSenderToken},
                   {"amount", "12345"}};
  auto out = interop::run_node_harness("connector_e2e.js", pay);
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->at("error").is_null()) << json::serialize(*out);
  EXPECT_EQ(out->at("sent").as_string(), "12345");
  EXPECT_EQ(out->at("delivered").as_string(), "12345");
  EXPECT_EQ(liquidity(io, hlb, "walletAddress", alice), "12345");
  EXPECT_EQ(liquidity(io, hlb, "peer", hlb_c9), std::to_string(1000000 - 12345));
  EXPECT_EQ(liquidity(io, c9, "peer", sender), std::to_string(100000000000000 - 12345));
  EXPECT_EQ(liquidity(io, c9, "peer", c9_hlb), std::to_string(1000000 + 12345));

  // --- Cross currency: 2,000 USD cents to bob, who receives EUR at 0.5 ---
  pay["spspUrl"] = spsp_base + "/bob";
  pay["amount"] = "2000";
  out = interop::run_node_harness("connector_e2e.js", pay);
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->at("error").is_null()) << json::serialize(*out);
  EXPECT_EQ(out->at("sent").as_string(), "2000");
  EXPECT_EQ(out->at("delivered").as_string(), "1000");
  EXPECT_EQ(out->at("destinationAsset").as_string(), "EUR");
  EXPECT_EQ(liquidity(io, hlb, "walletAddress", bob), "1000");
  EXPECT_EQ(liquidity(io, hlb, "peer", hlb_c9), std::to_string(1000000 - 12345 - 2000));
  EXPECT_EQ(liquidity(io, hlb, "asset", hlb_usd), "2000");
  EXPECT_EQ(liquidity(io, hlb, "asset", hlb_eur), std::to_string(1000000 - 1000));
  EXPECT_EQ(liquidity(io, c9, "peer", sender), std::to_string(100000000000000 - 14345));
  EXPECT_EQ(liquidity(io, c9, "peer", c9_hlb), std::to_string(1000000 + 14345));

  // --- Rejects; none of them moves money ---
  auto expect_reject = [&](const IlpAnswer& a, std::string_view code, std::string_view message) {
    ASSERT_EQ(a.status, 200) << a.body;
    auto r = as_reject(a);
    ASSERT_TRUE(r) << "not a reject";
    EXPECT_EQ(r->code, code);
    if (!message.empty()) {
      EXPECT_EQ(r->message, message);
    }
  };
  // Insufficient balance: the poor peer holds 100.
  expect_reject(send_packet(io, c9, kPoorToken, prepare(200, "test.happy-life-bank.x")), "T04",
                "InsufficientBalance");
  // Over the poor peer's maximum packet amount (500).
  {
    auto a = send_packet(io, c9, kPoorToken, prepare(501, "test.happy-life-bank.x"));
    expect_reject(a, "F08", "packet size too large. maxAmount=500 actualAmount=501");
  }
  // Unknown destination.
  expect_reject(send_packet(io, c9, kSenderToken, prepare(10, "test.nowhere.x")), "F02",
                "unknown destination account");
  // A loop (back to the peer it came from) and a packet to the connector itself that is no echo.
  expect_reject(send_packet(io, c9, kSenderToken, prepare(10, "test.sender.x")), "F02",
                "unknown destination account");
  expect_reject(send_packet(io, c9, kSenderToken, prepare(10, "test.cloud-nine-wallet")), "F01",
                "");
  // Expired.
  {
    auto a = send_packet(io, c9, kSenderToken, prepare(10, "test.happy-life-bank.x", -1s));
    auto r = as_reject(a);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->code, "R02");
  }
  // A token nobody has, no token, another content type, a body that is no Prepare.
  EXPECT_EQ(send_packet(io, c9, "no-such-token", prepare(10, "test.happy-life-bank.x")).status,
            401);
  EXPECT_EQ(send_packet(io, c9, kSenderToken, prepare(10, "test.happy-life-bank.x"),
                        "application/json")
                .status,
            400);
  EXPECT_EQ(send_packet(io, c9, kSenderToken, Bytes{1, 2, 3, 4}).status, 400);
  // A STREAM-less packet through C9 to HLB: HLB has no such local account and no route but
  // back to C9 → F02 from HLB, passed through; C9 voids its pending transfer.
  {
    auto a = send_packet(io, c9, kSenderToken, prepare(10, "test.happy-life-bank.nobody"));
    auto r = as_reject(a);
    ASSERT_TRUE(r) << a.body;
    EXPECT_EQ(r->code, "F02");
    EXPECT_EQ(r->triggered_by, "test.happy-life-bank");
  }
  // The next hop never answers: R00 when the packet expires; C9 voids.
  {
    auto a = send_packet(io, c9, kSenderToken, prepare(77, "test.blackhole.x", 3s));
    auto r = as_reject(a);
    ASSERT_TRUE(r) << a.body;
    EXPECT_EQ(r->code, "R00");
  }
  EXPECT_EQ(liquidity(io, c9, "peer", poor), "100");
  EXPECT_EQ(liquidity(io, c9, "peer", hole), "1000");
  EXPECT_EQ(liquidity(io, c9, "peer", sender), std::to_string(100000000000000 - 14345));
  EXPECT_EQ(liquidity(io, c9, "peer", c9_hlb), std::to_string(1000000 + 14345));
  EXPECT_EQ(liquidity(io, hlb, "peer", hlb_c9), std::to_string(1000000 - 14345));

  // The connector still serves after all that.
  pay["spspUrl"] = spsp_base + "/alice";
  pay["amount"] = "5";
  out = interop::run_node_harness("connector_e2e.js", pay);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->at("delivered").as_string(), "5");
  EXPECT_EQ(liquidity(io, hlb, "walletAddress", alice), "12350");

  // Liquidity events: once per crossing, from the instance whose account crossed.
  auto peer_low = events(io, c9, "peer.liquidity_low");
  ASSERT_EQ(peer_low.size(), 1u);
  EXPECT_EQ(peer_low[0].at("id").as_string(), sender);
  EXPECT_EQ(peer_low[0].at("liquidityThreshold").as_string(),
            std::to_string(100000000000000 - 14000));
  EXPECT_EQ(peer_low[0].at("asset").at("id").as_string(), c9_usd);
  const auto low_balance = std::stoull(std::string(peer_low[0].at("balance").as_string()));
  EXPECT_LE(low_balance, 100000000000000ull - 14000);
  EXPECT_GE(low_balance, 100000000000000ull - 14345);
  EXPECT_TRUE(events(io, hlb, "peer.liquidity_low").empty());
  auto asset_low = events(io, hlb, "asset.liquidity_low");
  ASSERT_EQ(asset_low.size(), 1u);
  EXPECT_EQ(asset_low[0].at("id").as_string(), hlb_eur);
  EXPECT_EQ(asset_low[0].at("balance").as_string(), "999000");
  EXPECT_EQ(asset_low[0].at("liquidityThreshold").as_string(), "999500");
  EXPECT_EQ(asset_low[0].at("asset").at("code").as_string(), "EUR");
  EXPECT_TRUE(events(io, c9, "asset.liquidity_low").empty());

  // Web Monetization bookkeeping: alice (past the withdrawal threshold) is due, bob (EUR, no
  // threshold) is not; the wallet address worker's trigger reports what alice received.
  EXPECT_EQ(hlb.db->query_value("SELECT count(*) FROM wallet_addresses WHERE process_at IS NOT "
                                "NULL AND id = '" + alice + "'"),
            "1");
  EXPECT_EQ(hlb.db->query_value("SELECT count(*) FROM wallet_addresses WHERE process_at IS NOT "
                                "NULL AND id = '" + bob + "'"),
            "0");
  auto triggered = admin(io, hlb, "mutation { triggerWalletAddressEvents(input: {limit: 10}) "
                         "{ count } }");
  EXPECT_EQ(triggered.at("triggerWalletAddressEvents").at("count").as_int64(), 1);
  auto monetization = events(io, hlb, "wallet_address.web_monetization");
  ASSERT_EQ(monetization.size(), 1u);
  EXPECT_EQ(monetization[0].at("walletAddress").at("id").as_string(), alice);
  EXPECT_EQ(monetization[0].at("walletAddress").at("receivedAmount").at("value").as_string(),
            "12350");

  expect_ledger_invariants(c9);
  expect_ledger_invariants(hlb);
}
