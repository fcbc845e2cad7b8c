// Schema construction from SDL and the type-system validation of spec §3 (the "Type Validation"
// sub-sections of each type kind), with graphql-js's wording for errors.
#include "graphql/schema.h"

#include <fmt/format.h>

#include <algorithm>
#include <list>
#include <set>
#include <unordered_set>

#include "graphql/parser.h"

namespace rafiki::graphql {
namespace {

// Built-in scalars and directives (spec §3.5, §3.13) and the introspection types (§4.5). They
// are loaded by the same builder as user SDL.
constexpr std::string_view kBuiltInSdl = R"(
"The `Int` scalar type represents non-fractional signed whole numeric values. Int can represent values between -(2^31) and 2^31 - 1."
scalar Int
"The `Float` scalar type represents signed double-precision fractional values as specified by [IEEE 754](https://en.wikipedia.org/wiki/IEEE_floating_point)."
scalar Float
"The `String` scalar type represents textual data, represented as UTF-8 character sequences. The String type is most often used by GraphQL to represent free-form human-readable text."
scalar String
"The `Boolean` scalar type represents `true` or `false`."
scalar Boolean
"The `ID` scalar type represents a unique identifier, often used to refetch an object or as key for a cache. The ID type appears in a JSON response as a String; however, it is not intended to be human-readable. When expected as an input type, any string (such as `\"4\"`) or integer (such as `4`) input value will be accepted as an ID."
scalar ID

"Directs the executor to include this field or fragment only when the `if` argument is true."
directive @include("Included when true." if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
"Directs the executor to skip this field or fragment when the `if` argument is true."
directive @skip("Skipped when true." if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
"Marks an element of a GraphQL schema as no longer supported."
directive @deprecated("Explains why this element was deprecated, usually also including a suggestion for how to access supported similar data. Formatted using the Markdown syntax, as specified by [CommonMark](https://commonmark.org/)." reason: String = "No longer supported") on FIELD_DEFINITION | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION | ENUM_VALUE
"Exposes a URL that specifies the behavior of this scalar."
directive @specifiedBy("The URL that specifies the behavior of this scalar." url: String!) on SCALAR

"A GraphQL Schema defines the capabilities of a GraphQL server. It exposes all available types and directives on the server, as well as the entry points for query, mutation, and subscription operations."
type __Schema {
  description: String
  "A list of all types supported by this server."
  types: [__Type!]!
  "The type that query operations will be rooted at."
  queryType: __Type!
  "If this server supports mutation, the type that mutation operations will be rooted at."
  mutationType: __Type
  "If this server support subscription, the type that subscription operations will be rooted at."
  subscriptionType: __Type
  "A list of all directives supported by this server."
  directives: [__Directive!]!
}

"""
The fundamental unit of any GraphQL Schema is the type. There are many kinds of types in GraphQL as represented by the `__TypeKind` enum.

Depending on the kind of a type, certain fields describe information about that type. Scalar types provide no information beyond a name, description and optional `specifiedByURL`, while Enum types provide their values. Object and Interface types provide the fields they describe. Abstract types, Union and Interface, provide the Object types possible at runtime. List and NonNull types compose other types.
"""
type __Type {
  kind: __TypeKind!
  name: String
  description: String
  specifiedByURL: String
  fields(includeDeprecated: Boolean = false): [__Field!]
  interfaces: [__Type!]
  possibleTypes: [__Type!]
  enumValues(includeDeprecated: Boolean = false): [__EnumValue!]
  inputFields(includeDeprecated: Boolean = false): [__InputValue!]
  ofType: __Type
}

"An enum describing what kind of type a given `__Type` is."
enum __TypeKind {
  "Indicates this type is a scalar."
  SCALAR
  "Indicates this type is an object. `fields` and `interfaces` are valid fields."
  OBJECT
  "Indicates this type is an interface. `fields`, `interfaces`, and `possibleTypes` are valid fields."
  INTERFACE
  "Indicates this type is a union. `possibleTypes` is a valid field."
  UNION
  "Indicates this type is an enum. `enumValues` is a valid field."
  ENUM
  "Indicates this type is an input object. `inputFields` is a valid field."
  INPUT_OBJECT
  "Indicates this type is a list. `ofType` is a valid field."
  LIST
  "Indicates this type is a non-null. `ofType` is a valid field."
  NON_NULL
}

"Object and Interface types are described by a list of Fields, each of which has a name, potentially a list of arguments, and a return type."
type __Field {
  name: String!
  description: String
  args(includeDeprecated: Boolean = false): [__InputValue!]!
  type: __Type!
  isDeprecated: Boolean!
  deprecationReason: String
}

"Arguments provided to Fields or Directives and the input fields of an InputObject are represented as Input Values which describe their type and optionally a default value."
type __InputValue {
  name: String!
  description: String
  type: __Type!
  "A GraphQL-formatted string representing the default value for this input value."
  defaultValue: String
  isDeprecated: Boolean!
  deprecationReason: String
}

"One possible value for a given Enum. Enum values are unique values, not a placeholder for a string or numeric value. However an Enum value is returned in a JSON response as a string."
type __EnumValue {
  name: String!
  description: String
  isDeprecated: Boolean!
  deprecationReason: String
}

"""
A Directive provides a way to describe alternate runtime execution and type validation behavior in a GraphQL document.

In some cases, you need to provide options to alter GraphQL's execution behavior in ways field arguments will not suffice, such as conditionally including or skipping a field. Directives provide this by describing additional information to the executor.
"""
type __Directive {
  name: String!
  description: String
  isRepeatable: Boolean!
  locations: [__DirectiveLocation!]!
  args(includeDeprecated: Boolean = false): [__InputValue!]!
}

"A Directive can be adjacent to many parts of the GraphQL language, a __DirectiveLocation describes one such possible adjacencies."
enum __DirectiveLocation {
  "Location adjacent to a query operation."
  QUERY
  "Location adjacent to a mutation operation."
  MUTATION
  "Location adjacent to a subscription operation."
  SUBSCRIPTION
  "Location adjacent to a field."
  FIELD
  "Location adjacent to a fragment definition."
  FRAGMENT_DEFINITION
  "Location adjacent to a fragment spread."
  FRAGMENT_SPREAD
  "Location adjacent to an inline fragment."
  INLINE_FRAGMENT
  "Location adjacent to a variable definition."
  VARIABLE_DEFINITION
  "Location adjacent to a schema definition."
  SCHEMA
  "Location adjacent to a scalar definition."
  SCALAR
  "Location adjacent to an object type definition."
  OBJECT
  "Location adjacent to a field definition."
  FIELD_DEFINITION
  "Location adjacent to an argument definition."
  ARGUMENT_DEFINITION
  "Location adjacent to an interface definition."
  INTERFACE
  "Location adjacent to a union definition."
  UNION
  "Location adjacent to an enum definition."
  ENUM
  "Location adjacent to an enum value definition."
  ENUM_VALUE
  "Location adjacent to an input object type definition."
  INPUT_OBJECT
  "Location adjacent to an input object field definition."
  INPUT_FIELD_DEFINITION
}
)";

constexpr std::string_view kSpecifiedScalars[] = {"Int", "Float", "String", "Boolean", "ID"};
constexpr std::string_view kSpecifiedDirectives[] = {"include", "skip", "deprecated",
                                                     "specifiedBy"};

bool is_specified_scalar(std::string_view name) {
  return std::find(std::begin(kSpecifiedScalars), std::end(kSpecifiedScalars), name) !=
         std::end(kSpecifiedScalars);
}

}  // namespace

// --- Type / Field helpers ----------------------------------------------------------------------

const InputValue* Field::argument(std::string_view n) const {
  for (const auto& a : arguments) {
    if (a.name == n) return &a;
  }
  return nullptr;
}

const InputValue* DirectiveDef::argument(std::string_view n) const {
  for (const auto& a : arguments) {
    if (a.name == n) return &a;
  }
  return nullptr;
}

const Field* Type::field(std::string_view n) const {
  for (const auto& f : fields) {
    if (f.name == n) return &f;
  }
  return nullptr;
}

const InputValue* Type::input_field(std::string_view n) const {
  for (const auto& f : input_fields) {
    if (f.name == n) return &f;
  }
  return nullptr;
}

const EnumValue* Type::enum_value(std::string_view n) const {
  for (const auto& v : values) {
    if (v.name == n) return &v;
  }
  return nullptr;
}

const Type* Type::named() const {
  const Type* t = this;
  while (t->of) t = t->of;
  return t;
}

bool Type::is_input() const {
  TypeKind k = named()->kind;
  return k == TypeKind::kScalar || k == TypeKind::kEnum || k == TypeKind::kInputObject;
}

bool Type::is_output() const {
  TypeKind k = named()->kind;
  return k != TypeKind::kInputObject;
}

std::string Type::to_string() const {
  if (kind == TypeKind::kList) return "[" + of->to_string() + "]";
  if (kind == TypeKind::kNonNull) return of->to_string() + "!";
  return name;
}

// --- Schema
// ---------------------------------------------------------------------------------------

Type* Schema::add_type() {
  return &storage_.emplace_back();
}

Type* Schema::mutable_type(std::string_view name) {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : it->second;
}

const Type* Schema::type(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : it->second;
}

const DirectiveDef* Schema::directive(std::string_view name) const {
  auto it = directives_.find(std::string(name));
  return it == directives_.end() ? nullptr : it->second;
}

const Type* Schema::list_of(const Type* of) {
  auto key = std::make_pair(0, of);
  auto it = wrappers_.find(key);
  if (it != wrappers_.end()) return it->second;
  Type* t = add_type();
  t->kind = TypeKind::kList;
  t->of = of;
  wrappers_.emplace(key, t);
  return t;
}

const Type* Schema::non_null(const Type* of) {
  auto key = std::make_pair(1, of);
  auto it = wrappers_.find(key);
  if (it != wrappers_.end()) return it->second;
  Type* t = add_type();
  t->kind = TypeKind::kNonNull;
  t->of = of;
  wrappers_.emplace(key, t);
  return t;
}

const Type* Schema::type_from_ref(const TypeRef& ref) {
  switch (ref.kind) {
    case TypeRef::Kind::kNamed:
      return type(ref.name);
    case TypeRef::Kind::kList: {
      const Type* inner = type_from_ref(ref.of.front());
      return inner ? list_of(inner) : nullptr;
    }
    case TypeRef::Kind::kNonNull: {
      const Type* inner = type_from_ref(ref.of.front());
      return inner ? non_null(inner) : nullptr;
    }
  }
  return nullptr;
}

const Type* Schema::type_from_ref(const TypeRef& ref, std::deque<Type>& scratch) const {
  if (ref.kind == TypeRef::Kind::kNamed) return type(ref.name);
  const Type* inner = type_from_ref(ref.of.front(), scratch);
  if (!inner) return nullptr;
  int kind = ref.kind == TypeRef::Kind::kList ? 0 : 1;
  auto it = wrappers_.find(std::make_pair(kind, inner));
  if (it != wrappers_.end()) return it->second;
  Type& t = scratch.emplace_back();
  t.kind = kind == 0 ? TypeKind::kList : TypeKind::kNonNull;
  t.of = inner;
  return &t;
}

bool Schema::is_possible_type(const Type* abstract, const Type* object) const {
  if (abstract == object) return true;
  const auto& p = abstract->possible_types;
  return std::find(p.begin(), p.end(), object) != p.end();
}

bool Schema::is_subtype(const Type* maybe_sub, const Type* super) const {
  if (maybe_sub == super) return true;
  if (super->kind == TypeKind::kNonNull) {
    return maybe_sub->kind == TypeKind::kNonNull && is_subtype(maybe_sub->of, super->of);
  }
  if (maybe_sub->kind == TypeKind::kNonNull) return is_subtype(maybe_sub->of, super);
  if (super->kind == TypeKind::kList) {
    return maybe_sub->kind == TypeKind::kList && is_subtype(maybe_sub->of, super->of);
  }
  if (maybe_sub->kind == TypeKind::kList) return false;
  if (!super->is_abstract()) return false;
  if (maybe_sub->kind != TypeKind::kObject && maybe_sub->kind != TypeKind::kInterface) return false;
  if (is_possible_type(super, maybe_sub)) return true;
  // An interface implementing the abstract interface.
  return std::find(maybe_sub->interfaces.begin(), maybe_sub->interfaces.end(), super) !=
         maybe_sub->interfaces.end();
}

bool Schema::overlap(const Type* a, const Type* b) const {
  if (a == b) return true;
  if (a->is_abstract()) {
    if (b->is_abstract()) {
      for (const Type* t : a->possible_types) {
        if (is_possible_type(b, t)) return true;
      }
      return false;
    }
    return is_possible_type(a, b);
  }
  if (b->is_abstract()) return is_possible_type(b, a);
  return false;
}

std::expected<void, Error> Schema::set_resolver(std::string_view type_dot_field,
                                                Resolver resolver) {
  auto dot = type_dot_field.find('.');
  if (dot == std::string_view::npos) {
    return fail("invalid_argument", fmt::format("'{}' is not Type.field", type_dot_field));
  }
  Type* t = mutable_type(type_dot_field.substr(0, dot));
  if (!t || (t->kind != TypeKind::kObject && t->kind != TypeKind::kInterface)) {
    return fail("invalid_argument", fmt::format("no object type for '{}'", type_dot_field));
  }
  for (auto& f : t->fields) {
    if (f.name == type_dot_field.substr(dot + 1)) {
      f.resolver = std::move(resolver);
      return {};
    }
  }
  return fail("invalid_argument", fmt::format("no field '{}'", type_dot_field));
}

std::expected<void, Error> Schema::set_type_resolver(std::string_view abstract_type,
                                                     TypeResolver resolver) {
  Type* t = mutable_type(abstract_type);
  if (!t || !t->is_abstract()) {
    return fail("invalid_argument", fmt::format("no interface or union '{}'", abstract_type));
  }
  t->type_resolver = std::move(resolver);
  return {};
}

// --- builder ----------------------------------------------------------------------------------

class SchemaBuilder {
 public:
  explicit SchemaBuilder(Schema& schema) : s_(schema) {}

