// Wiring of the fee domain (backend/core/domains.h): its service over its store and the asset
// service. Fees have no HTTP routes or workers.
#include "backend/core/backend.h"
#include "backend/core/domains.h"
#include "backend/fee/service.h"

namespace rafiki::backend::fee {

void install(Backend& backend, const Mount&) {
  backend.fees = std::make_shared<FeeService>(FeeStore(backend.pg), *backend.assets);
}

}  // namespace rafiki::backend::fee
