// Execution of a validated document against a Schema (spec §6): operation selection, variable
// coercion with defaults, field collection with fragments and @skip/@include, argument coercion,
// resolvers as coroutines, list/non-null completion with null propagation, abstract type
// resolution, __typename, and introspection (__schema, __type). Mutations' root fields run one
// after the other. Errors carry message, locations, path and extensions.code.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <any>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "graphql/ast.h"
#include "graphql/error.h"
#include "graphql/schema.h"

namespace rafiki::graphql {

struct PathNode;

// What a resolver sees. References are valid for the duration of the resolver call.
struct ResolveInfo {
  const boost::json::value& parent;      // the parent object's value
  const boost::json::object& arguments;  // coerced, defaults applied
  std::any* context;                     // the request's context (may be null)
  const Schema& schema;
  const Type& parent_type;
  const Field& field;
  const Selection& selection;  // the first field node of this response key
  const PathNode* path_node;
  // The request's arena: JSON built with it (json::object o(info.storage)) costs a pointer bump
  // and is freed when execution ends. Values built with it must not outlive the request.
  const boost::json::storage_ptr& storage;

  template <class T>
  T* context_as() const {
    return context ? std::any_cast<T>(context) : nullptr;
  }
  // The argument's value; nullptr when absent (null is a value).
  const boost::json::value* argument(std::string_view name) const;
  // Typed access; nullopt when absent, null, or of another JSON type.
  std::optional<std::string_view> string_argument(std::string_view name) const;
  std::optional<std::int64_t> int_argument(std::string_view name) const;
  std::optional<double> float_argument(std::string_view name) const;
  std::optional<bool> bool_argument(std::string_view name) const;
  const boost::json::object* object_argument(std::string_view name) const;
  std::vector<PathSegment> path() const;
};

inline constexpr std::size_t kListItemsMax = 10'000;  // per list field in a response

struct ExecutionRequest {
  const Document* document = nullptr;
  std::string operation_name;     // empty: the only operation
  boost::json::object variables;  // raw JSON variables
  std::any* context = nullptr;
  std::size_t list_items_max = kListItemsMax;
};

struct ExecutionResult {
  // The response's "data" as JSON text (written while executing); absent when execution did not
  // start. to_json gives it as a JSON value.
  std::optional<std::string> data;
  std::vector<GraphqlError> errors;
};

// Executes the operation. The document must have passed validate(); an unknown operation name,
// a missing or ill-typed variable, or an unsupported operation type fails with errors and no data.
boost::asio::awaitable<ExecutionResult> execute(const Schema& schema,
                                                const ExecutionRequest& request);

// {"errors": [...], "data": ...} as the spec's response format orders it.
boost::json::object to_json(const ExecutionResult& result);
// The response as JSON text.
std::string to_json_text(const ExecutionResult& result);
boost::json::object to_json(const GraphqlError& error);

}  // namespace rafiki::graphql
