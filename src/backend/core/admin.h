// What Admin GraphQL resolvers share: the request's authenticated tenant (AdminContext), the
// error codes upstream's clients match on, the tenancy rules of reference/admin-api.md §4, and
// conversions between domain values and the schema's wire forms (UInt64 as a decimal string,
// timestamps as ISO 8601 with milliseconds, Amount objects).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <expected>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/errors.h"
#include "base/money.h"
#include "base/time.h"
#include "base/uuid.h"
#include "graphql/executor.h"
#include "graphql/schema.h"

namespace rafiki::backend {

// The names every resolvers.cpp uses, declared once for all of them.
namespace asio = boost::asio;
namespace json = boost::json;
using graphql::FieldResult;
using graphql::ResolveInfo;

// What resolvers of one request read more than once, kept for that request only (so a page of
// N objects of one tenant reads the tenant once for their `tenant` fields). Made per request by
// the Admin API; with none (null), nothing is memoised.
struct AdminRequestMemo {
  std::map<Uuid, boost::json::value> tenants;  // tenant id → its Tenant object, or null
};

// The tenant whose secret signed the request, and whether it is the operator.
struct AdminContext {
  Uuid tenant_id;
  bool is_operator = false;
  std::shared_ptr<AdminRequestMemo> memo;
};

// extensions.code values (upstream's GraphQLErrorCode).
namespace code {
inline constexpr std::string_view kBadUserInput = "BAD_USER_INPUT";
inline constexpr std::string_view kDuplicate = "DUPLICATE";
inline constexpr std::string_view kForbidden = "FORBIDDEN";
inline constexpr std::string_view kInactive = "INACTIVE";
inline constexpr std::string_view kInternal = "INTERNAL_SERVER_ERROR";
inline constexpr std::string_view kNotFound = "NOT_FOUND";
inline constexpr std::string_view kConflict = "CONFLICT";
inline constexpr std::string_view kTimeout = "TIMEOUT";
inline constexpr std::string_view kUnauthenticated = "UNAUTHENTICATED";
}  // namespace code

inline std::unexpected<graphql::FieldError> field_error(std::string_view code,
                                                        std::string message) {
  return std::unexpected(graphql::FieldError{std::move(message), std::string(code)});
}
// An infrastructure failure (database down...): INTERNAL_SERVER_ERROR, logged with its cause.
std::unexpected<graphql::FieldError> internal_error(const Error& error);

// Registers `resolver` for `field` ("Type.field") in the schema; a field the schema lacks or
// that already has a resolver is a wiring bug (RAFIKI_ASSERT).
void set_resolver(graphql::Schema& schema, std::string_view field, graphql::Resolver resolver);

// After a mutation changed a tenant: later fields of the same request read tenants afresh.
void forget_memoised_tenants(const graphql::ResolveInfo& info);

// The request's context; throws std::logic_error when the resolver runs without one (a bug).
const AdminContext& admin_context(const graphql::ResolveInfo& info);

// Tenancy of list queries with a tenantId argument (§4): the operator sees the given tenant, or
// every tenant (nullopt) when the argument is absent; a tenant always sees only its own.
std::optional<Uuid> list_tenant_scope(const graphql::ResolveInfo& info,
                                      std::string_view argument = "tenantId");
// Single-object reads: the operator reads any tenant's object; a tenant only its own.
bool may_read(const AdminContext& context, const Uuid& owner);
// The tenant a create mutation acts for (`input.tenantId`, §4); fails with BAD_USER_INPUT
// "Assignment to the specified tenant is not permitted" when a tenant names another.
std::expected<Uuid, graphql::FieldError> for_tenant_id(const graphql::ResolveInfo& info,
                                                       const boost::json::object& input);

// The `input` argument of a mutation (schema-validated, so present when non-null in the SDL).
const boost::json::object& input_argument(const graphql::ResolveInfo& info);

// Members of an (already coerced) input object.
std::optional<std::string_view> string_member(const boost::json::object& object,
                                              std::string_view name);
std::optional<std::int64_t> int_member(const boost::json::object& object, std::string_view name);
std::optional<bool> bool_member(const boost::json::object& object, std::string_view name);
// A UInt64 member (the scalar's coerced form is a decimal string).
std::optional<money::u128> uint64_member(const boost::json::object& object,
                                         std::string_view name);
// Present in the object, even when null (GraphQL distinguishes "null" from "absent").
bool has_member(const boost::json::object& object, std::string_view name);
// A UUID member; nullopt when absent, null or not a UUID.
std::optional<Uuid> uuid_member(const boost::json::object& object, std::string_view name);

// A field of an update input, as every update mutation reads it (upstream's partial updates):
// nullopt — absent, leave the field as it is; a present nullopt — explicit null, clear it; a
// value — set it.
template <class T>
using Patch = std::optional<std::optional<T>>;
Patch<std::string> string_patch(const boost::json::object& object, std::string_view name);
Patch<money::u128> uint64_patch(const boost::json::object& object, std::string_view name);

// Wire forms.
boost::json::value iso_time(TimePoint t);                 // "2025-01-31T10:11:12.345Z"
boost::json::value iso_time(std::optional<TimePoint> t);  // null when absent
boost::json::value uint64_value(money::u128 value);       // "12345"
boost::json::object amount_json(money::u128 value, std::string_view asset_code,
                                int asset_scale);  // {value, assetCode, assetScale}

// Scalar hooks for the Admin schema's custom scalars (UInt64, UInt8, JSONObject), with
// upstream's messages.
std::map<std::string, graphql::ScalarHooks> admin_scalars();

}  // namespace rafiki::backend
