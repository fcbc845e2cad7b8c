#include "graphql/http.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "net/client.h"
#include "net/server.h"

using namespace rafiki;
using namespace rafiki::graphql;
namespace json = boost::json;
using boost::asio::awaitable;

namespace {

struct Calls {
  int resolver_runs = 0;
};

std::shared_ptr<Schema> make_schema(std::shared_ptr<Calls> calls) {
  auto schema = Schema::from_sdl(R"(
    type Query { hello(name: String = "world"): String! items(n: Int!): [Int!]! who: String }
    type Mutation { touch: Int! }
  )");
  EXPECT_TRUE(schema);
  Schema& s = **schema;
  EXPECT_TRUE(
      s.set_resolver("Query.hello", [calls](const ResolveInfo& info) -> awaitable<FieldResult> {
        ++calls->resolver_runs;
        co_return "hello " + std::string(*info.string_argument("name"));
      }));
  EXPECT_TRUE(
      s.set_resolver("Query.items", [calls](const ResolveInfo& info) -> awaitable<FieldResult> {
        ++calls->resolver_runs;
        json::array a;
        for (std::int64_t i = 0; i < *info.int_argument("n"); ++i) a.push_back(i);
        co_return a;
      }));
  EXPECT_TRUE(s.set_resolver("Query.who", [](const ResolveInfo& info) -> awaitable<FieldResult> {
    auto* user = info.context_as<std::string>();
    co_return user ? json::value(*user) : json::value(nullptr);
  }));
  EXPECT_TRUE(s.set_resolver(
      "Mutation.touch",
      [calls](const ResolveInfo&) -> awaitable<FieldResult> { co_return ++calls->resolver_runs; }));
  return *schema;
}

class GraphqlHttp : public ::testing::Test {
 protected:
  void SetUp() override {
    calls_ = std::make_shared<Calls>();
    HttpOptions options;
    options.make_context = [](const net::Request& r) -> std::any {
      auto user = r.headers.get("X-User");
      return user ? std::any(std::string(*user)) : std::any();
    };
    handler_ = http_handler(make_schema(calls_), std::move(options));
  }

  net::Response call(net::Method method, std::string body, std::string query = {},
                     std::string accept = {}, std::string content_type = "application/json") {
    net::Request r;
    r.method = method;
    r.path = "/graphql";
    r.query = std::move(query);
    r.body = std::move(body);
    if (!content_type.empty()) r.headers.set("Content-Type", content_type);
    if (!accept.empty()) r.headers.set("Accept", accept);
    r.headers.set("X-User", "alice");
    boost::asio::io_context io;
    auto future = boost::asio::co_spawn(io, handler_(r), boost::asio::use_future);
    io.run();
    return future.get();
  }

  net::Response post(std::string body, std::string accept = {}) {
    return call(net::Method::kPost, std::move(body), {}, std::move(accept));
  }

  std::shared_ptr<Calls> calls_;
  net::Handler handler_;
};

json::value body_of(const net::Response& r) {
  return json::parse(r.body);
}

}  // namespace

TEST_F(GraphqlHttp, AnswersPostWithVariablesOperationNameAndContext) {
  auto r = post(
      R"({"query":"query A($n: String) { hello(name: $n) who } query B { hello }","variables":{"n":"bob"},"operationName":"A"})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(*r.headers.get("Content-Type"), "application/json");
  EXPECT_EQ(r.body, R"({"data":{"hello":"hello bob","who":"alice"}})");
  r = post(R"({"query":"{ hello }","variables":null,"operationName":null})");
  EXPECT_EQ(r.body, R"({"data":{"hello":"hello world"}})");
}

TEST_F(GraphqlHttp, AnswersGetQueriesButNotMutations) {
  auto r = call(net::Method::kGet, "", "query=%7B%20hello%20%7D", "", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"data":{"hello":"hello world"}})");
  r = call(net::Method::kGet, "",
           "query=query%28%24n%3AString%29%7Bhello%28name%3A%24n%29%7D&variables=%7B%22n%22%3A%22x%"
           "22%7D",
           "", "");
  EXPECT_EQ(r.body, R"({"data":{"hello":"hello x"}})");
  r = call(net::Method::kGet, "", "query=mutation%7Btouch%7D", "", "");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(*r.headers.get("Allow"), "POST");
  EXPECT_EQ(calls_->resolver_runs, 2);
  r = call(net::Method::kGet, "", "", "", "");
  EXPECT_EQ(r.status, 400);
  r = call(net::Method::kPut, "{}");
  EXPECT_EQ(r.status, 405);
}

