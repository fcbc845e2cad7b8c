// Backend configuration: upstream Rafiki's environment variable names and defaults
// (reference/payments.md §8), typed and validated once at start-up.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/config.h"

namespace rafiki::backend {

struct Config {
  std::string log_level;
  std::string node_env;
  std::string bind_address;
  std::uint16_t admin_port = 3001;
  std::uint16_t open_payments_port = 3003;
  std::uint16_t connector_port = 3002;
  std::uint16_t auto_peering_server_port = 3005;
  bool enable_auto_peering = false;
  bool enable_manual_migrations = false;
  std::string open_payments_url;
  std::string database_url;
  std::optional<std::string> redis_url;  // unset: in-memory key-value store (one process)
  std::string wallet_address_url;
  bool trust_proxy = false;
  std::string ilp_address;
  std::string ilp_connector_url;
  std::string instance_name;
  std::string stream_secret;  // base64 of 32 bytes
  bool use_tigerbeetle = false;
  std::int64_t two_phase_timeout_seconds = 5;
  std::int64_t exchange_rates_lifetime_ms = 15'000;
  std::optional<std::string> exchange_rates_url;
  double slippage = 0.01;
  std::int64_t quote_lifespan_ms = 300'000;
  std::string auth_server_grant_url;
  std::string auth_server_introspection_url;
  std::string auth_service_api_url;
  std::int64_t outgoing_payment_workers = 1, outgoing_payment_worker_idle_ms = 10;
  std::int64_t incoming_payment_workers = 1, incoming_payment_worker_idle_ms = 200;
  std::int64_t wallet_address_workers = 1, wallet_address_worker_idle_ms = 200;
  std::int64_t webhook_workers = 1, webhook_worker_idle_ms = 200;
  std::string webhook_url;
  std::int64_t webhook_timeout_ms = 2'000;
  std::int64_t webhook_max_retry = 10;
  std::optional<std::string> signature_secret;
  std::int64_t signature_version = 1;
  std::string admin_api_secret;
  std::int64_t admin_api_signature_version = 1;
  std::int64_t admin_api_signature_ttl_seconds = 30;
  std::string key_id;
  std::optional<std::string> private_key_file;
  std::int64_t graphql_idempotency_key_lock_ms = 2'000;
  std::int64_t graphql_idempotency_key_ttl_ms = 86'400'000;
  bool wallet_address_not_found_polling_enabled = false;
  std::int64_t wallet_address_lookup_timeout_ms = 1'500;
  std::int64_t wallet_address_polling_frequency_ms = 100;
  std::int64_t incoming_payment_expiry_max_ms = 2'592'000'000;
  bool enable_spsp_payment_pointers = true;
  std::int64_t max_outgoing_payment_retry_attempts = 5;
  std::int64_t local_cache_duration_ms = 15'000;
  std::string operator_tenant_id;
  std::optional<std::string> db_encryption_secret;
  bool send_tenant_webhooks_to_operator = false;
  // Tenants' own outbound URLs may reach loopback and private ranges (backend/core/outbound.h).
  bool tenant_outbound_allow_private = false;
  std::size_t threads = 0;
  std::size_t database_pool_max = 0;
};

// `all_in_one` selects the defaults of `rafiki all` (Open Payments on 3000, since auth's
// admin API has 3003). Problems are recorded in `env`.
Config load_config(config::EnvReader& env, bool all_in_one);

// RFC 15 Interledger address: a known allocation scheme then one or more segments of
// [A-Za-z0-9_~-], at most 1023 bytes.
bool is_valid_ilp_address(std::string_view address);

}  // namespace rafiki::backend
