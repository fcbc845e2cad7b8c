#include "backend/core/outbound.h"

#include <fmt/format.h>

#include "backend/config.h"

namespace rafiki::backend {

OutboundPolicy::OutboundPolicy(Uuid operator_tenant_id, bool tenants_allow_private)
    : restricted_(true),
      operator_tenant_id_(operator_tenant_id),
      tenants_allow_private_(tenants_allow_private) {}

OutboundPolicy OutboundPolicy::from_config(const Config& config) {
  return OutboundPolicy(Uuid::parse(config.operator_tenant_id).value_or(Uuid{}),
                        config.tenant_outbound_allow_private);
}

net::AddressPolicy OutboundPolicy::tenants() const {
  if (!restricted_) return net::AddressPolicy::kAny;
  return tenants_allow_private_ ? net::AddressPolicy::kPrivateAllowed
                                : net::AddressPolicy::kPublicOnly;
}

net::AddressPolicy OutboundPolicy::for_owner(const Uuid& owner) const {
  if (!operator_tenant_id_.is_nil() && owner == operator_tenant_id_)
    return net::AddressPolicy::kAny;
  return tenants();
}

Result<void> OutboundPolicy::check_url(const Uuid& owner, std::string_view url) const {
  return check_with(for_owner(owner), url);
}

Result<void> OutboundPolicy::check_tenants_url(std::string_view url) const {
  return check_with(tenants(), url);
}

Result<void> OutboundPolicy::check_with(net::AddressPolicy policy, std::string_view url) const {
  auto host = net::literal_host_class(url);
  if (!host || net::address_allowed(policy, *host)) return {};
  return fail(std::string(kErrorForbiddenUrl),
              fmt::format("URL not allowed: its host is a {} address, which tenants' URLs may not "
                          "point at",
                          net::to_string(*host)));
}

}  // namespace rafiki::backend
