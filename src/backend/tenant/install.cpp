// Wiring of the tenant domain (backend/core/domains.h). Its service is built with the others by
// Backend (core/backend.cpp); at start-up the operator tenant is created or re-synced to
// ADMIN_API_SECRET. Its Admin API is in resolvers.cpp.
#include "backend/core/backend.h"
#include "backend/core/domains.h"
#include "backend/tenant/service.h"
#include "service/runtime.h"

namespace rafiki::backend::tenant {

void install(Backend& backend, const Mount& mount) {
  if (!mount.runtime) return;
  mount.runtime->on_startup("operator tenant",
                            [&backend]() -> boost::asio::awaitable<Result<void>> {
                              co_return co_await backend.tenants->bootstrap_operator();
                            });
}

}  // namespace rafiki::backend::tenant
