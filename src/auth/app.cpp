#include "auth/app.h"

#include <memory>

#include "service/stores.h"

namespace rafiki::auth {

Result<void> install(service::Runtime& runtime, const Config& config) {
  auto stores = service::open_stores(
      runtime, {"auth", config.database_url, config.database_pool_max, config.redis_url,
                service::Database::kAuth, !config.enable_manual_migrations});
  if (!stores) return std::unexpected(stores.error());
  runtime.add_http_listener("auth gnap", config.bind_address, config.auth_port);
  runtime.add_http_listener("auth interaction", config.bind_address, config.interaction_port);
  runtime.add_http_listener("auth introspection", config.bind_address, config.introspection_port);
  runtime.add_http_listener("auth admin", config.bind_address, config.admin_port);
  runtime.add_http_listener("auth service-api", config.bind_address, config.service_api_port);
  return {};
}

}  // namespace rafiki::auth
