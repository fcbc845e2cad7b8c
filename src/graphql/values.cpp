#include "graphql/values.h"

#include <fmt/format.h>

#include <boost/json/serialize.hpp>

#include <charconv>
#include <cmath>
#include <limits>

namespace rafiki::graphql {

namespace json = boost::json;

namespace {

constexpr double kIntMin = -2147483648.0;
constexpr double kIntMax = 2147483647.0;

// A JSON number as a double, or nullopt when it is not a number.
std::optional<double> number_of(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_double()) return v.get_double();
  return std::nullopt;
}

// A string that Int and Float serialisation read as a number: a non-empty one that strtod reads
// whole; nullopt otherwise.
std::optional<double> number_in_string(std::string_view s) {
  if (s.empty()) return std::nullopt;
  const std::string text(s);
  char* end = nullptr;
  const double d = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size()) return std::nullopt;
  return d;
}

std::string js_number(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == std::floor(d) && std::fabs(d) < 1e21) return fmt::format("{:.0f}", d);
  return fmt::format("{}", d);
}

std::string print_json_string(std::string_view s) {
  Value v;
  v.kind = ValueKind::kString;
  v.text = std::string(s);
  return print_value(v);
}

bool is_integer_text(std::string_view s) {
  std::size_t i = s.starts_with('-') ? 1 : 0;
  if (i >= s.size()) return false;
  if (s[i] == '0') return i + 1 == s.size();
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

// valueFromASTUntyped: a literal as plain JSON, variables substituted.
std::optional<json::value> untyped(const Value& literal, const json::object* variables) {
  switch (literal.kind) {
    case ValueKind::kNull:
      return json::value(nullptr);
    case ValueKind::kInt:
    case ValueKind::kFloat: {
      if (literal.kind == ValueKind::kInt) {
        std::int64_t n = 0;
        auto [p, ec] =
            std::from_chars(literal.text.data(), literal.text.data() + literal.text.size(), n);
        if (ec == std::errc() && p == literal.text.data() + literal.text.size())
          return json::value(n);
      }
      return json::value(std::strtod(literal.text.c_str(), nullptr));
    }
    case ValueKind::kString:
    case ValueKind::kEnum:
      return json::value(literal.text);
    case ValueKind::kBoolean:
      return json::value(literal.text == "true");
    case ValueKind::kVariable: {
      if (!variables) return std::nullopt;
      auto it = variables->find(literal.text);
      if (it == variables->end()) return std::nullopt;
      return it->value();
    }
    case ValueKind::kList: {
      json::array a;
      for (const auto& item : literal.items) {
        auto v = untyped(item, variables);
        a.push_back(v ? *v : json::value(nullptr));
      }
      return json::value(std::move(a));
    }
    case ValueKind::kObject: {
      json::object o;
      for (std::size_t i = 0; i < literal.items.size(); ++i) {
        auto v = untyped(literal.items[i], variables);
        if (v) o[literal.field_names[i]] = *v;
      }
      return json::value(std::move(o));
    }
  }
  return std::nullopt;
}

bool is_missing_variable(const Value& literal, const json::object* variables) {
  return literal.kind == ValueKind::kVariable && (!variables || !variables->contains(literal.text));
}

std::expected<json::value, std::string> literal_scalar(const Value& literal, const Type* type,
                                                       const json::object* variables) {
  const std::string& name = type->name;
  if (!type->built_in) {
    if (type->scalar.parse_literal) return type->scalar.parse_literal(literal);
    auto v = untyped(literal, variables);
    if (!v)
      return std::unexpected(
          fmt::format("Expected value of type \"{}\", found {}.", name, print_value(literal)));
    if (type->scalar.parse_value) return type->scalar.parse_value(*v);
    return *v;
  }
  if (name == "Int") {
    if (literal.kind != ValueKind::kInt) {
      return std::unexpected(
          fmt::format("Int cannot represent non-integer value: {}", print_value(literal)));
    }
    std::int64_t n = 0;
    auto [p, ec] =
        std::from_chars(literal.text.data(), literal.text.data() + literal.text.size(), n);
    if (ec != std::errc() || n < kIntMin || n > kIntMax) {
      return std::unexpected(
          fmt::format("Int cannot represent non 32-bit signed integer value: {}", literal.text));
    }
    return json::value(n);
  }
  if (name == "Float") {
    if (literal.kind != ValueKind::kInt && literal.kind != ValueKind::kFloat) {
      return std::unexpected(
          fmt::format("Float cannot represent non numeric value: {}", print_value(literal)));
    }
    return json::value(std::strtod(literal.text.c_str(), nullptr));
  }
  if (name == "String") {
    if (literal.kind != ValueKind::kString) {
      return std::unexpected(
          fmt::format("String cannot represent a non string value: {}", print_value(literal)));
    }
    return json::value(literal.text);
  }
  if (name == "Boolean") {
    if (literal.kind != ValueKind::kBoolean) {
      return std::unexpected(
          fmt::format("Boolean cannot represent a non boolean value: {}", print_value(literal)));
    }
    return json::value(literal.text == "true");
  }
  // ID
  if (literal.kind != ValueKind::kString && literal.kind != ValueKind::kInt) {
    return std::unexpected(fmt::format("ID cannot represent a non-string and non-integer value: {}",
                                       print_value(literal)));
  }
  return json::value(literal.text);
}

void input_error(std::vector<InputError>& errors, const std::string& path, std::string message,
                 const json::value& value) {
  errors.push_back(InputError{path, std::move(message), value});
}

std::expected<json::value, std::string> input_scalar(const json::value& v, const Type* type) {
  const std::string& name = type->name;
  if (!type->built_in) {
    if (type->scalar.parse_value) {
      auto r = type->scalar.parse_value(v);
      if (!r) return std::unexpected(fmt::format("Expected type \"{}\". {}", name, r.error()));
      return r;
    }
    return v;
  }
  auto n = number_of(v);
  if (name == "Int") {
    if (!n || *n != std::floor(*n) || std::isinf(*n)) {
      return std::unexpected(fmt::format("Int cannot represent non-integer value: {}", inspect(v)));
    }
    if (*n < kIntMin || *n > kIntMax) {
      return std::unexpected(
          fmt::format("Int cannot represent non 32-bit signed integer value: {}", inspect(v)));
    }
    return json::value(static_cast<std::int64_t>(*n));
  }
  if (name == "Float") {
    if (!n)
      return std::unexpected(
          fmt::format("Float cannot represent non numeric value: {}", inspect(v)));
    return json::value(*n);
  }
  if (name == "String") {
    if (!v.is_string())
      return std::unexpected(
          fmt::format("String cannot represent a non string value: {}", inspect(v)));
    return v;
  }
  if (name == "Boolean") {
    if (!v.is_bool())
      return std::unexpected(
          fmt::format("Boolean cannot represent a non boolean value: {}", inspect(v)));
    return v;
  }
  if (v.is_string()) return v;
  if (n && *n == std::floor(*n)) return json::value(js_number(*n));
  return std::unexpected(fmt::format("ID cannot represent value: {}", inspect(v)));
}

void coerce_input_to(const json::value& input, const Type* type, const std::string& path,
                     std::vector<InputError>& errors, json::value& out) {
  if (type->kind == TypeKind::kNonNull) {
    if (input.is_null()) {
      input_error(
          errors, path,
          fmt::format("Expected non-nullable type \"{}\" not to be null.", type->to_string()),
          input);
      return;
    }
    coerce_input_to(input, type->of, path, errors, out);
    return;
  }
  if (input.is_null()) {
    out = nullptr;
    return;
  }
  if (type->kind == TypeKind::kList) {
    json::array items;
    if (input.is_array()) {
      std::size_t i = 0;
      for (const auto& item : input.get_array()) {
        json::value v;
        coerce_input_to(item, type->of, fmt::format("{}[{}]", path, i++), errors, v);
        items.push_back(std::move(v));
      }
    } else {
      json::value v;
      coerce_input_to(input, type->of, path, errors, v);
      items.push_back(std::move(v));
    }
    out = std::move(items);
    return;
  }
  if (type->kind == TypeKind::kInputObject) {
    if (!input.is_object()) {
      input_error(errors, path, fmt::format("Expected type \"{}\" to be an object.", type->name),
                  input);
      return;
    }
    const json::object& in = input.get_object();
    json::object result;
    for (const auto& f : type->input_fields) {
      auto it = in.find(f.name);
      if (it == in.end()) {
        if (f.default_value) {
          auto d = coerce_literal(*f.default_value, f.type, nullptr);
          if (d && !d->undefined) result[f.name] = std::move(d->value);
        } else if (f.type->kind == TypeKind::kNonNull) {
          input_error(errors, path,
                      fmt::format("Field \"{}\" of required type \"{}\" was not provided.", f.name,
                                  f.type->to_string()),
                      input);
        }
        continue;
      }
      json::value v;
      coerce_input_to(it->value(), f.type, path + "." + f.name, errors, v);
      result[f.name] = std::move(v);
    }
    for (const auto& kv : in) {
      if (!type->input_field(kv.key())) {
        input_error(errors, path,
                    fmt::format("Field \"{}\" is not defined by type \"{}\".",
                                std::string_view(kv.key()), type->name),
                    input);
      }
    }
    out = std::move(result);
    return;
  }
  if (type->kind == TypeKind::kEnum) {
    if (!input.is_string()) {
      input_error(errors, path,
                  fmt::format("Enum \"{}\" cannot represent non-string value: {}.", type->name,
                              inspect(input)),
                  input);
      return;
    }
    if (!type->enum_value(input.get_string())) {
      input_error(errors, path,
                  fmt::format("Value \"{}\" does not exist in \"{}\" enum.",
                              std::string_view(input.get_string()), type->name),
                  input);
      return;
    }
    out = input;
    return;
  }
  auto v = input_scalar(input, type);
  if (!v) {
    input_error(errors, path, v.error(), input);
    return;
  }
  out = std::move(*v);
}

void print_ast_value(std::string& out, const json::value& v, const Type* type);

void print_untyped(std::string& out, const json::value& v) {
  if (v.is_null()) {
    out += "null";
  } else if (v.is_bool()) {
    out += v.get_bool() ? "true" : "false";
  } else if (v.is_string()) {
    out += print_json_string(v.get_string());
  } else if (auto n = number_of(v)) {
    out += v.is_double() ? js_number(*n) : json::serialize(v);
  } else if (v.is_array()) {
    out += '[';
    bool first = true;
    for (const auto& item : v.get_array()) {
      if (!first) out += ", ";
      first = false;
      print_untyped(out, item);
    }
    out += ']';
  } else {
    out += '{';
    bool first = true;
    for (const auto& kv : v.get_object()) {
      if (!first) out += ", ";
      first = false;
      out += std::string_view(kv.key());
      out += ": ";
      print_untyped(out, kv.value());
    }
    out += '}';
  }
}

void print_ast_value(std::string& out, const json::value& v, const Type* type) {
  if (type->kind == TypeKind::kNonNull) return print_ast_value(out, v, type->of);
  if (v.is_null()) {
    out += "null";
    return;
  }
  if (type->kind == TypeKind::kList) {
    if (!v.is_array()) return print_ast_value(out, v, type->of);
    out += '[';
    bool first = true;
    for (const auto& item : v.get_array()) {
      if (!first) out += ", ";
      first = false;
      print_ast_value(out, item, type->of);
    }
    out += ']';
    return;
  }
  if (type->kind == TypeKind::kInputObject) {
    if (!v.is_object()) return;
    out += '{';
    bool first = true;
    for (const auto& f : type->input_fields) {
      auto it = v.get_object().find(f.name);
      if (it == v.get_object().end()) continue;
      if (!first) out += ", ";
      first = false;
      out += f.name;
      out += ": ";
      print_ast_value(out, it->value(), f.type);
    }
    out += '}';
    return;
  }
  auto s = serialize_leaf(type, v);
  if (!s) return;
  if (type->kind == TypeKind::kEnum) {
    out += std::string_view(s->get_string());
    return;
  }
  if (type->name == "ID" && s->is_string() && is_integer_text(s->get_string())) {
    out += std::string_view(s->get_string());
    return;
  }
  print_untyped(out, *s);
}

}  // namespace

