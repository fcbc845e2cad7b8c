#include "graphql/executor.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "graphql/parser.h"

using namespace rafiki::graphql;
namespace json = boost::json;
using boost::asio::awaitable;

namespace {

constexpr std::string_view kSdl = R"(
  type Query {
    hero: Character
    heroes: [Character!]!
    search(text: String!): [SearchResult]
    user(id: ID!): User
    echo(i: Int, f: Float, s: String, b: Boolean, id: ID, c: Color, in: Filter, l: [Int!]): String
    failing: String
    failingNonNull: String!
    nested: Nested
    color: Color
    badInt: Int
    count(by: Int = 2): Int!
  }
  type Mutation { inc(by: Int!): Int! fail: Int! }
  interface Character { id: ID! name: String }
  type Human implements Character { id: ID! name: String height: Float }
  type Droid implements Character { id: ID! name: String primaryFunction: String }
  type User { id: ID! name: String friends: [User] }
  union SearchResult = Human | Droid
  enum Color { RED GREEN BLUE }
  input Filter { color: Color = RED, min: Int, tags: [String!] }
  type Nested { strict: Inner! loose: Inner list: [Inner!] }
  type Inner { value: String! }
)";

struct Context {
  int counter = 0;
};

std::shared_ptr<Schema> make_schema() {
  auto schema = Schema::from_sdl(kSdl);
  EXPECT_TRUE(schema);
  Schema& s = **schema;
  auto constant = [](std::string text) -> Resolver {
    return [text](const ResolveInfo&) -> awaitable<FieldResult> { co_return json::parse(text); };
  };
  EXPECT_TRUE(s.set_resolver(
      "Query.hero",
      constant(R"({"__typename":"Droid","id":"2","name":"R2","primaryFunction":"astro"})")));
  EXPECT_TRUE(s.set_resolver(
      "Query.heroes",
      constant(
          R"([{"__typename":"Human","id":"1","name":"Luke","height":1.72},{"__typename":"Droid","id":"2","name":"R2"}])")));
  EXPECT_TRUE(s.set_resolver(
      "Query.search",
      constant(
          R"([{"__typename":"Human","id":"1","name":"Luke"},null,{"__typename":"Droid","id":"2"}])")));
  EXPECT_TRUE(s.set_resolver("Query.user", [](const ResolveInfo& info) -> awaitable<FieldResult> {
    auto id = info.string_argument("id");
    if (!id || *id == "0") co_return std::unexpected(FieldError{"no such user", "NOT_FOUND"});
    json::object u;
    u["id"] = *id;
    u["name"] = "User " + std::string(*id);
    u["friends"] = json::parse(R"([{"id":"7","name":"Seven","friends":[]}])");
    co_return u;
  }));
  EXPECT_TRUE(s.set_resolver("Query.echo", [](const ResolveInfo& info) -> awaitable<FieldResult> {
    co_return json::serialize(info.arguments);
  }));
  EXPECT_TRUE(s.set_resolver("Query.failing", [](const ResolveInfo&) -> awaitable<FieldResult> {
    co_return std::unexpected(FieldError{"it failed", "INTERNAL"});
  }));
  EXPECT_TRUE(
      s.set_resolver("Query.failingNonNull",
                     [](const ResolveInfo&) -> awaitable<FieldResult> { co_return nullptr; }));
  EXPECT_TRUE(s.set_resolver(
      "Query.nested",
      constant(
          R"({"strict":{"value":null},"loose":{"value":null},"list":[{"value":"a"},{"value":null}]})")));
  EXPECT_TRUE(s.set_resolver("Query.color", constant(R"("PURPLE")")));
  EXPECT_TRUE(s.set_resolver("Query.badInt", constant("1.5")));
  EXPECT_TRUE(s.set_resolver("Query.count", [](const ResolveInfo& info) -> awaitable<FieldResult> {
    co_return *info.int_argument("by");
  }));
  EXPECT_TRUE(s.set_resolver("Mutation.inc", [](const ResolveInfo& info) -> awaitable<FieldResult> {
    Context* c = info.context_as<Context>();
    c->counter += static_cast<int>(*info.int_argument("by"));
    co_return c->counter;
  }));
  EXPECT_TRUE(s.set_resolver("Mutation.fail", [](const ResolveInfo&) -> awaitable<FieldResult> {
    co_return std::unexpected(FieldError{"nope", "BAD"});
  }));
  return *schema;
}

