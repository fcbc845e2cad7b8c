#include "backend/core/admin.h"

#include "base/assert.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace rafiki::backend {

namespace json = boost::json;

namespace {

constexpr money::u128 kUInt64Max = std::numeric_limits<std::uint64_t>::max();
constexpr std::size_t kUInt64DigitsMax = 20;

std::expected<json::value, std::string> uint64_from_text(std::string_view text) {
  if (text.empty() || text.size() > kUInt64DigitsMax + 1) {
    return std::unexpected(std::string("Input must be an unsigned integer."));
  }
  if (text.front() == '-') return std::unexpected(std::string("Input must be unsigned."));
  auto value = money::parse_u128(text);
  if (!value) return std::unexpected(std::string("Input must be an unsigned integer."));
  if (*value > kUInt64Max) return std::unexpected(std::string("Input must fit in 64 bits."));
  return json::value(money::to_string(*value));
}

std::expected<json::value, std::string> uint64_parse_value(const json::value& v) {
  if (v.is_string()) return uint64_from_text(v.get_string());
  if (v.is_int64()) {
    if (v.get_int64() < 0) return std::unexpected(std::string("Input must be unsigned."));
    return json::value(std::to_string(v.get_int64()));
  }
  if (v.is_uint64()) return json::value(std::to_string(v.get_uint64()));
  if (v.is_double()) {
    double d = v.get_double();
    if (d < 0) return std::unexpected(std::string("Input must be unsigned."));
    if (!std::isfinite(d) || std::floor(d) != d) {
      return std::unexpected(std::string("Input must be an integer."));
    }
    if (d >= 18446744073709551616.0) return std::unexpected(std::string("Input must fit in 64 bits."));
    return json::value(std::to_string(static_cast<std::uint64_t>(d)));
  }
  return std::unexpected(std::string("Input must be of type bigint, number, or string."));
}

std::expected<json::value, std::string> uint64_serialize(const json::value& v) {
  if (v.is_string()) {
    auto parsed = money::parse_u128(v.get_string());
    if (!parsed) return std::unexpected(std::string("UInt64 cannot represent this value"));
    return json::value(money::to_string(*parsed));
  }
  if (v.is_int64() && v.get_int64() >= 0) return json::value(std::to_string(v.get_int64()));
  if (v.is_uint64()) return json::value(std::to_string(v.get_uint64()));
  return std::unexpected(std::string("UInt64 cannot represent this value"));
}

std::expected<json::value, std::string> uint8_from_number(double d) {
  if (!std::isfinite(d) || std::floor(d) != d || d < 0 || d > 255) {
    return std::unexpected(std::string("Provided value is not a UInt8."));
  }
  return json::value(static_cast<std::int64_t>(d));
}

std::expected<json::value, std::string> uint8_from_text(std::string_view text) {
  if (text.empty()) return json::value(0);  // JavaScript's Number("")
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::unexpected(std::string("Provided value is not a UInt8."));
  }
  return uint8_from_number(static_cast<double>(n));
}

std::expected<json::value, std::string> uint8_parse_value(const json::value& v) {
  if (v.is_string()) return uint8_from_text(v.get_string());
  if (v.is_number()) return uint8_from_number(v.to_number<double>());
  return std::unexpected(std::string("Provided value is not number or string."));
}

}  // namespace

std::unexpected<graphql::FieldError> internal_error(const Error& error) {
  spdlog::error("admin api: {}: {}", error.code, error.message);
  return field_error(code::kInternal, "Internal server error");
}

void set_resolver(graphql::Schema& schema, std::string_view field, graphql::Resolver resolver) {
  auto ok = schema.set_resolver(field, std::move(resolver));
  RAFIKI_ASSERT(ok.has_value(), ok ? std::string_view() : std::string_view(ok.error().message));
}

void forget_memoised_tenants(const graphql::ResolveInfo& info) {
  const AdminContext* context = info.context_as<AdminContext>();
  if (context && context->memo) context->memo->tenants.clear();
}

const AdminContext& admin_context(const graphql::ResolveInfo& info) {
  auto* context = info.context_as<AdminContext>();
  if (!context) throw std::logic_error("admin resolver ran without an AdminContext");
  return *context;
}

