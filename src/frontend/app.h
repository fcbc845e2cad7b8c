// The frontend (operator admin UI) assembled on a Runtime: one listener on PORT answering
// /healthz and /readyz; pages land here.
#pragma once

#include "frontend/config.h"
#include "service/runtime.h"

namespace rafiki::frontend {

void install(service::Runtime& runtime, const Config& config);

}  // namespace rafiki::frontend