json::object run(const Schema& schema, std::string_view query, std::string_view variables = "{}",
                 std::string operation = {}, std::any* context = nullptr) {
  auto doc = parse(query);
  EXPECT_TRUE(doc) << doc.error().message;
  if (!doc) return {};
  ExecutionRequest request;
  request.document = &*doc;
  request.variables = json::parse(variables).as_object();
  request.operation_name = std::move(operation);
  request.context = context;
  boost::asio::io_context io;
  auto future = boost::asio::co_spawn(io, execute(schema, request), boost::asio::use_future);
  io.run();
  return to_json(future.get());
}

std::string run_text(const Schema& schema, std::string_view query,
                     std::string_view variables = "{}") {
  return json::serialize(run(schema, query, variables));
}

}  // namespace

TEST(Executor, ResolvesFieldsAliasesFragmentsAndTypename) {
  auto schema = make_schema();
  EXPECT_EQ(run_text(*schema, R"({
      hero { __typename id ...on Droid { primaryFunction } ... on Human { height } }
      h: hero { ...Names }
      heroes { ... on Character { id } }
    }
    fragment Names on Character { name n2: name })"),
            R"({"data":{"hero":{"__typename":"Droid","id":"2","primaryFunction":"astro"},)"
            R"("h":{"name":"R2","n2":"R2"},"heroes":[{"id":"1"},{"id":"2"}]}})");
  EXPECT_EQ(
      run_text(*schema,
               "{ search(text: \"x\") { __typename ... on Human { name } ... on Droid { id } } }"),
      R"({"data":{"search":[{"__typename":"Human","name":"Luke"},null,{"__typename":"Droid","id":"2"}]}})");
}

TEST(Executor, AppliesSkipAndIncludeWithVariables) {
  auto schema = make_schema();
  EXPECT_EQ(run_text(*schema,
                     "query($s: Boolean!) { a: color @skip(if: true) b: count @include(if: $s) c: "
                     "count @skip(if: $s) }",
                     R"({"s":true})"),
            R"({"data":{"b":2}})");
}

TEST(Executor, CoercesArgumentsVariablesAndDefaults) {
  auto schema = make_schema();
  EXPECT_EQ(
      run_text(*schema,
               R"({ echo(i: 1, f: 2, s: "x", b: true, id: 7, c: BLUE, in: {min: 3}, l: 5) })"),
      R"({"data":{"echo":"{\"i\":1,\"f\":2E0,\"s\":\"x\",\"b\":true,\"id\":\"7\",\"c\":\"BLUE\",\"in\":{\"color\":\"RED\",\"min\":3},\"l\":[5]}"}})");
  EXPECT_EQ(
      run_text(*schema, "query($in: Filter, $n: Int = 4) { echo(in: $in, i: $n) count(by: $n) }",
               R"({"in":{"tags":"a","color":"GREEN"}})"),
      R"({"data":{"echo":"{\"i\":4,\"in\":{\"color\":\"GREEN\",\"tags\":[\"a\"]}}","count":4}})");
  // An absent variable falls back to the argument's default.
  EXPECT_EQ(run_text(*schema, "query($n: Int) { count(by: $n) }"), R"({"data":{"count":2}})");
}