  std::vector<GraphqlError> errors;

  void error(std::string message, std::vector<SourceLocation> locations = {}) {
    GraphqlError e;
    e.message = std::move(message);
    e.locations = std::move(locations);
    errors.push_back(std::move(e));
  }

  // First pass: create every named type and directive so references resolve in any order.
  void declare(const Document& doc, bool built_in) {
    for (const auto& def : doc.types) {
      if (def.extension) continue;
      if (s_.by_name_.count(def.name)) {
        Type* existing = s_.by_name_[def.name];
        if (existing->built_in && is_specified_scalar(def.name) && def.kind == TypeKind::kScalar) {
          continue;  // re-declaring a built-in scalar is allowed by buildASTSchema
        }
        error(fmt::format("There can be only one type named \"{}\".", def.name), {def.loc});
        continue;
      }
      if (!built_in && def.name.starts_with("__")) {
        error(fmt::format("Name \"{}\" must not begin with \"__\", which is reserved by GraphQL "
                          "introspection.",
                          def.name),
              {def.loc});
      }
      Type* t = s_.add_type();
      t->kind = def.kind;
      t->name = def.name;
      t->description = def.description;
      t->built_in = built_in;
      s_.by_name_[def.name] = t;
      if (!built_in) user_order_.push_back(t);
    }
    for (const auto& def : doc.directives) {
      if (s_.directives_.count(def.name)) {
        DirectiveDef* existing = s_.directives_[def.name];
        if (!existing->built_in) {
          error(fmt::format("There can be only one directive named \"@{}\".", def.name), {def.loc});
          continue;
        }
        overridden_directives_.insert(def.name);
      }
      DirectiveDef* d = &s_.directive_storage_.emplace_back();
      d->name = def.name;
      d->description = def.description;
      d->repeatable = def.repeatable;
      d->built_in = built_in;
      for (const auto& l : def.locations) d->locations.push_back(l.name);
      s_.directives_[def.name] = d;
      if (!built_in) user_directives_.push_back(d);
      directive_defs_.emplace_back(d, &def);
    }
  }

