// The entry points every backend domain folder provides (in its install.cpp): install() attaches
// the domain's HTTP routes and background workers to its service (built by Backend);
// register_resolvers() attaches its Admin GraphQL resolvers. app.cpp and the tests call them for
// every domain, in the order listed here.
#pragma once

namespace rafiki::graphql {
class Schema;
}
namespace rafiki::net {
class Router;
}
namespace rafiki::service {
class Runtime;
}

namespace rafiki::backend {

struct Backend;

// Where a domain attaches what it serves. Every pointer may be null (tests install domains
// without listeners or a runtime); a domain skips what it cannot attach.
struct Mount {
  service::Runtime* runtime = nullptr;   // background workers: on_startup / on_shutdown
  net::Router* open_payments = nullptr;  // the Open Payments listener's router
  net::Router* connector = nullptr;      // the ILP connector listener's router
  net::Router* auto_peering = nullptr;   // the auto-peering listener's (ENABLE_AUTO_PEERING)
};

#define RAFIKI_BACKEND_DOMAIN(ns)                                   \
  namespace ns {                                                    \
  void install(Backend& backend, const Mount& mount);               \
  void register_resolvers(graphql::Schema& schema, Backend& backend); \
  }

RAFIKI_BACKEND_DOMAIN(tenant)
RAFIKI_BACKEND_DOMAIN(asset)
RAFIKI_BACKEND_DOMAIN(fee)
RAFIKI_BACKEND_DOMAIN(peer)
RAFIKI_BACKEND_DOMAIN(wallet_address)
RAFIKI_BACKEND_DOMAIN(liquidity)
RAFIKI_BACKEND_DOMAIN(webhook)
RAFIKI_BACKEND_DOMAIN(connector)

#undef RAFIKI_BACKEND_DOMAIN

// Installs every domain, then (when `schema` is not null) registers every domain's resolvers.
void install_domains(Backend& backend, const Mount& mount, graphql::Schema* schema);

}  // namespace rafiki::backend
