// The Admin GraphQL API of the backend: our copy of upstream's schema (schema.graphql, embedded
// in the binary) with its custom scalars, served at POST /graphql behind the multi-tenant HMAC
// signature check; resolvers see the signing tenant as an AdminContext. Limits follow
// upstream's query protection (depth, aliases, tokens) where our engine has them.
#pragma once

#include <memory>

#include "base/errors.h"
#include "graphql/schema.h"
#include "net/router.h"

namespace rafiki::backend {

struct Backend;

// The Admin schema with its scalar hooks; resolvers are attached by the domains.
Result<std::shared_ptr<graphql::Schema>> load_admin_schema();

// Routes POST /graphql (and GET for queries) on `router`.
void mount_admin_api(net::Router& router, std::shared_ptr<const graphql::Schema> schema,
                     Backend& backend);

}  // namespace rafiki::backend