std::string inspect(const json::value& value) {
  if (value.is_string()) return json::serialize(value);
  if (auto n = number_of(value)) return js_number(*n);
  if (value.is_object()) {
    if (value.get_object().empty()) return "{}";
    std::string out = "{ ";
    bool first = true;
    for (const auto& kv : value.get_object()) {
      if (!first) out += ", ";
      first = false;
      out += std::string_view(kv.key());
      out += ": ";
      out += inspect(kv.value());
    }
    return out + " }";
  }
  if (value.is_array()) {
    std::string out = "[";
    bool first = true;
    for (const auto& item : value.get_array()) {
      if (!first) out += ", ";
      first = false;
      out += inspect(item);
    }
    return out + "]";
  }
  return json::serialize(value);
}

std::expected<LiteralResult, std::string> coerce_literal(const Value& literal, const Type* type,
                                                         const json::object* variables) {
  if (literal.kind == ValueKind::kVariable) {
    if (!variables) return LiteralResult{nullptr, true};
    auto it = variables->find(literal.text);
    if (it == variables->end()) return LiteralResult{nullptr, true};
    if (it->value().is_null() && type->kind == TypeKind::kNonNull) {
      return std::unexpected(
          fmt::format("Expected non-nullable type \"{}\" not to be null.", type->to_string()));
    }
    return LiteralResult{it->value(), false};
  }
  if (type->kind == TypeKind::kNonNull) {
    if (literal.kind == ValueKind::kNull) {
      return std::unexpected(
          fmt::format("Expected value of type \"{}\", found null.", type->to_string()));
    }
    return coerce_literal(literal, type->of, variables);
  }
  if (literal.kind == ValueKind::kNull) return LiteralResult{nullptr, false};
  if (type->kind == TypeKind::kList) {
    json::array items;
    if (literal.kind == ValueKind::kList) {
      for (const auto& item : literal.items) {
        if (is_missing_variable(item, variables)) {
          if (type->of->kind == TypeKind::kNonNull) {
            return std::unexpected(fmt::format("Expected value of type \"{}\", found {}.",
                                               type->of->to_string(), print_value(item)));
          }
          items.push_back(nullptr);
          continue;
        }
        auto v = coerce_literal(item, type->of, variables);
        if (!v) return std::unexpected(v.error());
        items.push_back(std::move(v->value));
      }
    } else {
      auto v = coerce_literal(literal, type->of, variables);
      if (!v) return std::unexpected(v.error());
      if (v->undefined) return v;
      items.push_back(std::move(v->value));
    }
    return LiteralResult{json::value(std::move(items)), false};
  }
  if (type->kind == TypeKind::kInputObject) {
    if (literal.kind != ValueKind::kObject) {
      return std::unexpected(fmt::format("Expected value of type \"{}\", found {}.", type->name,
                                         print_value(literal)));
    }
    json::object out;
    for (std::size_t i = 0; i < literal.field_names.size(); ++i) {
      if (!type->input_field(literal.field_names[i])) {
        return std::unexpected(fmt::format("Field \"{}\" is not defined by type \"{}\".",
                                           literal.field_names[i], type->name));
      }
    }
    for (const auto& f : type->input_fields) {
      const Value* given = nullptr;
      for (std::size_t i = 0; i < literal.field_names.size(); ++i) {
        if (literal.field_names[i] == f.name) given = &literal.items[i];
      }
      if (!given || is_missing_variable(*given, variables)) {
        if (f.default_value) {
          auto d = coerce_literal(*f.default_value, f.type, nullptr);
          if (d && !d->undefined) out[f.name] = std::move(d->value);
        } else if (f.type->kind == TypeKind::kNonNull) {
          return std::unexpected(
              fmt::format("Field \"{}.{}\" of required type \"{}\" was not provided.", type->name,
                          f.name, f.type->to_string()));
        }
        continue;
      }
      auto v = coerce_literal(*given, f.type, variables);
      if (!v) return std::unexpected(v.error());
      out[f.name] = std::move(v->value);
    }
    return LiteralResult{json::value(std::move(out)), false};
  }
  if (type->kind == TypeKind::kEnum) {
    if (literal.kind != ValueKind::kEnum) {
      return std::unexpected(fmt::format("Enum \"{}\" cannot represent non-enum value: {}.",
                                         type->name, print_value(literal)));
    }
    if (!type->enum_value(literal.text)) {
      return std::unexpected(
          fmt::format("Value \"{}\" does not exist in \"{}\" enum.", literal.text, type->name));
    }
    return LiteralResult{json::value(literal.text), false};
  }
  auto v = literal_scalar(literal, type, variables);
  if (!v) return std::unexpected(v.error());
  return LiteralResult{std::move(*v), false};
}

