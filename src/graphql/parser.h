// The GraphQL parser: source text → Document (spec §2 executable documents and §3 type-system
// definitions and extensions). Syntax errors carry graphql-js's message ("Syntax Error: Expected
// Name, found <EOF>.") and the line and column of the offending token. Every input is bounded
// (bytes, tokens, nesting depth), so a hostile document can neither exhaust memory nor the stack.
#pragma once

#include <cstddef>
#include <expected>
#include <string_view>

#include "graphql/ast.h"
#include "graphql/error.h"

namespace rafiki::graphql {

// Defaults sized for schema files; the HTTP handler passes tighter request limits.
inline constexpr std::size_t kDocumentBytesMax = 4 * 1024 * 1024;
inline constexpr std::size_t kDocumentTokensMax = 500'000;
// Nesting of selection sets, list/object values and type wrappers together.
inline constexpr std::size_t kDocumentDepthMax = 200;

struct ParseLimits {
  std::size_t bytes_max = kDocumentBytesMax;
  std::size_t tokens_max = kDocumentTokensMax;
  std::size_t depth_max = kDocumentDepthMax;
};

// Fails with one error (code GRAPHQL_PARSE_FAILED, one location) when the text is not a
// syntactically valid document, is empty, or exceeds a limit.
std::expected<Document, GraphqlError> parse(std::string_view source,
                                            const ParseLimits& limits = {});

// Block-string dedent of the spec (§2.9.4 BlockStringValue) of the raw text between the quotes,
// with \""" already unescaped.
std::string block_string_value(std::string_view raw);

}  // namespace rafiki::graphql