TEST(Executor, RejectsBadVariablesWithoutExecuting) {
  auto schema = make_schema();
  auto r = run(*schema, "query($n: Int!) { count(by: $n) }", R"({"n":"x"})");
  EXPECT_FALSE(r.contains("data"));
  EXPECT_EQ(
      r["errors"].at(0).at("message").as_string(),
      "Variable \"$n\" got invalid value \"x\"; Int cannot represent non-integer value: \"x\"");
  EXPECT_EQ(r["errors"].at(0).at("extensions").at("code").as_string(), "BAD_USER_INPUT");
  r = run(*schema, "query($n: Int!) { count(by: $n) }");
  EXPECT_EQ(r["errors"].at(0).at("message").as_string(),
            "Variable \"$n\" of required type \"Int!\" was not provided.");
  r = run(*schema, "query($in: Filter) { echo(in: $in) }", R"({"in":{"min":1.5,"x":1}})");
  ASSERT_EQ(r["errors"].as_array().size(), 2u);
  EXPECT_EQ(r["errors"].at(0).at("message").as_string(),
            "Variable \"$in\" got invalid value 1.5 at \"in.min\"; Int cannot represent "
            "non-integer value: 1.5");
  r = run(*schema, "query($n: Int!) { count(by: $n) }", R"({"n":null})");
  EXPECT_EQ(r["errors"].at(0).at("message").as_string(),
            "Variable \"$n\" of non-null type \"Int!\" must not be null.");
  r = run(*schema, "query A { count } query B { color }");
  EXPECT_EQ(r["errors"].at(0).at("message").as_string(),
            "Must provide operation name if query contains multiple operations.");
  r = run(*schema, "query A { count }", "{}", "B");
  EXPECT_EQ(r["errors"].at(0).at("message").as_string(), "Unknown operation named \"B\".");
}

TEST(Executor, ReportsResolverErrorsWithPathAndCode) {
  auto schema = make_schema();
  auto r =
      run(*schema, "{ a: user(id: \"0\") { id } b: user(id: \"1\") { friends { name } } failing }");
  EXPECT_EQ(json::serialize(r["data"]),
            R"({"a":null,"b":{"friends":[{"name":"Seven"}]},"failing":null})");
  ASSERT_EQ(r["errors"].as_array().size(), 2u);
  EXPECT_EQ(
      json::serialize(r["errors"].at(0)),
      R"({"message":"no such user","locations":[{"line":1,"column":3}],"path":["a"],"extensions":{"code":"NOT_FOUND"}})");
  EXPECT_EQ(json::serialize(r["errors"].at(1).at("path")), R"(["failing"])");
}

TEST(Executor, PropagatesNullsToTheNearestNullableParent) {
  auto schema = make_schema();
  auto r = run(*schema, "{ nested { strict { value } loose { value } list { value } } count }");
  EXPECT_EQ(json::serialize(r["data"]), R"({"nested":null,"count":2})");
  ASSERT_EQ(r["errors"].as_array().size(), 3u);
  EXPECT_EQ(r["errors"].at(0).at("message").as_string(),
            "Cannot return null for non-nullable field Inner.value.");
  EXPECT_EQ(json::serialize(r["errors"].at(0).at("path")), R"(["nested","strict","value"])");
  EXPECT_EQ(json::serialize(r["errors"].at(2).at("path")), R"(["nested","list",1,"value"])");
  r = run(*schema, "{ failingNonNull count }");
  EXPECT_TRUE(r["data"].is_null());
  r = run(*schema, "{ color badInt }");
  EXPECT_EQ(json::serialize(r["data"]), R"({"color":null,"badInt":null})");
  EXPECT_EQ(r["errors"].at(0).at("message").as_string(),
            "Enum \"Color\" cannot represent value: \"PURPLE\"");
  EXPECT_EQ(r["errors"].at(1).at("message").as_string(),
            "Int cannot represent non-integer value: 1.5");
}

