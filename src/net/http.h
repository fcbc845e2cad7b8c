// Our own HTTP message types. Handlers and clients see these, never Beast's, so that Beast's
// templates compile in a few translation units of src/net only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rafiki::net {

enum class Method { kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions, kOther };

std::string_view method_name(Method m);
Method parse_method(std::string_view name);

// Header fields in arrival order; names compare case-insensitively.
class Headers {
 public:
  std::optional<std::string_view> get(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }
  void set(std::string_view name, std::string_view value);  // replaces all of that name
  void add(std::string_view name, std::string_view value);
  void remove(std::string_view name);
  std::size_t size() const { return fields_.size(); }
  auto begin() const { return fields_.begin(); }
  auto end() const { return fields_.end(); }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

bool iequals(std::string_view a, std::string_view b);

struct Request {
  Method method = Method::kGet;
  std::string target;  // as received: path and query
  std::string path;    // path as received (still percent-encoded), without the query
  std::string query;   // raw query, without '?'
  Headers headers;
  std::string body;
  std::string remote_address;  // peer IP, for logs and rate limits
  // Path parameters filled in by the router (":id" segments), in route order.
  std::vector<std::pair<std::string, std::string>> params;

  std::optional<std::string_view> param(std::string_view name) const;
  // First value of a query parameter, percent-decoded ('+' as space); nullopt when absent.
  std::optional<std::string> query_param(std::string_view name) const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;

  static Response json(int status, std::string body);
  static Response text(int status, std::string body);
  // The error shape of the Open Payments spec:
  // {"error":{"code":"<status>","description":"<description>"}}.
  static Response error(int status, std::string_view description);
};

// Percent-decoding of a path or query component; nullopt on a bad escape.
std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space);

}  // namespace rafiki::net
