#include "backend/app.h"

#include <memory>

#include "backend/admin/api.h"
#include "backend/core/backend.h"
#include "backend/core/domains.h"
#include "service/stores.h"

namespace rafiki::backend {

Result<void> install(service::Runtime& runtime, const Config& config) {
  auto stores = service::open_stores(
      runtime, {"backend", config.database_url, config.database_pool_max, config.redis_url,
                service::Database::kBackend, !config.enable_manual_migrations});
  if (!stores) return std::unexpected(stores.error());
  auto schema = load_admin_schema();
  if (!schema) return std::unexpected(schema.error());

  auto backend = std::make_shared<Backend>(config, runtime.io().get_executor(), stores->pg,
                                           stores->kv);
  auto open_payments = runtime.add_http_listener("backend open-payments", config.bind_address,
                                                 config.open_payments_port);
  auto admin = runtime.add_http_listener("backend admin", config.bind_address, config.admin_port);
  auto connector =
      runtime.add_http_listener("backend connector", config.bind_address, config.connector_port);

  Mount mount;
  mount.runtime = &runtime;
  mount.open_payments = open_payments.get();
  mount.connector = connector.get();
  // Unauthenticated by design (as upstream): whoever reaches it is peered and extended credit.
  std::shared_ptr<net::Router> auto_peering;
  if (config.enable_auto_peering) {
    auto_peering = runtime.add_http_listener("backend auto-peering", config.bind_address,
                                             config.auto_peering_server_port);
    mount.auto_peering = auto_peering.get();
  }
  install_domains(*backend, mount, schema->get());
  mount_admin_api(*admin, *schema, *backend);
  // The runtime owns the backend from here on: its hooks outlive every request.
  runtime.on_shutdown([backend]() -> boost::asio::awaitable<void> { co_return; });
  return {};
}

}  // namespace rafiki::backend
