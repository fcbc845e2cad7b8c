// rafiki: one binary, one subcommand per service.
//   rafiki backend | auth | frontend | all | migrate | admin | webhook-secret | version | --help
#include <sys/resource.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "auth/app.h"
#include "auth/config.h"
#include "backend/app.h"
#include "backend/config.h"
#include "backend/webhook/service.h"
#include "base/config.h"
#include "base/log.h"
#include "frontend/app.h"
#include "frontend/config.h"
#include "service/http_limits.h"
#include "service/migrations.h"
#include "service/runtime.h"
#include "store/pg.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

namespace rafiki::cli {
int admin_command(std::string_view query, std::string_view variables);  // admin_command.cpp
}

namespace {

using namespace rafiki;

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

constexpr std::string_view kUsage = R"(rafiki — Open Payments and Interledger for Account Servicing Entities

Usage: rafiki <command>

Commands:
  backend    Open Payments resource server, Admin API, ILP connector and workers
  auth       GNAP authorization server, token introspection and auth Admin API
  frontend   the operator's admin web UI
  all        backend, auth and frontend in one process
  migrate [backend|auth]
             apply the database migrations (DATABASE_URL, AUTH_DATABASE_URL), then exit
  admin <query> [variables]
             send one signed request to a backend's Admin API (GRAPHQL_URL) as the
             operator (OPERATOR_TENANT_ID, ADMIN_API_SECRET) and print the answer; "-" reads
             the query from standard input; exit 1 when the answer has errors
  webhook-secret
             read a tenant's API secret from standard input and print the key its webhook
             deliveries are signed with (see docs/admin-api.md, "Webhook events")
  version    print the version
  help       print this help

Configuration comes from environment variables with upstream Rafiki's names (see
docs/configuration.md). Under `rafiki all`, a variable can be set for one service only by
prefixing it with BACKEND_, AUTH_ or FRONTEND_ (e.g. AUTH_ADMIN_PORT=3003).
)";

struct Selected {
  bool backend = false, auth = false, frontend = false;
};

// Loads and validates the configuration of every selected service; prints every problem in
// one message and returns nullopt when anything is wrong.
struct Loaded {
  std::optional<backend::Config> backend;
  std::optional<auth::Config> auth;
  std::optional<frontend::Config> frontend;
  net::ServerLimits http;  // every listener of the process
};

std::optional<Loaded> load(Selected s, bool all_in_one, std::string_view command) {
  Loaded out;
  std::vector<std::string> errors;
  auto collect = [&](config::EnvReader& r, std::string_view who) {
    for (const auto& e : r.errors())
      errors.push_back(all_in_one ? fmt::format("{}: {}", who, e) : e);
  };
  if (s.backend) {
    config::EnvReader r(config::process_env(), all_in_one ? "BACKEND_" : "");
    out.backend = backend::load_config(r, all_in_one);
    collect(r, "backend");
  }
  if (s.auth) {
    config::EnvReader r(config::process_env(), all_in_one ? "AUTH_" : "");
    out.auth = auth::load_config(r);
    collect(r, "auth");
  }
  if (s.frontend) {
    config::EnvReader r(config::process_env(), all_in_one ? "FRONTEND_" : "");
    out.frontend = frontend::load_config(r);
    collect(r, "frontend");
  }
  {
    config::EnvReader r(config::process_env());
    out.http = service::load_http_limits(r);
    collect(r, "http");
  }
  if (all_in_one) {
    // One process cannot listen twice on a port: name every clash.
    std::map<std::uint16_t, std::string> used;
    auto claim = [&](std::uint16_t port, std::string what) {
      if (port == 0) return;
      auto [it, inserted] = used.emplace(port, what);
      if (!inserted) errors.push_back(fmt::format("{} and {} both use port {}", it->second, what, port));
    };
    if (out.backend) {
      claim(out.backend->open_payments_port, "backend OPEN_PAYMENTS_PORT");
      claim(out.backend->admin_port, "backend ADMIN_PORT");
      claim(out.backend->connector_port, "backend CONNECTOR_PORT");
    }
    if (out.auth) {
      claim(out.auth->auth_port, "auth AUTH_PORT");
      claim(out.auth->interaction_port, "auth INTERACTION_PORT");
      claim(out.auth->introspection_port, "auth INTROSPECTION_PORT");
      claim(out.auth->admin_port, "auth ADMIN_PORT");
      claim(out.auth->service_api_port, "auth SERVICE_API_PORT");
    }
    if (out.frontend) claim(out.frontend->port, "frontend PORT");
  }
  if (!errors.empty()) {
    fmt::print(stderr, "rafiki {}: invalid configuration:\n", command);
    for (const auto& e : errors) fmt::print(stderr, "  - {}\n", e);
    return std::nullopt;
  }
  return out;
}

