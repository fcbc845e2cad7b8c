// Entry points of the wallet_address domain (backend/core/domains.h). Placeholder until the domain lands.
#include "backend/core/domains.h"

namespace rafiki::backend::wallet_address {

void install(Backend&, const Mount&) {}
void register_resolvers(graphql::Schema&, Backend&) {}

}  // namespace rafiki::backend::wallet_address
