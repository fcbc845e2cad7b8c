#include "auth/app.h"

#include <memory>

namespace rafiki::auth {

void install(service::Runtime& runtime, const Config& config) {
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
}

}  // namespace rafiki::auth
