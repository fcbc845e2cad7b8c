// The operator's policy for outbound URLs owned by tenants. A URL is the operator's when it
// comes from the process's environment (WEBHOOK_URL, EXCHANGE_RATES_URL) or belongs to the
// operator tenant (its settings, its peers): requests to it may go anywhere. A URL owned by any
// other tenant (its WEBHOOK_URL / EXCHANGE_RATES_URL settings, its peers' endpoints) may reach
// public addresses only; TENANT_OUTBOUND_ALLOW_PRIVATE=true adds loopback and private ranges.
// Link-local and cloud metadata addresses are never allowed for them. The HTTP client enforces
// this on the resolved addresses at connection time (net/address_policy.h); refusing a literal
// address when the URL is set is a convenience on top.
#pragma once

#include <string>
#include <string_view>

#include "base/errors.h"
#include "base/uuid.h"
#include "net/address_policy.h"

namespace rafiki::backend {

struct Config;

// Error code of check_tenant_url.
inline constexpr std::string_view kErrorForbiddenUrl = "outbound.forbidden_url";

class OutboundPolicy {
 public:
  // No restriction for anyone (tests and tools that build parts of the backend by hand).
  OutboundPolicy() = default;
  // Tenants other than `operator_tenant_id` restricted; loopback and private ranges allowed to
  // them when `tenants_allow_private`.
  OutboundPolicy(Uuid operator_tenant_id, bool tenants_allow_private);
  static OutboundPolicy from_config(const Config& config);

  // The address policy of a URL owned by `owner` (kAny for the operator tenant).
  net::AddressPolicy for_owner(const Uuid& owner) const;
  // The policy of every non-operator tenant's URLs.
  net::AddressPolicy tenants() const;

  // Fails with kErrorForbiddenUrl when `url`, owned by `owner`, has an IP literal as host that
  // the owner's policy forbids (a message saying which range). Host names pass: where they
  // resolve is checked when connecting.
  Result<void> check_url(const Uuid& owner, std::string_view url) const;
  // The same under the tenants' policy whoever owns the URL (a stranger's, e.g. auto-peering's).
  Result<void> check_tenants_url(std::string_view url) const;

 private:
  Result<void> check_with(net::AddressPolicy policy, std::string_view url) const;

  bool restricted_ = false;
  Uuid operator_tenant_id_;
  bool tenants_allow_private_ = false;
};

}  // namespace rafiki::backend
