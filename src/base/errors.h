// Expected failures as values. A domain or library returns Result<T>; the edge (HTTP, GraphQL,
// ILP) maps Error::code to its own form once, in one table per edge. Exceptions are reserved for
// broken infrastructure and programming errors.
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace rafiki {

struct Error {
  std::string code;     // stable, machine-readable: "invalid_argument", "pg.connection", ...
  std::string message;  // for humans; never contains a secret
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(std::string code, std::string message) {
  return std::unexpected<Error>(Error{std::move(code), std::move(message)});
}

}  // namespace rafiki
