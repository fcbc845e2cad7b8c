// Wiring of the fee domain (backend/core/domains.h). Its service is built with the others by
// Backend (core/backend.cpp); fees have no HTTP routes or workers, so there is nothing to attach.
#include "backend/core/backend.h"
#include "backend/core/domains.h"
#include "backend/fee/service.h"

namespace rafiki::backend::fee {

void install(Backend&, const Mount&) {}

}  // namespace rafiki::backend::fee
