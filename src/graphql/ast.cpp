#include "graphql/ast.h"

#include <fmt/format.h>

namespace rafiki::graphql {

const char* operation_type_name(OperationType op) {
  switch (op) {
    case OperationType::kQuery:
      return "query";
    case OperationType::kMutation:
      return "mutation";
    case OperationType::kSubscription:
      return "subscription";
  }
  return "query";
}

std::string print_type(const TypeRef& type) {
  switch (type.kind) {
    case TypeRef::Kind::kNamed:
      return type.name;
    case TypeRef::Kind::kList:
      return "[" + print_type(type.of.front()) + "]";
    case TypeRef::Kind::kNonNull:
      return print_type(type.of.front()) + "!";
  }
  return type.name;
}

namespace {

void print_string(std::string& out, std::string_view s) {
  out += '"';
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += fmt::format("\\u{:04X}", c);
        } else if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
                   static_cast<unsigned char>(s[i + 1]) <= 0x9F) {
          out += fmt::format("\\u{:04X}", static_cast<unsigned char>(s[++i]));
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void print_value_to(std::string& out, const Value& v) {
  switch (v.kind) {
    case ValueKind::kVariable:
      out += '$';
      out += v.text;
      return;
    case ValueKind::kString:
      print_string(out, v.text);
      return;
    case ValueKind::kNull:
      out += "null";
      return;
    case ValueKind::kList:
      out += '[';
      for (std::size_t i = 0; i < v.items.size(); ++i) {
        if (i) out += ", ";
        print_value_to(out, v.items[i]);
      }
      out += ']';
      return;
    case ValueKind::kObject:
      out += '{';
      for (std::size_t i = 0; i < v.items.size(); ++i) {
        if (i) out += ", ";
        out += v.field_names[i];
        out += ": ";
        print_value_to(out, v.items[i]);
      }
      out += '}';
      return;
    default:
      out += v.text;
      return;
  }
}

}  // namespace

std::string print_value(const Value& value) {
  std::string out;
  print_value_to(out, value);
  return out;
}

}  // namespace rafiki::graphql
