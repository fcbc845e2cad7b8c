// The syntax tree of a GraphQL document (executable definitions and the type-system language,
// GraphQL spec October 2021 §2 and §3). Plain structs in vectors: a Document owns everything,
// is cheap to walk, and is what the parser returns, the schema builder reads and the validator
// and executor walk. Names and string values are decoded (escapes resolved, block strings
// dedented).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rafiki::graphql {

// 1-based line and column (in UTF-16 code units, as graphql-js counts them).
struct SourceLocation {
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  friend bool operator==(const SourceLocation&, const SourceLocation&) = default;
};

enum class ValueKind { kVariable, kInt, kFloat, kString, kBoolean, kNull, kEnum, kList, kObject };

struct Value {
  ValueKind kind = ValueKind::kNull;
  SourceLocation loc;
  // Variable: its name without '$'; Int/Float: the literal's text; String: decoded text; Enum: the
  // name; Boolean: "true" or "false".
  std::string text;
  bool block_string = false;
  // List: the items. Object: the field values, with their names in `field_names` (same order).
  std::vector<Value> items;
  std::vector<std::string> field_names;
  std::vector<SourceLocation> field_locs;
};

struct TypeRef {
  enum class Kind { kNamed, kList, kNonNull };
  Kind kind = Kind::kNamed;
  std::string name;         // kNamed
  std::vector<TypeRef> of;  // kList / kNonNull: exactly one element
  SourceLocation loc;
};

struct Argument {
  std::string name;
  SourceLocation loc;
  Value value;
};

struct Directive {
  std::string name;
  SourceLocation loc;
  std::vector<Argument> arguments;
};

struct Selection {
  enum class Kind { kField, kFragmentSpread, kInlineFragment };
  Kind kind = Kind::kField;
  SourceLocation loc;
  std::string alias;           // kField: empty when none
  std::string name;            // kField: the field; kFragmentSpread: the fragment
  std::string type_condition;  // kInlineFragment: empty when none
  SourceLocation type_condition_loc;
  std::vector<Argument> arguments;
  std::vector<Directive> directives;
  std::vector<Selection> selections;

  const std::string& response_key() const { return alias.empty() ? name : alias; }
};

enum class OperationType { kQuery, kMutation, kSubscription };

struct VariableDefinition {
  std::string name;
  SourceLocation loc;
  TypeRef type;
  std::optional<Value> default_value;
  std::vector<Directive> directives;
};

struct OperationDefinition {
  OperationType operation = OperationType::kQuery;
  std::string name;  // empty for an anonymous operation
  SourceLocation loc;
  std::vector<VariableDefinition> variables;
  std::vector<Directive> directives;
  std::vector<Selection> selections;
};

struct FragmentDefinition {
  std::string name;
  SourceLocation loc;
  std::string type_condition;
  SourceLocation type_condition_loc;
  std::vector<Directive> directives;
  std::vector<Selection> selections;
};

// --- type-system language -------------------------------------------------------------------

struct InputValueDefinition {
  std::string description;
  std::string name;
  SourceLocation loc;
  TypeRef type;
  std::optional<Value> default_value;
  std::vector<Directive> directives;
};

struct FieldDefinition {
  std::string description;
  std::string name;
  SourceLocation loc;
  std::vector<InputValueDefinition> arguments;
  TypeRef type;
  std::vector<Directive> directives;
};

struct EnumValueDefinition {
  std::string description;
  std::string name;
  SourceLocation loc;
  std::vector<Directive> directives;
};

struct NamedRef {
  std::string name;
  SourceLocation loc;
};

enum class TypeKind { kScalar, kObject, kInterface, kUnion, kEnum, kInputObject, kList, kNonNull };

struct TypeDefinition {
  TypeKind kind = TypeKind::kScalar;
  bool extension = false;
  std::string description;
  std::string name;
  SourceLocation loc;
  std::vector<NamedRef> interfaces;  // object, interface
  std::vector<Directive> directives;
  std::vector<FieldDefinition> fields;             // object, interface
  std::vector<InputValueDefinition> input_fields;  // input object
  std::vector<NamedRef> members;                   // union
  std::vector<EnumValueDefinition> values;         // enum
};

struct SchemaDefinition {
  bool extension = false;
  std::string description;
  SourceLocation loc;
  std::vector<Directive> directives;
  std::vector<std::pair<OperationType, NamedRef>> operation_types;
};

struct DirectiveDefinition {
  std::string description;
  std::string name;
  SourceLocation loc;
  std::vector<InputValueDefinition> arguments;
  bool repeatable = false;
  std::vector<NamedRef> locations;
};

// Definitions are kept by kind; `order` records the document order for rules that need it.
struct Document {
  enum class DefinitionKind { kOperation, kFragment, kType, kSchema, kDirective };
  std::vector<OperationDefinition> operations;
  std::vector<FragmentDefinition> fragments;
  std::vector<TypeDefinition> types;
  std::vector<SchemaDefinition> schemas;
  std::vector<DirectiveDefinition> directives;
  std::vector<std::pair<DefinitionKind, std::size_t>> order;
};

const char* operation_type_name(OperationType op);  // "query", "mutation", "subscription"
// The GraphQL text of a type reference: "[String!]!".
std::string print_type(const TypeRef& type);
// The GraphQL text of a value literal, as graphql-js's print() writes it.
std::string print_value(const Value& value);

}  // namespace rafiki::graphql
