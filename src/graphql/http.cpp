#include "graphql/http.h"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace rafiki::graphql {

namespace json = boost::json;
using boost::asio::awaitable;

namespace {

constexpr std::string_view kGraphqlResponseType = "application/graphql-response+json";

net::Response answer(int status, bool graphql_response_type, std::string body) {
  net::Response r = net::Response::json(status, std::move(body));
  if (graphql_response_type)
    r.headers.set("Content-Type", "application/graphql-response+json; charset=utf-8");
  return r;
}

net::Response request_error(int status, bool graphql_response_type, std::string message) {
  ExecutionResult result;
  GraphqlError e;
  e.message = std::move(message);
  e.code = kCodeBadUserInput;
  result.errors.push_back(std::move(e));
  return answer(status, graphql_response_type, to_json_text(result));
}

bool accepts_graphql_response(const net::Request& request) {
  auto accept = request.headers.get("Accept");
  return accept && accept->find(kGraphqlResponseType) != std::string_view::npos;
}

std::optional<json::value> parse_json(std::string_view text) {
  json::parse_options options;
  options.max_depth = kRequestJsonDepthMax;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec, {}, options);
  if (ec) return std::nullopt;
  return v;
}

// Fills `out` from the decoded fields; returns an error message for a malformed request.
std::optional<std::string> read_fields(const json::object& body, Request& out) {
  auto query = body.find("query");
  if (query == body.end() || !query->value().is_string()) {
    return std::string("The request must contain a \"query\" string.");
  }
  out.query = std::string(query->value().get_string());
  if (auto op = body.find("operationName"); op != body.end() && !op->value().is_null()) {
    if (!op->value().is_string()) return std::string("\"operationName\" must be a string.");
    out.operation_name = std::string(op->value().get_string());
  }
  if (auto vars = body.find("variables"); vars != body.end() && !vars->value().is_null()) {
    if (!vars->value().is_object()) return std::string("\"variables\" must be an object.");
    out.variables = vars->value().get_object();
  }
  return std::nullopt;
}

}  // namespace

awaitable<Outcome> run(const Schema& schema, const Request& request, const RequestLimits& limits) {
  Outcome outcome;
  auto doc = parse(request.query, limits.parse);
  if (!doc) {
    outcome.rejected = true;
    outcome.result.errors.push_back(std::move(doc.error()));
    co_return outcome;
  }
  auto errors = validate(schema, *doc, limits.validation);
  if (!errors.empty()) {
    outcome.rejected = true;
    outcome.result.errors = std::move(errors);
    co_return outcome;
  }
  ExecutionRequest exec;
  exec.document = &*doc;
  exec.operation_name = request.operation_name;
  exec.variables = request.variables;
  exec.context = request.context;
  exec.list_items_max = limits.list_items_max;
  outcome.result = co_await execute(schema, exec);
  // An operation that could not start (unknown operation name, bad variables) is a request error.
  outcome.rejected = !outcome.result.data.has_value();
  co_return outcome;
}

net::Handler http_handler(std::shared_ptr<const Schema> schema, HttpOptions options) {
  auto shared_options = std::make_shared<HttpOptions>(std::move(options));
  return [schema, shared_options](net::Request& http) -> awaitable<net::Response> {
    const HttpOptions& opts = *shared_options;
    bool graphql_type = accepts_graphql_response(http);
    Request request;
    bool is_get = http.method == net::Method::kGet || http.method == net::Method::kHead;
    if (is_get) {
      auto query = http.query_param("query");
      if (!query)
        co_return request_error(400, graphql_type, "The request must contain a \"query\" string.");
      request.query = std::move(*query);
      if (auto op = http.query_param("operationName")) request.operation_name = std::move(*op);
      if (auto vars = http.query_param("variables"); vars && !vars->empty()) {
        auto v = parse_json(*vars);
        if (!v || !(v->is_object() || v->is_null())) {
          co_return request_error(400, graphql_type, "\"variables\" must be a JSON object.");
        }
        if (v->is_object()) request.variables = std::move(v->get_object());
      }
    } else if (http.method == net::Method::kPost) {
      auto type = http.headers.get("Content-Type");
      if (!type || type->find("application/json") == std::string_view::npos) {
        co_return request_error(415, graphql_type, "The request body must be application/json.");
      }
      auto body = parse_json(http.body);
      if (!body) co_return request_error(400, graphql_type, "The request body is not valid JSON.");
      if (!body->is_object())
        co_return request_error(400, graphql_type, "The request body must be a JSON object.");
      if (auto message = read_fields(body->get_object(), request)) {
        co_return request_error(400, graphql_type, *message);
      }
    } else {
      net::Response r = request_error(405, graphql_type, "GraphQL requests must use GET or POST.");
      r.headers.set("Allow", "GET, POST");
      co_return r;
    }
    if (request.query.size() > opts.limits.parse.bytes_max) {
      co_return request_error(
          413, graphql_type,
          fmt::format("The query is larger than {} bytes.", opts.limits.parse.bytes_max));
    }
    if (is_get) {
      // Only queries may be sent with GET (they must not change state).
      auto doc = parse(request.query, opts.limits.parse);
      if (doc) {
        const OperationDefinition* op = nullptr;
        for (const auto& o : doc->operations) {
          if (request.operation_name.empty() ? doc->operations.size() == 1
                                             : o.name == request.operation_name)
            op = &o;
        }
        if (op && op->operation != OperationType::kQuery) {
          net::Response r =
              request_error(405, graphql_type, "Only query operations are allowed with GET.");
          r.headers.set("Allow", "POST");
          co_return r;
        }
      }
    }
    std::any context;
    if (opts.make_context) context = opts.make_context(http);
    request.context = &context;
    Outcome outcome = co_await run(*schema, request, opts.limits);
    int status = graphql_type && outcome.rejected ? 400 : 200;
    co_return answer(status, graphql_type, to_json_text(outcome.result));
  };
}

}  // namespace rafiki::graphql
