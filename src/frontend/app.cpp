#include "frontend/app.h"

#include <memory>

namespace rafiki::frontend {

void install(service::Runtime& runtime, const Config& config) {
  runtime.add_http_listener("frontend", config.bind_address, config.port);
}

}  // namespace rafiki::frontend