  // Second pass: fields, arguments, members and values, definitions then extensions.
  void define(const Document& doc, bool built_in) {
    for (auto& [d, def] : directive_defs_) {
      if (d->arguments.empty() && !def->arguments.empty()) {
        d->arguments = input_values(def->arguments, fmt::format("@{}", d->name), built_in, true);
      }
    }
    directive_defs_.clear();
    for (int pass = 0; pass < 2; ++pass) {
      for (const auto& def : doc.types) {
        if (def.extension != (pass == 1)) continue;
        Type* t = s_.mutable_type(def.name);
        if (!t) {
          error(fmt::format("Cannot extend type \"{}\" because it is not defined.", def.name),
                {def.loc});
          continue;
        }
        if (def.extension && t->kind != def.kind) {
          error(fmt::format("Cannot extend non-{} type \"{}\".", kind_word(def.kind), def.name),
                {def.loc});
          continue;
        }
        if (t->built_in && !built_in) {
          if (def.extension)
            error(fmt::format("Cannot extend built-in type \"{}\".", def.name), {def.loc});
          continue;
        }
        fill(*t, def, built_in);
      }
    }
  }

  void schema_definition(const Document& doc) {
    int definitions = 0;
    for (const auto& def : doc.schemas) {
      if (!def.extension) {
        if (++definitions > 1) error("Must provide only one schema definition.", {def.loc});
        s_.description_ = def.description;
      }
      check_directives(def.directives, "SCHEMA");
      for (const auto& [op, ref] : def.operation_types) {
        const Type* t = s_.type(ref.name);
        if (!t) {
          error(fmt::format("Unknown type \"{}\".", ref.name), {ref.loc});
          continue;
        }
        const Type** slot = op == OperationType::kQuery      ? &s_.query_
                            : op == OperationType::kMutation ? &s_.mutation_
                                                             : &s_.subscription_;
        if (*slot && def.extension) {
          error(fmt::format("Type for {} already defined in the schema. It cannot be redefined.",
                            operation_type_name(op)),
                {ref.loc});
        }
        *slot = t;
        explicit_schema_ = true;
      }
    }
    if (!explicit_schema_) {
      s_.query_ = s_.type("Query");
      s_.mutation_ = s_.type("Mutation");
      s_.subscription_ = s_.type("Subscription");
    }
  }

