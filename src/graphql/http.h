// GraphQL over HTTP (the GraphQL-over-HTTP convention): POST with a JSON body {query,
// variables, operationName} and GET with the same as query parameters (queries only). The
// answer is application/graphql-response+json when the client accepts it (then parse and
// validation failures are HTTP 400), else application/json with 200 for every well-formed
// request. A malformed request (bad JSON, no query, a mutation over GET) is a 4xx with a GraphQL
// error body. Requests are bounded by the named limits below; no resolver runs for a document
// that fails parsing, validation or a limit.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <any>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "graphql/executor.h"
#include "graphql/parser.h"
#include "graphql/schema.h"
#include "graphql/validator.h"
#include "net/router.h"

namespace rafiki::graphql {

inline constexpr std::size_t kRequestDocumentBytesMax = 64 * 1024;
inline constexpr std::size_t kRequestTokensMax = 15'000;
inline constexpr std::size_t kRequestNestingMax = 64;    // selection sets, values and types
inline constexpr std::size_t kRequestJsonDepthMax = 32;  // the request body and its variables

struct RequestLimits {
  ParseLimits parse{kRequestDocumentBytesMax, kRequestTokensMax, kRequestNestingMax};
  ValidationLimits validation;
  std::size_t list_items_max = kListItemsMax;
};

// One GraphQL request already decoded from its transport.
struct Request {
  std::string query;
  std::string operation_name;
  boost::json::object variables;
  std::any* context = nullptr;
};

// The request's result and whether it failed before execution (parse or validation), which the
// HTTP layer maps to 400 under application/graphql-response+json.
struct Outcome {
  ExecutionResult result;
  bool rejected = false;
};

// Parses, validates and executes. Never throws for bad input.
boost::asio::awaitable<Outcome> run(const Schema& schema, const Request& request,
                                    const RequestLimits& limits = {});

struct HttpOptions {
  RequestLimits limits;
  // Builds the per-request context resolvers see (ResolveInfo::context); may be empty.
  std::function<std::any(const net::Request&)> make_context;
};

// A handler serving the schema at whatever path it is routed on. The schema must outlive it.
net::Handler http_handler(std::shared_ptr<const Schema> schema, HttpOptions options = {});

}  // namespace rafiki::graphql
