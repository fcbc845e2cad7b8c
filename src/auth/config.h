// Auth service configuration: upstream's environment variable names and defaults
// (reference/gnap-auth.md §15), typed and validated once at start-up.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/config.h"

namespace rafiki::auth {

struct Config {
  std::string log_level;
  std::string node_env;
  std::string bind_address;
  std::string auth_server_url;
  std::string database_url;
  std::optional<std::string> redis_url;
  std::string identity_server_url;
  std::string identity_server_secret;
  std::string cookie_key;
  std::string admin_api_secret;
  std::int64_t admin_api_signature_version = 1;
  std::int64_t admin_api_signature_ttl_seconds = 30;
  std::string operator_tenant_id;
  std::uint16_t auth_port = 3006;
  std::uint16_t interaction_port = 3009;
  std::uint16_t introspection_port = 3007;
  std::uint16_t admin_port = 3003;
  std::uint16_t service_api_port = 3011;
  std::int64_t access_token_expiry_seconds = 600;
  std::int64_t access_token_deletion_days = 30;
  std::int64_t database_cleanup_workers = 1;
  std::int64_t interaction_expiry_seconds = 600;
  std::optional<std::string> interaction_cookie_same_site;
  std::int64_t wait_seconds = 5;
  bool incoming_payment_interaction = false;
  bool quote_interaction = false;
  bool list_all_access_interaction = true;
  bool trust_proxy = false;
  bool enable_manual_migrations = false;
  std::size_t threads = 0;
  std::size_t database_pool_max = 0;
};

Config load_config(config::EnvReader& env);

}  // namespace rafiki::auth
