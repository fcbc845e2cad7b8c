// Wiring of the webhook domain (backend/core/domains.h): its delivery workers start with the
// process and stop at shutdown. The service is built by Backend (core/backend.cpp); the Admin API
// is in resolvers.cpp.
#include "backend/core/backend.h"
#include "backend/core/domains.h"
#include "backend/webhook/service.h"
#include "service/runtime.h"

namespace rafiki::backend::webhook {

namespace asio = boost::asio;

void install(Backend& backend, const Mount& mount) {
  if (!mount.runtime) return;
  WebhookService& webhooks = *backend.webhooks;
  asio::any_io_executor executor = backend.executor;
  mount.runtime->on_startup("webhook workers",
                            [&webhooks, executor]() -> asio::awaitable<Result<void>> {
                              webhooks.start(executor);
                              co_return Result<void>{};
                            });
  mount.runtime->on_shutdown([&webhooks]() -> asio::awaitable<void> {
    webhooks.stop();
    co_return;
  });
}

}  // namespace rafiki::backend::webhook
