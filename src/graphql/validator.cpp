// The validation rules of spec §5, in the shape of graphql-js's specifiedRules: document-level
// rules (operations, fragments, cycles), one typed walk of every operation and fragment
// (fields, arguments, values, directives, spreads, variable usages), per-operation variable
// rules, and OverlappingFieldsCanBeMerged on every selection set.
#include "graphql/validator.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>

#include "graphql/values.h"

namespace rafiki::graphql {
namespace {

bool is_composite(const Type* t) {
  return t && (t->kind == TypeKind::kObject || t->kind == TypeKind::kInterface ||
               t->kind == TypeKind::kUnion);
}

struct VarUsage {
  std::string_view name;
  SourceLocation loc;
  const Type* type = nullptr;  // the expected type at the usage; null when unknown
  const std::optional<Value>* location_default = nullptr;
};

struct Walk {
  std::vector<VarUsage> usages;
  std::vector<std::string_view> spreads;
};

struct FieldInfo {
  const Type* parent = nullptr;
  const Selection* node = nullptr;
  const Field* def = nullptr;
};
using FieldMap = std::vector<std::pair<std::string_view, std::vector<FieldInfo>>>;
struct FieldsAndFragments {
  FieldMap fields;
  std::vector<std::string_view> fragments;
};

struct Conflict {
  std::string_view key;
  std::string reason;
  std::vector<SourceLocation> locs1;
  std::vector<SourceLocation> locs2;
};

constexpr std::size_t kOverlapComparisonsMax = 200'000;

class Validator {
 public:
  Validator(const Schema& schema, const Document& doc, const ValidationLimits& limits)
      : schema_(schema), doc_(doc), limits_(limits) {
    for (const auto& f : doc.fragments) fragments_.emplace(f.name, &f);
  }

  std::vector<GraphqlError> run() {
    document_rules();
    std::unordered_map<std::string_view, Walk> fragment_walks;
    std::vector<Walk> operation_walks(doc_.operations.size());
    for (const auto& [kind, index] : doc_.order) {
      if (kind == Document::DefinitionKind::kOperation) {
        operation(doc_.operations[index], operation_walks[index]);
      } else if (kind == Document::DefinitionKind::kFragment) {
        const FragmentDefinition& f = doc_.fragments[index];
        if (fragment_walks.count(f.name)) continue;  // duplicate name: reported already
        fragment(f, fragment_walks[f.name]);
      }
    }
    for (std::size_t i = 0; i < doc_.operations.size(); ++i) {
      variable_rules(doc_.operations[i], operation_walks[i], fragment_walks);
    }
    if (errors_.empty()) limits();
    if (errors_.size() > kValidationErrorsMax) {
      errors_.resize(kValidationErrorsMax);
      error("Too many validation errors, error limit reached. Validation aborted.", {});
    }
    return std::move(errors_);
  }

 private:
  void error(std::string message, std::vector<SourceLocation> locations) {
    GraphqlError e;
    e.message = std::move(message);
    e.locations = std::move(locations);
    e.code = kCodeValidationFailed;
    errors_.push_back(std::move(e));
  }

  // --- document-level rules ---
  void document_rules() {
    for (const auto& [kind, index] : doc_.order) {
      switch (kind) {
        case Document::DefinitionKind::kType:
          error(fmt::format("The \"{}\" definition is not executable.", doc_.types[index].name),
                {doc_.types[index].loc});
          break;
        case Document::DefinitionKind::kDirective:
          error(
              fmt::format("The \"{}\" definition is not executable.", doc_.directives[index].name),
              {doc_.directives[index].loc});
          break;
        case Document::DefinitionKind::kSchema:
          error("The schema definition is not executable.", {doc_.schemas[index].loc});
          break;
        default:
          break;
      }
    }
    std::map<std::string_view, const OperationDefinition*> op_names;
    for (const auto& op : doc_.operations) {
      if (op.name.empty()) {
        if (doc_.operations.size() > 1) {
          error("This anonymous operation must be the only defined operation.", {op.loc});
        }
        continue;
      }
      auto [it, fresh] = op_names.emplace(op.name, &op);
      if (!fresh) {
        error(fmt::format("There can be only one operation named \"{}\".", op.name),
              {it->second->loc, op.loc});
      }
    }
    std::map<std::string_view, const FragmentDefinition*> frag_names;
    for (const auto& f : doc_.fragments) {
      auto [it, fresh] = frag_names.emplace(f.name, &f);
      if (!fresh) {
        error(fmt::format("There can be only one fragment named \"{}\".", f.name),
              {it->second->loc, f.loc});
      }
    }
    fragment_cycles();
    unused_fragments();
    for (const auto& op : doc_.operations) {
      // graphql-js 16 checks this only when the schema has a subscription type.
      if (op.operation == OperationType::kSubscription && schema_.subscription_type()) {
        single_field_subscription(op);
      }
    }
  }