  void validate() {
    if (!s_.query_) {
      error("Query root type must be provided.");
    } else if (s_.query_->kind != TypeKind::kObject) {
      error(fmt::format("Query root type must be Object type, it cannot be {}.", s_.query_->name));
    }
    if (s_.mutation_ && s_.mutation_->kind != TypeKind::kObject) {
      error(fmt::format("Mutation root type must be Object type if provided, it cannot be {}.",
                        s_.mutation_->name));
    }
    if (s_.subscription_ && s_.subscription_->kind != TypeKind::kObject) {
      error(fmt::format("Subscription root type must be Object type if provided, it cannot be {}.",
                        s_.subscription_->name));
    }
    for (Type* t : user_order_) validate_type(*t);
    for (const DirectiveDef* d : user_directives_) {
      check_reserved(d->name, {});
      for (const auto& a : d->arguments) {
        check_reserved(a.name, a.loc);
        if (a.type && !a.type->is_input()) {
          error(fmt::format("The type of @{}({}:) must be Input Type but got: {}.", d->name, a.name,
                            a.type->to_string()),
                {a.loc});
        }
      }
    }
  }

  // Possible types of interfaces and unions, in type order.
  void link_possible_types() {
    for (Type& t : s_.storage_) {
      if (t.kind == TypeKind::kUnion) t.possible_types = t.members;
    }
    for (const Type* t : all_named_in_order()) {
      if (t->kind != TypeKind::kObject) continue;
      for (const Type* i : t->interfaces) {
        if (i->kind == TypeKind::kInterface) const_cast<Type*>(i)->possible_types.push_back(t);
      }
    }
  }

