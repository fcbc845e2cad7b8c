// The backend service assembled on a Runtime: its three listeners (Open Payments, Admin API,
// ILP connector), each answering /healthz and /readyz. Domains add their routes here as they
// land.
#pragma once

#include "backend/config.h"
#include "service/runtime.h"

namespace rafiki::backend {

// Fails (before anything connects) when the database or Redis URL is malformed.
Result<void> install(service::Runtime& runtime, const Config& config);

}  // namespace rafiki::backend
