#include "graphql/parser.h"

#include <gtest/gtest.h>

using namespace rafiki::graphql;

namespace {

GraphqlError syntax_error(std::string_view source, const ParseLimits& limits = {}) {
  auto doc = parse(source, limits);
  EXPECT_FALSE(doc.has_value()) << source;
  if (doc) return {};
  EXPECT_EQ(doc.error().code, kCodeParseFailed);
  return doc.error();
}

void expect_error(std::string_view source, std::string_view message, std::uint32_t line,
                  std::uint32_t column) {
  GraphqlError e = syntax_error(source);
  EXPECT_EQ(e.message, message) << source;
  ASSERT_EQ(e.locations.size(), 1u);
  EXPECT_EQ(e.locations[0], (SourceLocation{line, column})) << source;
}

}  // namespace

TEST(Parser, ParsesQueryWithAliasesArgumentsFragmentsAndDirectives) {
  auto doc = parse(R"(
    query Q($id: ID!, $n: [Int!] = [1, 2] @dir) @op {
      a: node(id: $id, filter: {x: "s", y: [true, null, RED], z: -1.5e3}) {
        ... on User @include(if: true) { name }
        ...F
      }
      __typename
    }
    fragment F on Node { id }
  )");
  ASSERT_TRUE(doc) << doc.error().message;
  ASSERT_EQ(doc->operations.size(), 1u);
  const auto& op = doc->operations[0];
  EXPECT_EQ(op.name, "Q");
  EXPECT_EQ(op.operation, OperationType::kQuery);
  ASSERT_EQ(op.variables.size(), 2u);
  EXPECT_EQ(print_type(op.variables[0].type), "ID!");
  EXPECT_EQ(print_type(op.variables[1].type), "[Int!]");
  ASSERT_TRUE(op.variables[1].default_value);
  EXPECT_EQ(print_value(*op.variables[1].default_value), "[1, 2]");
  EXPECT_EQ(op.variables[1].directives.size(), 1u);
  EXPECT_EQ(op.directives[0].name, "op");
  ASSERT_EQ(op.selections.size(), 2u);
  const auto& field = op.selections[0];
  EXPECT_EQ(field.alias, "a");
  EXPECT_EQ(field.name, "node");
  EXPECT_EQ(field.response_key(), "a");
  ASSERT_EQ(field.arguments.size(), 2u);
  EXPECT_EQ(print_value(field.arguments[1].value), "{x: \"s\", y: [true, null, RED], z: -1.5e3}");
  EXPECT_EQ(field.arguments[1].value.items[2].kind, ValueKind::kFloat);
  ASSERT_EQ(field.selections.size(), 2u);
  EXPECT_EQ(field.selections[0].kind, Selection::Kind::kInlineFragment);
  EXPECT_EQ(field.selections[0].type_condition, "User");
  EXPECT_EQ(field.selections[1].kind, Selection::Kind::kFragmentSpread);
  EXPECT_EQ(field.selections[1].name, "F");
  EXPECT_EQ(field.loc, (SourceLocation{3, 7}));
  ASSERT_EQ(doc->fragments.size(), 1u);
  EXPECT_EQ(doc->fragments[0].type_condition, "Node");
  ASSERT_EQ(doc->order.size(), 2u);
}

TEST(Parser, ParsesAnonymousShorthandAndMutation) {
  auto doc = parse("{ a } mutation M { b(x: 1) }");
  ASSERT_TRUE(doc);
  ASSERT_EQ(doc->operations.size(), 2u);
  EXPECT_EQ(doc->operations[0].name, "");
  EXPECT_EQ(doc->operations[1].operation, OperationType::kMutation);
  EXPECT_EQ(doc->operations[1].selections[0].arguments[0].value.kind, ValueKind::kInt);
}

TEST(Parser, DecodesStringEscapesAndUnicode) {
  auto doc = parse(R"({ f(a: "q\"b\\s\/\b\f\n\r\t", b: "\u00e9\u{1F600}\uD83D\uDE00", c: "é") })");
  ASSERT_TRUE(doc) << doc.error().message;
  const auto& args = doc->operations[0].selections[0].arguments;
  EXPECT_EQ(args[0].value.text, "q\"b\\s/\b\f\n\r\t");
  EXPECT_EQ(args[1].value.text, "\xC3\xA9\xF0\x9F\x98\x80\xF0\x9F\x98\x80");
  EXPECT_EQ(args[2].value.text, "\xC3\xA9");
}