std::optional<Uuid> list_tenant_scope(const graphql::ResolveInfo& info,
                                      std::string_view argument) {
  const AdminContext& context = admin_context(info);
  if (!context.is_operator) return context.tenant_id;
  auto requested = info.string_argument(argument);
  if (!requested) return std::nullopt;
  auto id = Uuid::parse(*requested);
  // An operator naming a tenant id that is not a UUID sees nothing: scope to the nil tenant.
  return id ? *id : Uuid{};
}

bool may_read(const AdminContext& context, const Uuid& owner) {
  return context.is_operator || context.tenant_id == owner;
}

std::expected<Uuid, graphql::FieldError> for_tenant_id(const graphql::ResolveInfo& info,
                                                       const json::object& input) {
  const AdminContext& context = admin_context(info);
  auto requested = string_member(input, "tenantId");
  if (!requested) return context.tenant_id;
  auto id = Uuid::parse(*requested);
  if (context.is_operator) {
    if (!id) return field_error(code::kBadUserInput, "Invalid Tenant ID");
    return *id;
  }
  if (id && *id == context.tenant_id) return context.tenant_id;
  return field_error(code::kBadUserInput, "Assignment to the specified tenant is not permitted");
}

const json::object& input_argument(const graphql::ResolveInfo& info) {
  static const json::object kEmpty;
  const json::object* input = info.object_argument("input");
  return input ? *input : kEmpty;
}

std::optional<std::string_view> string_member(const json::object& object, std::string_view name) {
  auto it = object.find(name);
  if (it == object.end() || !it->value().is_string()) return std::nullopt;
  return std::string_view(it->value().get_string());
}

std::optional<std::int64_t> int_member(const json::object& object, std::string_view name) {
  auto it = object.find(name);
  if (it == object.end()) return std::nullopt;
  if (it->value().is_int64()) return it->value().get_int64();
  if (it->value().is_uint64() && it->value().get_uint64() <= static_cast<std::uint64_t>(
                                     std::numeric_limits<std::int64_t>::max())) {
    return static_cast<std::int64_t>(it->value().get_uint64());
  }
  return std::nullopt;
}

std::optional<bool> bool_member(const json::object& object, std::string_view name) {
  auto it = object.find(name);
  if (it == object.end() || !it->value().is_bool()) return std::nullopt;
  return it->value().get_bool();
}

std::optional<money::u128> uint64_member(const json::object& object, std::string_view name) {
  auto it = object.find(name);
  if (it == object.end()) return std::nullopt;
  const json::value& v = it->value();
  if (v.is_string()) return money::parse_u128(v.get_string());
  if (v.is_int64() && v.get_int64() >= 0) return static_cast<money::u128>(v.get_int64());
  if (v.is_uint64()) return static_cast<money::u128>(v.get_uint64());
  return std::nullopt;
}

bool has_member(const json::object& object, std::string_view name) {
  return object.find(name) != object.end();
}

std::optional<Uuid> uuid_member(const json::object& object, std::string_view name) {
  auto text = string_member(object, name);
  if (!text) return std::nullopt;
  return Uuid::parse(*text);
}

Patch<std::string> string_patch(const json::object& object, std::string_view name) {
  auto it = object.find(name);
  if (it == object.end()) return std::nullopt;
  if (!it->value().is_string()) return std::optional<std::string>{};
  return std::optional<std::string>(std::string(it->value().get_string()));
}

Patch<money::u128> uint64_patch(const json::object& object, std::string_view name) {
  if (!has_member(object, name)) return std::nullopt;
  return uint64_member(object, name);  // null (or nothing readable) clears
}

json::value iso_time(TimePoint t) { return json::value(format_rfc3339(t)); }

json::value iso_time(std::optional<TimePoint> t) {
  if (!t) return nullptr;
  return iso_time(*t);
}

json::value uint64_value(money::u128 value) { return json::value(money::to_string(value)); }

json::object amount_json(money::u128 value, std::string_view asset_code, int asset_scale) {
  json::object o;
  o["value"] = money::to_string(value);
  o["assetCode"] = asset_code;
  o["assetScale"] = asset_scale;
  return o;
}

