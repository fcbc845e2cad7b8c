#include "backend/core/domains.h"

namespace rafiki::backend {

void install_domains(Backend& backend, const Mount& mount, graphql::Schema* schema) {
  tenant::install(backend, mount);
  asset::install(backend, mount);
  fee::install(backend, mount);
  peer::install(backend, mount);
  wallet_address::install(backend, mount);
  liquidity::install(backend, mount);
  webhook::install(backend, mount);
  connector::install(backend, mount);
  if (!schema) return;
  tenant::register_resolvers(*schema, backend);
  asset::register_resolvers(*schema, backend);
  fee::register_resolvers(*schema, backend);
  peer::register_resolvers(*schema, backend);
  wallet_address::register_resolvers(*schema, backend);
  liquidity::register_resolvers(*schema, backend);
  webhook::register_resolvers(*schema, backend);
  connector::register_resolvers(*schema, backend);
}

}  // namespace rafiki::backend