std::expected<json::value, std::vector<InputError>> coerce_input(const json::value& input,
                                                                 const Type* type) {
  std::vector<InputError> errors;
  json::value out;
  coerce_input_to(input, type, "", errors, out);
  if (!errors.empty()) return std::unexpected(std::move(errors));
  return out;
}

std::expected<json::value, std::string> serialize_leaf(const Type* type, const json::value& value) {
  if (type->kind == TypeKind::kEnum) {
    if (value.is_string() && type->enum_value(value.get_string())) return value;
    return std::unexpected(
        fmt::format("Enum \"{}\" cannot represent value: {}", type->name, inspect(value)));
  }
  const std::string& name = type->name;
  if (!type->built_in) {
    if (type->scalar.serialize) return type->scalar.serialize(value);
    return value;
  }
  std::optional<double> n = number_of(value);
  if (name == "Int") {
    if (value.is_bool()) return json::value(value.get_bool() ? 1 : 0);
    if (value.is_string()) n = number_in_string(value.get_string());
    if (!n || *n != std::floor(*n) || std::isinf(*n)) {
      return std::unexpected(
          fmt::format("Int cannot represent non-integer value: {}", inspect(value)));
    }
    if (*n < kIntMin || *n > kIntMax) {
      return std::unexpected(
          fmt::format("Int cannot represent non 32-bit signed integer value: {}", inspect(value)));
    }
    return json::value(static_cast<std::int64_t>(*n));
  }
  if (name == "Float") {
    if (value.is_bool()) return json::value(value.get_bool() ? 1 : 0);
    if (value.is_string()) n = number_in_string(value.get_string());
    if (!n || !std::isfinite(*n)) {
      return std::unexpected(
          fmt::format("Float cannot represent non numeric value: {}", inspect(value)));
    }
    if (value.is_int64() || value.is_uint64()) return value;
    return json::value(*n);
  }
  if (name == "String") {
    if (value.is_string()) return value;
    if (value.is_bool()) return json::value(value.get_bool() ? "true" : "false");
    if (n && std::isfinite(*n))
      return json::value(value.is_double() ? js_number(*n) : json::serialize(value));
    return std::unexpected(fmt::format("String cannot represent value: {}", inspect(value)));
  }
  if (name == "Boolean") {
    if (value.is_bool()) return value;
    if (n && std::isfinite(*n)) return json::value(*n != 0);
    return std::unexpected(
        fmt::format("Boolean cannot represent a non boolean value: {}", inspect(value)));
  }
  // ID
  if (value.is_string()) return value;
  if (n && *n == std::floor(*n))
    return json::value(value.is_double() ? js_number(*n) : json::serialize(value));
  return std::unexpected(fmt::format("ID cannot represent value: {}", inspect(value)));
}

std::string print_default_value(const InputValue& input) {
  if (!input.default_value || !input.type) return {};
  auto v = coerce_literal(*input.default_value, input.type, nullptr);
  if (!v || v->undefined) return print_value(*input.default_value);
  std::string out;
  print_ast_value(out, v->value, input.type);
  return out;
}

}  // namespace rafiki::graphql
