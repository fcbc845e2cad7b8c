// `rafiki admin <query> [variables]`: sends one signed request to a backend's Admin API and
// prints the JSON answer — for operators' scripts and for seeding `make run`. The query is
// GraphQL text (or "-" to read it from standard input), the variables a JSON object. The
// request is signed as the tenant ADMIN_TENANT_ID with ADMIN_TENANT_SECRET, by default the
// operator (OPERATOR_TENANT_ID with ADMIN_API_SECRET), and goes to GRAPHQL_URL.
#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <future>
#include <iostream>
#include <iterator>
#include <string>

#include "backend/admin/signature.h"
#include "base/config.h"
#include "base/time.h"
#include "net/client.h"

namespace rafiki::cli {

namespace asio = boost::asio;
namespace json = boost::json;

constexpr std::uint32_t kAdminCommandTimeoutMs = 30'000;

int admin_command(std::string_view query_arg, std::string_view variables_arg) {
  config::EnvReader env(config::process_env());
  std::string url = env.string("GRAPHQL_URL", "http://localhost:3001/graphql");
  std::string tenant = env.optional_string("ADMIN_TENANT_ID").value_or(env.string("OPERATOR_TENANT_ID", ""));
  std::string secret = env.optional_string("ADMIN_TENANT_SECRET").value_or(env.string("ADMIN_API_SECRET", ""));
  auto version = static_cast<std::uint32_t>(env.integer("ADMIN_API_SIGNATURE_VERSION", 1, 1, 1'000'000));
  if (tenant.empty() || secret.empty()) {
    fmt::print(stderr, "rafiki admin: set OPERATOR_TENANT_ID and ADMIN_API_SECRET (or ADMIN_TENANT_ID and ADMIN_TENANT_SECRET)\n");
    return 2;
  }
  std::string query(query_arg);
  if (query == "-") query.assign(std::istreambuf_iterator<char>(std::cin), {});
  json::object body;
  body["query"] = query;
  if (!variables_arg.empty()) {
    boost::system::error_code ec;
    json::value vars = json::parse(variables_arg, ec);
    if (ec || !vars.is_object()) {
      fmt::print(stderr, "rafiki admin: variables must be a JSON object\n");
      return 2;
    }
    body["variables"] = vars;
  }
  const std::string text = json::serialize(body);
  auto signature = backend::admin::sign_request_body(secret, version, now_ms().time_since_epoch().count(), text);
  if (!signature) {
    fmt::print(stderr, "rafiki admin: {}\n", signature.error().message);
    return 2;
  }
  asio::io_context io;
  net::HttpClient client(io.get_executor());
  net::ClientRequest request;
  request.method = net::Method::kPost;
  request.url = url;
  request.headers.set("content-type", "application/json");
  request.headers.set("tenant-id", tenant);
  request.headers.set("signature", *signature);
  request.body = text;
  request.timeout_ms = kAdminCommandTimeoutMs;
  auto future = asio::co_spawn(io, client.request(std::move(request)), asio::use_future);
  // Run until the answer is in; the client's idle keep-alive connection must not hold us.
  while (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    if (io.run_one() == 0) break;
  }
  client.close_idle();
  auto response = future.get();
  if (!response) {
    fmt::print(stderr, "rafiki admin: {}: {}\n", url, response.error().message);
    return 1;
  }
  fmt::print("{}\n", response->body);
  if (response->status != 200) return 1;
  boost::system::error_code ec;
  json::value answer = json::parse(response->body, ec);
  if (ec || !answer.is_object() || answer.as_object().contains("errors")) return 1;
  return 0;
}

}  // namespace rafiki::cli
