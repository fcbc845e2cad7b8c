// The ILP-over-HTTP client stage against a real loopback peer, and a whole chain of the stages
// built so far (error handler … HTTP client) forwarding to that peer.
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <mutex>
#include <thread>

#include "backend/connector/test_util.h"
#include "backend/rates/model.h"
#include "ilp/http.h"
#include "ilp/ildcp.h"
#include "net/server.h"

namespace rafiki::testing::connector {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A peer speaking ILP over HTTP on 127.0.0.1: records what it received and answers as told.
struct Peer {
  struct State {
    std::mutex mutex;
    std::vector<Bytes> received;
    std::vector<std::string> tokens;
    ilp::Fulfillment fulfillment = fulfillment_of(7);
    int delay_ms = 0;
  };
  explicit Peer(asio::io_context& io) : state(std::make_shared<State>()) {
    auto s = state;
    auto lookup = [s](std::string token) -> asio::awaitable<ilp::TokenLookupResult> {
      {
        std::lock_guard lock(s->mutex);
        s->tokens.push_back(token);
      }
      if (token != "secret-token") co_return std::nullopt;
      co_return std::optional<std::string>("connector");
    };
    auto handler = [s](const ilp::IncomingPrepare& in) -> asio::awaitable<Bytes> {
      int delay = 0;
      ilp::Fulfill f;
      {
        std::lock_guard lock(s->mutex);
        s->received.emplace_back(in.packet.begin(), in.packet.end());
        delay = s->delay_ms;
        f.fulfillment = s->fulfillment;
      }
      if (delay > 0) co_await sleep_ms(delay);
      co_return *ilp::encode_fulfill(f);
    };
    net::ServerLimits limits;
    limits.shutdown_grace = milliseconds(50);
    server = std::make_unique<net::HttpServer>(
        io, "ilp peer", ilp::make_http_handler(std::move(lookup), std::move(handler)), limits);
    auto port = server->listen("127.0.0.1", 0);
    if (!port) throw std::runtime_error(port.error().message);
    url = "http://127.0.0.1:" + std::to_string(*port) + "/ilp";
    server->start();
  }
  std::shared_ptr<State> state;
  std::unique_ptr<net::HttpServer> server;
  std::string url;
};

cn::AccountPtr outgoing_peer(std::string url, std::string token = "secret-token",
                             std::string code = "USD") {
  auto a = std::make_shared<cn::Account>(*make_peer("peer-b", code, 2));
  a->http_endpoint = std::move(url);
  a->http_auth_token = std::move(token);
  a->static_ilp_address = "test.peer-b";
  return a;
}

template <class F>
void run_io(F body) {
  asio::io_context io;
  std::exception_ptr failure;
  asio::co_spawn(io, body(io), [&](std::exception_ptr e) { failure = e; });
  io.run();
  if (failure) std::rethrow_exception(failure);
}

// A stage setting the outgoing account and changing amount/expiry as earlier stages would.
std::unique_ptr<cn::Stage> route_to(cn::AccountPtr out, std::uint64_t amount = 0,
                                    std::optional<TimePoint> expiry = std::nullopt) {
  return std::make_unique<FnStage>(
      [out, amount, expiry](cn::Context& ctx, cn::Next next) -> asio::awaitable<void> {
        ctx.outgoing = out;
        if (amount != 0) ctx.prepare.amount = amount;
        if (expiry) ctx.prepare.expires_at = *expiry;
        co_await next(ctx);
      });
}

TEST(ConnectorHttpClient, ForwardsTheReceivedBytesWithAmountAndExpiryPatched) {
  run_io([](asio::io_context& io) -> asio::awaitable<void> {
    Peer peer(io);
    auto new_expiry = now_ms() + seconds(5);
    cn::Chain chain(
        stages(route_to(outgoing_peer(peer.url), 42, new_expiry),
               std::make_unique<cn::HttpClientStage>(net::HttpClient(io.get_executor()))));
    PrepareSpec spec;
    spec.data = to_bytes("opaque data");
    auto packet = make_prepare(spec);
    auto ctx = cn::Context::make(packet, make_peer("peer-a"), kOwnAddress);
    CO_ASSERT(ctx.has_value());
    co_await chain.run(*ctx);
    EXPECT_EQ(reject_of(ctx->reply).code, "fulfill");
    CO_ASSERT(peer.state->received.size() == 1);
    EXPECT_EQ(peer.state->tokens, std::vector<std::string>{"secret-token"});
    auto expected = packet;
    CO_ASSERT(ilp::rewrite_prepare(expected, 42, new_expiry).has_value());
    EXPECT_EQ(peer.state->received[0], expected);
    co_await peer.server->shutdown();
  });
}

TEST(ConnectorHttpClient, UnchangedPacketsAreForwardedByteForByte) {
  run_io([](asio::io_context& io) -> asio::awaitable<void> {
    Peer peer(io);
    cn::Chain chain(
        stages(route_to(outgoing_peer(peer.url)),
               std::make_unique<cn::HttpClientStage>(net::HttpClient(io.get_executor()))));
    auto packet = make_prepare({});
    auto ctx = cn::Context::make(packet, make_peer("peer-a"), kOwnAddress);
    CO_ASSERT(ctx.has_value());
    co_await chain.run(*ctx);
    CO_ASSERT(peer.state->received.size() == 1);
    EXPECT_EQ(peer.state->received[0], packet);
    co_await peer.server->shutdown();
  });
}

TEST(ConnectorHttpClient, NoEndpointIsF02AndLinkFailuresAreT00) {
  run_io([](asio::io_context& io) -> asio::awaitable<void> {
    Peer peer(io);
    auto no_endpoint = std::make_shared<cn::Account>(*make_peer("peer-c"));
    auto bad_token = outgoing_peer(peer.url, "wrong");
    auto nowhere = outgoing_peer("http://127.0.0.1:1/ilp");
    struct Case {
      cn::AccountPtr out;
      const char* code;
      const char* message;
    };
    for (const auto& c : {Case{no_endpoint, "F02", "no outgoing endpoint"},
                          Case{bad_token, "T00", "unexpected internal error"},
                          Case{nowhere, "T00", "unexpected internal error"}}) {
      cn::Chain chain(stages(route_to(c.out), std::make_unique<cn::HttpClientStage>(
                                                  net::HttpClient(io.get_executor()))));
      auto packet = make_prepare({});
      auto ctx = cn::Context::make(packet, make_peer("peer-a"), kOwnAddress);
      CO_ASSERT(ctx.has_value());
      co_await chain.run(*ctx);
      auto r = reject_of(ctx->reply);
      EXPECT_EQ(r.code, c.code);
      EXPECT_EQ(r.message, c.message);
      EXPECT_EQ(r.triggered_by, kOwnAddress);
    }
    co_await peer.server->shutdown();
  });
}

TEST(ConnectorHttpClient, ATenantsPeerEndpointObeysTheOutboundPolicy) {
  run_io([](asio::io_context& io) -> asio::awaitable<void> {
    Peer peer(io);
    const auto operator_id = *Uuid::parse("11111111-1111-4111-8111-111111111111");
    const auto tenant_id = *Uuid::parse("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa");
    auto tenants_peer = std::make_shared<cn::Account>(*outgoing_peer(peer.url));
    tenants_peer->tenant_id = tenant_id;
    auto tenants_metadata_peer =
        std::make_shared<cn::Account>(*outgoing_peer("http://169.254.169.254/ilp"));
    tenants_metadata_peer->tenant_id = tenant_id;
    auto operators_peer = std::make_shared<cn::Account>(*outgoing_peer(peer.url));
    operators_peer->tenant_id = operator_id;
    struct Case {
      cn::AccountPtr out;
      bool allow_private;
      const char* code;
    };
    // A refused address fails like an unreachable peer: T00, nothing sent (so the balance
    // stage voids the packet's pending transfer, as for any failure).
    for (const auto& c :
         {Case{tenants_peer, false, "T00"}, Case{operators_peer, false, "fulfill"},
          Case{tenants_peer, true, "fulfill"}, Case{tenants_metadata_peer, true, "T00"}}) {
      const std::size_t received_before = peer.state->received.size();
      cn::Chain chain(stages(route_to(c.out),
                             std::make_unique<cn::HttpClientStage>(
                                 net::HttpClient(io.get_executor()),
                                 rafiki::backend::OutboundPolicy(operator_id, c.allow_private))));
      auto packet = make_prepare({});
      auto ctx = cn::Context::make(packet, make_peer("peer-a"), kOwnAddress);
      CO_ASSERT(ctx.has_value());
      co_await chain.run(*ctx);
      auto r = reject_of(ctx->reply);
      EXPECT_EQ(r.code, c.code) << c.out->tenant_id.str() << " " << c.allow_private;
      const bool sent = peer.state->received.size() > received_before;
      EXPECT_EQ(sent, std::string(c.code) == "fulfill");
    }
    co_await peer.server->shutdown();
  });
}

// --- a whole chain ---

class FixedRates final : public rafiki::backend::rates::RatesSource {
 public:
  asio::awaitable<Result<rafiki::backend::rates::RateTablePtr>> rates(std::string_view,
                                                                      std::string_view) override {
    auto t = std::make_shared<rafiki::backend::rates::RateTable>();
    t->base = "USD";
    t->rates.emplace("EUR", rafiki::backend::rates::Rate::from_double(0.5));
    co_return rafiki::backend::rates::RateTablePtr(std::move(t));
  }
};

class OnePeerResolver final : public cn::AccountResolver {
 public:
  // Route prefix → peer id (whole segments; the real table is PeerService's).
  std::map<std::string, std::string> routes;
  std::map<std::string, cn::AccountPtr> peers;
  asio::awaitable<Result<cn::AccountPtr>> incoming_peer_by_token(std::string_view) override {
    co_return cn::AccountPtr{};
  }
  asio::awaitable<Result<cn::AccountPtr>> local_account(std::string_view) override {
    co_return cn::AccountPtr{};
  }
  asio::awaitable<Result<cn::AccountPtr>> next_hop(const cn::Account& incoming,
                                                   std::string_view destination) override {
    for (const auto& [prefix, peer_id] : routes) {
      const bool match = destination == prefix ||
                         (destination.starts_with(prefix) && destination[prefix.size()] == '.');
      if (match && named_id(peer_id) != incoming.id) co_return peers.at(peer_id);
    }
    co_return cn::AccountPtr{};
  }
};

std::vector<std::unique_ptr<cn::Stage>> full_chain(asio::io_context& io, OnePeerResolver& resolver,
                                                   FixedRates& rates) {
  return stages(std::make_unique<cn::ErrorHandlerStage>(), std::make_unique<cn::EchoStage>(),
                std::make_unique<cn::IldcpStage>(), std::make_unique<cn::AccountStage>(resolver),
                std::make_unique<cn::MaxPacketAmountStage>(),
                std::make_unique<cn::RateLimitStage>(),
                std::make_unique<cn::ThroughputStage>(cn::Direction::kIncoming),
                std::make_unique<cn::RateConversionStage>(rates),
                std::make_unique<cn::ThroughputStage>(cn::Direction::kOutgoing),
                std::make_unique<cn::ReduceExpiryStage>(), std::make_unique<cn::ExpireStage>(),
                std::make_unique<cn::ValidateFulfillmentStage>(),
                std::make_unique<cn::HttpClientStage>(net::HttpClient(io.get_executor())));
}

TEST(ConnectorFullChain, ForwardsConvertedWithReducedExpiryAndChecksTheFulfillment) {
  run_io([](asio::io_context& io) -> asio::awaitable<void> {
    Peer peer(io);
    OnePeerResolver resolver;
    FixedRates rates;
    resolver.peers["peer-b"] = outgoing_peer(peer.url, "secret-token", "EUR");
    resolver.routes["test.peer-b"] = "peer-b";
    cn::Chain chain(full_chain(io, resolver, rates));
    auto incoming = std::make_shared<cn::Account>(*make_peer("peer-a", "USD", 2));
    incoming->max_packet_amount = 1'000;
    incoming->static_ilp_address = "test.peer-a";

    PrepareSpec spec;
    spec.amount = 999;
    spec.expires_at = now_ms() + seconds(10);
    auto packet = make_prepare(spec);
    auto ctx = cn::Context::make(packet, incoming, kOwnAddress);
    CO_ASSERT(ctx.has_value());
    co_await chain.run(*ctx);
    EXPECT_EQ(reject_of(ctx->reply).code, "fulfill");
    CO_ASSERT(peer.state->received.size() == 1);
    auto forwarded = ilp::decode_prepare(peer.state->received[0]);
    CO_ASSERT(forwarded.has_value());
    EXPECT_EQ(forwarded->amount, 499u);  // floor(999 × 0.5)
    EXPECT_EQ(forwarded->expires_at, spec.expires_at - seconds(1));
    EXPECT_EQ(forwarded->destination, spec.destination);

    // Too large, no route, a peer with a wrong fulfillment, a slow peer, garbage-free ILDCP.
    spec.amount = 1'001;
    auto big = make_prepare(spec);
    auto c2 = cn::Context::make(big, incoming, kOwnAddress);
    co_await chain.run(*c2);
    EXPECT_EQ(reject_of(c2->reply).code, "F08");

    spec.amount = 10;
    spec.destination = "test.nobody";
    auto lost = make_prepare(spec);
    auto c3 = cn::Context::make(lost, incoming, kOwnAddress);
    co_await chain.run(*c3);
    EXPECT_EQ(reject_of(c3->reply).code, "F02");

    peer.state->fulfillment = fulfillment_of(9);
    spec.destination = "test.peer-b.bob";
    auto wrong = make_prepare(spec);
    auto c4 = cn::Context::make(wrong, incoming, kOwnAddress);
    co_await chain.run(*c4);
    EXPECT_EQ(reject_of(c4->reply).code, "F05");

    peer.state->fulfillment = fulfillment_of(7);
    peer.state->delay_ms = 1'500;
    spec.expires_at = now_ms() + milliseconds(2'300);  // 1.3 s after reduction
    auto slow = make_prepare(spec);
    auto c5 = cn::Context::make(slow, incoming, kOwnAddress);
    co_await chain.run(*c5);
    EXPECT_EQ(reject_of(c5->reply).code, "R00");
    peer.state->delay_ms = 0;

    auto ildcp_request = *ildcp::encode_request(now_ms() + seconds(30));
    auto c6 = cn::Context::make(ildcp_request, incoming, kOwnAddress);
    co_await chain.run(*c6);
    auto config = ildcp::decode_response(c6->reply);
    CO_ASSERT(config.has_value());
    EXPECT_EQ(config->client_address, "test.peer-a");
    co_await peer.server->shutdown();
  });
}

std::int64_t frozen_clock() {
  return 0;
}  // no refills during the test

TEST(ConnectorFullChain, ManyPacketsInFlightOnSeveralThreads) {
  asio::io_context io(4);
  std::exception_ptr failure;
  std::atomic<int> fulfilled{0}, throttled{0}, other{0};
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        Peer peer(io);
        OnePeerResolver resolver;
        FixedRates rates;
        resolver.peers["peer-b"] = outgoing_peer(peer.url, "secret-token", "EUR");
        resolver.routes["test.peer-b"] = "peer-b";
        cn::RateLimitOptions limit;
        limit.capacity = 150;  // fewer than the packets sent: some are throttled
        auto chain_stages = full_chain(io, resolver, rates);
        chain_stages[5] = std::make_unique<cn::RateLimitStage>(limit, frozen_clock);
        cn::Chain chain(std::move(chain_stages));
        auto incoming = make_peer("peer-a", "USD", 2);
        std::vector<asio::awaitable<void>> senders;
        for (int i = 0; i < 200; ++i) {
          senders.push_back([](const cn::Chain& c, cn::AccountPtr in, std::atomic<int>& ok,
                               std::atomic<int>& t05,
                               std::atomic<int>& bad) -> asio::awaitable<void> {
            PrepareSpec spec;
            spec.amount = 10;
            auto packet = make_prepare(spec);
            auto ctx = cn::Context::make(packet, in, kOwnAddress);
            co_await c.run(*ctx);
            auto code = reject_of(ctx->reply).code;
            if (code == "fulfill") {
              ++ok;
            } else if (code == "T05") {
              ++t05;
            } else {
              ++bad;
            }
          }(chain, incoming, fulfilled, throttled, other));
        }
        co_await join_all(std::move(senders));
        EXPECT_EQ(peer.state->received.size(), 150u);
        co_await peer.server->shutdown();
      },
      [&](std::exception_ptr e) { failure = e; });
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) threads.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();
  if (failure) std::rethrow_exception(failure);
  EXPECT_EQ(fulfilled.load(), 150);
  EXPECT_EQ(throttled.load(), 50);
  EXPECT_EQ(other.load(), 0);
}

}  // namespace
}  // namespace rafiki::testing::connector