  static void spreads_of(const std::vector<Selection>& sels, std::vector<const Selection*>& out) {
    for (const auto& s : sels) {
      if (s.kind == Selection::Kind::kFragmentSpread) {
        out.push_back(&s);
      } else {
        spreads_of(s.selections, out);
      }
    }
  }

  void fragment_cycles() {
    std::set<std::string_view> visited;
    std::vector<const Selection*> path;
    std::unordered_map<std::string_view, std::size_t> path_index;
    std::function<void(const FragmentDefinition&)> detect = [&](const FragmentDefinition& f) {
      if (!visited.insert(f.name).second) return;
      std::vector<const Selection*> spreads;
      spreads_of(f.selections, spreads);
      if (spreads.empty()) return;
      path_index[f.name] = path.size();
      for (const Selection* s : spreads) {
        auto cycle = path_index.find(s->name);
        path.push_back(s);
        if (cycle == path_index.end()) {
          auto target = fragments_.find(s->name);
          if (target != fragments_.end()) detect(*target->second);
        } else {
          std::vector<SourceLocation> locs;
          std::string via;
          for (std::size_t i = cycle->second; i < path.size(); ++i) {
            locs.push_back(path[i]->loc);
            if (i + 1 < path.size()) via += (via.empty() ? "\"" : ", \"") + path[i]->name + "\"";
          }
          error(fmt::format("Cannot spread fragment \"{}\" within itself{}.", s->name,
                            via.empty() ? "" : " via " + via),
                std::move(locs));
        }
        path.pop_back();
      }
      path_index.erase(f.name);
    };
    for (const auto& f : doc_.fragments) detect(f);
  }

  // Fragments reachable from `sels` (transitively), in discovery order.
  std::vector<const FragmentDefinition*> referenced_fragments(const std::vector<Selection>& sels) {
    std::vector<const FragmentDefinition*> out;
    std::set<std::string_view> seen;
    std::vector<const std::vector<Selection>*> stack{&sels};
    while (!stack.empty()) {
      const auto* set = stack.back();
      stack.pop_back();
      std::vector<const Selection*> spreads;
      spreads_of(*set, spreads);
      for (const Selection* s : spreads) {
        if (!seen.insert(s->name).second) continue;
        auto f = fragments_.find(s->name);
        if (f == fragments_.end()) continue;
        out.push_back(f->second);
        stack.push_back(&f->second->selections);
      }
    }
    return out;
  }

  void unused_fragments() {
    std::set<std::string_view> used;
    for (const auto& op : doc_.operations) {
      for (const auto* f : referenced_fragments(op.selections)) used.insert(f->name);
    }
    for (const auto& f : doc_.fragments) {
      if (!used.count(f.name))
        error(fmt::format("Fragment \"{}\" is never used.", f.name), {f.loc});
    }
  }

  void subscription_fields(const Type* type, const std::vector<Selection>& sels,
                           std::vector<const Selection*>& out,
                           std::set<std::string_view>& visited) {
    for (const auto& s : sels) {
      bool skipped = false;
      for (const auto& d : s.directives) {
        for (const auto& a : d.arguments) {
          if (a.name == "if" && a.value.kind == ValueKind::kBoolean) {
            if ((d.name == "skip" && a.value.text == "true") ||
                (d.name == "include" && a.value.text == "false")) {
              skipped = true;
            }
          }
        }
      }
      if (skipped) continue;
      if (s.kind == Selection::Kind::kField) {
        bool dup = std::any_of(out.begin(), out.end(), [&](const Selection* o) {
          return o->response_key() == s.response_key();
        });
        if (!dup) out.push_back(&s);
      } else if (s.kind == Selection::Kind::kInlineFragment) {
        subscription_fields(type, s.selections, out, visited);
      } else if (visited.insert(s.name).second) {
        auto f = fragments_.find(s.name);
        if (f != fragments_.end()) subscription_fields(type, f->second->selections, out, visited);
      }
    }
  }

