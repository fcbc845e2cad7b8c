#include "backend/app.h"

#include <memory>

#include "service/stores.h"

namespace rafiki::backend {

Result<void> install(service::Runtime& runtime, const Config& config) {
  auto stores = service::open_stores(
      runtime, {"backend", config.database_url, config.database_pool_max, config.redis_url,
                service::Database::kBackend, !config.enable_manual_migrations});
  if (!stores) return std::unexpected(stores.error());
  runtime.add_http_listener("backend open-payments", config.bind_address, config.open_payments_port);
  runtime.add_http_listener("backend admin", config.bind_address, config.admin_port);
  runtime.add_http_listener("backend connector", config.bind_address, config.connector_port);
  return {};
}

}  // namespace rafiki::backend
