#include "frontend/app.h"

#include <memory>

namespace rafiki::frontend {

void install(service::Runtime& runtime, const Config& config) {
  auto router = std::make_shared<net::Router>();
  runtime.add_health_routes(*router);
  runtime.add_listener(service::Listener{"frontend", config.bind_address, config.port, router, {}});
}

}  // namespace rafiki::frontend
