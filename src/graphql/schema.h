// A GraphQL schema built from SDL (spec §3): the built-in scalars and directives, the
// introspection types, and the user's types, interfaces, unions, enums, input objects, custom
// scalars (with C++ hooks), descriptions, default values, @deprecated and extensions. The
// spec's type-system rules are checked at load and every violation is reported.
// Resolvers attach to fields by "Type.field"; a Schema is immutable once serving starts.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <any>
#include <deque>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/errors.h"
#include "graphql/ast.h"
#include "graphql/error.h"

namespace rafiki::graphql {

struct Type;
struct ResolveInfo;

// A resolver's failure: a message for the client and an extensions.code.
struct FieldError {
  std::string message;
  std::string code;
};
using FieldResult = std::expected<boost::json::value, FieldError>;
// Resolvers are coroutines. The value they return is the field's value: a scalar, a list, or an
// object whose fields without a resolver of their own are read from it by name. An object of an
// abstract type names its concrete type in "__typename" (or the type has a TypeResolver).
using Resolver = std::function<boost::asio::awaitable<FieldResult>(const ResolveInfo&)>;
using TypeResolver = std::function<std::string(const boost::json::value&)>;

// Custom scalar behaviour (graphql-js GraphQLScalarType). Each returns the converted value or a
// message; an absent hook means "accept the JSON value as it is".
struct ScalarHooks {
  std::function<std::expected<boost::json::value, std::string>(const boost::json::value&)>
      serialize;
  std::function<std::expected<boost::json::value, std::string>(const boost::json::value&)>
      parse_value;
  std::function<std::expected<boost::json::value, std::string>(const Value&)> parse_literal;
};

struct InputValue {
  std::string name;
  std::string description;
  const Type* type = nullptr;
  std::optional<Value> default_value;  // as written in the SDL
  bool deprecated = false;
  std::string deprecation_reason;
  SourceLocation loc;
};

struct Field {
  std::string name;
  std::string description;
  std::vector<InputValue> arguments;
  const Type* type = nullptr;
  bool deprecated = false;
  std::string deprecation_reason;
  Resolver resolver;  // empty: read the field from the parent object
  SourceLocation loc;

  const InputValue* argument(std::string_view name) const;
};

struct EnumValue {
  std::string name;
  std::string description;
  bool deprecated = false;
  std::string deprecation_reason;
};

// A named type, or a List / NonNull wrapper of `of`.
struct Type {
  TypeKind kind = TypeKind::kScalar;
  std::string name;  // empty for wrappers
  const Type* of = nullptr;
  std::string description;
  std::string specified_by_url;
  std::vector<Field> fields;                // object, interface
  std::vector<const Type*> interfaces;      // object, interface
  std::vector<const Type*> members;         // union
  std::vector<EnumValue> values;            // enum
  std::vector<InputValue> input_fields;     // input object
  std::vector<const Type*> possible_types;  // interface, union: the object types, in order
  ScalarHooks scalar;                       // custom scalars
  TypeResolver type_resolver;               // interface, union
  bool built_in = false;                    // built-in scalars and introspection types

  const Field* field(std::string_view name) const;
  const InputValue* input_field(std::string_view name) const;
  const EnumValue* enum_value(std::string_view name) const;
  const Type* named() const;  // the innermost named type
  bool is_wrapper() const { return kind == TypeKind::kList || kind == TypeKind::kNonNull; }
  bool is_abstract() const { return kind == TypeKind::kInterface || kind == TypeKind::kUnion; }
  bool is_leaf() const { return kind == TypeKind::kScalar || kind == TypeKind::kEnum; }
  bool is_input() const;          // scalar, enum, input object (through wrappers)
  bool is_output() const;         // scalar, enum, object, interface, union (through wrappers)
  std::string to_string() const;  // "[String!]!"
};

struct DirectiveDef {
  std::string name;
  std::string description;
  std::vector<InputValue> arguments;
  bool repeatable = false;
  std::vector<std::string> locations;
  bool built_in = false;

  const InputValue* argument(std::string_view name) const;
};

class Schema {
 public:
  // Builds a schema from SDL. `scalars` gives hooks for custom scalars by name (unknown names are
  // an error). Fails with every syntax or type-system error found (graphql-js wording).
  static std::expected<std::shared_ptr<Schema>, std::vector<GraphqlError>> from_sdl(
      std::string_view sdl, std::map<std::string, ScalarHooks> scalars = {});

  const Type* type(std::string_view name) const;
  const Type* query_type() const { return query_; }
  const Type* mutation_type() const { return mutation_; }
  const Type* subscription_type() const { return subscription_; }
  const DirectiveDef* directive(std::string_view name) const;
  const std::vector<const Type*>& types() const { return ordered_; }  // named types, SDL order
  const std::vector<const DirectiveDef*>& directives() const { return directive_order_; }
  std::string_view description() const { return description_; }

  // Attaches a resolver to "Type.field"; fails (invalid_argument) when there is no such field.
  std::expected<void, Error> set_resolver(std::string_view type_dot_field, Resolver resolver);
  // Attaches a type resolver to an interface or union; fails when there is no such type.
  std::expected<void, Error> set_type_resolver(std::string_view abstract_type,
                                               TypeResolver resolver);

  // Wrapped types are interned: the same wrapper of the same type is the same pointer.
  const Type* list_of(const Type* of);
  const Type* non_null(const Type* of);
  // A type from a type reference of a document; nullptr when a named type is unknown.
  const Type* type_from_ref(const TypeRef& ref);
  // For documents: wrappers not interned by the schema are made in `scratch` (which must outlive
  // the returned type).
  const Type* type_from_ref(const TypeRef& ref, std::deque<Type>& scratch) const;

  // The meta fields __schema, __type(name:) and __typename (spec §4.1).
  const Field* schema_meta_field() const { return &schema_meta_field_; }
  const Field* type_meta_field() const { return &type_meta_field_; }
  const Field* typename_meta_field() const { return &typename_meta_field_; }

  bool is_possible_type(const Type* abstract, const Type* object) const;
  // Whether `maybe_sub` may be used where `super` is expected (covariant output types).
  bool is_subtype(const Type* maybe_sub, const Type* super) const;
  // Whether two composite types can have an object type in common.
  bool overlap(const Type* a, const Type* b) const;

 private:
  Type* add_type();
  Type* mutable_type(std::string_view name);

  std::deque<Type> storage_;
  std::unordered_map<std::string, Type*> by_name_;
  std::vector<const Type*> ordered_;
  std::map<std::pair<int, const Type*>, const Type*> wrappers_;
  std::deque<DirectiveDef> directive_storage_;
  std::unordered_map<std::string, DirectiveDef*> directives_;
  std::vector<const DirectiveDef*> directive_order_;
  const Type* query_ = nullptr;
  const Type* mutation_ = nullptr;
  const Type* subscription_ = nullptr;
  std::string description_;
  Field schema_meta_field_;
  Field type_meta_field_;
  Field typename_meta_field_;

  friend class SchemaBuilder;
};

}  // namespace rafiki::graphql
