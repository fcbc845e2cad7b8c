// Load driver for `make bench`: fulfilled ILP packets per second through `rafiki backend`
// connectors. scripts/bench starts two backends ("cloud-nine-wallet" and "happy-life-bank", each
// on a fresh database, ports base+0 Admin, base+1 Open Payments, base+2 connector); this driver
// sets them up only through their Admin APIs (signed requests), then pays with the project's
// STREAM sender (src/ilp/stream) over ILP over HTTP with a peer's bearer token:
//   hops=1  sender peer → cloud-nine-wallet → its own STREAM receiver (a C9 wallet address)
//   hops=2  sender peer → cloud-nine-wallet → happy-life-bank → an HLB wallet address
// The sender peers' maximum packet amount is 1, so a payment of N units is N fulfilled
// packets of 1 unit (plus a few probes and the close), `in_flight` at a time in all. The
// connector lets one incoming peer send 10,000 packets a minute (upstream's rate limit), so the
// load is spread over ceil(N / 9,000) sender peers paying at once, in flight split evenly. Every Prepare's
// round trip is timed; the rate counts Fulfills only, from the first to the last packet. The
// run fails (exit 1) unless the receiver got exactly the amount, as the ledger says.
// Prints "<fulfilled packets/s> <p50 ms> <p99 ms> <rejects> <fulfilled>".
// Usage: connector_bench <c9 port base> <hlb port base> <tenant> <admin secret> <hops>
//        <packets> <in flight>
// g++ 12 -O3 reports the coroutine frame of run() as freed by a mismatched function once
// Asio's frame allocator is inlined into it (a false positive of -Wmismatched-new-delete).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "backend/admin/signature.h"
#include "base/log.h"
#include "base/time.h"
#include "base/uuid.h"
#include "ilp/http.h"
#include "ilp/packet.h"
#include "ilp/stream/spsp.h"
#include "ilp/stream/sender.h"
#include "net/client.h"

namespace asio = boost::asio;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;
using namespace rafiki;

namespace {

// Packets one sender peer sends, below the connector's 10,000 a minute per incoming peer
// (probes and the close packet included).
constexpr std::uint64_t kPacketsPerSenderMax = 9'000;
std::string sender_token(std::uint64_t s) { return "bench-sender-token-" + std::to_string(s); }
constexpr std::string_view kC9ToHlb = "bench-c9-to-hlb";
constexpr std::string_view kHlbToC9 = "bench-hlb-to-c9";
constexpr std::string_view kLiquidity = "1000000000000";
constexpr std::uint8_t kFulfillType = 13;

struct Instance {
  int base = 0;
  std::string url(int offset, std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(base + offset) + std::string(path);
  }
  std::string admin() const { return url(0, "/graphql"); }
  std::string open_payments(std::string_view path) const { return url(1, path); }
  std::string connector() const { return url(2, "/ilp"); }
};

struct Driver {
  net::HttpClient& client;
  std::string tenant, secret;

  [[noreturn]] static void fail(const std::string& what) {
    std::fprintf(stderr, "connector_bench: %s\n", what.c_str());
    std::exit(1);
  }

  asio::awaitable<json::value> admin(const Instance& i, std::string query,
                                     json::object variables) {
    json::object body;
    body["query"] = std::move(query);
    body["variables"] = std::move(variables);
    std::string text = json::serialize(body);
    auto signature =
        backend::admin::sign_request_body(secret, 1, now_ms().time_since_epoch().count(), text);
    if (!signature) fail("signing failed");
    net::Headers headers;
    headers.set("content-type", "application/json");
    headers.set("tenant-id", tenant);
    headers.set("signature", *signature);
    auto r = co_await client.post(i.admin(), std::move(text), std::move(headers));
    if (!r) fail("admin request: " + r.error().message);
    auto answer = json::parse(r->body);
    if (r->status != 200 || answer.as_object().contains("errors")) {
      fail("admin answer " + std::to_string(r->status) + ": " + r->body);
    }
    co_return answer.at("data");
  }

  asio::awaitable<std::string> create_asset(const Instance& i) {
    std::string query =
        "mutation($input: CreateAssetInput!) { createAsset(input: $input) { asset { id } } }";
    json::object variables;
    variables["input"] = json::object{{"code", "USD"}, {"scale", 2}};
    auto data = co_await admin(i, std::move(query), std::move(variables));
    co_return std::string(data.at("createAsset").at("asset").at("id").as_string());
  }

