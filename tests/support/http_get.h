// A minimal blocking HTTP/1.1 request for tests that poke a server from the test thread.
#pragma once

#include <cstdint>
#include <string>

namespace rafiki::testing {

struct SimpleResponse {
  int status = 0;  // 0 when the connection failed
  std::string body;
};

SimpleResponse http_request(std::uint16_t port, const std::string& method, const std::string& target,
                            const std::string& body = "");

}  // namespace rafiki::testing
