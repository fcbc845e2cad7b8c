#include "graphql/schema.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace rafiki::graphql;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> schema_errors(std::string_view sdl) {
  auto schema = Schema::from_sdl(sdl);
  EXPECT_FALSE(schema.has_value()) << sdl;
  std::vector<std::string> out;
  if (!schema) {
    for (const auto& e : schema.error()) out.push_back(e.message);
  }
  return out;
}

bool contains(const std::vector<std::string>& errors, std::string_view message) {
  for (const auto& e : errors) {
    if (e == message) return true;
  }
  ADD_FAILURE() << "missing error: " << message << "\n got " << errors.size() << " errors"
                << (errors.empty() ? "" : ", first: " + errors[0]);
  return false;
}

constexpr std::string_view kSdl = R"(
  "The root"
  type Query {
    node(id: ID!): Node
    search(text: String = "x", limit: Int = 10 @deprecated(reason: "use first")): [SearchResult!]!
    color: Color
  }
  type Mutation { bump(input: BumpInput!): Int }
  interface Node { id: ID! }
  interface Named implements Node { id: ID! name: String }
  type User implements Node & Named { id: ID! name: String friends(first: Int): [User] }
  type Photo implements Node { id: ID! url: String @deprecated }
  union SearchResult = User | Photo
  enum Color { RED GREEN @deprecated(reason: "gone") BLUE }
  input BumpInput { by: Int! = 1, next: BumpInput, tags: [String!] }
  scalar UInt64
  directive @cached(ttl: Int) repeatable on FIELD_DEFINITION | FIELD
  extend type Query { extra: UInt64 @cached @cached(ttl: 2) }
  extend enum Color { PINK }
)";

}  // namespace

TEST(Schema, BuildsEveryTypeKindFromSdl) {
  auto schema = Schema::from_sdl(kSdl);
  ASSERT_TRUE(schema) << schema.error()[0].message;
  const Schema& s = **schema;
  ASSERT_TRUE(s.query_type());
  EXPECT_EQ(s.query_type()->name, "Query");
  EXPECT_EQ(s.query_type()->description, "The root");
  EXPECT_EQ(s.mutation_type()->name, "Mutation");
  EXPECT_EQ(s.subscription_type(), nullptr);
  EXPECT_EQ(s.query_type()->fields.size(), 4u);  // with the extension
  const Field* search = s.query_type()->field("search");
  ASSERT_TRUE(search);
  EXPECT_EQ(search->type->to_string(), "[SearchResult!]!");
  EXPECT_TRUE(search->argument("limit")->deprecated);
  EXPECT_EQ(search->argument("limit")->deprecation_reason, "use first");
  EXPECT_EQ(print_value(*search->argument("text")->default_value), "\"x\"");
  EXPECT_EQ(s.type("Photo")->field("url")->deprecation_reason, "No longer supported");
  EXPECT_EQ(s.type("Color")->values.size(), 4u);
  EXPECT_TRUE(s.type("Color")->enum_value("GREEN")->deprecated);
  const Type* node = s.type("Node");
  ASSERT_EQ(node->possible_types.size(), 2u);
  EXPECT_EQ(node->possible_types[0]->name, "User");
  EXPECT_TRUE(s.is_possible_type(s.type("SearchResult"), s.type("Photo")));
  EXPECT_FALSE(s.is_possible_type(s.type("Named"), s.type("Photo")));
  EXPECT_TRUE(s.overlap(s.type("Named"), s.type("SearchResult")));
  EXPECT_TRUE(s.is_subtype(s.type("User"), s.type("Node")));
  EXPECT_TRUE(s.is_subtype(s.type("Named"), s.type("Node")));
  EXPECT_FALSE(s.is_subtype(s.type("Node"), s.type("User")));
  EXPECT_EQ(s.type("BumpInput")->input_fields.size(), 3u);
  EXPECT_TRUE(s.directive("cached")->repeatable);
  EXPECT_TRUE(s.directive("skip"));
  EXPECT_TRUE(s.type("__Schema"));
  // graphql-js's type map order: user types, referenced built-ins, introspection types.
  std::vector<std::string> names;
  for (const Type* t : s.types()) names.push_back(t->name);
  ASSERT_GE(names.size(), 12u);
  EXPECT_EQ(names[0], "Query");
  EXPECT_NE(std::find(names.begin(), names.end(), "Int"), names.end());
  EXPECT_EQ(std::find(names.begin(), names.end(), "Float"), names.end());
  EXPECT_EQ(names.back(), "__DirectiveLocation");
  ASSERT_EQ(s.directives().size(), 5u);
  EXPECT_EQ(s.directives()[0]->name, "cached");
  EXPECT_EQ(s.directives()[1]->name, "include");
}

TEST(Schema, AttachesResolversOnlyToExistingFields) {
  auto schema = Schema::from_sdl(kSdl);
  ASSERT_TRUE(schema);
  Schema& s = **schema;
  Resolver r = [](const ResolveInfo&) -> boost::asio::awaitable<FieldResult> { co_return 1; };
  EXPECT_TRUE(s.set_resolver("Query.color", r));
  EXPECT_TRUE(s.query_type()->field("color")->resolver);
  EXPECT_FALSE(s.set_resolver("Query.nope", r));
  EXPECT_FALSE(s.set_resolver("Nope.color", r));
  EXPECT_FALSE(s.set_resolver("Color.RED", r));
  EXPECT_FALSE(s.set_resolver("nodot", r));
  EXPECT_TRUE(
      s.set_type_resolver("SearchResult", [](const boost::json::value&) { return "User"; }));
  EXPECT_FALSE(s.set_type_resolver("User", [](const boost::json::value&) { return "User"; }));
}

