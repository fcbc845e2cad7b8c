// Input and output value coercion (spec §3.5 scalars, §3.9 enums, §3.10 input objects, §6.4.3
// leaf serialisation): literals and variable JSON become the internal JSON form resolvers see
// (Int → int64, Float → double, ID → string, enum → its name, input object → object with
// defaults applied), and resolver results are serialised to the response form.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <expected>
#include <string>
#include <vector>

#include "graphql/ast.h"
#include "graphql/error.h"
#include "graphql/schema.h"

namespace rafiki::graphql {

// A literal coerced to `type` (graphql-js valueFromAST). Variables are looked up in `variables`
// (already coerced); a variable that is absent makes an optional position "undefined", reported
// as `undefined = true` with no error. Fails with a message when the literal does not fit.
struct LiteralResult {
  boost::json::value value;
  bool undefined = false;
};
std::expected<LiteralResult, std::string> coerce_literal(const Value& literal, const Type* type,
                                                         const boost::json::object* variables);

// A variable's JSON value coerced to `type` (graphql-js coerceInputValue). Each failure is a
// message with the path inside the value ("" at the top, ".a[2]" deeper).
struct InputError {
  std::string path;
  std::string message;
  boost::json::value value;  // the offending part of the input
};
std::expected<boost::json::value, std::vector<InputError>> coerce_input(
    const boost::json::value& input, const Type* type);

// A leaf value returned by a resolver, serialised for the response; fails with graphql-js's
// message ("Int cannot represent non-integer value: 1.5").
std::expected<boost::json::value, std::string> serialize_leaf(const Type* type,
                                                              const boost::json::value& value);

// The default value of an argument or input field as introspection prints it (graphql-js
// print(astFromValue(value, type))); empty when there is none or it cannot be printed.
std::string print_default_value(const InputValue& input);

// JSON text of a value the way graphql-js's inspect() shows it in messages.
std::string inspect(const boost::json::value& value);

}  // namespace rafiki::graphql