TEST(Executor, RunsMutationsSeriallyAndStopsAtANonNullFailure) {
  auto schema = make_schema();
  std::any context = Context{};
  auto r =
      run(*schema, "mutation { a: inc(by: 1) b: inc(by: 10) c: inc(by: 100) }", "{}", {}, &context);
  EXPECT_EQ(json::serialize(r["data"]), R"({"a":1,"b":11,"c":111})");
  r = run(*schema, "mutation { a: inc(by: 1) fail b: inc(by: 1) }", "{}", {}, &context);
  EXPECT_TRUE(r["data"].is_null());
  EXPECT_EQ(std::any_cast<Context&>(context).counter, 112);
}

TEST(Executor, AnswersIntrospection) {
  auto schema = make_schema();
  auto r = run(*schema, R"({
    __schema { queryType { name } mutationType { name } subscriptionType { name } directives { name } }
    c: __type(name: "Character") { kind name possibleTypes { name } fields { name type { kind ofType { name } } } }
    f: __type(name: "Filter") { inputFields { name defaultValue } }
    e: __type(name: "Color") { enumValues { name isDeprecated } }
    n: __type(name: "Nope") { name }
  })");
  EXPECT_FALSE(r.contains("errors")) << json::serialize(r);
  EXPECT_EQ(
      json::serialize(r["data"].at("__schema")),
      R"({"queryType":{"name":"Query"},"mutationType":{"name":"Mutation"},"subscriptionType":null,)"
      R"("directives":[{"name":"include"},{"name":"skip"},{"name":"deprecated"},{"name":"specifiedBy"}]})");
  EXPECT_EQ(
      json::serialize(r["data"].at("c")),
      R"({"kind":"INTERFACE","name":"Character","possibleTypes":[{"name":"Human"},{"name":"Droid"}],)"
      R"("fields":[{"name":"id","type":{"kind":"NON_NULL","ofType":{"name":"ID"}}},{"name":"name","type":{"kind":"SCALAR","ofType":null}}]})");
  EXPECT_EQ(
      json::serialize(r["data"].at("f")),
      R"({"inputFields":[{"name":"color","defaultValue":"RED"},{"name":"min","defaultValue":null},{"name":"tags","defaultValue":null}]})");
  EXPECT_TRUE(r["data"].at("n").is_null());
}

TEST(Executor, TurnsResolverExceptionsIntoInternalErrors) {
  auto schema = Schema::from_sdl("type Query { boom: String ok: Int }");
  ASSERT_TRUE(schema);
  ASSERT_TRUE(
      (*schema)->set_resolver("Query.boom", [](const ResolveInfo&) -> awaitable<FieldResult> {
        throw std::runtime_error("secret detail");
        co_return nullptr;
      }));
  auto r = run(**schema, "{ boom ok }");
  EXPECT_EQ(json::serialize(r["data"]), R"({"boom":null,"ok":null})");
  EXPECT_EQ(r["errors"].at(0).at("message").as_string(), "Unexpected error.");
  EXPECT_EQ(r["errors"].at(0).at("extensions").at("code").as_string(), "INTERNAL_SERVER_ERROR");
}

TEST(Executor, UsesTypeResolversAndReportsImpossibleTypes) {
  auto schema = Schema::from_sdl(R"(
    type Query { things: [Thing] }
    union Thing = A | B
    type A { a: Int }
    type B { b: Int }
    type C { c: Int }
  )");
  ASSERT_TRUE(schema);
  Schema& s = **schema;
  ASSERT_TRUE(s.set_resolver("Query.things", [](const ResolveInfo&) -> awaitable<FieldResult> {
    co_return json::parse(R"([{"a":1},{"b":2},{"c":3},{"zzz":4}])");
  }));
  ASSERT_TRUE(s.set_type_resolver("Thing", [](const json::value& v) -> std::string {
    const auto& o = v.as_object();
    if (o.contains("a")) return "A";
    if (o.contains("b")) return "B";
    if (o.contains("c")) return "C";
    return "";
  }));
  auto r = run(s, "{ things { __typename ... on A { a } ... on B { b } } }");
  EXPECT_EQ(json::serialize(r["data"]),
            R"({"things":[{"__typename":"A","a":1},{"__typename":"B","b":2},null,null]})");
  ASSERT_EQ(r["errors"].as_array().size(), 2u);
  EXPECT_EQ(r["errors"].at(0).at("message").as_string(),
            "Runtime Object type \"C\" is not a possible type for \"Thing\".");
  EXPECT_EQ(json::serialize(r["errors"].at(1).at("path")), R"(["things",3])");
}

