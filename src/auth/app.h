// The auth service assembled on a Runtime: its five listeners (GNAP, interaction,
// introspection, admin API, service API), each answering /healthz and /readyz.
#pragma once

#include "auth/config.h"
#include "service/runtime.h"

namespace rafiki::auth {

// Fails (before anything connects) when the database or Redis URL is malformed.
Result<void> install(service::Runtime& runtime, const Config& config);

}  // namespace rafiki::auth
