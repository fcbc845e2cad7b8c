#include "backend/app.h"

#include <memory>

#include "service/stores.h"

namespace rafiki::backend {

Result<void> install(service::Runtime& runtime, const Config& config) {
  auto stores = service::open_stores(
      runtime, {"backend", config.database_url, config.database_pool_max, config.redis_url,
                service::Database::kBackend, !config.enable_manual_migrations});
  if (!stores) return std::unexpected(stores.error());
  auto listener = [&](std::string name, std::uint16_t port) {
    auto router = std::make_shared<net::Router>();
    runtime.add_health_routes(*router);
    runtime.add_listener(service::Listener{std::move(name), config.bind_address, port, router, {}});
    return router;
  };
  listener("backend open-payments", config.open_payments_port);
  listener("backend admin", config.admin_port);
  listener("backend connector", config.connector_port);
  return {};
}

}  // namespace rafiki::backend
