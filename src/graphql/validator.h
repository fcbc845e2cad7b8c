// Validation of an executable document against a schema: every rule of the spec's Validation
// section (§5: operations, fields, arguments, fragments incl. cycles and possible spreads,
// values, directives, variables incl. usage in allowed positions, overlapping fields can be
// merged), with graphql-js's messages and locations, plus this server's bounds on depth and
// size. A document that fails validation must not be executed.
#pragma once

#include <cstddef>
#include <vector>

#include "graphql/ast.h"
#include "graphql/error.h"
#include "graphql/schema.h"

namespace rafiki::graphql {

// Request bounds, checked after the spec's rules pass.
inline constexpr std::size_t kQueryDepthMax = 15;         // nested field levels, fragments expanded
inline constexpr std::size_t kQueryFieldsMax = 2'000;     // field selections, fragments expanded
inline constexpr std::size_t kQueryAliasesMax = 200;      // aliased fields in the document
inline constexpr std::size_t kValidationErrorsMax = 100;  // then "Too many validation errors"

struct ValidationLimits {
  std::size_t depth_max = kQueryDepthMax;
  std::size_t fields_max = kQueryFieldsMax;
  std::size_t aliases_max = kQueryAliasesMax;
};

// Every error found (code GRAPHQL_VALIDATION_FAILED), in document order; empty when valid.
std::vector<GraphqlError> validate(const Schema& schema, const Document& document,
                                   const ValidationLimits& limits = {});

}  // namespace rafiki::graphql