  asio::awaitable<std::string> create_peer(const Instance& i, const std::string& asset,
                                           std::string_view address, std::string endpoint,
                                           std::string_view outgoing, std::string_view incoming,
                                           std::optional<std::string> max_packet) {
    json::object http{{"outgoing", json::object{{"authToken", outgoing}, {"endpoint", endpoint}}},
                      {"incoming", json::object{{"authTokens", json::array{incoming}}}}};
    json::object input{{"assetId", asset},
                       {"staticIlpAddress", address},
                       {"http", http},
                       {"initialLiquidity", kLiquidity}};
    if (max_packet) input["maxPacketAmount"] = *max_packet;
    std::string query =
        "mutation($input: CreatePeerInput!) { createPeer(input: $input) { peer { id } } }";
    json::object variables;
    variables["input"] = std::move(input);
    auto data = co_await admin(i, std::move(query), std::move(variables));
    co_return std::string(data.at("createPeer").at("peer").at("id").as_string());
  }

  asio::awaitable<std::string> create_wallet_address(const Instance& i, const std::string& asset,
                                                     const std::string& url) {
    std::string query =
        "mutation($input: CreateWalletAddressInput!) { "
        "createWalletAddress(input: $input) { walletAddress { id } } }";
    json::object variables;
    variables["input"] = json::object{{"assetId", asset}, {"address", url}};
    auto data = co_await admin(i, std::move(query), std::move(variables));
    co_return std::string(
        data.at("createWalletAddress").at("walletAddress").at("id").as_string());
  }

