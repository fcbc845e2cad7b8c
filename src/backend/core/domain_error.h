// How a domain reports failures (docs/architecture.md, "The domain template"). Each domain's
// model.h has an `enum class <Domain>Error` and one table, `describe(<Domain>Error)`, saying
// what each error is called and what the Admin API answers for it; the table is a switch with
// no default, so -Wswitch (an error in this build) flags an error without an entry. A service
// returns Outcome<T, <Domain>Error>: the value, one of the domain's errors, or broken
// infrastructure (an Error from a library, e.g. the database is down). Edges map a failure once:
// field_error_of() for GraphQL; HTTP routes will have their own table column.
#pragma once

#include <expected>
#include <string_view>
#include <utility>
#include <variant>

#include "base/errors.h"
#include "graphql/schema.h"

namespace rafiki::backend {

// One row of a domain's error table.
struct ErrorDescription {
  std::string_view name;          // stable, for logs: "fee.unknown_asset"
  std::string_view graphql_code;  // extensions.code, e.g. code::kNotFound
  std::string_view message;       // the exact message upstream answers with
};

template <class E>
class Failure {
 public:
  Failure(E error) : failure_(error) {}                  // NOLINT: implicit on purpose
  Failure(Error error) : failure_(std::move(error)) {}   // NOLINT
  Failure(std::unexpected<Error> error) : failure_(std::move(error.error())) {}  // NOLINT

  bool is_domain() const { return std::holds_alternative<E>(failure_); }
  // The domain error; only when is_domain().
  E domain() const { return std::get<E>(failure_); }
  // The infrastructure error; only when !is_domain().
  const Error& infrastructure() const { return std::get<Error>(failure_); }

 private:
  std::variant<E, Error> failure_;
};

template <class T, class E>
using Outcome = std::expected<T, Failure<E>>;

// A domain error as a failed Outcome: `co_return fail_with(FeeError::kUnknownAsset);`
template <class E>
std::unexpected<Failure<E>> fail_with(E error) {
  return std::unexpected<Failure<E>>(Failure<E>(error));
}
// Passes an infrastructure error on: `if (!rows) co_return pass_on<FeeError>(rows.error());`
template <class E>
std::unexpected<Failure<E>> pass_on(Error error) {
  return std::unexpected<Failure<E>>(Failure<E>(std::move(error)));
}

// The GraphQL error of a failure: the table's code and message for a domain error, else
// INTERNAL_SERVER_ERROR (the cause logged).
std::unexpected<graphql::FieldError> internal_error(const Error& error);
template <class E>
std::unexpected<graphql::FieldError> field_error_of(const Failure<E>& failure) {
  if (!failure.is_domain()) return internal_error(failure.infrastructure());
  ErrorDescription d = describe(failure.domain());
  return std::unexpected(graphql::FieldError{std::string(d.message), std::string(d.graphql_code)});
}

}  // namespace rafiki::backend