int serve(Selected s, bool all_in_one, std::string_view command) {
  auto loaded = load(s, all_in_one, command);
  if (!loaded) return kExitFailure;

  // Logging and threads follow the first selected service's settings.
  std::string level = loaded->backend ? loaded->backend->log_level
                      : loaded->auth  ? loaded->auth->log_level
                                      : loaded->frontend->log_level;
  std::string node_env = loaded->backend ? loaded->backend->node_env
                         : loaded->auth  ? loaded->auth->node_env
                                         : loaded->frontend->node_env;
  const char* format_env = std::getenv("LOG_FORMAT");
  std::string format = format_env ? format_env : (node_env == "production" ? "json" : "text");
  if (auto r = log::init(level, format); !r) {
    fmt::print(stderr, "rafiki {}: invalid configuration:\n  - {}\n", command, r.error().message);
    return kExitFailure;
  }
  std::size_t threads = loaded->backend ? loaded->backend->threads
                        : loaded->auth  ? loaded->auth->threads
                                        : loaded->frontend->threads;

  service::Runtime runtime(threads);
  runtime.set_http_limits(loaded->http);
  if (loaded->backend) {
    if (auto r = backend::install(runtime, *loaded->backend); !r) {
      fmt::print(stderr, "rafiki {}: invalid configuration:\n  - {}\n", command, r.error().message);
      return kExitFailure;
    }
  }
  if (loaded->auth) {
    if (auto r = auth::install(runtime, *loaded->auth); !r) {
      fmt::print(stderr, "rafiki {}: invalid configuration:\n  - {}\n", command, r.error().message);
      return kExitFailure;
    }
  }
  if (loaded->frontend) frontend::install(runtime, *loaded->frontend);
  spdlog::info("rafiki {} {} starting ({} threads)", command, RAFIKI_VERSION, threads);
  return runtime.run();
}

// `rafiki migrate [backend|auth]`: applies the embedded migrations and exits.
int migrate(std::string_view which) {
  const char* level = std::getenv("LOG_LEVEL");
  (void)log::init(level ? level : "info", "text");
  config::EnvReader env(config::process_env());
  std::vector<std::pair<service::Database, std::string>> targets;
  if (which.empty() || which == "backend")
    targets.emplace_back(service::Database::kBackend,
                         env.string("DATABASE_URL", "postgresql://postgres:password@localhost:5432/development"));
  if (which.empty() || which == "auth")
    targets.emplace_back(service::Database::kAuth,
                         env.string("AUTH_DATABASE_URL",
                                    "postgresql://postgres:password@localhost:5432/auth_development"));
  boost::asio::io_context io;
  int code = kExitOk;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<int> {
        for (auto& [db, url] : targets) {
          store::PgConfig pg_config;
          pg_config.url = url;
          pg_config.max_connections = 1;
          auto pool = store::PgPool::create(io.get_executor(), pg_config);
          if (!pool) {
            spdlog::error("migrate: {}", pool.error().message);
            co_return kExitFailure;
          }
          auto r = co_await service::migrate(*pool, db);
          if (!r) {
            spdlog::error("migrate {}: {}", db == service::Database::kBackend ? "backend" : "auth",
                          r.error().message);
            co_return kExitFailure;
          }
        }
        co_return kExitOk;
      },
      [&](std::exception_ptr e, int result) {
        code = e ? kExitFailure : result;
        io.stop();
      });
  io.run();
  return code;
}

// Prints tenant_signature_key of the API secret on the first line of standard input (a
// secret is never taken from the command line, where other users could read it).
int webhook_secret_command() {
  std::string secret;
  if (!std::getline(std::cin, secret)) secret.clear();
  if (!secret.empty() && secret.back() == '\r') secret.pop_back();
  if (secret.empty()) {
    fmt::print(stderr, "rafiki webhook-secret: give the tenant's API secret on standard input\n");
    return kExitUsage;
  }
  fmt::print("{}\n", backend::webhook::tenant_signature_key(secret));
  return kExitOk;
}

}  // namespace

namespace {

// A server holds a descriptor per connection, and the default soft limit (1024 under systemd)
// is far below ServerLimits::kConnectionsMax: take the hard limit. A failure leaves the limit as
// it was (the accept loop then pauses when descriptors run out).
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
}

}  // namespace

int main(int argc, char** argv) {
  raise_descriptor_limit();
  std::string_view command = argc > 1 ? argv[1] : "";
  if (command == "admin") {
    if (argc < 3 || argc > 4) {
      fmt::print(stderr, "usage: rafiki admin <query|-> [variables-json]\n");
      return kExitUsage;
    }
    return cli::admin_command(argv[2], argc == 4 ? argv[3] : "");
  }
  if (argc > 2 && !(command == "migrate" && argc == 3)) {
    fmt::print(stderr, "rafiki: unexpected argument \"{}\"\n\n{}", argv[2], kUsage);
    return kExitUsage;
  }
  if (command == "--help" || command == "-h" || command == "help") {
    fmt::print("{}", kUsage);
    return kExitOk;
  }
  if (command == "webhook-secret") return webhook_secret_command();
  if (command == "version" || command == "--version") {
    fmt::print("rafiki {}\n", RAFIKI_VERSION);
    return kExitOk;
  }
  if (command == "backend") return serve({.backend = true}, false, command);
  if (command == "auth") return serve({.auth = true}, false, command);
  if (command == "frontend") return serve({.frontend = true}, false, command);
  if (command == "all") return serve({true, true, true}, true, command);
  if (command == "migrate") {
    std::string_view which = argc == 3 ? argv[2] : "";
    if (!which.empty() && which != "backend" && which != "auth") {
      fmt::print(stderr, "rafiki migrate: unknown database \"{}\" (backend or auth)\n", which);
      return kExitUsage;
    }
    return migrate(which);
  }
  if (command.empty()) {
    fmt::print(stderr, "{}", kUsage);
    return kExitUsage;
  }
  fmt::print(stderr, "rafiki: unknown command \"{}\"\n\n{}", command, kUsage);
  return kExitUsage;
}
