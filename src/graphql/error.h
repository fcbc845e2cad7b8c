// A GraphQL error as the response format of the spec (§7.1.2) carries it: a message, the source
// locations it refers to, the response path of the field that failed and an `extensions.code`
// (graphql-js / Apollo codes such as GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED,
// BAD_USER_INPUT, or a domain's own code).
#pragma once

#include <string>
#include <vector>

#include "graphql/ast.h"

namespace rafiki::graphql {

// One step of a response path: a field's response key, or a list index when `key` is empty.
struct PathSegment {
  std::string key;
  int index = -1;
};

struct GraphqlError {
  std::string message;
  std::vector<SourceLocation> locations;
  std::vector<PathSegment> path;
  std::string code;  // extensions.code; empty for none
};

inline constexpr const char* kCodeParseFailed = "GRAPHQL_PARSE_FAILED";
inline constexpr const char* kCodeValidationFailed = "GRAPHQL_VALIDATION_FAILED";
inline constexpr const char* kCodeBadUserInput = "BAD_USER_INPUT";
inline constexpr const char* kCodeInternal = "INTERNAL_SERVER_ERROR";

}  // namespace rafiki::graphql