TEST(Schema, LoadsTheAdminSchemas) {
  // Our backend Admin schema (always present), and upstream's auth Admin schema when the reference
  // copy is beside the repository.
  const std::vector<std::string> paths = {
      std::string(RAFIKI_SOURCE_DIR) + "/src/backend/admin/schema.graphql",
      std::string(RAFIKI_SOURCE_DIR) + "/../shared/reference/specs/auth-admin.graphql"};
  for (const std::string& path : paths) {
    std::string sdl = read_file(path);
    const bool backend = path.find("backend/admin") != std::string::npos;
    if (sdl.empty()) {
      ASSERT_FALSE(backend) << "missing " << path;
      continue;
    }
    ScalarHooks none;
    std::map<std::string, ScalarHooks> hooks{{"UInt8", none}, {"UInt64", none}};
    if (backend) hooks.emplace("JSONObject", none);
    auto schema = Schema::from_sdl(sdl, hooks);
    ASSERT_TRUE(schema) << path << ": " << schema.error()[0].message;
    EXPECT_TRUE((*schema)->query_type());
    EXPECT_TRUE((*schema)->mutation_type());
    EXPECT_TRUE((*schema)->type("Model"));
    EXPECT_FALSE((*schema)->type("Model")->possible_types.empty());
  }
}

TEST(Schema, ReportsTypeSystemViolations) {
  EXPECT_TRUE(contains(schema_errors("type Query { a: Nope }"), "Unknown type \"Nope\"."));
  EXPECT_TRUE(contains(schema_errors("type Foo { a: Int }"), "Query root type must be provided."));
  EXPECT_TRUE(contains(schema_errors("type Query { a: Int } type Query { b: Int }"),
                       "There can be only one type named \"Query\"."));
  EXPECT_TRUE(contains(schema_errors("type Query { a: Int a: String }"),
                       "Field \"Query.a\" can only be defined once."));
  EXPECT_TRUE(contains(schema_errors("type Query { a: In } input In { x: Int }"),
                       "The type of Query.a must be Output Type but got: In."));
  EXPECT_TRUE(contains(schema_errors("type Query { a(x: Query): Int }"),
                       "The type of Query.a(x:) must be Input Type but got: Query."));
  EXPECT_TRUE(contains(
      schema_errors("type Query { __a: Int }"),
      "Name \"__a\" must not begin with \"__\", which is reserved by GraphQL introspection."));
  EXPECT_TRUE(contains(
      schema_errors("type Query { a: Int } interface I { id: ID! } type T implements I { x: Int }"),
      "Interface field I.id expected but T does not provide it."));
  EXPECT_TRUE(contains(
      schema_errors(
          "type Query { a: Int } interface I { id: ID! } type T implements I { id: String }"),
      "Interface field I.id expects type ID! but T.id is type String."));
  EXPECT_TRUE(contains(
      schema_errors(
          "type Query { a: Int } interface I { f(x: Int): Int } type T implements I { f: Int }"),
      "Interface field argument I.f(x:) expected but T.f does not provide it."));
  EXPECT_TRUE(contains(
      schema_errors(
          "type Query { a: Int } interface I { f: Int } type T implements I { f(y: Int!): Int }"),
      "Object field T.f includes required argument y that is missing from the Interface field "
      "I.f."));
  EXPECT_TRUE(contains(schema_errors("type Query { a: Int } interface A { x: Int } interface B "
                                     "implements A { x: Int } type T implements B { x: Int }"),
                       "Type T must implement A because it is implemented by B."));
  EXPECT_TRUE(contains(schema_errors("type Query { a: Int } type T implements Query { a: Int }"),
                       "Type T must only implement Interface types, it cannot implement Query."));
  EXPECT_TRUE(
      contains(schema_errors("type Query { a: U } interface I { x: Int } union U = Query | I"),
               "Union type U can only include Object types, it cannot include I."));
  EXPECT_TRUE(contains(schema_errors("type Query { a: U } union U = Query | Query"),
                       "Union type U can only include type Query once."));
  EXPECT_TRUE(contains(schema_errors("type Query { a(i: In): Int } input In { a: In! b: Int }"),
                       "Cannot reference Input Object \"In\" within itself through a series of "
                       "non-null fields: \"a\"."));
  EXPECT_TRUE(
      contains(schema_errors("type Query { a: Int @nope }"), "Unknown directive \"@nope\"."));
  EXPECT_TRUE(contains(schema_errors("type Query @deprecated { a: Int }"),
                       "Directive \"@deprecated\" may not be used on OBJECT."));
  EXPECT_TRUE(contains(schema_errors("type Query { a(x: Int! @deprecated): Int }"),
                       "Required argument Query.a(x:) cannot be deprecated."));
  EXPECT_TRUE(contains(schema_errors("type Query { a: Int } extend type Nope { b: Int }"),
                       "Cannot extend type \"Nope\" because it is not defined."));
  EXPECT_TRUE(contains(schema_errors("type Query { a: Int } query { a }"),
                       "An executable definition is not allowed in a schema document."));
  EXPECT_TRUE(
      contains(schema_errors("type Query { a: Int"), "Syntax Error: Expected Name, found <EOF>."));
  EXPECT_TRUE(
      contains(schema_errors("schema { query: Q } type Query { a: Int }"), "Unknown type \"Q\"."));
  auto hooks = std::map<std::string, ScalarHooks>{{"Int", ScalarHooks{}}};
  auto bad = Schema::from_sdl("type Query { a: Int }", hooks);
  ASSERT_FALSE(bad);
}
