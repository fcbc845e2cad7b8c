// The backend's shared state: configuration, the engines (PostgreSQL pool, key-value store,
// ledger, HTTP client) and one service object per domain, all built here by the constructor in
// the domain order (backend.cpp): a service is handed the services it uses, which are built
// before it. Domains reach each other through services, never through another domain's store.
// Built once at start-up (app.cpp) or by a test; install_domains() then attaches routes and
// workers.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <memory>

#include "backend/config.h"
#include "backend/core/outbound.h"
#include "ledger/ledger.h"
#include "net/client.h"
#include "store/kv.h"
#include "store/pg.h"

namespace rafiki::backend {

namespace tenant {
class TenantService;
}
namespace asset {
class AssetService;
}
namespace fee {
class FeeService;
}
namespace peer {
class PeerService;
}
namespace wallet_address {
class WalletAddressService;
}
namespace liquidity {
class LiquidityService;
}
namespace webhook {
class WebhookService;
}

struct Backend {
  Backend(Config config, boost::asio::any_io_executor executor, store::PgPool pg,
          std::shared_ptr<store::KeyValue> kv);
  ~Backend();
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  Config config;
  boost::asio::any_io_executor executor;
  store::PgPool pg;
  std::shared_ptr<store::KeyValue> kv;
  ledger::Ledger ledger;
  net::HttpClient http;
  // Where URLs owned by tenants may lead (TENANT_OUTBOUND_ALLOW_PRIVATE).
  OutboundPolicy outbound;

  // Built by the constructor, in this order.
  std::shared_ptr<tenant::TenantService> tenants;
  std::shared_ptr<webhook::WebhookService> webhooks;
  std::shared_ptr<asset::AssetService> assets;
  std::shared_ptr<fee::FeeService> fees;
  std::shared_ptr<liquidity::LiquidityService> liquidity;
  std::shared_ptr<peer::PeerService> peers;
  std::shared_ptr<wallet_address::WalletAddressService> wallet_addresses;

 private:
  void build_services();
};

}  // namespace rafiki::backend