TEST(Parser, DedentsBlockStrings) {
  auto doc = parse(
      "{ f(a: \"\"\"\n    Hello,\n      World!\n\n    Yours,\n      \\\"\"\" GraphQL.\n  \"\"\") "
      "}");
  ASSERT_TRUE(doc) << doc.error().message;
  EXPECT_EQ(doc->operations[0].selections[0].arguments[0].value.text,
            "Hello,\n  World!\n\nYours,\n  \"\"\" GraphQL.");
  EXPECT_EQ(block_string_value("  x\r\n   y\r  z"), "  x\n y\nz");
}

TEST(Parser, ParsesTypeSystemDefinitionsAndExtensions) {
  auto doc = parse(R"(
    """The root"""
    schema @d { query: Query mutation: Mutation }
    "A scalar" scalar UInt8 @specifiedBy(url: "x")
    interface Node implements A & B { id: ID! }
    type Query implements & Node @key { node("the id" id: ID! = "1" @deprecated): Node @deprecated(reason: "no") }
    union U @u = | A | B
    enum Color { RED "green" GREEN @deprecated BLUE }
    input In { a: Int = 3, b: [In!]! }
    directive @key(fields: String) repeatable on OBJECT | FIELD_DEFINITION
    extend type Query { more: Int }
    extend schema @x
    extend scalar UInt8 @y
    extend union U = C
    extend enum Color { PINK }
    extend input In { c: Int }
    extend interface Node @z
  )");
  ASSERT_TRUE(doc) << doc.error().message;
  ASSERT_EQ(doc->schemas.size(), 2u);
  EXPECT_EQ(doc->schemas[0].description, "The root");
  EXPECT_EQ(doc->schemas[0].operation_types.size(), 2u);
  EXPECT_TRUE(doc->schemas[1].extension);
  ASSERT_EQ(doc->types.size(), 12u);
  EXPECT_EQ(doc->types[0].kind, TypeKind::kScalar);
  EXPECT_EQ(doc->types[0].description, "A scalar");
  EXPECT_EQ(doc->types[1].interfaces.size(), 2u);
  EXPECT_EQ(doc->types[2].fields[0].arguments[0].description, "the id");
  EXPECT_EQ(print_value(*doc->types[2].fields[0].arguments[0].default_value), "\"1\"");
  EXPECT_EQ(doc->types[3].members.size(), 2u);
  EXPECT_EQ(doc->types[4].values.size(), 3u);
  EXPECT_EQ(doc->types[4].values[1].description, "green");
  EXPECT_EQ(doc->types[5].input_fields.size(), 2u);
  EXPECT_TRUE(doc->directives[0].repeatable);
  EXPECT_EQ(doc->directives[0].locations.size(), 2u);
  EXPECT_TRUE(doc->types[6].extension);
  EXPECT_EQ(doc->types[6].kind, TypeKind::kObject);
}

