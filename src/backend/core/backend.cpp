#include "backend/core/backend.h"

#include <utility>

#include "backend/asset/service.h"
#include "backend/fee/service.h"
#include "backend/liquidity/service.h"
#include "backend/peer/service.h"
#include "backend/tenant/service.h"
#include "backend/wallet_address/service.h"
#include "backend/webhook/service.h"

namespace rafiki::backend {

namespace asio = boost::asio;

Backend::Backend(Config config_in, asio::any_io_executor executor_in, store::PgPool pg_in,
                 std::shared_ptr<store::KeyValue> kv_in)
    : config(std::move(config_in)),
      executor(std::move(executor_in)),
      pg(std::move(pg_in)),
      kv(std::move(kv_in)),
      ledger(executor, pg),
      http(executor),
      outbound(OutboundPolicy::from_config(config)) {
  build_services();
}

Backend::~Backend() = default;

// Every domain's service, in the domain order (docs/architecture.md, "Dependencies"): each one
// is given the services it uses, which are built before it.
void Backend::build_services() {
  tenants = std::make_shared<tenant::TenantService>(
      tenant::TenantStore(pg), tenant::TenantConfig::from_config(config), outbound,
      tenant::AuthTenantClient(http, config.auth_service_api_url));
  webhooks = std::make_shared<webhook::WebhookService>(
      webhook::WebhookSettings::from_config(config), webhook::WebhookStore(pg), http, *tenants);
  assets = std::make_shared<asset::AssetService>(asset::AssetStore(pg), *tenants, ledger);
  fees = std::make_shared<fee::FeeService>(fee::FeeStore(pg), *assets);
  liquidity = std::make_shared<liquidity::LiquidityService>(liquidity::LiquidityStore(pg), ledger,
                                                             *assets);
  peers = std::make_shared<peer::PeerService>(
      peer::PeerStore(pg), peer::PeerSettings::from_config(config), executor, *assets, *liquidity,
      *tenants, ledger, http, outbound);
  wallet_addresses = std::make_shared<wallet_address::WalletAddressService>(
      wallet_address::WalletAddressStore(pg), wallet_address::WalletAddressSettings::from_config(config),
      *tenants, *assets, *liquidity, *webhooks, ledger);
}

}  // namespace rafiki::backend
