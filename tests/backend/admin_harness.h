// A backend for Admin API tests: a fresh migrated database, the key-value store (in memory, or
// the test Redis), every domain installed, and the Admin schema with its resolvers. gql() runs
// one GraphQL request as a given tenant (the operator by default) and returns the response JSON
// ({"data": ..., "errors": [...]}); wait() runs any coroutine on the harness's io_context.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "backend/admin/api.h"
#include "backend/config.h"
#include "backend/core/admin.h"
#include "backend/core/backend.h"
#include "backend/core/domains.h"
#include "graphql/http.h"
#include "service/migrations.h"
#include "store/kv.h"
#include "store/pg.h"
#include "store/redis.h"
#include "backend/tenant/service.h"
#include "support/test_env.h"

namespace rafiki::backend::test {

namespace asio = boost::asio;
namespace json = boost::json;

inline constexpr const char* kOperatorTenantId = "cf5fd7d3-1eb1-4041-8e43-ba45747e9e5d";
inline constexpr const char* kOperatorSecret = "iyIgCprjb9uL8wFckR+pLEkJWMB7FJhgkvqhTQR/964=";

// The backend configuration of the tests; `overrides` replace or add variables.
inline Config test_config(const std::string& database_url,
                          const std::map<std::string, std::string>& overrides = {}) {
  std::map<std::string, std::string> env = {
      {"DATABASE_URL", database_url},
      {"OPEN_PAYMENTS_URL", "https://op.example"},
      {"ILP_ADDRESS", "test.rafiki"},
      {"ILP_CONNECTOR_URL", "http://127.0.0.1:3002"},
      {"INSTANCE_NAME", "Test Rafiki"},
      {"STREAM_SECRET", "BjPXtnd00G2mRQwP/8ZpwyZASOch5sUXT5o0iR5b5wg="},
      {"AUTH_SERVER_GRANT_URL", "http://127.0.0.1:3006"},
      {"AUTH_SERVER_INTROSPECTION_URL", "http://127.0.0.1:3007"},
      {"AUTH_SERVICE_API_URL", "http://127.0.0.1:3011"},
      {"WEBHOOK_URL", "http://127.0.0.1:9/webhooks"},
      {"ADMIN_API_SECRET", kOperatorSecret},
      {"KEY_ID", "rafiki"},
      {"OPERATOR_TENANT_ID", kOperatorTenantId},
  };
  for (const auto& [k, v] : overrides) env[k] = v;
  config::EnvReader reader([env](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
  Config config = load_config(reader, false);
  if (!reader.ok()) throw std::runtime_error(reader.error_summary());
  return config;
}

class AdminHarness {
 public:
  struct Options {
    bool redis = false;  // the test Redis instead of the in-memory store
    std::map<std::string, std::string> env;
  };

  AdminHarness() : AdminHarness(Options{}) {}
  explicit AdminHarness(Options options) {
    store::PgConfig pg_config;
    pg_config.url = db_.url();
    pg_config.max_connections = 8;
    auto pool = store::PgPool::create(io_.get_executor(), pg_config);
    if (!pool) throw std::runtime_error(pool.error().message);
    auto migrated = wait(service::migrate(*pool, service::Database::kBackend));
    if (!migrated) throw std::runtime_error("migrate: " + migrated.error().message);
    auto kv = store::make_key_value(io_.get_executor(),
                                    options.redis ? testing::redis_url() : std::string());
    if (!kv) throw std::runtime_error(kv.error().message);
    backend_ = std::make_unique<Backend>(test_config(db_.url(), options.env), io_.get_executor(),
                                         *pool, *kv);
    auto schema = load_admin_schema();
    if (!schema) throw std::runtime_error(schema.error().message);
    schema_ = *schema;
    install_domains(*backend_, Mount{}, schema_.get());
    auto operator_ok = wait(bootstrap());
    if (!operator_ok) throw std::runtime_error(operator_ok.error().message);
    operator_.tenant_id = *Uuid::parse(kOperatorTenantId);
    operator_.is_operator = true;
  }

  Backend& backend() { return *backend_; }
  const testing::TestDatabase& db() const { return db_; }
  asio::io_context& io() { return io_; }
  std::shared_ptr<graphql::Schema> schema() { return schema_; }
  const AdminContext& operator_context() const { return operator_; }

  // Runs a coroutine to completion on the harness's io_context.
  template <class T>
  T wait(asio::awaitable<T> work) {
    auto future = asio::co_spawn(io_, std::move(work), asio::use_future);
    while (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      io_.restart();
      io_.run_one();
    }
    return future.get();
  }

  asio::awaitable<json::object> gql_async(std::string query, json::object variables,
                                          AdminContext context) {
    if (!context.memo) context.memo = std::make_shared<AdminRequestMemo>();  // per request
    std::any any_context = context;
    graphql::Request request;
    request.query = std::move(query);
    request.variables = std::move(variables);
    request.context = &any_context;
    auto outcome = co_await graphql::run(*schema_, request);
    co_return graphql::to_json(outcome.result);
  }

  json::object gql(std::string query, json::object variables = {},
                   std::optional<AdminContext> as = std::nullopt) {
    return wait(gql_async(std::move(query), std::move(variables), as.value_or(operator_)));
  }

 private:
  asio::awaitable<Result<void>> bootstrap() { return backend_->tenants->bootstrap_operator(); }

  testing::TestDatabase db_;
  asio::io_context io_;
  std::unique_ptr<Backend> backend_;
  std::shared_ptr<graphql::Schema> schema_;
  AdminContext operator_;
};

// data.<field> of a response, failing the test when the response has errors.
inline json::value data_of(const json::object& response, std::string_view field) {
  if (response.contains("errors")) {
    ADD_FAILURE() << "unexpected errors: " << json::serialize(response.at("errors"));
    return nullptr;
  }
  const json::value* data = response.if_contains("data");
  if (!data || !data->is_object() || !data->as_object().contains(field)) {
    ADD_FAILURE() << "no data." << field << " in " << json::serialize(response);
    return nullptr;
  }
  return data->as_object().at(field);
}

// The first error's extensions.code ("" when there is no error).
inline std::string error_code(const json::object& response) {
  const json::value* errors = response.if_contains("errors");
  if (!errors || !errors->is_array() || errors->as_array().empty()) return "";
  const json::value* ext = errors->as_array()[0].as_object().if_contains("extensions");
  if (!ext) return "";
  const json::value* code = ext->as_object().if_contains("code");
  return code && code->is_string() ? std::string(code->as_string()) : "";
}

inline std::string error_message(const json::object& response) {
  const json::value* errors = response.if_contains("errors");
  if (!errors || !errors->is_array() || errors->as_array().empty()) return "";
  return std::string(errors->as_array()[0].as_object().at("message").as_string());
}

}  // namespace rafiki::backend::test
