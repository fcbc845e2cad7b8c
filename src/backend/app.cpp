#include "backend/app.h"

#include <memory>

namespace rafiki::backend {

void install(service::Runtime& runtime, const Config& config) {
  auto listener = [&](std::string name, std::uint16_t port) {
    auto router = std::make_shared<net::Router>();
    runtime.add_health_routes(*router);
    runtime.add_listener(service::Listener{std::move(name), config.bind_address, port, router, {}});
    return router;
  };
  listener("backend open-payments", config.open_payments_port);
  listener("backend admin", config.admin_port);
  listener("backend connector", config.connector_port);
}

}  // namespace rafiki::backend