std::map<std::string, graphql::ScalarHooks> admin_scalars() {
  std::map<std::string, graphql::ScalarHooks> scalars;

  graphql::ScalarHooks uint64;
  uint64.serialize = uint64_serialize;
  uint64.parse_value = uint64_parse_value;
  uint64.parse_literal = [](const graphql::Value& literal) -> std::expected<json::value, std::string> {
    switch (literal.kind) {
      case graphql::ValueKind::kInt:
      case graphql::ValueKind::kString:
        return uint64_from_text(literal.text);
      case graphql::ValueKind::kFloat: {
        // "5.0" is an integer; "3.14" is not.
        auto dot = literal.text.find_first_of(".eE");
        std::string_view whole = std::string_view(literal.text).substr(0, dot);
        std::string_view rest = std::string_view(literal.text).substr(dot);
        if (rest.find_first_of("eE") == std::string_view::npos &&
            rest.find_first_not_of(".0") == std::string_view::npos) {
          return uint64_from_text(whole);
        }
        return std::unexpected(std::string("Input must be an integer."));
      }
      default:
        return std::unexpected(std::string("Provided value is not int, float, or string"));
    }
  };
  scalars["UInt64"] = std::move(uint64);

  graphql::ScalarHooks uint8;
  uint8.serialize = [](const json::value& v) -> std::expected<json::value, std::string> {
    if (v.is_number()) return uint8_from_number(v.to_number<double>());
    return std::unexpected(std::string("Provided value is not a UInt8."));
  };
  uint8.parse_value = uint8_parse_value;
  uint8.parse_literal = [](const graphql::Value& literal) -> std::expected<json::value, std::string> {
    if (literal.kind == graphql::ValueKind::kInt || literal.kind == graphql::ValueKind::kString) {
      return uint8_from_text(literal.text);
    }
    return std::unexpected(std::string("Provided value is not int or string."));
  };
  scalars["UInt8"] = std::move(uint8);

  graphql::ScalarHooks object;
  auto object_only = [](const json::value& v) -> std::expected<json::value, std::string> {
    if (!v.is_object()) return std::unexpected(std::string("JSONObject must be an object"));
    return v;
  };
  object.serialize = object_only;
  object.parse_value = object_only;
  object.parse_literal = [](const graphql::Value& literal) -> std::expected<json::value, std::string> {
    // An object literal of scalars, lists and nested objects; variables are not allowed inside.
    std::function<std::expected<json::value, std::string>(const graphql::Value&)> convert =
        [&](const graphql::Value& v) -> std::expected<json::value, std::string> {
      switch (v.kind) {
        case graphql::ValueKind::kString:
        case graphql::ValueKind::kEnum:
          return json::value(v.text);
        case graphql::ValueKind::kBoolean:
          return json::value(v.text == "true");
        case graphql::ValueKind::kNull:
          return json::value(nullptr);
        case graphql::ValueKind::kInt:
        case graphql::ValueKind::kFloat: {
          double d = 0;
          auto [end, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), d);
          if (ec != std::errc()) return std::unexpected(std::string("bad number"));
          (void)end;
          if (v.kind == graphql::ValueKind::kInt && std::abs(d) < 9007199254740992.0) {
            return json::value(static_cast<std::int64_t>(d));
          }
          return json::value(d);
        }
        case graphql::ValueKind::kList: {
          json::array a;
          for (const auto& item : v.items) {
            auto c = convert(item);
            if (!c) return c;
            a.push_back(std::move(*c));
          }
          return json::value(std::move(a));
        }
        case graphql::ValueKind::kObject: {
          json::object o;
          for (std::size_t i = 0; i < v.items.size(); ++i) {
            auto c = convert(v.items[i]);
            if (!c) return c;
            o[v.field_names[i]] = std::move(*c);
          }
          return json::value(std::move(o));
        }
        default:
          return std::unexpected(std::string("JSONObject cannot contain variables"));
      }
    };
    if (literal.kind != graphql::ValueKind::kObject) {
      return std::unexpected(std::string("JSONObject must be an object"));
    }
    return convert(literal);
  };
  scalars["JSONObject"] = std::move(object);
  return scalars;
}

}  // namespace rafiki::backend
