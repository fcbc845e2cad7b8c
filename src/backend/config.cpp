#include "backend/config.h"

#include <fmt/format.h>

#include <thread>

namespace rafiki::backend {
namespace {

constexpr std::int64_t kWorkersMax = 64;
constexpr std::int64_t kMsMax = 365LL * 24 * 3600 * 1000;
constexpr std::size_t kIlpAddressBytesMax = 1023;
constexpr std::int64_t kThreadsMax = 256;
constexpr std::int64_t kDatabasePoolMax = 1000;

}  // namespace

bool is_valid_ilp_address(std::string_view address) {
  if (address.empty() || address.size() > kIlpAddressBytesMax) return false;
  auto dot = address.find('.');
  if (dot == std::string_view::npos) return false;
  std::string_view scheme = address.substr(0, dot);
  static constexpr std::string_view kSchemes[] = {"g",     "private", "example", "peer", "self",
                                                  "test",  "test1",   "test2",   "test3", "local"};
  bool known = false;
  for (auto s : kSchemes) known = known || s == scheme;
  if (!known) return false;
  std::string_view rest = address.substr(dot + 1);
  std::size_t segment = 0;
  for (char c : rest) {
    if (c == '.') {
      if (segment == 0) return false;
      segment = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '~' || c == '-';
    if (!ok) return false;
    ++segment;
  }
  return segment > 0;
}

Config load_config(config::EnvReader& env, bool all_in_one) {
  Config c;
  c.log_level = env.string("LOG_LEVEL", "info");
  c.node_env = env.string("NODE_ENV", "development");
  c.bind_address = env.string("BIND_ADDRESS", "0.0.0.0");
  c.admin_port = env.port("ADMIN_PORT", 3001);
  c.open_payments_port = env.port("OPEN_PAYMENTS_PORT", all_in_one ? 3000 : 3003);
  c.connector_port = env.port("CONNECTOR_PORT", 3002);
  c.auto_peering_server_port = env.port("AUTO_PEERING_SERVER_PORT", 3005);
  c.enable_auto_peering = env.boolean("ENABLE_AUTO_PEERING", false);
  c.enable_manual_migrations = env.boolean("ENABLE_MANUAL_MIGRATIONS", false);
  c.open_payments_url = env.url("OPEN_PAYMENTS_URL", std::nullopt, true).value_or("");
  c.database_url = env.string("DATABASE_URL", "postgresql://postgres:password@localhost:5432/development");
  if (!c.database_url.starts_with("postgresql://") && !c.database_url.starts_with("postgres://"))
    env.add_error("DATABASE_URL must be a postgresql:// URL");
  c.redis_url = env.optional_string("REDIS_URL");
  if (c.redis_url && !c.redis_url->starts_with("redis://"))
    env.add_error("REDIS_URL must be a redis:// URL");
  c.wallet_address_url =
      env.url("WALLET_ADDRESS_URL", "http://127.0.0.1:3001/.well-known/pay", false).value_or("");
  c.trust_proxy = env.boolean("TRUST_PROXY", false);
  c.ilp_address = env.required_string("ILP_ADDRESS");
  if (!c.ilp_address.empty() && !is_valid_ilp_address(c.ilp_address))
    env.add_error(fmt::format("ILP_ADDRESS must be a valid Interledger address (got \"{}\")", c.ilp_address));
  c.ilp_connector_url = env.url("ILP_CONNECTOR_URL", std::nullopt, true).value_or("");
  c.instance_name = env.required_string("INSTANCE_NAME");
  c.stream_secret = env.base64_secret("STREAM_SECRET", 32, true).value_or("");
  c.use_tigerbeetle = env.boolean("USE_TIGERBEETLE", false);
  c.two_phase_timeout_seconds = env.integer("TIGERBEETLE_TWO_PHASE_TIMEOUT_SECONDS", 5, 1, 3600);
  c.exchange_rates_lifetime_ms = env.integer("EXCHANGE_RATES_LIFETIME", 15'000, 0, kMsMax);
  c.exchange_rates_url = env.url("EXCHANGE_RATES_URL", std::nullopt, false);
  c.slippage = env.number("SLIPPAGE", 0.01, 0.0, 1.0);
  c.quote_lifespan_ms = env.integer("QUOTE_LIFESPAN", 300'000, 1, kMsMax);
  c.auth_server_grant_url = env.url("AUTH_SERVER_GRANT_URL", std::nullopt, true).value_or("");
  c.auth_server_introspection_url =
      env.url("AUTH_SERVER_INTROSPECTION_URL", std::nullopt, true).value_or("");
  c.auth_service_api_url = env.url("AUTH_SERVICE_API_URL", std::nullopt, true).value_or("");
  c.outgoing_payment_workers = env.integer("OUTGOING_PAYMENT_WORKERS", 1, 0, kWorkersMax);
  c.outgoing_payment_worker_idle_ms = env.integer("OUTGOING_PAYMENT_WORKER_IDLE", 10, 1, kMsMax);
  c.incoming_payment_workers = env.integer("INCOMING_PAYMENT_WORKERS", 1, 0, kWorkersMax);
  c.incoming_payment_worker_idle_ms = env.integer("INCOMING_PAYMENT_WORKER_IDLE", 200, 1, kMsMax);
  c.wallet_address_workers = env.integer("WALLET_ADDRESS_WORKERS", 1, 0, kWorkersMax);
  c.wallet_address_worker_idle_ms = env.integer("WALLET_ADDRESS_WORKER_IDLE", 200, 1, kMsMax);
  c.webhook_workers = env.integer("WEBHOOK_WORKERS", 1, 0, kWorkersMax);
  c.webhook_worker_idle_ms = env.integer("WEBHOOK_WORKER_IDLE", 200, 1, kMsMax);
  c.webhook_url = env.url("WEBHOOK_URL", std::nullopt, true).value_or("");
  c.webhook_timeout_ms = env.integer("WEBHOOK_TIMEOUT", 2'000, 1, kMsMax);
  c.webhook_max_retry = env.integer("WEBHOOK_MAX_RETRY", 10, 0, 1000);
  c.signature_secret = env.optional_string("SIGNATURE_SECRET");
  c.signature_version = env.integer("SIGNATURE_VERSION", 1, 1, 1000);
  c.admin_api_secret = env.required_string("ADMIN_API_SECRET");
  c.admin_api_signature_version = env.integer("ADMIN_API_SIGNATURE_VERSION", 1, 1, 1000);
  c.admin_api_signature_ttl_seconds = env.integer("ADMIN_API_SIGNATURE_TTL_SECONDS", 30, 1, 86'400);
  c.key_id = env.required_string("KEY_ID");
  c.private_key_file = env.optional_string("PRIVATE_KEY_FILE");
  c.graphql_idempotency_key_lock_ms = env.integer("GRAPHQL_IDEMPOTENCY_KEY_LOCK_MS", 2'000, 1, kMsMax);
  c.graphql_idempotency_key_ttl_ms = env.integer("GRAPHQL_IDEMPOTENCY_KEY_TTL_MS", 86'400'000, 1, kMsMax);
  c.wallet_address_not_found_polling_enabled =
      env.boolean("WALLET_ADDRESS_NOT_FOUND_POLLING_ENABLED", false);
  c.wallet_address_lookup_timeout_ms = env.integer("WALLET_ADDRESS_LOOKUP_TIMEOUT_MS", 1'500, 1, kMsMax);
  c.wallet_address_polling_frequency_ms =
      env.integer("WALLET_ADDRESS_POLLING_FREQUENCY_MS", 100, 1, kMsMax);
  c.incoming_payment_expiry_max_ms =
      env.integer("INCOMING_PAYMENT_EXPIRY_MAX_MS", 2'592'000'000, 1, 10 * kMsMax);
  c.enable_spsp_payment_pointers = env.boolean("ENABLE_SPSP_PAYMENT_POINTERS", true);
  c.max_outgoing_payment_retry_attempts = env.integer("MAX_OUTGOING_PAYMENT_RETRY_ATTEMPTS", 5, 0, 1000);
  c.local_cache_duration_ms = env.integer("LOCAL_CACHE_DURATION_MS", 15'000, 0, kMsMax);
  c.operator_tenant_id = env.uuid("OPERATOR_TENANT_ID", true);
  c.db_encryption_secret = env.base64_secret("DB_ENCRYPTION_SECRET", 32, false);
  c.send_tenant_webhooks_to_operator = env.boolean("SEND_TENANT_WEBHOOKS_TO_OPERATOR", false);
  c.tenant_outbound_allow_private = env.boolean("TENANT_OUTBOUND_ALLOW_PRIVATE", false);
  auto hw = std::max(1u, std::thread::hardware_concurrency());
  c.threads = static_cast<std::size_t>(env.integer("RAFIKI_THREADS", hw, 1, kThreadsMax));
  c.database_pool_max = static_cast<std::size_t>(env.integer("DATABASE_POOL_MAX", 10, 1, kDatabasePoolMax));
  return c;
}

}  // namespace rafiki::backend
