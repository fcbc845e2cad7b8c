// The one piece of the tenant domain's Admin API that later domains reuse: the resolver of their
// types' `tenant` fields (Asset.tenant, Peer.tenant, WalletAddress.tenant, WebhookEvent.tenant).
#pragma once

#include "graphql/schema.h"

namespace rafiki::backend {
struct Backend;
}

namespace rafiki::backend::tenant {

// A resolver for `<Type>.tenant` fields: the tenant named by the parent object's "tenantId"
// member, or null when it is deleted. Read once per request and tenant (AdminRequestMemo).
graphql::Resolver owner_tenant_resolver(Backend& backend);

}  // namespace rafiki::backend::tenant
