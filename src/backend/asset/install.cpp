// Entry points of the asset domain (backend/core/domains.h). Placeholder until the domain lands.
#include "backend/core/domains.h"

namespace rafiki::backend::asset {

void install(Backend&, const Mount&) {}
void register_resolvers(graphql::Schema&, Backend&) {}

}  // namespace rafiki::backend::asset