TEST_F(GraphqlHttp, MapsParseAndValidationErrorsByMediaType) {
  auto r = post(R"({"query":"{ hello "})");
  EXPECT_EQ(r.status, 200);
  auto body = body_of(r);
  EXPECT_FALSE(body.as_object().contains("data"));
  EXPECT_EQ(body.at("errors").at(0).at("message").as_string(),
            "Syntax Error: Expected Name, found <EOF>.");
  EXPECT_EQ(body.at("errors").at(0).at("extensions").at("code").as_string(),
            "GRAPHQL_PARSE_FAILED");
  EXPECT_EQ(json::serialize(body.at("errors").at(0).at("locations")), R"([{"line":1,"column":9}])");

  r = post(R"({"query":"{ nope }"})", "application/graphql-response+json");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(*r.headers.get("Content-Type"), "application/graphql-response+json; charset=utf-8");
  EXPECT_EQ(body_of(r).at("errors").at(0).at("message").as_string(),
            "Cannot query field \"nope\" on type \"Query\".");

  r = post(R"({"query":"query($n: Int!) { items(n: $n) }","variables":{"n":"x"}})",
           "application/graphql-response+json");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(calls_->resolver_runs, 0);
}

TEST_F(GraphqlHttp, RejectsMalformedRequests) {
  EXPECT_EQ(post("not json").status, 400);
  EXPECT_EQ(post("[1]").status, 400);
  EXPECT_EQ(post(R"({"query":1})").status, 400);
  EXPECT_EQ(post(R"({"query":"{ hello }","variables":[1]})").status, 400);
  EXPECT_EQ(post(R"({"query":"{ hello }","operationName":3})").status, 400);
  EXPECT_EQ(call(net::Method::kPost, R"({"query":"{ hello }"})", "", "", "text/plain").status, 415);
  std::string deep_json = std::string(100, '[') + std::string(100, ']');
  EXPECT_EQ(post(R"({"query":"{ hello }","variables":{"x":)" + deep_json + "}}").status, 400);
  auto r = post(R"({"query":"{ hello }"})");
  EXPECT_EQ(r.status, 200);
}

TEST_F(GraphqlHttp, EnforcesRequestLimitsWithoutRunningResolvers) {
  std::string huge = "{ hello " + std::string(kRequestDocumentBytesMax, ' ') + "}";
  auto r = post(json::serialize(json::object{{"query", huge}}));
  EXPECT_EQ(r.status, 413);
  std::string deep = "{ hello ";
  for (int i = 0; i < 100; ++i) deep += "a { ";
  r = post(json::serialize(json::object{{"query", deep}}));
  EXPECT_NE(body_of(r).at("errors").at(0).at("message").as_string().find("nesting exceeds"),
            std::string::npos);
  std::string wide = "{";
  for (int i = 0; i < 300; ++i) wide += fmt::format(" a{}: hello", i);
  wide += " }";
  r = post(json::serialize(json::object{{"query", wide}}));
  EXPECT_NE(body_of(r).at("errors").at(0).at("message").as_string().find("aliases"),
            std::string::npos);
  std::string tokens = "{";
  for (std::size_t i = 0; i < kRequestTokensMax; ++i) tokens += " a";
  tokens += " }";
  r = post(json::serialize(json::object{{"query", tokens}}));
  EXPECT_NE(body_of(r).at("errors").at(0).at("message").as_string().find("tokens"),
            std::string::npos);
  r = post(R"({"query":"{ items(n: 20000) }"})");
  EXPECT_EQ(body_of(r).at("errors").at(0).at("message").as_string(),
            "List of 20000 items exceeds the limit of 10000 items.");
  EXPECT_TRUE(body_of(r).at("data").is_null());
  EXPECT_EQ(calls_->resolver_runs, 1);
}

TEST(GraphqlHttpServer, ServesOverLoopback) {
  boost::asio::io_context io;
  auto calls = std::make_shared<Calls>();
  net::Router router;
  router.post("/graphql", http_handler(make_schema(calls)));
  router.get("/graphql", http_handler(make_schema(calls)));
  net::HttpServer server(io, "graphql test", router.handler());
  auto port = server.listen("127.0.0.1", 0);
  ASSERT_TRUE(port);
  server.start();
  std::string url = fmt::format("http://127.0.0.1:{}/graphql", *port);
  auto task = [&]() -> awaitable<void> {
    net::HttpClient client(io.get_executor());
    net::Headers headers;
    headers.set("Content-Type", "application/json");
    auto r = co_await client.post(url, R"({"query":"{ items(n: 3) }"})", headers);
    EXPECT_TRUE(r);
    if (r) {
      EXPECT_EQ(r->status, 200);
      EXPECT_EQ(r->body, R"({"data":{"items":[0,1,2]}})");
    }
    auto g = co_await client.get(url + "?query=%7Bhello%7D");
    EXPECT_TRUE(g);
    if (g) {
      EXPECT_EQ(g->body, R"({"data":{"hello":"hello world"}})");
    }
    co_await server.shutdown();
  };
  auto future = boost::asio::co_spawn(io, task(), boost::asio::use_future);
  io.run();
  future.get();
}
