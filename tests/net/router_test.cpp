// Router fallback: a handler for paths no route matches (wallet address documents live at
// arbitrary paths), which never shadows a route, whatever the order they were added in.
#include <gtest/gtest.h>

#include "net/router.h"
#include "store/async_util.h"

namespace rafiki::net {
namespace {

namespace asio = boost::asio;

Handler answer(std::string body) {
  return [body](Request&) -> asio::awaitable<Response> { co_return Response::text(200, body); };
}

Response dispatch(const Router& router, Method method, std::string path) {
  Response out;
  testing::run_async([&](asio::any_io_executor) -> asio::awaitable<void> {
    Request request;
    request.method = method;
    request.path = path;
    request.target = path;
    out = co_await router.dispatch(request);
  });
  return out;
}

TEST(RouterFallback, AnswersUnmatchedPathsAndNeverShadowsRoutes) {
  Router router;
  router.get("/healthz", answer("health"));
  router.fallback([](Request& request) -> asio::awaitable<Response> {
    co_return Response::text(200, "fallback " + request.path);
  });
  router.get("/:tenant/quotes/:id", answer("quote"));  // added after the fallback

  EXPECT_EQ(dispatch(router, Method::kGet, "/healthz").body, "health");
  EXPECT_EQ(dispatch(router, Method::kGet, "/t/quotes/1").body, "quote");
  EXPECT_EQ(dispatch(router, Method::kGet, "/alice").body, "fallback /alice");
  EXPECT_EQ(dispatch(router, Method::kGet, "/a/b/c/jwks.json").body, "fallback /a/b/c/jwks.json");
  EXPECT_EQ(dispatch(router, Method::kPost, "/alice").body, "fallback /alice");
  // A path a route matches with another method is still 405, not the fallback.
  auto wrong = dispatch(router, Method::kPost, "/healthz");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.headers.get("Allow").value_or(""), "GET");
}

TEST(RouterFallback, WithoutFallbackUnknownPathsAre404) {
  Router router;
  router.get("/healthz", answer("health"));
  EXPECT_EQ(dispatch(router, Method::kGet, "/alice").status, 404);
}

}  // namespace
}  // namespace rafiki::net
