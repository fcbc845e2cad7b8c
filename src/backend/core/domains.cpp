#include "backend/core/domains.h"

#include <string>

#include "backend/core/admin.h"
#include "graphql/schema.h"

namespace rafiki::backend {

namespace {

// Root fields of the schema whose domain has not landed yet (incoming and outgoing payments,
// quotes, receivers, ...) answer a clear error instead of a null.
void refuse_unimplemented(graphql::Schema& schema) {
  for (const graphql::Type* root : {schema.query_type(), schema.mutation_type()}) {
    if (!root) continue;
    for (const auto& field : root->fields) {
      if (field.resolver) continue;
      std::string name = root->name + "." + field.name;
      auto ok = schema.set_resolver(
          name, [name](const graphql::ResolveInfo&) -> boost::asio::awaitable<graphql::FieldResult> {
            co_return field_error(code::kInternal, name + " is not implemented yet");
          });
      (void)ok;
    }
  }
}

}  // namespace

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
  refuse_unimplemented(*schema);
}

}  // namespace rafiki::backend