  void single_field_subscription(const OperationDefinition& op) {
    std::vector<const Selection*> fields;
    std::set<std::string_view> visited;
    subscription_fields(schema_.subscription_type(), op.selections, fields, visited);
    std::string who =
        op.name.empty() ? "Anonymous Subscription" : fmt::format("Subscription \"{}\"", op.name);
    if (fields.size() > 1) {
      std::vector<SourceLocation> locs;
      for (std::size_t i = 1; i < fields.size(); ++i) locs.push_back(fields[i]->loc);
      error(who + " must select only one top level field.", std::move(locs));
    }
    for (const Selection* f : fields) {
      if (f->name.starts_with("__")) {
        error(who + " must not select an introspection top level field.", {f->loc});
      }
    }
  }

  // --- typed walk ---
  void operation(const OperationDefinition& op, Walk& walk) {
    const char* location = op.operation == OperationType::kQuery      ? "QUERY"
                           : op.operation == OperationType::kMutation ? "MUTATION"
                                                                      : "SUBSCRIPTION";
    std::set<std::string_view> var_names;
    for (const auto& v : op.variables) {
      if (!var_names.insert(v.name).second) {
        SourceLocation first;
        for (const auto& o : op.variables) {
          if (o.name == v.name) {
            first = o.loc;
            break;
          }
        }
        error(fmt::format("There can be only one variable named \"${}\".", v.name), {first, v.loc});
      }
      const TypeRef* named = &v.type;
      while (!named->of.empty()) named = &named->of.front();
      const Type* t = schema_.type(named->name);
      if (!t) {
        error(fmt::format("Unknown type \"{}\".", named->name), {named->loc});
      } else if (!t->is_input()) {
        error(fmt::format("Variable \"${}\" cannot be non-input type \"{}\".", v.name,
                          print_type(v.type)),
              {v.type.loc});
      }
      const Type* vt = t ? schema_.type_from_ref(v.type, scratch_) : nullptr;
      if (v.default_value && vt && vt->is_input()) value(*v.default_value, vt, nullptr, walk);
      directives(v.directives, "VARIABLE_DEFINITION", walk);
    }
    directives(op.directives, location, walk);
    const Type* root = op.operation == OperationType::kQuery      ? schema_.query_type()
                       : op.operation == OperationType::kMutation ? schema_.mutation_type()
                                                                  : schema_.subscription_type();
    selection_set(root, op.selections, walk);
  }

  void fragment(const FragmentDefinition& f, Walk& walk) {
    const Type* t = schema_.type(f.type_condition);
    if (!t) {
      error(fmt::format("Unknown type \"{}\".", f.type_condition), {f.type_condition_loc});
    } else if (!is_composite(t)) {
      error(fmt::format("Fragment \"{}\" cannot condition on non composite type \"{}\".", f.name,
                        f.type_condition),
            {f.type_condition_loc});
    }
    directives(f.directives, "FRAGMENT_DEFINITION", walk);
    selection_set(is_composite(t) ? t : nullptr, f.selections, walk);
  }

  const Field* field_def(const Type* parent, std::string_view name) {
    if (!parent) return nullptr;
    if (name == "__typename") return schema_.typename_meta_field();
    if (parent == schema_.query_type()) {
      if (name == "__schema") return schema_.schema_meta_field();
      if (name == "__type") return schema_.type_meta_field();
    }
    if (parent->kind == TypeKind::kUnion) return nullptr;
    return parent->field(name);
  }

  void selection_set(const Type* parent, const std::vector<Selection>& sels, Walk& walk) {
    if (parent) overlapping_fields(parent, sels);
    for (const auto& s : sels) {
      switch (s.kind) {
        case Selection::Kind::kField:
          field(parent, s, walk);
          break;
        case Selection::Kind::kInlineFragment: {
          directives(s.directives, "INLINE_FRAGMENT", walk);
          const Type* t = parent;
          if (!s.type_condition.empty()) {
            t = schema_.type(s.type_condition);
            if (!t) {
              error(fmt::format("Unknown type \"{}\".", s.type_condition), {s.type_condition_loc});
            } else if (!is_composite(t)) {
              error(fmt::format("Fragment cannot condition on non composite type \"{}\".",
                                s.type_condition),
                    {s.type_condition_loc});
              t = nullptr;
            } else if (parent && !schema_.overlap(t, parent)) {
              error(fmt::format(
                        "Fragment cannot be spread here as objects of type \"{}\" can never be "
                        "of type \"{}\".",
                        parent->name, t->name),
                    {s.loc});
            }
          }
          selection_set(t, s.selections, walk);
          break;
        }
        case Selection::Kind::kFragmentSpread: {
          directives(s.directives, "FRAGMENT_SPREAD", walk);
          auto f = fragments_.find(s.name);
          if (f == fragments_.end()) {
            error(fmt::format("Unknown fragment \"{}\".", s.name), {s.loc});
            break;
          }
          walk.spreads.push_back(s.name);
          const Type* t = schema_.type(f->second->type_condition);
          if (parent && is_composite(t) && !schema_.overlap(t, parent)) {
            error(fmt::format("Fragment \"{}\" cannot be spread here as objects of type \"{}\" can "
                              "never be of type \"{}\".",
                              s.name, parent->name, t->name),
                  {s.loc});
          }
          break;
        }
      }
    }
  }

