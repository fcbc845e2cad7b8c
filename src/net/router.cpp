#include "net/router.h"

#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>

namespace rafiki::net {
namespace {

std::vector<std::string> split_pattern(std::string_view pattern) {
  std::vector<std::string> out;
  if (pattern.starts_with('/')) pattern.remove_prefix(1);
  while (true) {
    auto slash = pattern.find('/');
    out.emplace_back(pattern.substr(0, slash));
    if (slash == std::string_view::npos) break;
    pattern.remove_prefix(slash + 1);
  }
  return out;
}

Handler wrap(Middleware mw, Handler next) {
  return [mw = std::move(mw), next = std::move(next)](Request& req) -> boost::asio::awaitable<Response> {
    co_return co_await mw(req, next);
  };
}

}  // namespace

Handler chain(std::vector<Middleware> middlewares, Handler last) {
  Handler h = std::move(last);
  for (auto it = middlewares.rbegin(); it != middlewares.rend(); ++it) h = wrap(std::move(*it), std::move(h));
  return h;
}

void Router::add(Method method, std::string_view pattern, Handler handler) {
  routes_.push_back(Route{method, split_pattern(pattern), std::move(handler)});
}

Router::Match Router::match(const Route& route, std::string_view path,
                            std::vector<std::pair<std::string, std::string>>& params) {
  if (path.starts_with('/')) path.remove_prefix(1);
  params.clear();
  std::size_t i = 0;
  while (true) {
    auto slash = path.find('/');
    std::string_view segment = path.substr(0, slash);
    if (i >= route.segments.size()) return Match::kNo;
    const std::string& expected = route.segments[i];
    if (!expected.empty() && expected[0] == ':') {
      if (segment.empty()) return Match::kNo;
      auto decoded = percent_decode(segment, false);
      if (!decoded) return Match::kBadEncoding;
      params.emplace_back(expected.substr(1), std::move(*decoded));
    } else if (segment != expected) {
      return Match::kNo;
    }
    ++i;
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return i == route.segments.size() ? Match::kYes : Match::kNo;
}

boost::asio::awaitable<Response> Router::dispatch(Request& request) const {
  std::vector<std::pair<std::string, std::string>> params;
  std::string allow;
  const Route* get_route = nullptr;
  std::vector<std::pair<std::string, std::string>> get_params;
  for (const auto& route : routes_) {
    Match m = match(route, request.path, params);
    if (m == Match::kBadEncoding) co_return Response::error(400, "invalid percent-encoding in path");
    if (m == Match::kNo) continue;
    if (route.method == request.method) {
      request.params = std::move(params);
      co_return co_await route.handler(request);
    }
    if (request.method == Method::kHead && route.method == Method::kGet && get_route == nullptr) {
      get_route = &route;
      get_params = params;
    }
    if (!allow.empty()) allow += ", ";
    allow += method_name(route.method);
  }
  if (get_route != nullptr) {
    request.params = std::move(get_params);
    co_return co_await get_route->handler(request);
  }
  if (allow.empty()) {
    if (fallback_) co_return co_await fallback_(request);
    co_return Response::error(404, "Not Found");
  }
  Response r = Response::error(405, "Method Not Allowed");
  r.headers.set("Allow", allow);
  co_return r;
}

Handler Router::handler() const {
  return [this](Request& req) -> boost::asio::awaitable<Response> { co_return co_await dispatch(req); };
}

}  // namespace rafiki::net