  asio::awaitable<std::string> liquidity(const Instance& i, const std::string& id) {
    std::string query = "query($id: String!) { walletAddress(id: $id) { liquidity } }";
    json::object variables;
    variables["id"] = id;
    auto data = co_await admin(i, std::move(query), std::move(variables));
    const auto& v = data.at("walletAddress").at("liquidity");
    co_return v.is_null() ? std::string("0") : std::string(v.as_string());
  }
};

struct Outcome {
  double rate = 0, p50 = 0, p99 = 0;
  long rejects = 0, fulfilled = 0;
  std::string error;  // empty when the run succeeded
};

struct Timing {
  std::vector<double> latencies_ms;  // of fulfilled packets
  long rejects = 0, fulfilled = 0;
  Clock::time_point first{}, last{};
};

// One Prepare over ILP over HTTP, timed; a Fulfill counts, anything else is a reject.
asio::awaitable<Result<Bytes>> timed_send(Timing& t, net::HttpClient& client,
                                          const ilp::HttpEndpoint& endpoint, Bytes prepare) {
  const auto start = Clock::now();
  auto reply = co_await ilp::send_prepare(client, endpoint, std::move(prepare));
  const auto end = Clock::now();
  if (reply && !reply->empty() && (*reply)[0] == kFulfillType) {
    if (t.fulfilled++ == 0) t.first = start;
    t.last = end;
    t.latencies_ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
  } else {
    ++t.rejects;
  }
  co_return reply;
}

asio::awaitable<void> run(Outcome& out, Driver& d, const Instance& c9, const Instance& hlb, int hops,
                             std::uint64_t packets, std::size_t in_flight) {
  // Set-up. Each sender peer's max packet amount (1) makes every packet carry one unit. The
  // connector lets an incoming peer send 10,000 packets a minute (upstream's
  // default), so the load is spread over enough sender peers, each paying its share.
  const std::string c9_usd = co_await d.create_asset(c9);
  const std::uint64_t senders = (packets + kPacketsPerSenderMax - 1) / kPacketsPerSenderMax;
  if (hops == 2 && packets > kPacketsPerSenderMax) {
    // Every packet reaches happy-life-bank from one incoming peer, cloud-nine-wallet.
    out.error = "two hops: at most 9,000 packets (happy-life-bank's rate limit per peer)";
    co_return;
  }
  if (in_flight < senders) {
    out.error = "fewer packets in flight than sender peers";
    co_return;
  }
  for (std::uint64_t s = 0; s < senders; ++s) {
    co_await d.create_peer(c9, c9_usd, "test.bench-sender-" + std::to_string(s),
                           "http://127.0.0.1:9/ilp", "unused", sender_token(s), std::string("1"));
  }
  const Instance& receiver = hops == 1 ? c9 : hlb;
  std::string asset = c9_usd;
  if (hops == 2) {
    const std::string hlb_usd = co_await d.create_asset(hlb);
    co_await d.create_peer(c9, c9_usd, "test.happy-life-bank", hlb.connector(), kC9ToHlb,
                           kHlbToC9, std::nullopt);
    co_await d.create_peer(hlb, hlb_usd, "test.cloud-nine-wallet", c9.connector(), kHlbToC9,
                           kC9ToHlb, std::nullopt);
    asset = hlb_usd;
  }
  // OPEN_PAYMENTS_URL is https://127.0.0.1:<port>, so the request's Host names the address.
  const std::string path = "/bench-receiver";
  const std::string wa_url = "https://127.0.0.1:" + std::to_string(receiver.base + 1) + path;
  const std::string wallet = co_await d.create_wallet_address(receiver, asset, wa_url);

  Timing timing;
  timing.latencies_ms.reserve(packets + 64);
  std::vector<ilp::HttpEndpoint> endpoints;
  std::vector<ilp::stream::PaymentOptions> payments;
  for (std::uint64_t s = 0; s < senders; ++s) {
    std::string spsp_url = receiver.open_payments(path);
    auto spsp = co_await ilp::spsp::query(d.client, std::move(spsp_url));
    if (!spsp) {
      out.error = "SPSP: " + spsp.error().message;
      co_return;
    }
    endpoints.push_back(ilp::HttpEndpoint{c9.connector(), sender_token(s)});
    ilp::stream::PaymentOptions options;
    options.destination = spsp->destination_account;
    options.shared_secret.assign(spsp->shared_secret.begin(), spsp->shared_secret.end());
    options.source_amount = packets / senders + (s < packets % senders ? 1 : 0);
    options.packets_in_flight_max = in_flight / senders + (s < in_flight % senders ? 1 : 0);
    payments.push_back(std::move(options));
  }
  // All payments at once; each reports into `results`.
  std::vector<ilp::stream::PaymentResult> results(senders);
  std::size_t running = senders;
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer done(executor, asio::steady_timer::time_point::max());
  for (std::uint64_t s = 0; s < senders; ++s) {
    const ilp::HttpEndpoint* endpoint = &endpoints[s];
    ilp::stream::PrepareSender send = [&timing, &d, endpoint](Bytes prepare) {
      return timed_send(timing, d.client, *endpoint, std::move(prepare));
    };
    asio::co_spawn(executor, ilp::stream::pay(std::move(send), payments[s]),
                   [&, s](std::exception_ptr e, ilp::stream::PaymentResult r) {
                     if (e) r.reason = "exception";
                     if (e) r.error = ilp::stream::PaymentError::kConnectorError;
                     results[s] = std::move(r);
                     if (--running == 0) done.cancel();
                   });
  }
  boost::system::error_code ignored;
  co_await done.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  std::uint64_t delivered = 0;
  for (const auto& result : results) {
    if (!result.ok()) {
      out.error = "payment: " + result.reason;
      co_return;
    }
    delivered += result.amount_delivered;
  }
  if (delivered != packets) {
    out.error = "delivered " + std::to_string(delivered) + " != " + std::to_string(packets);
    co_return;
  }
  const std::string credited = co_await d.liquidity(receiver, wallet);
  if (credited != std::to_string(packets)) {
    out.error = "wallet address credited " + credited + ", expected " + std::to_string(packets);
    co_return;
  }
  auto& latencies_ms = timing.latencies_ms;
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    if (latencies_ms.empty()) return 0.0;
    return latencies_ms[std::min(latencies_ms.size() - 1,
                                 static_cast<std::size_t>(p * static_cast<double>(
                                                                  latencies_ms.size())))];
  };
  out.fulfilled = timing.fulfilled;
  out.rejects = timing.rejects;
  const double seconds = std::chrono::duration<double>(timing.last - timing.first).count();
  out.rate = seconds > 0 ? static_cast<double>(out.fulfilled) / seconds : 0;
  out.p50 = pct(0.50);
  out.p99 = pct(0.99);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 8) {
    std::fprintf(stderr,
                 "usage: connector_bench <c9 port base> <hlb port base> <tenant> <admin secret> "
                 "<hops> <packets> <in flight>\n");
    return 2;
  }
  (void)log::init("warn", "text");
  const Instance c9{std::atoi(argv[1])}, hlb{std::atoi(argv[2])};
  const int hops = std::atoi(argv[5]);
  const auto packets = static_cast<std::uint64_t>(std::atoll(argv[6]));
  const auto in_flight = static_cast<std::size_t>(std::atoll(argv[7]));
  if ((hops != 1 && hops != 2) || packets == 0 || in_flight == 0) return 2;
  asio::io_context io(1);
  net::ClientOptions client_options;
  client_options.idle_connections_per_origin_max = in_flight;
  net::HttpClient client(io.get_executor(), client_options);
  Driver driver{client, argv[3], argv[4]};
  Outcome out;
  asio::co_spawn(io, run(out, driver, c9, hlb, hops, packets, in_flight), asio::detached);
  io.run();
  if (!out.error.empty()) Driver::fail(out.error);
  std::printf("%.0f %.2f %.2f %ld %ld\n", out.rate, out.p50, out.p99, out.rejects, out.fulfilled);
  return 0;
}
