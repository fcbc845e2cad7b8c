// Entry points of the liquidity domain (backend/core/domains.h). Placeholder until the domain lands.
#include "backend/core/domains.h"

namespace rafiki::backend::liquidity {

void install(Backend&, const Mount&) {}
void register_resolvers(graphql::Schema&, Backend&) {}

}  // namespace rafiki::backend::liquidity