  void field(const Type* parent, const Selection& s, Walk& walk) {
    const Field* def = field_def(parent, s.name);
    if (parent && !def) {
      error(fmt::format("Cannot query field \"{}\" on type \"{}\".", s.name, parent->name),
            {s.loc});
    }
    arguments(s.arguments, def ? &def->arguments : nullptr, walk, [&](const std::string& arg) {
      return fmt::format("Unknown argument \"{}\" on field \"{}.{}\".", arg, parent->name, s.name);
    });
    if (def) {
      for (const auto& a : def->arguments) {
        bool given = std::any_of(s.arguments.begin(), s.arguments.end(),
                                 [&](const Argument& g) { return g.name == a.name; });
        if (!given && a.type->kind == TypeKind::kNonNull && !a.default_value) {
          error(fmt::format("Field \"{}\" argument \"{}\" of type \"{}\" is required, but it was "
                            "not provided.",
                            s.name, a.name, a.type->to_string()),
                {s.loc});
        }
      }
    }
    directives(s.directives, "FIELD", walk);
    const Type* type = def ? def->type : nullptr;
    const Type* named = type ? type->named() : nullptr;
    if (named) {
      if (named->is_leaf() && !s.selections.empty()) {
        error(fmt::format(
                  "Field \"{}\" must not have a selection since type \"{}\" has no subfields.",
                  s.name, type->to_string()),
              {s.selections.front().loc.line ? s.loc : s.loc});
      } else if (!named->is_leaf() && s.selections.empty()) {
        error(fmt::format(
                  "Field \"{}\" of type \"{}\" must have a selection of subfields. Did you mean "
                  "\"{} {{ ... }}\"?",
                  s.name, type->to_string(), s.name),
              {s.loc});
      }
    }
    if (!s.selections.empty())
      selection_set(is_composite(named) ? named : nullptr, s.selections, walk);
  }

  void arguments(const std::vector<Argument>& args, const std::vector<InputValue>* defs, Walk& walk,
                 const std::function<std::string(const std::string&)>& unknown_message) {
    for (std::size_t i = 0; i < args.size(); ++i) {
      const Argument& a = args[i];
      for (std::size_t j = 0; j < i; ++j) {
        if (args[j].name == a.name) {
          error(fmt::format("There can be only one argument named \"{}\".", a.name),
                {args[j].loc, a.loc});
          break;
        }
      }
      const InputValue* def = nullptr;
      if (defs) {
        for (const auto& d : *defs) {
          if (d.name == a.name) def = &d;
        }
        if (!def) error(unknown_message(a.name), {a.loc});
      }
      value(a.value, def ? def->type : nullptr, def ? &def->default_value : nullptr, walk);
    }
  }

  void directives(const std::vector<Directive>& ds, const char* location, Walk& walk) {
    for (std::size_t i = 0; i < ds.size(); ++i) {
      const Directive& d = ds[i];
      const DirectiveDef* def = schema_.directive(d.name);
      if (!def) {
        error(fmt::format("Unknown directive \"@{}\".", d.name), {d.loc});
      } else {
        if (std::find(def->locations.begin(), def->locations.end(), location) ==
            def->locations.end()) {
          error(fmt::format("Directive \"@{}\" may not be used on {}.", d.name, location), {d.loc});
        }
        if (!def->repeatable) {
          for (std::size_t j = 0; j < i; ++j) {
            if (ds[j].name == d.name) {
              error(fmt::format("The directive \"@{}\" can only be used once at this location.",
                                d.name),
                    {ds[j].loc, d.loc});
              break;
            }
          }
        }
      }
      arguments(d.arguments, def ? &def->arguments : nullptr, walk, [&](const std::string& arg) {
        return fmt::format("Unknown argument \"{}\" on directive \"@{}\".", arg, d.name);
      });
      if (def) {
        for (const auto& a : def->arguments) {
          bool given = std::any_of(d.arguments.begin(), d.arguments.end(),
                                   [&](const Argument& g) { return g.name == a.name; });
          if (!given && a.type->kind == TypeKind::kNonNull && !a.default_value) {
            error(fmt::format(
                      "Directive \"@{}\" argument \"{}\" of type \"{}\" is required, but it was "
                      "not provided.",
                      d.name, a.name, a.type->to_string()),
                  {d.loc});
          }
        }
      }
    }
  }

