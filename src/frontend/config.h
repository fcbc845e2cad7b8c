// Frontend (operator admin UI) configuration: upstream's environment variable names
// (reference/frontend.md §1), typed and validated once at start-up.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/config.h"

namespace rafiki::frontend {

struct Config {
  std::string log_level;
  std::string node_env;
  std::string bind_address;
  std::uint16_t port = 3010;
  std::string graphql_url;
  std::optional<std::string> open_payments_url;
  std::int64_t signature_version = 1;
  std::optional<std::string> signature_secret;
  bool enable_insecure_message_cookie = false;
  std::size_t threads = 0;
};

Config load_config(config::EnvReader& env);

}  // namespace rafiki::frontend
