// Entry points of the webhook domain (backend/core/domains.h): the service, fed by the
// process configuration and the tenants' webhook settings, and its delivery workers, started
// with the process and stopped at shutdown. The resolvers are in resolvers.cpp.
#include "backend/core/backend.h"
#include "backend/core/domains.h"
#include "backend/tenant/service.h"
#include "backend/webhook/service.h"
#include "service/runtime.h"

namespace rafiki::backend::webhook {

namespace asio = boost::asio;

void install(Backend& backend, const Mount& mount) {
  backend.webhooks = std::make_shared<WebhookService>(WebhookSettings::from_config(backend.config),
                                                      backend.pg, backend.http);
  backend.webhooks->set_tenant_settings_lookup(
      [&backend](Uuid tenant_id)
          -> asio::awaitable<Result<std::vector<std::pair<std::string, std::string>>>> {
        std::vector<std::pair<std::string, std::string>> out;
        if (!backend.tenants) co_return out;
        auto settings = co_await backend.tenants->settings(tenant_id);
        if (!settings) co_return std::unexpected(std::move(settings.error()));
        for (auto& s : *settings) out.emplace_back(std::move(s.key), std::move(s.value));
        co_return out;
      });
  backend.webhooks->set_tenant_secret_lookup(
      [&backend](Uuid tenant_id) -> asio::awaitable<Result<std::optional<std::string>>> {
        if (!backend.tenants) co_return std::optional<std::string>{};
        auto credentials = co_await backend.tenants->credentials(tenant_id);
        if (!credentials) co_return std::unexpected(std::move(credentials.error()));
        if (!*credentials) co_return std::optional<std::string>{};
        co_return std::move((*credentials)->api_secret);
      });
  if (mount.runtime) {
    mount.runtime->on_startup("webhook workers", [&backend]() -> asio::awaitable<Result<void>> {
      backend.webhooks->start(backend.executor);
      co_return Result<void>{};
    });
    mount.runtime->on_shutdown([&backend]() -> asio::awaitable<void> {
      backend.webhooks->stop();
      co_return;
    });
  }
}

}  // namespace rafiki::backend::webhook