  // ValuesOfCorrectType and UniqueInputFieldNames; records variable usages.
  void value(const Value& v, const Type* type, const std::optional<Value>* location_default,
             Walk& walk) {
    if (v.kind == ValueKind::kVariable) {
      walk.usages.push_back(VarUsage{v.text, v.loc, type, location_default});
      return;
    }
    if (v.kind == ValueKind::kObject) {
      for (std::size_t i = 0; i < v.field_names.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
          if (v.field_names[j] == v.field_names[i]) {
            error(fmt::format("There can be only one input field named \"{}\".", v.field_names[i]),
                  {v.field_locs[j], v.field_locs[i]});
            break;
          }
        }
      }
    }
    if (!type) {
      for (const auto& item : v.items) value(item, nullptr, nullptr, walk);
      return;
    }
    if (v.kind == ValueKind::kNull) {
      if (type->kind == TypeKind::kNonNull) {
        error(fmt::format("Expected value of type \"{}\", found null.", type->to_string()),
              {v.loc});
      }
      return;
    }
    const Type* nullable = type->kind == TypeKind::kNonNull ? type->of : type;
    if (v.kind == ValueKind::kList) {
      if (nullable->kind != TypeKind::kList) {
        leaf(v, type);
        return;
      }
      for (const auto& item : v.items) value(item, nullable->of, nullptr, walk);
      return;
    }
    if (v.kind == ValueKind::kObject) {
      if (nullable->kind != TypeKind::kInputObject) {
        leaf(v, type);
        return;
      }
      for (const auto& f : nullable->input_fields) {
        bool given =
            std::find(v.field_names.begin(), v.field_names.end(), f.name) != v.field_names.end();
        if (!given && f.type->kind == TypeKind::kNonNull && !f.default_value) {
          error(fmt::format("Field \"{}.{}\" of required type \"{}\" was not provided.",
                            nullable->name, f.name, f.type->to_string()),
                {v.loc});
        }
      }
      for (std::size_t i = 0; i < v.items.size(); ++i) {
        const InputValue* f = nullable->input_field(v.field_names[i]);
        if (!f) {
          error(fmt::format("Field \"{}\" is not defined by type \"{}\".", v.field_names[i],
                            nullable->name),
                {v.field_locs[i]});
        }
        value(v.items[i], f ? f->type : nullptr, f ? &f->default_value : nullptr, walk);
      }
      return;
    }
    leaf(v, type);
  }

  void leaf(const Value& v, const Type* location_type) {
    const Type* named = location_type->named();
    if (!named->is_leaf()) {
      error(fmt::format("Expected value of type \"{}\", found {}.", location_type->to_string(),
                        print_value(v)),
            {v.loc});
      return;
    }
    auto r = coerce_literal(v, named, nullptr);
    if (!r) {
      // Built-in scalars and enums word their own errors (graphql-js GraphQLError); a custom
      // scalar's message gets the generic prefix.
      if (named->built_in || named->kind == TypeKind::kEnum) {
        error(r.error(), {v.loc});
      } else {
        error(fmt::format("Expected value of type \"{}\", found {}; {}", location_type->to_string(),
                          print_value(v), r.error()),
              {v.loc});
      }
    }
  }

