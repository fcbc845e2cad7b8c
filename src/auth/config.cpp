#include "auth/config.h"

#include <thread>

namespace rafiki::auth {
namespace {
constexpr std::int64_t kSecondsMax = 365LL * 24 * 3600;
constexpr std::int64_t kThreadsMax = 256;
constexpr std::int64_t kDatabasePoolMax = 1000;
}  // namespace

Config load_config(config::EnvReader& env) {
  Config c;
  c.log_level = env.string("LOG_LEVEL", "info");
  c.node_env = env.string("NODE_ENV", "development");
  c.bind_address = env.string("BIND_ADDRESS", "0.0.0.0");
  c.auth_server_url = env.url("AUTH_SERVER_URL", std::nullopt, true).value_or("");
  c.database_url = env.string("AUTH_DATABASE_URL",
                              "postgresql://postgres:password@localhost:5432/auth_development");
  if (!c.database_url.starts_with("postgresql://") && !c.database_url.starts_with("postgres://"))
    env.add_error("AUTH_DATABASE_URL must be a postgresql:// URL");
  c.redis_url = env.optional_string("REDIS_URL");
  if (c.redis_url && !c.redis_url->starts_with("redis://"))
    env.add_error("REDIS_URL must be a redis:// URL");
  c.identity_server_url = env.url("IDENTITY_SERVER_URL", std::nullopt, true).value_or("");
  c.identity_server_secret = env.required_string("IDENTITY_SERVER_SECRET");
  c.cookie_key = env.required_string("COOKIE_KEY");
  c.admin_api_secret = env.required_string("ADMIN_API_SECRET");
  c.admin_api_signature_version = env.integer("ADMIN_API_SIGNATURE_VERSION", 1, 1, 1000);
  c.admin_api_signature_ttl_seconds = env.integer("ADMIN_API_SIGNATURE_TTL_SECONDS", 30, 1, 86'400);
  c.operator_tenant_id = env.uuid("OPERATOR_TENANT_ID", true);
  c.auth_port = env.port("AUTH_PORT", 3006);
  c.interaction_port = env.port("INTERACTION_PORT", 3009);
  c.introspection_port = env.port("INTROSPECTION_PORT", 3007);
  c.admin_port = env.port("ADMIN_PORT", 3003);
  c.service_api_port = env.port("SERVICE_API_PORT", 3011);
  c.access_token_expiry_seconds = env.integer("ACCESS_TOKEN_EXPIRY_SECONDS", 600, 1, kSecondsMax);
  c.access_token_deletion_days = env.integer("ACCESS_TOKEN_DELETION_DAYS", 30, 0, 36'500);
  c.database_cleanup_workers = env.integer("DATABASE_CLEANUP_WORKERS", 1, 0, 64);
  c.interaction_expiry_seconds = env.integer("INTERACTION_EXPIRY_SECONDS", 600, 1, kSecondsMax);
  c.interaction_cookie_same_site = env.optional_string("INTERACTION_COOKIE_SAME_SITE");
  if (c.interaction_cookie_same_site && *c.interaction_cookie_same_site != "lax" &&
      *c.interaction_cookie_same_site != "none")
    c.interaction_cookie_same_site.reset();  // upstream ignores other values
  c.wait_seconds = env.integer("WAIT_SECONDS", 5, 0, 3600);
  c.incoming_payment_interaction = env.boolean("INCOMING_PAYMENT_INTERACTION", false);
  c.quote_interaction = env.boolean("QUOTE_INTERACTION", false);
  c.list_all_access_interaction = env.boolean("LIST_ALL_ACCESS_INTERACTION", true);
  c.trust_proxy = env.boolean("TRUST_PROXY", false);
  c.enable_manual_migrations = env.boolean("ENABLE_MANUAL_MIGRATIONS", false);
  auto hw = std::max(1u, std::thread::hardware_concurrency());
  c.threads = static_cast<std::size_t>(env.integer("RAFIKI_THREADS", hw, 1, kThreadsMax));
  c.database_pool_max = static_cast<std::size_t>(env.integer("DATABASE_POOL_MAX", 10, 1, kDatabasePoolMax));
  return c;
}

}  // namespace rafiki::auth
