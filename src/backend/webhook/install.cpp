// Entry points of the webhook domain (backend/core/domains.h). Placeholder until the domain lands.
#include "backend/core/domains.h"

namespace rafiki::backend::webhook {

void install(Backend&, const Mount&) {}
void register_resolvers(graphql::Schema&, Backend&) {}

}  // namespace rafiki::backend::webhook