  // --- variables ---
  void variable_rules(const OperationDefinition& op, const Walk& walk,
                      const std::unordered_map<std::string_view, Walk>& fragment_walks) {
    std::vector<const VarUsage*> usages;
    for (const auto& u : walk.usages) usages.push_back(&u);
    for (const FragmentDefinition* f : referenced_fragments(op.selections)) {
      auto it = fragment_walks.find(f->name);
      if (it == fragment_walks.end()) continue;
      for (const auto& u : it->second.usages) usages.push_back(&u);
    }
    std::set<std::string_view> used;
    for (const VarUsage* u : usages) {
      used.insert(u->name);
      const VariableDefinition* def = nullptr;
      for (const auto& v : op.variables) {
        if (v.name == u->name) {
          def = &v;
          break;
        }
      }
      if (!def) {
        error(op.name.empty() ? fmt::format("Variable \"${}\" is not defined.", u->name)
                              : fmt::format("Variable \"${}\" is not defined by operation \"{}\".",
                                            u->name, op.name),
              {u->loc, op.loc});
        continue;
      }
      if (!u->type) continue;
      const Type* var_type = schema_.type_from_ref(def->type, scratch_);
      if (!var_type || !var_type->is_input()) continue;
      if (!allowed_usage(var_type, def->default_value, u->type, u->location_default)) {
        error(fmt::format("Variable \"${}\" of type \"{}\" used in position expecting type \"{}\".",
                          u->name, print_type(def->type), u->type->to_string()),
              {def->loc, u->loc});
      }
    }
    for (const auto& v : op.variables) {
      if (!used.count(v.name)) {
        error(op.name.empty() ? fmt::format("Variable \"${}\" is never used.", v.name)
                              : fmt::format("Variable \"${}\" is never used in operation \"{}\".",
                                            v.name, op.name),
              {v.loc});
      }
    }
  }

  bool allowed_usage(const Type* var_type, const std::optional<Value>& var_default,
                     const Type* location_type, const std::optional<Value>* location_default) {
    if (location_type->kind == TypeKind::kNonNull && var_type->kind != TypeKind::kNonNull) {
      bool var_has_default = var_default && var_default->kind != ValueKind::kNull;
      bool location_has_default = location_default && location_default->has_value();
      if (!var_has_default && !location_has_default) return false;
      return schema_.is_subtype(var_type, location_type->of);
    }
    return schema_.is_subtype(var_type, location_type);
  }

  // --- OverlappingFieldsCanBeMerged (graphql-js's algorithm) ---
  void overlapping_fields(const Type* parent, const std::vector<Selection>& sels) {
    std::vector<Conflict> conflicts;
    const FieldsAndFragments& ff = fields_and_fragments(parent, sels);
    collect_within(ff.fields, conflicts);
    for (std::size_t i = 0; i < ff.fragments.size(); ++i) {
      std::set<std::string_view> compared;
      collect_fields_and_fragment(conflicts, compared, false, ff.fields, ff.fragments[i]);
      for (std::size_t j = i + 1; j < ff.fragments.size(); ++j) {
        collect_fragments(conflicts, false, ff.fragments[i], ff.fragments[j]);
      }
    }
    for (auto& c : conflicts) {
      std::vector<SourceLocation> locs = std::move(c.locs1);
      locs.insert(locs.end(), c.locs2.begin(), c.locs2.end());
      error(fmt::format("Fields \"{}\" conflict because {}. Use different aliases on the fields to "
                        "fetch both if this was intentional.",
                        c.key, c.reason),
            std::move(locs));
    }
  }

  void gather(const Type* parent, const std::vector<Selection>& sels, FieldsAndFragments& out) {
    for (const auto& s : sels) {
      switch (s.kind) {
        case Selection::Kind::kField: {
          FieldInfo info{parent, &s, is_composite(parent) ? field_def(parent, s.name) : nullptr};
          std::string_view key = s.response_key();
          auto it = std::find_if(out.fields.begin(), out.fields.end(),
                                 [&](const auto& e) { return e.first == key; });
          if (it == out.fields.end()) {
            out.fields.emplace_back(key, std::vector<FieldInfo>{info});
          } else {
            it->second.push_back(info);
          }
          break;
        }
        case Selection::Kind::kFragmentSpread:
          if (std::find(out.fragments.begin(), out.fragments.end(), s.name) ==
              out.fragments.end()) {
            out.fragments.push_back(s.name);
          }
          break;
        case Selection::Kind::kInlineFragment:
          gather(s.type_condition.empty() ? parent : schema_.type(s.type_condition), s.selections,
                 out);
          break;
      }
    }
  }

  const FieldsAndFragments& fields_and_fragments(const Type* parent,
                                                 const std::vector<Selection>& sels) {
    auto key = std::make_pair(parent, &sels);
    auto it = cached_.find(key);
    if (it != cached_.end()) return it->second;
    FieldsAndFragments ff;
    gather(parent, sels, ff);
    return cached_.emplace(key, std::move(ff)).first->second;
  }

  const FieldsAndFragments* fragment_fields(std::string_view name) {
    auto f = fragments_.find(name);
    if (f == fragments_.end()) return nullptr;
    return &fields_and_fragments(schema_.type(f->second->type_condition), f->second->selections);
  }

  bool budget() { return ++comparisons_ <= kOverlapComparisonsMax; }

