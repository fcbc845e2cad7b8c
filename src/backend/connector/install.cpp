// Entry point of the connector domain (backend/core/domains.h), wiring only: the accounts the
// chain needs (accounts.h), the balance stage's hooks (liquidity_events.h), the STREAM receivers
// and rates client, the stage chain in upstream's order, and the ILP-over-HTTP handler on the
// connector listener.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "backend/connector/accounts.h"
#include "backend/connector/liquidity_events.h"
#include "backend/connector/stages.h"
#include "backend/core/backend.h"
#include "backend/core/domains.h"
#include "backend/rates/client.h"
#include "base/encoding.h"
#include "ilp/http.h"
#include "ilp/stream/receiver.h"
#include "net/router.h"

namespace rafiki::backend::connector {

namespace asio = boost::asio;

namespace {

// Idle keep-alive connections kept per peer ILP endpoint. A busy link has hundreds of packets in
// flight to one peer; with fewer idle slots than that, every packet beyond them opened (and the
// peer accepted) a new TCP connection. Idle ones close after the client's idle timeout.
constexpr std::size_t kPeerIdleConnectionsMax = 1'024;

// No STREAM_SECRET usable: nothing is received locally.
class NoReceivers final : public StreamReceivers {
 public:
  asio::awaitable<Result<std::shared_ptr<const ilp::stream::Receiver>>> receiver(
      const Uuid&) override {
    co_return std::shared_ptr<const ilp::stream::Receiver>{};
  }
};

struct ConnectorState {
  explicit ConnectorState(Backend& backend)
      : accounts(backend.config, {*backend.tenants, *backend.assets, *backend.liquidity,
                                  *backend.peers, *backend.wallet_addresses}),
        events({accounts, *backend.liquidity, *backend.kv, *backend.webhooks,
                *backend.wallet_addresses, *backend.peers},
               backend.executor) {}
  DomainAccounts accounts;
  LiquidityEvents events;
  std::unique_ptr<StreamReceivers> receivers;
  std::unique_ptr<rates::RatesClient> rates;
  std::unique_ptr<Chain> chain;
  std::string own_address;
};

}  // namespace

void install(Backend& backend, const Mount& mount) {
  auto state = std::make_shared<ConnectorState>(backend);
  state->own_address = backend.config.ilp_address;
  DomainAccounts* accounts = &state->accounts;

  auto secret = encoding::base64_decode(backend.config.stream_secret);
  if (secret) {
    auto receivers = SecretStreamReceivers::create(
        std::move(*secret),
        [accounts](Uuid tenant_id) -> asio::awaitable<Result<std::optional<std::string>>> {
          co_return co_await accounts->setting(tenant_id, TenantSetting::kIlpAddress);
        });
    if (receivers) state->receivers = std::move(*receivers);
  }
  if (!state->receivers) {
    spdlog::warn("connector: STREAM_SECRET is not 32 bytes of base64; nothing is received");
    state->receivers = std::make_unique<NoReceivers>();
  }

  rates::RatesClientOptions rate_options;
  rate_options.lifetime_ms = backend.config.exchange_rates_lifetime_ms;
  auto fallback_url = backend.config.exchange_rates_url;
  const OutboundPolicy outbound = backend.outbound;
  state->rates = std::make_unique<rates::RatesClient>(
      backend.executor,
      [accounts, fallback_url, outbound](
          std::string tenant_id) -> asio::awaitable<Result<std::optional<rates::RatesEndpoint>>> {
        auto tenant = Uuid::parse(tenant_id);
        if (!tenant) co_return std::optional<rates::RatesEndpoint>{};
        const net::AddressPolicy policy = outbound.for_owner(*tenant);
        auto url = co_await accounts->setting(*tenant, TenantSetting::kExchangeRatesUrl);
        if (!url) co_return std::unexpected(url.error());
        rates::RatesEndpoint endpoint;
        if (*url && !(*url)->empty()) {
          endpoint.url = std::move(**url);
          endpoint.address_policy = policy;  // the tenant's own URL
        } else if (fallback_url) {
          endpoint.url = *fallback_url;  // the operator's
        } else {
          co_return std::optional<rates::RatesEndpoint>{};
        }
        co_return std::optional<rates::RatesEndpoint>(std::move(endpoint));
      },
      rate_options);

  BalanceOptions balance_options;
  if (backend.config.two_phase_timeout_seconds > 0) {
    balance_options.two_phase_timeout_seconds =
        static_cast<std::uint32_t>(std::min<std::int64_t>(backend.config.two_phase_timeout_seconds,
                                                          UINT32_MAX));
  }

  // Upstream's order (reference/connector.md §3; docs/connector.md for where ours differs).
  std::vector<std::unique_ptr<Stage>> stages;
  stages.push_back(std::make_unique<ErrorHandlerStage>());
  stages.push_back(std::make_unique<StreamAddressStage>(*state->receivers));
  stages.push_back(std::make_unique<EchoStage>());
  stages.push_back(std::make_unique<IldcpStage>());
  stages.push_back(std::make_unique<AccountStage>(state->accounts));
  stages.push_back(std::make_unique<MaxPacketAmountStage>());
  stages.push_back(std::make_unique<RateLimitStage>());
  stages.push_back(std::make_unique<ThroughputStage>(Direction::kIncoming));
  stages.push_back(std::make_unique<RateConversionStage>(*state->rates));
  stages.push_back(std::make_unique<BalanceStage>(backend.ledger, state->events,
                                                  balance_options));
  stages.push_back(std::make_unique<StreamReceiverStage>(backend.kv));
  stages.push_back(std::make_unique<ThroughputStage>(Direction::kOutgoing));
  stages.push_back(std::make_unique<ReduceExpiryStage>());
  stages.push_back(std::make_unique<ExpireStage>());
  stages.push_back(std::make_unique<ValidateFulfillmentStage>());
  net::ClientOptions peer_client;
  peer_client.idle_connections_per_origin_max = kPeerIdleConnectionsMax;
  stages.push_back(
      std::make_unique<HttpClientStage>(net::HttpClient(backend.executor, peer_client),
                                        backend.outbound));
  state->chain = std::make_unique<Chain>(std::move(stages));

  if (!mount.connector) return;
  // The token is looked up once per request (a hash lookup in the peer snapshot) and the
  // Prepare decoded once; the chain gets both.
  auto lookup = [state](std::string token) -> asio::awaitable<Result<std::optional<AccountPtr>>> {
    auto peer = co_await state->accounts.incoming_peer_by_token(token);
    if (!peer) {
      spdlog::warn("connector: token lookup failed: {}", peer.error().message);
      co_return std::unexpected(peer.error());  // 503: the peer retries
    }
    if (!*peer) co_return std::optional<AccountPtr>();
    co_return std::optional<AccountPtr>(std::move(*peer));
  };
  auto handler = [state](const ilp::IncomingPrepareFor<AccountPtr>& in) -> asio::awaitable<Bytes> {
    Context ctx = Context::make(in.packet, in.prepare, in.account, state->own_address);
    co_await state->chain->run(ctx);
    co_return std::move(ctx.reply);
  };
  mount.connector->fallback(
      ilp::make_http_handler_for<AccountPtr>(std::move(lookup), std::move(handler)));
}

void register_resolvers(graphql::Schema& /*schema*/, Backend& /*backend*/) {}

}  // namespace rafiki::backend::connector
