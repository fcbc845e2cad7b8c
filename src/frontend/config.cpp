#include "frontend/config.h"

#include <thread>

namespace rafiki::frontend {
namespace {
constexpr std::int64_t kThreadsMax = 256;
}

Config load_config(config::EnvReader& env) {
  Config c;
  c.log_level = env.string("LOG_LEVEL", "info");
  c.node_env = env.string("NODE_ENV", "development");
  c.bind_address = env.string("BIND_ADDRESS", "0.0.0.0");
  c.port = env.port("PORT", 3010);
  c.graphql_url = env.url("GRAPHQL_URL", "http://127.0.0.1:3001/graphql", false).value_or("");
  c.open_payments_url = env.url("OPEN_PAYMENTS_URL", std::nullopt, false);
  c.signature_version = env.integer("SIGNATURE_VERSION", 1, 1, 1000);
  c.signature_secret = env.optional_string("SIGNATURE_SECRET");
  c.enable_insecure_message_cookie = env.boolean("ENABLE_INSECURE_MESSAGE_COOKIE", false);
  auto hw = std::max(1u, std::thread::hardware_concurrency());
  c.threads = static_cast<std::size_t>(env.integer("RAFIKI_THREADS", hw, 1, kThreadsMax));
  return c;
}

}  // namespace rafiki::frontend