  // graphql-js's type map order: the SDL's types, the types they reference (depth first), the
  // directives' argument types, then the introspection types.
  void order_types() {
    std::list<const Type*> order;
    std::unordered_map<const Type*, std::list<const Type*>::iterator> where;
    for (const Type* t : user_order_) where[t] = order.insert(order.end(), t);
    std::function<void(const Type*)> collect = [&](const Type* t) {
      t = t->named();
      if (where.count(t)) return;
      where[t] = order.insert(order.end(), t);
      for (const Type* m : t->members) collect(m);
      for (const Type* i : t->interfaces) collect(i);
      for (const auto& f : t->fields) {
        collect(f.type);
        for (const auto& a : f.arguments) collect(a.type);
      }
      for (const auto& f : t->input_fields) collect(f.type);
    };
    for (const Type* t : user_order_) {
      order.erase(where[t]);
      where.erase(t);
      collect(t);
    }
    if (s_.query_) collect(s_.query_);
    if (s_.mutation_) collect(s_.mutation_);
    if (s_.subscription_) collect(s_.subscription_);
    for (const DirectiveDef* d : s_.directive_order_) {
      for (const auto& a : d->arguments) collect(a.type);
    }
    collect(s_.type("__Schema"));
    s_.ordered_.assign(order.begin(), order.end());
  }

  void order_directives() {
    for (const DirectiveDef* d : user_directives_) s_.directive_order_.push_back(d);
    for (auto name : kSpecifiedDirectives) {
      if (!overridden_directives_.count(std::string(name))) {
        s_.directive_order_.push_back(s_.directive(name));
      }
    }
  }

  void apply_scalar_hooks(std::map<std::string, ScalarHooks>& hooks) {
    for (auto& [name, h] : hooks) {
      Type* t = s_.mutable_type(name);
      if (!t || t->kind != TypeKind::kScalar || is_specified_scalar(name)) {
        error(fmt::format(
            "Scalar hooks given for \"{}\", which is not a custom scalar of the schema.", name));
        continue;
      }
      t->scalar = std::move(h);
    }
  }

 private:
  static const char* kind_word(TypeKind k) {
    switch (k) {
      case TypeKind::kScalar:
        return "scalar";
      case TypeKind::kObject:
        return "object";
      case TypeKind::kInterface:
        return "interface";
      case TypeKind::kUnion:
        return "union";
      case TypeKind::kEnum:
        return "enum";
      case TypeKind::kInputObject:
        return "input object";
      default:
        return "wrapper";
    }
  }

  std::vector<const Type*> all_named_in_order() {
    std::vector<const Type*> out;
    for (const Type& t : s_.storage_) {
      if (!t.is_wrapper()) out.push_back(&t);
    }
    return out;
  }

  void check_reserved(const std::string& name, SourceLocation loc) {
    if (name.starts_with("__")) {
      std::vector<SourceLocation> locs;
      if (loc.line) locs.push_back(loc);
      error(fmt::format("Name \"{}\" must not begin with \"__\", which is reserved by GraphQL "
                        "introspection.",
                        name),
            std::move(locs));
    }
  }

  const Type* resolve(const TypeRef& ref) {
    const Type* t = s_.type_from_ref(ref);
    if (!t) {
      const TypeRef* named = &ref;
      while (!named->of.empty()) named = &named->of.front();
      error(fmt::format("Unknown type \"{}\".", named->name), {named->loc});
    }
    return t;
  }

  void deprecation(const std::vector<Directive>& directives, bool& deprecated,
                   std::string& reason) {
    for (const auto& d : directives) {
      if (d.name != "deprecated") continue;
      deprecated = true;
      reason = "No longer supported";
      for (const auto& a : d.arguments) {
        if (a.name == "reason" && a.value.kind == ValueKind::kString) reason = a.value.text;
      }
    }
  }

