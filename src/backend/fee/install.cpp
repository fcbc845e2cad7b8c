// Entry points of the fee domain (backend/core/domains.h). Placeholder until the domain lands.
#include "backend/core/domains.h"

namespace rafiki::backend::fee {

void install(Backend&, const Mount&) {}
void register_resolvers(graphql::Schema&, Backend&) {}

}  // namespace rafiki::backend::fee
