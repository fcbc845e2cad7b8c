// Wiring of the asset domain (backend/core/domains.h). Its service is built with the others by
// Backend (core/backend.cpp); assets have no HTTP routes or workers, so there is nothing to
// attach. Its Admin API resolvers are resolvers.cpp.
#include "backend/asset/service.h"
#include "backend/core/backend.h"
#include "backend/core/domains.h"

namespace rafiki::backend::asset {

void install(Backend&, const Mount&) {}

}  // namespace rafiki::backend::asset