  // Directives applied in SDL: known, allowed at the location, not repeated unless repeatable,
  // known arguments and required arguments given.
  void check_directives(const std::vector<Directive>& directives, std::string_view location) {
    std::set<std::string> seen;
    for (const auto& d : directives) {
      const DirectiveDef* def = s_.directive(d.name);
      if (!def) {
        error(fmt::format("Unknown directive \"@{}\".", d.name), {d.loc});
        continue;
      }
      if (std::find(def->locations.begin(), def->locations.end(), location) ==
          def->locations.end()) {
        error(fmt::format("Directive \"@{}\" may not be used on {}.", d.name, location), {d.loc});
      }
      if (!def->repeatable && !seen.insert(d.name).second) {
        error(fmt::format("The directive \"@{}\" can only be used once at this location.", d.name),
              {d.loc});
      }
      for (const auto& a : d.arguments) {
        if (!def->argument(a.name)) {
          error(fmt::format("Unknown argument \"{}\" on directive \"@{}\".", a.name, d.name),
                {a.loc});
        }
      }
      for (const auto& arg : def->arguments) {
        bool given = std::any_of(d.arguments.begin(), d.arguments.end(),
                                 [&](const Argument& a) { return a.name == arg.name; });
        if (!given && arg.type && arg.type->kind == TypeKind::kNonNull && !arg.default_value) {
          error(fmt::format("Directive \"@{}\" argument \"{}\" of type \"{}\" is required, but it "
                            "was not provided.",
                            d.name, arg.name, arg.type->to_string()),
                {d.loc});
        }
      }
    }
  }

  std::vector<InputValue> input_values(const std::vector<InputValueDefinition>& defs,
                                       const std::string& owner, bool built_in, bool arguments) {
    std::vector<InputValue> out;
    std::set<std::string> names;
    for (const auto& def : defs) {
      if (!names.insert(def.name).second) {
        error(arguments
                  ? fmt::format("Argument \"{}({}:)\" can only be defined once.", owner, def.name)
                  : fmt::format("Field \"{}.{}\" can only be defined once.", owner, def.name),
              {def.loc});
        continue;
      }
      InputValue v;
      v.name = def.name;
      v.description = def.description;
      v.type = resolve(def.type);
      v.default_value = def.default_value;
      v.loc = def.loc;
      deprecation(def.directives, v.deprecated, v.deprecation_reason);
      if (!built_in) {
        check_directives(def.directives,
                         arguments ? "ARGUMENT_DEFINITION" : "INPUT_FIELD_DEFINITION");
      }
      out.push_back(std::move(v));
    }
    return out;
  }

  void fill(Type& t, const TypeDefinition& def, bool built_in) {
    if (!built_in) {
      const char* location = def.kind == TypeKind::kScalar      ? "SCALAR"
                             : def.kind == TypeKind::kObject    ? "OBJECT"
                             : def.kind == TypeKind::kInterface ? "INTERFACE"
                             : def.kind == TypeKind::kUnion     ? "UNION"
                             : def.kind == TypeKind::kEnum      ? "ENUM"
                                                                : "INPUT_OBJECT";
      check_directives(def.directives, location);
    }
    for (const auto& d : def.directives) {
      if (d.name == "specifiedBy") {
        for (const auto& a : d.arguments) {
          if (a.name == "url") t.specified_by_url = a.value.text;
        }
      }
    }
    for (const auto& ref : def.interfaces) {
      const Type* i = s_.type(ref.name);
      if (!i) {
        error(fmt::format("Unknown type \"{}\".", ref.name), {ref.loc});
        continue;
      }
      t.interfaces.push_back(i);
    }
    for (const auto& ref : def.members) {
      const Type* m = s_.type(ref.name);
      if (!m) {
        error(fmt::format("Unknown type \"{}\".", ref.name), {ref.loc});
        continue;
      }
      t.members.push_back(m);
    }
    for (const auto& fd : def.fields) {
      if (t.field(fd.name)) {
        error(fmt::format("Field \"{}.{}\" can only be defined once.", t.name, fd.name), {fd.loc});
        continue;
      }
      Field f;
      f.name = fd.name;
      f.description = fd.description;
      f.type = resolve(fd.type);
      f.loc = fd.loc;
      f.arguments = input_values(fd.arguments, t.name + "." + fd.name, built_in, true);
      deprecation(fd.directives, f.deprecated, f.deprecation_reason);
      if (!built_in) check_directives(fd.directives, "FIELD_DEFINITION");
      t.fields.push_back(std::move(f));
    }
    for (const auto& vd : def.values) {
      if (t.enum_value(vd.name)) {
        error(fmt::format("Enum value \"{}.{}\" can only be defined once.", t.name, vd.name),
              {vd.loc});
        continue;
      }
      EnumValue v;
      v.name = vd.name;
      v.description = vd.description;
      deprecation(vd.directives, v.deprecated, v.deprecation_reason);
      if (!built_in) check_directives(vd.directives, "ENUM_VALUE");
      t.values.push_back(std::move(v));
    }
    if (!def.input_fields.empty()) {
      auto more = input_values(def.input_fields, t.name, built_in, false);
      for (auto& f : more) {
        if (t.input_field(f.name)) {
          error(fmt::format("Field \"{}.{}\" can only be defined once.", t.name, f.name), {f.loc});
          continue;
        }
        t.input_fields.push_back(std::move(f));
      }
    }
  }