  void collect_within(const FieldMap& map, std::vector<Conflict>& out) {
    for (const auto& [key, fields] : map) {
      for (std::size_t i = 0; i < fields.size(); ++i) {
        for (std::size_t j = i + 1; j < fields.size(); ++j) {
          if (!budget()) return;
          if (auto c = find_conflict(false, key, fields[i], fields[j]))
            out.push_back(std::move(*c));
        }
      }
    }
  }

  void collect_between(std::vector<Conflict>& out, bool exclusive, const FieldMap& a,
                       const FieldMap& b) {
    for (const auto& [key, fa] : a) {
      auto it = std::find_if(b.begin(), b.end(), [&](const auto& e) { return e.first == key; });
      if (it == b.end()) continue;
      for (const auto& f1 : fa) {
        for (const auto& f2 : it->second) {
          if (!budget()) return;
          if (auto c = find_conflict(exclusive, key, f1, f2)) out.push_back(std::move(*c));
        }
      }
    }
  }

  void collect_fields_and_fragment(std::vector<Conflict>& out, std::set<std::string_view>& compared,
                                   bool exclusive, const FieldMap& map, std::string_view fragment) {
    if (!compared.insert(fragment).second || !budget()) return;
    const FieldsAndFragments* ff = fragment_fields(fragment);
    if (!ff || &ff->fields == &map) return;
    collect_between(out, exclusive, map, ff->fields);
    for (std::string_view next : ff->fragments)
      collect_fields_and_fragment(out, compared, exclusive, map, next);
  }

  void collect_fragments(std::vector<Conflict>& out, bool exclusive, std::string_view a,
                         std::string_view b) {
    if (a == b || !budget()) return;
    auto key = std::make_tuple(std::min(a, b), std::max(a, b), exclusive);
    if (!compared_pairs_.insert(key).second) return;
    const FieldsAndFragments* fa = fragment_fields(a);
    const FieldsAndFragments* fb = fragment_fields(b);
    if (!fa || !fb) return;
    collect_between(out, exclusive, fa->fields, fb->fields);
    for (std::string_view next : fb->fragments) collect_fragments(out, exclusive, a, next);
    for (std::string_view next : fa->fragments) collect_fragments(out, exclusive, next, b);
  }

  std::vector<Conflict> between_sub_selections(bool exclusive, const Type* t1,
                                               const std::vector<Selection>& s1, const Type* t2,
                                               const std::vector<Selection>& s2) {
    std::vector<Conflict> out;
    const FieldsAndFragments& a = fields_and_fragments(t1, s1);
    const FieldsAndFragments& b = fields_and_fragments(t2, s2);
    collect_between(out, exclusive, a.fields, b.fields);
    for (std::string_view f : b.fragments) {
      std::set<std::string_view> compared;
      collect_fields_and_fragment(out, compared, exclusive, a.fields, f);
    }
    for (std::string_view f : a.fragments) {
      std::set<std::string_view> compared;
      collect_fields_and_fragment(out, compared, exclusive, b.fields, f);
    }
    for (std::string_view fa : a.fragments) {
      for (std::string_view fb : b.fragments) collect_fragments(out, exclusive, fa, fb);
    }
    return out;
  }

  static bool same_arguments(const Selection& a, const Selection& b) {
    if (a.arguments.size() != b.arguments.size()) return false;
    for (const auto& x : a.arguments) {
      auto it = std::find_if(b.arguments.begin(), b.arguments.end(),
                             [&](const Argument& y) { return y.name == x.name; });
      if (it == b.arguments.end() || print_value(x.value) != print_value(it->value)) return false;
    }
    return true;
  }

  static bool types_conflict(const Type* a, const Type* b) {
    if (a->kind == TypeKind::kList)
      return b->kind == TypeKind::kList ? types_conflict(a->of, b->of) : true;
    if (b->kind == TypeKind::kList) return true;
    if (a->kind == TypeKind::kNonNull)
      return b->kind == TypeKind::kNonNull ? types_conflict(a->of, b->of) : true;
    if (b->kind == TypeKind::kNonNull) return true;
    if (a->is_leaf() || b->is_leaf()) return a != b;
    return false;
  }

