// Routing and middleware. A Router maps (method, path pattern) to a handler; patterns have
// literal segments and ":name" parameters ("/incoming-payments/:id"), whose values are
// percent-decoded into Request::params. A middleware wraps a handler (Envoy-style chain): it
// either answers itself or calls `next`.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "net/http.h"

namespace rafiki::net {

using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;
using Middleware = std::function<boost::asio::awaitable<Response>(Request&, const Handler& next)>;

// Wraps `last` in `middlewares`; the first middleware sees the request first.
Handler chain(std::vector<Middleware> middlewares, Handler last);

class Router {
 public:
  void add(Method method, std::string_view pattern, Handler handler);
  void get(std::string_view pattern, Handler h) { add(Method::kGet, pattern, std::move(h)); }
  void post(std::string_view pattern, Handler h) { add(Method::kPost, pattern, std::move(h)); }
  void put(std::string_view pattern, Handler h) { add(Method::kPut, pattern, std::move(h)); }
  void patch(std::string_view pattern, Handler h) { add(Method::kPatch, pattern, std::move(h)); }
  void del(std::string_view pattern, Handler h) { add(Method::kDelete, pattern, std::move(h)); }

  // Answers requests whose path matches no route (any method), instead of the 404 below: for
  // documents addressed by an arbitrary path (Open Payments wallet addresses). Routes added
  // before or after always win over it.
  void fallback(Handler handler) { fallback_ = std::move(handler); }

  // 404 when no pattern matches the path (unless a fallback is set); 405 with an Allow header
  // when the path matches but the method does not; 400 when a parameter is not valid
  // percent-encoding. HEAD falls back to GET.
  boost::asio::awaitable<Response> dispatch(Request& request) const;

  // The router as a handler (it must outlive the handler).
  Handler handler() const;

 private:
  struct Route {
    Method method;
    std::vector<std::string> segments;  // ":name" for a parameter
    Handler handler;
  };
  enum class Match { kNo, kYes, kBadEncoding };
  static Match match(const Route& route, std::string_view path,
                     std::vector<std::pair<std::string, std::string>>& params);
  std::vector<Route> routes_;
  Handler fallback_;
};

}  // namespace rafiki::net
