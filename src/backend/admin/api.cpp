#include "backend/admin/api.h"

#include "backend/admin/signature.h"
#include "backend/core/admin.h"
#include "backend/core/backend.h"
#include "backend/tenant/service.h"
#include "graphql/http.h"

namespace rafiki::embedded {
std::string_view backend_admin_schema();
}

namespace rafiki::backend {

namespace asio = boost::asio;

Result<std::shared_ptr<graphql::Schema>> load_admin_schema() {
  auto schema = graphql::Schema::from_sdl(embedded::backend_admin_schema(), admin_scalars());
  if (!schema) {
    std::string message = "admin schema: ";
    for (const auto& e : schema.error()) message += e.message + "; ";
    return fail("graphql.schema", message);
  }
  return *schema;
}

void mount_admin_api(net::Router& router, std::shared_ptr<const graphql::Schema> schema,
                     Backend& backend) {
  admin::TenantSignatureConfig config;
  config.version = static_cast<std::uint32_t>(backend.config.admin_api_signature_version);
  config.ttl = std::chrono::seconds(backend.config.admin_api_signature_ttl_seconds);
  config.lookup = [&backend](const Uuid& id) {
    return backend.tenants->credentials(id);
  };
  auto auth = admin::make_tenant_signature_middleware(std::move(config), backend.kv);

  graphql::HttpOptions options;
  options.make_context = [](const net::Request& request) -> std::any {
    auto who = request.headers.get(admin::kAuthenticatedTenantHeader);
    if (!who || who->empty()) return {};
    std::string_view text = *who;
    AdminContext context;
    auto semicolon = text.find(';');
    auto id = Uuid::parse(text.substr(0, semicolon));
    if (!id) return {};
    context.tenant_id = *id;
    context.is_operator = semicolon != std::string_view::npos && text.substr(semicolon + 1) == "operator";
    context.memo = std::make_shared<AdminRequestMemo>();
    return context;
  };
  auto graphql_handler = graphql::http_handler(std::move(schema), std::move(options));
  auto handler = net::chain({std::move(auth)}, std::move(graphql_handler));
  // POST only: the signature covers the body, so a GET's query string would run unsigned text
  // under a captured signature (GET and HEAD answer 405).
  router.post("/graphql", handler);
}

}  // namespace rafiki::backend
