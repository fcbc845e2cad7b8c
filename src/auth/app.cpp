#include "auth/app.h"

#include <memory>

#include "service/stores.h"

namespace rafiki::auth {

Result<void> install(service::Runtime& runtime, const Config& config) {
  auto stores = service::open_stores(
      runtime, {"auth", config.database_url, config.database_pool_max, config.redis_url,
                service::Database::kAuth, !config.enable_manual_migrations});
  if (!stores) return std::unexpected(stores.error());
  auto listener = [&](std::string name, std::uint16_t port) {
    auto router = std::make_shared<net::Router>();
    runtime.add_health_routes(*router);
    runtime.add_listener(service::Listener{std::move(name), config.bind_address, port, router, {}});
    return router;
  };
  listener("auth gnap", config.auth_port);
  listener("auth interaction", config.interaction_port);
  listener("auth introspection", config.introspection_port);
  listener("auth admin", config.admin_port);
  listener("auth service-api", config.service_api_port);
  return {};
}

}  // namespace rafiki::auth