  std::optional<Conflict> find_conflict(bool parent_exclusive, std::string_view key,
                                        const FieldInfo& f1, const FieldInfo& f2) {
    bool exclusive = parent_exclusive ||
                     (f1.parent != f2.parent && f1.parent && f2.parent &&
                      f1.parent->kind == TypeKind::kObject && f2.parent->kind == TypeKind::kObject);
    const Selection& n1 = *f1.node;
    const Selection& n2 = *f2.node;
    auto conflict = [&](std::string reason) {
      return Conflict{key, std::move(reason), {n1.loc}, {n2.loc}};
    };
    if (!exclusive) {
      if (n1.name != n2.name) {
        return conflict(fmt::format("\"{}\" and \"{}\" are different fields", n1.name, n2.name));
      }
      if (!same_arguments(n1, n2)) return conflict("they have differing arguments");
    }
    const Type* t1 = f1.def ? f1.def->type : nullptr;
    const Type* t2 = f2.def ? f2.def->type : nullptr;
    if (t1 && t2 && types_conflict(t1, t2)) {
      return conflict(fmt::format("they return conflicting types \"{}\" and \"{}\"",
                                  t1->to_string(), t2->to_string()));
    }
    if (!n1.selections.empty() && !n2.selections.empty()) {
      auto sub = between_sub_selections(exclusive, t1 ? t1->named() : nullptr, n1.selections,
                                        t2 ? t2->named() : nullptr, n2.selections);
      if (!sub.empty()) {
        Conflict c{key, {}, {n1.loc}, {n2.loc}};
        for (std::size_t i = 0; i < sub.size(); ++i) {
          if (i) c.reason += " and ";
          c.reason +=
              fmt::format("subfields \"{}\" conflict because {}", sub[i].key, sub[i].reason);
          c.locs1.insert(c.locs1.end(), sub[i].locs1.begin(), sub[i].locs1.end());
          c.locs2.insert(c.locs2.end(), sub[i].locs2.begin(), sub[i].locs2.end());
        }
        return c;
      }
    }
    return std::nullopt;
  }

  // --- this server's bounds ---
  struct Size {
    std::size_t depth = 0;
    std::size_t fields = 0;
  };

  Size measure(const std::vector<Selection>& sels,
               std::unordered_map<std::string_view, Size>& memo) {
    Size size;
    for (const auto& s : sels) {
      Size inner;
      if (s.kind == Selection::Kind::kFragmentSpread) {
        auto known = memo.find(s.name);
        if (known != memo.end()) {
          inner = known->second;
        } else if (auto f = fragments_.find(s.name); f != fragments_.end()) {
          inner = measure(f->second->selections, memo);
          memo[s.name] = inner;
        }
      } else {
        inner = measure(s.selections, memo);
        if (s.kind == Selection::Kind::kField) {
          inner.depth += 1;
          inner.fields += 1;
        }
      }
      size.depth = std::max(size.depth, inner.depth);
      size.fields = std::min(size.fields + inner.fields, std::size_t{1} << 40);
    }
    return size;
  }

  static std::size_t count_aliases(const std::vector<Selection>& sels) {
    std::size_t n = 0;
    for (const auto& s : sels) n += (s.alias.empty() ? 0 : 1) + count_aliases(s.selections);
    return n;
  }

  void limits() {
    std::unordered_map<std::string_view, Size> memo;
    std::size_t aliases = 0;
    for (const auto& op : doc_.operations) {
      Size size = measure(op.selections, memo);
      if (size.depth > limits_.depth_max) {
        error(fmt::format("Query depth {} exceeds the maximum depth of {}.", size.depth,
                          limits_.depth_max),
              {op.loc});
      }
      if (size.fields > limits_.fields_max) {
        error(fmt::format("Query selects {} fields, more than the maximum of {}.", size.fields,
                          limits_.fields_max),
              {op.loc});
      }
      aliases += count_aliases(op.selections);
    }
    for (const auto& f : doc_.fragments) aliases += count_aliases(f.selections);
    if (aliases > limits_.aliases_max) {
      error(fmt::format("Document uses {} aliases, more than the maximum of {}.", aliases,
                        limits_.aliases_max),
            {});
    }
  }

  const Schema& schema_;
  const Document& doc_;
  ValidationLimits limits_;
  std::unordered_map<std::string_view, const FragmentDefinition*> fragments_;
  std::vector<GraphqlError> errors_;
  std::deque<Type> scratch_;
  std::map<std::pair<const Type*, const std::vector<Selection>*>, FieldsAndFragments> cached_;
  std::set<std::tuple<std::string_view, std::string_view, bool>> compared_pairs_;
  std::size_t comparisons_ = 0;
};

}  // namespace

std::vector<GraphqlError> validate(const Schema& schema, const Document& document,
                                   const ValidationLimits& limits) {
  return Validator(schema, document, limits).run();
}

}  // namespace rafiki::graphql