TEST(Parser, ReportsSyntaxErrorsAsGraphqlJsDoes) {
  expect_error("", "Syntax Error: Unexpected <EOF>.", 1, 1);
  expect_error("{", "Syntax Error: Expected Name, found <EOF>.", 1, 2);
  expect_error("{ a(b: ) }", "Syntax Error: Unexpected \")\".", 1, 8);
  expect_error("query {\n  a(\n}", "Syntax Error: Expected Name, found \"}\".", 3, 1);
  expect_error("{ ...on }", "Syntax Error: Expected Name, found \"}\".", 1, 9);
  expect_error("fragment on on T { a }", "Syntax Error: Unexpected Name \"on\".", 1, 10);
  expect_error("notanoperation { a }", "Syntax Error: Unexpected Name \"notanoperation\".", 1, 1);
  expect_error("{ a(x: \"abc) }", "Syntax Error: Unterminated string.", 1, 15);
  expect_error("{ a(x: \"a\\xb\") }", "Syntax Error: Invalid character escape sequence: \"\\x\".",
               1, 10);
  expect_error("{ a(x: \"\\u12G4\") }",
               "Syntax Error: Invalid Unicode escape sequence: \"\\u12G4\".", 1, 9);
  expect_error("{ a(x: \"\\uD800\") }",
               "Syntax Error: Invalid Unicode escape sequence: \"\\uD800\".", 1, 9);
  expect_error("{ a(x: \"\"\"abc) }", "Syntax Error: Unterminated string.", 1, 17);
  expect_error("{ a(x: 01) }", "Syntax Error: Invalid number, unexpected digit after 0: \"1\".", 1,
               9);
  expect_error("{ a(x: 1.) }", "Syntax Error: Invalid number, expected digit but got: \")\".", 1,
               10);
  expect_error("{ a(x: 1.5e) }", "Syntax Error: Invalid number, expected digit but got: \")\".", 1,
               12);
  expect_error("{ a(x: 12abc) }", "Syntax Error: Invalid number, expected digit but got: \"a\".", 1,
               10);
  expect_error("{ a(x: -) }", "Syntax Error: Invalid number, expected digit but got: \")\".", 1, 9);
  expect_error("{ a % }", "Syntax Error: Unexpected character: \"%\".", 1, 5);
  expect_error("{ a(x: 'b') }",
               "Syntax Error: Unexpected single quote character ('), did you mean to use a double "
               "quote (\")?",
               1, 8);
  expect_error("{ a }\n\n  ..", "Syntax Error: Unexpected character: \".\".", 3, 3);
  expect_error("query Q($a: Int = $b) { a }",
               "Syntax Error: Unexpected variable \"$b\" in constant value.", 1, 19);
  expect_error(
      "\"desc\" query { a }",
      "Syntax Error: Unexpected description, descriptions are supported only on type definitions.",
      1, 1);
  expect_error("enum E { true }",
               "Syntax Error: Name \"true\" is reserved and cannot be used for an enum value.", 1,
               10);
  expect_error("directive @d on NOWHERE", "Syntax Error: Unexpected Name \"NOWHERE\".", 1, 17);
  expect_error("extend type T", "Syntax Error: Unexpected <EOF>.", 1, 14);
  expect_error("query ()", "Syntax Error: Expected \"$\", found \")\".", 1, 8);
  expect_error("{ f(a: \"\u00e9\") % }", "Syntax Error: Unexpected character: \"%\".", 1, 13);
}

TEST(Parser, ReportsTheFirstErrorInDocumentOrder) {
  // The parser fails at "}" before the lexer's error further on is reached.
  expect_error("{ a(x: ) } 'bad", "Syntax Error: Unexpected \")\".", 1, 8);
}

TEST(Parser, EnforcesDepthTokenAndSizeLimits) {
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "{a";
  GraphqlError e = syntax_error(deep);
  EXPECT_NE(e.message.find("nesting exceeds"), std::string::npos) << e.message;
  std::string deep_list = "{ a(x: " + std::string(100000, '[') + ") }";
  e = syntax_error(deep_list);
  EXPECT_NE(e.message.find("nesting exceeds"), std::string::npos) << e.message;

  ParseLimits small;
  small.tokens_max = 5;
  e = syntax_error("{ a b c d e f }", small);
  EXPECT_EQ(e.message, "Syntax Error: Document contains more than 5 tokens. Parsing aborted.");
  EXPECT_TRUE(parse("{ a b c }", small));

  small.bytes_max = 8;
  e = syntax_error("{ aaaaaaaaa }", small);
  EXPECT_NE(e.message.find("larger than 8 bytes"), std::string::npos);
}

TEST(Parser, RejectsInvalidUtf8AndControlCharacters) {
  expect_error("{ a(x: \"\x01\") }", "Syntax Error: Invalid character within String: U+0001.", 1,
               9);
  expect_error("{ a \x07 }", "Syntax Error: Unexpected character: U+0007.", 1, 5);
  GraphqlError e = syntax_error("{ a(x: \"\xff\") }");
  EXPECT_NE(e.message.find("Invalid character within String"), std::string::npos) << e.message;
}