  void validate_type(const Type& t) {
    switch (t.kind) {
      case TypeKind::kObject:
      case TypeKind::kInterface:
        validate_fields(t);
        validate_interfaces(t);
        break;
      case TypeKind::kUnion:
        validate_union(t);
        break;
      case TypeKind::kEnum:
        if (t.values.empty())
          error(fmt::format("Enum type {} must define one or more values.", t.name));
        for (const auto& v : t.values) {
          check_reserved(v.name, {});
          if (v.name == "true" || v.name == "false" || v.name == "null") {
            error(fmt::format("Enum type {} cannot include value: {}.", t.name, v.name));
          }
        }
        break;
      case TypeKind::kInputObject:
        validate_input_object(t);
        break;
      default:
        break;
    }
  }

  void validate_fields(const Type& t) {
    if (t.fields.empty()) error(fmt::format("Type {} must define one or more fields.", t.name));
    for (const auto& f : t.fields) {
      check_reserved(f.name, f.loc);
      if (f.type && !f.type->is_output()) {
        error(fmt::format("The type of {}.{} must be Output Type but got: {}.", t.name, f.name,
                          f.type->to_string()),
              {f.loc});
      }
      for (const auto& a : f.arguments) {
        check_reserved(a.name, a.loc);
        if (a.type && !a.type->is_input()) {
          error(fmt::format("The type of {}.{}({}:) must be Input Type but got: {}.", t.name,
                            f.name, a.name, a.type->to_string()),
                {a.loc});
        }
        if (a.type && a.type->kind == TypeKind::kNonNull && !a.default_value && a.deprecated) {
          error(fmt::format("Required argument {}.{}({}:) cannot be deprecated.", t.name, f.name,
                            a.name),
                {a.loc});
        }
      }
    }
  }

  void validate_interfaces(const Type& t) {
    std::set<const Type*> seen;
    for (const Type* i : t.interfaces) {
      if (i->kind != TypeKind::kInterface) {
        error(fmt::format("Type {} must only implement Interface types, it cannot implement {}.",
                          t.name, i->name));
        continue;
      }
      if (i == &t) {
        error(
            fmt::format("Type {} cannot implement itself because it would create a circular "
                        "reference.",
                        t.name));
        continue;
      }
      if (!seen.insert(i).second) {
        error(fmt::format("Type {} can only implement {} once.", t.name, i->name));
        continue;
      }
      for (const Type* transitive : i->interfaces) {
        if (std::find(t.interfaces.begin(), t.interfaces.end(), transitive) == t.interfaces.end()) {
          if (transitive == &t) {
            error(
                fmt::format("Type {} cannot implement {} because it would create a circular "
                            "reference.",
                            t.name, i->name));
          } else {
            error(fmt::format("Type {} must implement {} because it is implemented by {}.", t.name,
                              transitive->name, i->name));
          }
        }
      }
      validate_implementation(t, *i);
    }
  }

  void validate_implementation(const Type& t, const Type& i) {
    for (const auto& ifield : i.fields) {
      const Field* f = t.field(ifield.name);
      if (!f) {
        error(fmt::format("Interface field {}.{} expected but {} does not provide it.", i.name,
                          ifield.name, t.name),
              {ifield.loc});
        continue;
      }
      if (f->type && ifield.type && !s_.is_subtype(f->type, ifield.type)) {
        error(fmt::format("Interface field {}.{} expects type {} but {}.{} is type {}.", i.name,
                          ifield.name, ifield.type->to_string(), t.name, f->name,
                          f->type->to_string()),
              {ifield.loc, f->loc});
      }
      for (const auto& iarg : ifield.arguments) {
        const InputValue* a = f->argument(iarg.name);
        if (!a) {
          error(fmt::format(
                    "Interface field argument {}.{}({}:) expected but {}.{} does not provide it.",
                    i.name, ifield.name, iarg.name, t.name, f->name),
                {iarg.loc, f->loc});
          continue;
        }
        if (a->type != iarg.type) {
          error(
              fmt::format(
                  "Interface field argument {}.{}({}:) expects type {} but {}.{}({}:) is type {}.",
                  i.name, ifield.name, iarg.name, iarg.type ? iarg.type->to_string() : "?", t.name,
                  f->name, a->name, a->type ? a->type->to_string() : "?"),
              {iarg.loc, a->loc});
        }
      }
      for (const auto& a : f->arguments) {
        if (!ifield.argument(a.name) && a.type && a.type->kind == TypeKind::kNonNull &&
            !a.default_value) {
          error(fmt::format("Object field {}.{} includes required argument {} that is missing from "
                            "the Interface field {}.{}.",
                            t.name, f->name, a.name, i.name, ifield.name),
                {a.loc, ifield.loc});
        }
      }
    }
  }