TEST(Executor, ResolvesThroughInterfacesImplementingInterfaces) {
  auto schema = Schema::from_sdl(R"(
    type Query { node: Node }
    interface Node { id: ID! }
    interface Resource implements Node { id: ID! url: String }
    type Image implements Resource & Node { id: ID! url: String width: Int }
  )");
  ASSERT_TRUE(schema);
  ASSERT_TRUE(
      (*schema)->set_resolver("Query.node", [](const ResolveInfo&) -> awaitable<FieldResult> {
        co_return json::parse(R"({"__typename":"Image","id":"i1","url":"u","width":3})");
      }));
  EXPECT_EQ(json::serialize(
                run(**schema, "{ node { id ... on Resource { url ... on Image { width } } } }")),
            R"({"data":{"node":{"id":"i1","url":"u","width":3}}})");
}

TEST(Executor, WritesResponseTextAsTheJsonSerialiserWould) {
  auto schema = Schema::from_sdl(R"(
    type Query { s: String f: Float big: Float n: Int j: JSON l: [[String]] o: O }
    type O { id: ID! }
    scalar JSON
  )");
  ASSERT_TRUE(schema);
  Schema& s = **schema;
  ASSERT_TRUE(s.set_resolver("Query.s", [](const ResolveInfo&) -> awaitable<FieldResult> {
    co_return std::string("q\"b\\s/\n\t\r\b\f\x01\x1f\x7f \xc3\xa9 \xf0\x9f\x98\x80") + '\0';
  }));
  ASSERT_TRUE(s.set_resolver("Query.f",
                             [](const ResolveInfo&) -> awaitable<FieldResult> { co_return 1.5; }));
  ASSERT_TRUE(s.set_resolver(
      "Query.big", [](const ResolveInfo&) -> awaitable<FieldResult> { co_return 1e300; }));
  ASSERT_TRUE(s.set_resolver(
      "Query.n", [](const ResolveInfo&) -> awaitable<FieldResult> { co_return -2147483648; }));
  ASSERT_TRUE(s.set_resolver("Query.j", [](const ResolveInfo&) -> awaitable<FieldResult> {
    co_return json::parse(R"({"a":[1,-2,3.25,null,true,"x\u0000y"],"u":18446744073709551615})");
  }));
  ASSERT_TRUE(s.set_resolver("Query.l", [](const ResolveInfo&) -> awaitable<FieldResult> {
    co_return json::parse(R"([["a",null],[],null])");
  }));
  ASSERT_TRUE(s.set_resolver("Query.o", [](const ResolveInfo&) -> awaitable<FieldResult> {
    co_return json::parse(R"({"id":null})");
  }));
  auto doc = parse("{ s f big n j l o { id } t: __typename }");
  ASSERT_TRUE(doc);
  ExecutionRequest request;
  request.document = &*doc;
  boost::asio::io_context io;
  auto future = boost::asio::co_spawn(io, execute(s, request), boost::asio::use_future);
  io.run();
  ExecutionResult result = future.get();
  std::string text = to_json_text(result);
  EXPECT_EQ(text, json::serialize(to_json(result)));
  EXPECT_NE(text.find(R"("s":"q\"b\\s/\n\t\r\b\f\u0001\u001f)"
                      "\x7f \xc3\xa9 \xf0\x9f\x98\x80\\u0000\""),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"("f":1.5E0,"big":1E300,"n":-2147483648,)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("l":[["a",null],[],null],"o":null,"t":"Query"})"), std::string::npos)
      << text;
}