  void validate_union(const Type& t) {
    if (t.members.empty())
      error(fmt::format("Union type {} must define one or more member types.", t.name));
    std::set<const Type*> seen;
    for (const Type* m : t.members) {
      if (!seen.insert(m).second) {
        error(fmt::format("Union type {} can only include type {} once.", t.name, m->name));
      } else if (m->kind != TypeKind::kObject) {
        error(fmt::format("Union type {} can only include Object types, it cannot include {}.",
                          t.name, m->name));
      }
    }
  }

  void validate_input_object(const Type& t) {
    if (t.input_fields.empty()) {
      error(fmt::format("Input Object type {} must define one or more fields.", t.name));
    }
    for (const auto& f : t.input_fields) {
      check_reserved(f.name, f.loc);
      if (f.type && !f.type->is_input()) {
        error(fmt::format("The type of {}.{} must be Input Type but got: {}.", t.name, f.name,
                          f.type->to_string()),
              {f.loc});
      }
      if (f.type && f.type->kind == TypeKind::kNonNull && !f.default_value && f.deprecated) {
        error(fmt::format("Required input field {}.{} cannot be deprecated.", t.name, f.name),
              {f.loc});
      }
    }
    // Circular references through non-null singular fields make the type uninhabitable.
    std::vector<std::string> path;
    std::set<const Type*> visiting;
    detect_cycle(t, t, path, visiting);
  }

  void detect_cycle(const Type& root, const Type& t, std::vector<std::string>& path,
                    std::set<const Type*>& visiting) {
    if (!visiting.insert(&t).second) return;
    for (const auto& f : t.input_fields) {
      if (!f.type || f.type->kind != TypeKind::kNonNull) continue;
      const Type* inner = f.type->of;
      if (inner->kind != TypeKind::kInputObject) continue;
      path.push_back(f.name);
      if (inner == &root) {
        std::string joined;
        for (std::size_t k = 0; k < path.size(); ++k) joined += (k ? "." : "") + path[k];
        if (reported_cycles_.insert(joined + "@" + root.name).second) {
          error(
              fmt::format("Cannot reference Input Object \"{}\" within itself through a series of "
                          "non-null fields: \"{}\".",
                          root.name, joined));
        }
      } else {
        detect_cycle(root, *inner, path, visiting);
      }
      path.pop_back();
    }
  }

  Schema& s_;
  std::vector<Type*> user_order_;
  std::vector<const DirectiveDef*> user_directives_;
  std::vector<std::pair<DirectiveDef*, const DirectiveDefinition*>> directive_defs_;
  std::set<std::string> overridden_directives_;
  std::set<std::string> reported_cycles_;
  bool explicit_schema_ = false;
};

std::expected<std::shared_ptr<Schema>, std::vector<GraphqlError>> Schema::from_sdl(
    std::string_view sdl, std::map<std::string, ScalarHooks> scalars) {
  auto built_in = parse(kBuiltInSdl);
  if (!built_in) return std::unexpected(std::vector<GraphqlError>{built_in.error()});
  auto doc = parse(sdl);
  if (!doc) return std::unexpected(std::vector<GraphqlError>{doc.error()});

  auto schema = std::make_shared<Schema>();
  SchemaBuilder b(*schema);
  for (const auto& [kind, index] : doc->order) {
    if (kind == Document::DefinitionKind::kOperation) {
      b.error("An executable definition is not allowed in a schema document.",
              {doc->operations[index].loc});
    } else if (kind == Document::DefinitionKind::kFragment) {
      b.error("An executable definition is not allowed in a schema document.",
              {doc->fragments[index].loc});
    }
  }
  b.declare(*built_in, true);
  b.define(*built_in, true);
  b.declare(*doc, false);
  b.define(*doc, false);
  b.schema_definition(*doc);
  b.apply_scalar_hooks(scalars);
  b.link_possible_types();
  b.validate();
  if (!b.errors.empty()) return std::unexpected(std::move(b.errors));
  b.order_directives();
  b.order_types();
  Schema& s = *schema;
  s.schema_meta_field_.name = "__schema";
  s.schema_meta_field_.description = "Access the current type schema of this server.";
  s.schema_meta_field_.type = s.non_null(s.type("__Schema"));
  s.type_meta_field_.name = "__type";
  s.type_meta_field_.description = "Request the type information of a single type.";
  s.type_meta_field_.type = s.type("__Type");
  InputValue name_arg;
  name_arg.name = "name";
  name_arg.type = s.non_null(s.type("String"));
  s.type_meta_field_.arguments.push_back(std::move(name_arg));
  s.typename_meta_field_.name = "__typename";
  s.typename_meta_field_.description = "The name of the current Object type at runtime.";
  s.typename_meta_field_.type = s.non_null(s.type("String"));
  return schema;
}

}  // namespace rafiki::graphql
