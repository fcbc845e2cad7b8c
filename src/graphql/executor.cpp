// The executor follows the spec's ExecuteRequest / ExecuteSelectionSet / CompleteValue
// algorithms and graphql-js's error handling: an error raised while completing a field is
// recorded once, where it arises, and turns the nearest nullable field or list item into null.
#include "graphql/executor.h"

#include <fmt/format.h>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <deque>
#include <map>
#include <set>
#include <unordered_map>

#include "graphql/values.h"

namespace rafiki::graphql {

namespace json = boost::json;
using boost::asio::awaitable;

struct PathNode {
  const PathNode* prev = nullptr;
  std::string_view key;
  int index = -1;
};

namespace {

std::vector<PathSegment> to_path(const PathNode* node) {
  std::vector<PathSegment> out;
  for (; node; node = node->prev) {
    PathSegment s;
    if (node->index >= 0) {
      s.index = node->index;
    } else {
      s.key = std::string(node->key);
    }
    out.push_back(std::move(s));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

// A value between resolution and completion: JSON from resolvers, or schema objects (by
// pointer) for the introspection types.
const json::value kNullValue;

struct Resolved {
  const json::value* ref = nullptr;  // borrowed from the parent value (lives in a caller frame)
  // What a resolver returned, in whatever storage it was built (an optional, because assigning
  // a json::value would copy it into the target's storage).
  std::optional<json::value> owned;
  const void* native = nullptr;
  std::vector<const void*> natives;
  bool native_list = false;

  const json::value& json() const { return ref ? *ref : owned ? *owned : kNullValue; }
  bool is_null() const { return !native && !native_list && json().is_null(); }
};

Resolved native(const void* p) {
  Resolved r;
  r.native = p;
  return r;
}

template <class T>
Resolved native_list(const std::vector<T>& items, bool include_deprecated) {
  Resolved r;
  r.native_list = true;
  for (const auto& item : items) {
    if (include_deprecated || !item.deprecated) r.natives.push_back(&item);
  }
  return r;
}

Resolved nullable_string(const std::string& s) {
  Resolved r;
  if (!s.empty()) r.owned.emplace(s);
  return r;
}

Resolved json_value(json::value v) {
  Resolved r;
  r.owned.emplace(std::move(v));
  return r;
}

// The response text being written: a growable buffer whose appends are inlined (most writes are
// a few bytes), cut back to a mark when an error turns a position into null.
class Text {
 public:
  explicit Text(std::size_t capacity) { grow_to(std::max(capacity, kTextCapacityMin)); }

  std::size_t size() const { return size_; }
  std::string_view view() const { return {data_.get(), size_}; }
  void truncate(std::size_t size) { size_ = size; }

  void put(char c) {
    if (size_ == capacity_) [[unlikely]]
      grow_to(capacity_ * 2);
    data_[size_++] = c;
  }
  void append(const char* p, std::size_t n) {
    if (capacity_ - size_ < n) [[unlikely]]
      grow_to(std::max(capacity_ * 2, size_ + n));
    std::memcpy(data_.get() + size_, p, n);
    size_ += n;
  }
  void append(std::string_view s) { append(s.data(), s.size()); }

 private:
  static constexpr std::size_t kTextCapacityMin = 256;

  void grow_to(std::size_t capacity) {
    auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
    if (size_) std::memcpy(bigger.get(), data_.get(), size_);
    data_ = std::move(bigger);
    capacity_ = capacity;
  }

  std::unique_ptr<char[]> data_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

// For each byte, 0 when JSON text carries it as it is, else the letter of its escape ('u' for
// \u00XX) — the escapes boost::json::serialize writes.
constexpr std::array<char, 256> kEscapes = [] {
  std::array<char, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = 'u';
  t['\b'] = 'b';
  t['\t'] = 't';
  t['\n'] = 'n';
  t['\f'] = 'f';
  t['\r'] = 'r';
  t['"'] = '"';
  t['\\'] = '\\';
  return t;
}();

// JSON text written the way boost::json::serialize writes it (the same escapes, number forms and
// no whitespace), so a response reads the same whether it was streamed or built as a tree.
void write_string(Text& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.put('"');
  std::size_t run = 0;  // start of the bytes not written yet
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    char e = kEscapes[c];
    if (!e) [[likely]]
      continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    if (e == 'u') {
      const char u[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
      out.append(u, sizeof u);
    } else {
      const char escape[] = {'\\', e};
      out.append(escape, sizeof escape);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.put('"');
}

template <class Integer>
void write_integer(Text& out, Integer n) {
  char buffer[24];
  auto end = std::to_chars(buffer, buffer + sizeof buffer, n).ptr;
  out.append(buffer, static_cast<std::size_t>(end - buffer));
}

void write_json(Text& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      out.append("null");
      return;
    case json::kind::bool_:
      out.append(v.get_bool() ? "true" : "false");
      return;
    case json::kind::int64:
      write_integer(out, v.get_int64());
      return;
    case json::kind::uint64:
      write_integer(out, v.get_uint64());
      return;
    case json::kind::double_:
      out.append(json::serialize(v));
      return;
    case json::kind::string:
      write_string(out, v.get_string());
      return;
    case json::kind::array: {
      out.put('[');
      bool first = true;
      for (const auto& item : v.get_array()) {
        if (!first) out.put(',');
        first = false;
        write_json(out, item);
      }
      out.put(']');
      return;
    }
    case json::kind::object: {
      out.put('{');
      bool first = true;
      for (const auto& member : v.get_object()) {
        if (!first) out.put(',');
        first = false;
        write_string(out, member.key());
        out.put(':');
        write_json(out, member.value());
      }
      out.put('}');
      return;
    }
  }
}

// Whether the text from `mark` on is a JSON null.
bool wrote_null(const Text& out, std::size_t mark) {
  return out.size() - mark == 4 && out.view().substr(mark) == "null";
}

const char* kind_name(TypeKind k) {
  switch (k) {
    case TypeKind::kScalar:
      return "SCALAR";
    case TypeKind::kObject:
      return "OBJECT";
    case TypeKind::kInterface:
      return "INTERFACE";
    case TypeKind::kUnion:
      return "UNION";
    case TypeKind::kEnum:
      return "ENUM";
    case TypeKind::kInputObject:
      return "INPUT_OBJECT";
    case TypeKind::kList:
      return "LIST";
    case TypeKind::kNonNull:
      return "NON_NULL";
  }
  return "SCALAR";
}

// The introspection types' fields, resolved from schema objects (spec §4.5).
Resolved introspect(const Schema& schema, const Type& parent, const void* source,
                    std::string_view field, const json::object& args) {
  bool include_deprecated = false;
  if (auto it = args.find("includeDeprecated"); it != args.end() && it->value().is_bool()) {
    include_deprecated = it->value().get_bool();
  }
  const std::string& type_name = parent.name;
  if (type_name == "__Schema") {
    if (field == "description") return nullable_string(std::string(schema.description()));
    if (field == "types") {
      Resolved r;
      r.native_list = true;
      for (const Type* t : schema.types()) r.natives.push_back(t);
      return r;
    }
    if (field == "queryType") return native(schema.query_type());
    if (field == "mutationType")
      return schema.mutation_type() ? native(schema.mutation_type()) : Resolved{};
    if (field == "subscriptionType") {
      return schema.subscription_type() ? native(schema.subscription_type()) : Resolved{};
    }
    if (field == "directives") {
      Resolved r;
      r.native_list = true;
      for (const DirectiveDef* d : schema.directives()) r.natives.push_back(d);
      return r;
    }
  }
  if (type_name == "__Type") {
    const Type& t = *static_cast<const Type*>(source);
    if (field == "kind") return json_value(kind_name(t.kind));
    if (field == "name") return nullable_string(t.name);
    if (field == "description") return t.is_wrapper() ? Resolved{} : nullable_string(t.description);
    if (field == "specifiedByURL") return nullable_string(t.specified_by_url);
    if (field == "fields") {
      if (t.kind != TypeKind::kObject && t.kind != TypeKind::kInterface) return {};
      return native_list(t.fields, include_deprecated);
    }
    if (field == "interfaces") {
      if (t.kind != TypeKind::kObject && t.kind != TypeKind::kInterface) return {};
      Resolved r;
      r.native_list = true;
      for (const Type* i : t.interfaces) r.natives.push_back(i);
      return r;
    }
    if (field == "possibleTypes") {
      if (!t.is_abstract()) return {};
      Resolved r;
      r.native_list = true;
      for (const Type* p : t.possible_types) r.natives.push_back(p);
      return r;
    }
    if (field == "enumValues") {
      if (t.kind != TypeKind::kEnum) return {};
      return native_list(t.values, include_deprecated);
    }
    if (field == "inputFields") {
      if (t.kind != TypeKind::kInputObject) return {};
      return native_list(t.input_fields, include_deprecated);
    }
    if (field == "ofType") return t.of ? native(t.of) : Resolved{};
  }
  if (type_name == "__Field") {
    const Field& f = *static_cast<const Field*>(source);
    if (field == "name") return json_value(json::value(f.name));
    if (field == "description") return nullable_string(f.description);
    if (field == "args") return native_list(f.arguments, include_deprecated);
    if (field == "type") return native(f.type);
    if (field == "isDeprecated") return json_value(f.deprecated);
    if (field == "deprecationReason")
      return f.deprecated ? json_value(json::value(f.deprecation_reason)) : Resolved{};
  }
  if (type_name == "__InputValue") {
    const InputValue& v = *static_cast<const InputValue*>(source);
    if (field == "name") return json_value(json::value(v.name));
    if (field == "description") return nullable_string(v.description);
    if (field == "type") return native(v.type);
    if (field == "defaultValue") return nullable_string(print_default_value(v));
    if (field == "isDeprecated") return json_value(v.deprecated);
    if (field == "deprecationReason")
      return v.deprecated ? json_value(json::value(v.deprecation_reason)) : Resolved{};
  }
  if (type_name == "__EnumValue") {
    const EnumValue& v = *static_cast<const EnumValue*>(source);
    if (field == "name") return json_value(json::value(v.name));
    if (field == "description") return nullable_string(v.description);
    if (field == "isDeprecated") return json_value(v.deprecated);
    if (field == "deprecationReason")
      return v.deprecated ? json_value(json::value(v.deprecation_reason)) : Resolved{};
  }
  if (type_name == "__Directive") {
    const DirectiveDef& d = *static_cast<const DirectiveDef*>(source);
    if (field == "name") return json_value(json::value(d.name));
    if (field == "description") return nullable_string(d.description);
    if (field == "isRepeatable") return json_value(d.repeatable);
    if (field == "locations") {
      json::array a;
      for (const auto& l : d.locations) a.emplace_back(l);
      return json_value(std::move(a));
    }
    if (field == "args") {
      Resolved r;
      r.native_list = true;
      for (const auto& a : d.arguments) {
        if (include_deprecated || !a.deprecated) r.natives.push_back(&a);
      }
      return r;
    }
  }
  return {};
}

// At most this much is reserved up front for the response text (the last response's size on the
// thread, plus an eighth).
constexpr std::size_t kResponseReserveBytesMax = 1024 * 1024;

// The resolvers' arena's first block: big enough for a typical Admin API page, small enough to
// come from the allocator's reusable heap rather than fresh pages.
constexpr std::size_t kArenaFirstBlockBytes = 64 * 1024;

// Upstream of the response arenas: keeps a few freed blocks per thread for the next request, so
// building a response does not fault in fresh pages every time.
class BlockCache final : public json::memory_resource {
 public:
  static constexpr std::size_t kCachedBlocksMax = 8;

 private:
  struct Block {
    std::size_t bytes;
    std::size_t align;
    void* p;
  };
  // Freed at thread exit.
  struct Blocks {
    std::vector<Block> items;
    ~Blocks() {
      for (const Block& b : items) ::operator delete(b.p, std::align_val_t(b.align));
    }
  };
  static std::size_t alignment(std::size_t align) {
    return std::max(align, alignof(std::max_align_t));
  }
  static std::vector<Block>& cache() {
    thread_local Blocks blocks;
    return blocks.items;
  }
  void* do_allocate(std::size_t bytes, std::size_t align) override {
    auto& blocks = cache();
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      if (blocks[i].bytes == bytes && blocks[i].align == alignment(align)) {
        void* p = blocks[i].p;
        blocks[i] = blocks.back();
        blocks.pop_back();
        return p;
      }
    }
    return ::operator new(bytes, std::align_val_t(alignment(align)));
  }
  void do_deallocate(void* p, std::size_t bytes, std::size_t align) override {
    auto& blocks = cache();
    if (blocks.size() < kCachedBlocksMax) {
      blocks.push_back(Block{bytes, alignment(align), p});
      return;
    }
    ::operator delete(p, std::align_val_t(alignment(align)));
  }
  bool do_is_equal(const json::memory_resource& other) const noexcept override {
    return this == &other;
  }
};

BlockCache& block_cache() {
  static BlockCache instance;
  return instance;
}

// The response text's size of the last request on this thread: the next one reserves about as
// much.
thread_local std::size_t t_last_response_bytes = 0;

const json::object kNoArguments;

struct FieldGroup;
using FieldGroups = std::vector<FieldGroup>;

// One response key of a selection set collected for a parent object type (spec §6.3.2
// CollectFields), with what executing it needs worked out once per request: its definition,
// whether it may reach a resolver, its text in the response and its coerced arguments.
struct FieldGroup {
  enum class Kind { kTypename, kSchemaMeta, kTypeMeta, kField, kUnknown };

  FieldGroup(std::string_view k, const Selection* first) : key(k), nodes{first} {}

  std::string_view key;
  std::vector<const Selection*> nodes;
  // Filled in by Execution::prepare on first use.
  bool prepared = false;
  Kind kind = Kind::kUnknown;
  const Field* field = nullptr;
  bool needs_async = false;               // the field's execution may reach a resolver
  bool completion_async = false;          // completing its value may reach a resolver
  std::string key_text;                   // "key":
  std::optional<json::object> arguments;  // once coerced without error
  std::size_t member_hint = 0;            // where the field was last found in a parent JSON object
  // The subfields when the field's named type is an object type (found on first use).
  FieldGroups* object_subfields = nullptr;
};

class Execution {
 public:
  Execution(const Schema& schema, const ExecutionRequest& request)
      : schema_(schema), request_(request) {
    for (const auto& f : request.document->fragments) fragments_.emplace(f.name, &f);
  }

  awaitable<ExecutionResult> run() {
    ExecutionResult result;
    const OperationDefinition* op = select_operation();
    if (!op || !coerce_variables(*op)) {
      result.errors = std::move(errors_);
      co_return result;
    }
    const Type* root = op->operation == OperationType::kQuery      ? schema_.query_type()
                       : op->operation == OperationType::kMutation ? schema_.mutation_type()
                                                                   : schema_.subscription_type();
    if (!root || op->operation == OperationType::kSubscription) {
      GraphqlError e;
      e.message = root ? "Subscriptions are not supported by this server."
                       : fmt::format("Schema is not configured to execute {} operation.",
                                     operation_type_name(op->operation));
      e.locations.push_back(op->loc);
      e.code = kCodeBadUserInput;
      result.errors.push_back(std::move(e));
      co_return result;
    }
    FieldGroups fields;
    std::set<std::string_view> visited;
    collect_fields(root, op->selections, fields, visited);
    Resolved source = json_value(json::object());
    serial_ = op->operation == OperationType::kMutation;
    bool ok = co_await execute_fields(root, source, fields, nullptr);
    if (!ok) {
      out_.truncate(0);
      out_.append("null");
    }
    t_last_response_bytes = out_.size();
    result.data = std::string(out_.view());
    result.errors = std::move(errors_);
    co_return result;
  }

 private:
  void error(std::string message, std::vector<SourceLocation> locations, const PathNode* path,
             std::string code = {}) {
    GraphqlError e;
    e.message = std::move(message);
    e.locations = std::move(locations);
    e.path = to_path(path);
    e.code = std::move(code);
    errors_.push_back(std::move(e));
  }

  const OperationDefinition* select_operation() {
    const auto& ops = request_.document->operations;
    if (request_.operation_name.empty()) {
      if (ops.size() == 1) return &ops[0];
      error(ops.empty() ? "Must provide an operation."
                        : "Must provide operation name if query contains multiple operations.",
            {}, nullptr, kCodeBadUserInput);
      return nullptr;
    }
    for (const auto& op : ops) {
      if (op.name == request_.operation_name) return &op;
    }
    error(fmt::format("Unknown operation named \"{}\".", request_.operation_name), {}, nullptr,
          kCodeBadUserInput);
    return nullptr;
  }

  bool coerce_variables(const OperationDefinition& op) {
    bool ok = true;
    for (const auto& def : op.variables) {
      const Type* type = schema_.type_from_ref(def.type, scratch_types_);
      std::string type_text = print_type(def.type);
      if (!type || !type->is_input()) {
        error(
            fmt::format("Variable \"${}\" expected value of type \"{}\" which cannot be used as an "
                        "input type.",
                        def.name, type_text),
            {def.type.loc}, nullptr, kCodeBadUserInput);
        ok = false;
        continue;
      }
      auto given = request_.variables.find(def.name);
      if (given == request_.variables.end()) {
        if (def.default_value) {
          auto v = coerce_literal(*def.default_value, type, nullptr);
          if (v && !v->undefined) variables_[def.name] = std::move(v->value);
        } else if (type->kind == TypeKind::kNonNull) {
          error(fmt::format("Variable \"${}\" of required type \"{}\" was not provided.", def.name,
                            type_text),
                {def.loc}, nullptr, kCodeBadUserInput);
          ok = false;
        }
        continue;
      }
      if (given->value().is_null() && type->kind == TypeKind::kNonNull) {
        error(fmt::format("Variable \"${}\" of non-null type \"{}\" must not be null.", def.name,
                          type_text),
              {def.loc}, nullptr, kCodeBadUserInput);
        ok = false;
        continue;
      }
      auto v = coerce_input(given->value(), type);
      if (!v) {
        for (const auto& e : v.error()) {
          std::string at = e.path.empty() ? "" : fmt::format(" at \"{}{}\"", def.name, e.path);
          error(fmt::format("Variable \"${}\" got invalid value {}{}; {}", def.name,
                            inspect(e.value), at, e.message),
                {def.loc}, nullptr, kCodeBadUserInput);
        }
        ok = false;
        continue;
      }
      variables_[def.name] = std::move(*v);
    }
    return ok;
  }

  // @skip(if:) and @include(if:) (spec §3.13.2, §3.13.3).
  bool should_include(const std::vector<Directive>& directives) {
    for (const auto& d : directives) {
      if (d.name != "skip" && d.name != "include") continue;
      for (const auto& a : d.arguments) {
        if (a.name != "if") continue;
        bool value = false;
        if (a.value.kind == ValueKind::kBoolean) {
          value = a.value.text == "true";
        } else if (a.value.kind == ValueKind::kVariable) {
          auto it = variables_.find(a.value.text);
          value = it != variables_.end() && it->value().is_bool() && it->value().get_bool();
        }
        if (d.name == "skip" && value) return false;
        if (d.name == "include" && !value) return false;
      }
    }
    return true;
  }

  bool fragment_applies(std::string_view condition, const Type* object_type) {
    if (condition.empty()) return true;
    const Type* t = schema_.type(condition);
    if (!t) return false;
    if (t == object_type) return true;
    return t->is_abstract() && schema_.is_possible_type(t, object_type);
  }

  void collect_fields(const Type* object_type, const std::vector<Selection>& selections,
                      FieldGroups& out, std::set<std::string_view>& visited) {
    for (const auto& s : selections) {
      if (!should_include(s.directives)) continue;
      switch (s.kind) {
        case Selection::Kind::kField: {
          std::string_view key = s.response_key();
          auto it =
              std::find_if(out.begin(), out.end(), [&](const auto& g) { return g.key == key; });
          if (it == out.end()) {
            out.emplace_back(key, &s);
          } else {
            it->nodes.push_back(&s);
          }
          break;
        }
        case Selection::Kind::kInlineFragment:
          if (fragment_applies(s.type_condition, object_type)) {
            collect_fields(object_type, s.selections, out, visited);
          }
          break;
        case Selection::Kind::kFragmentSpread: {
          if (!visited.insert(s.name).second) break;
          auto f = fragments_.find(s.name);
          if (f == fragments_.end()) break;
          if (!fragment_applies(f->second->type_condition, object_type)) break;
          collect_fields(object_type, f->second->selections, out, visited);
          break;
        }
      }
    }
  }

  // CollectSubfields, memoised per (object type, field nodes): list items share the work.
  FieldGroups& subfields(const Type* object_type, const std::vector<const Selection*>& nodes) {
    auto key = std::make_pair(object_type, static_cast<const void*>(&nodes));
    auto it = subfields_.find(key);
    if (it != subfields_.end()) return it->second;
    FieldGroups sub;
    std::set<std::string_view> visited;
    for (const Selection* n : nodes) collect_fields(object_type, n->selections, sub, visited);
    return subfields_.emplace(key, std::move(sub)).first->second;
  }

  // Whether executing a field may reach a resolver (then it runs as a coroutine); everything
  // else — default resolution from the parent value, introspection, leaves — runs as plain
  // calls, which is most of a response.
  const Field* field_of(const Type* parent_type, std::string_view name) const {
    if (parent_type == schema_.query_type()) {
      if (name == "__schema") return schema_.schema_meta_field();
      if (name == "__type") return schema_.type_meta_field();
    }
    return parent_type->field(name);
  }

  // Works out once what executing `group` under `parent_type` needs (the group belongs to one
  // parent type's memoised field groups, so it identifies the field).
  FieldGroup& prepare(const Type* parent_type, FieldGroup& group) {
    if (group.prepared) return group;
    group.prepared = true;
    Text key(group.key.size() + 3);
    write_string(key, group.key);
    key.put(':');
    group.key_text = std::string(key.view());
    const std::string& name = group.nodes.front()->name;
    if (name == "__typename") {
      group.kind = FieldGroup::Kind::kTypename;
      return group;
    }
    if (parent_type == schema_.query_type() && (name == "__schema" || name == "__type")) {
      group.kind = name == "__schema" ? FieldGroup::Kind::kSchemaMeta : FieldGroup::Kind::kTypeMeta;
      group.field = field_of(parent_type, name);
    } else {
      group.field = parent_type->field(name);
      group.kind = group.field ? FieldGroup::Kind::kField : FieldGroup::Kind::kUnknown;
    }
    if (!group.field) return group;
    group.completion_async = completion_needs_async(group.field->type, group.nodes);
    group.needs_async = group.field->resolver || group.completion_async;
    return group;
  }

  bool completion_needs_async(const Type* type, const std::vector<const Selection*>& nodes) {
    const Type* named = type->named();
    if (named->is_leaf()) return false;
    if (named->is_abstract()) {
      for (const Type* t : named->possible_types) {
        if (object_needs_async(t, nodes)) return true;
      }
      return false;
    }
    return object_needs_async(named, nodes);
  }

  bool object_needs_async(const Type* object_type, const std::vector<const Selection*>& nodes) {
    auto key = std::make_pair(object_type, static_cast<const void*>(&nodes));
    if (auto it = needs_async_.find(key); it != needs_async_.end()) return it->second;
    bool needs = false;
    for (const FieldGroup& group : subfields(object_type, nodes)) {
      const auto& field_nodes = group.nodes;
      const std::string& name = field_nodes.front()->name;
      if (name == "__typename") continue;
      const Field* field = field_of(object_type, name);
      if (field && !object_type->name.starts_with("__") &&
          (field->resolver || completion_needs_async(field->type, field_nodes))) {
        needs = true;
        break;
      }
    }
    needs_async_.emplace(key, needs);
    return needs;
  }

  // Each function below writes one value at the end of out_ and returns false when an error
  // propagates to the parent (spec §6.4.4): then the text written since the caller's mark is
  // dropped by whoever turns the error into null.
  awaitable<bool> execute_fields(const Type* type, const Resolved& source, FieldGroups& fields,
                                 const PathNode* path) {
    out_.put('{');
    bool failed = false;
    bool first = true;
    for (FieldGroup& group : fields) {
      prepare(type, group);
      PathNode node{path, group.key, -1};
      if (!first) out_.put(',');
      first = false;
      out_.append(group.key_text);
      // (No co_await inside ?: — g++ 12 mishandles the temporaries there.)
      bool ok = false;
      if (group.needs_async && !source.native) {
        ok = co_await execute_field(type, source, group, &node);
      } else {
        ok = execute_field_sync(type, source, group, &node);
      }
      if (!ok) {
        failed = true;
        if (serial_ && !path) break;  // a mutation stops at its first failed non-null field
      }
    }
    out_.put('}');
    co_return !failed;
  }

  bool execute_fields_sync(const Type* type, const Resolved& source, FieldGroups& fields,
                           const PathNode* path) {
    out_.put('{');
    bool failed = false;
    bool first = true;
    for (FieldGroup& group : fields) {
      prepare(type, group);
      PathNode node{path, group.key, -1};
      if (!first) out_.put(',');
      first = false;
      out_.append(group.key_text);
      if (!execute_field_sync(type, source, group, &node)) {
        failed = true;
        if (serial_ && !path) break;  // a mutation stops at its first failed non-null field
      }
    }
    out_.put('}');
    return !failed;
  }

  // The coerced arguments of a field (spec §6.4.1 CoerceArgumentValues); nullopt after recording
  // an error.
  std::optional<json::object> coerce_arguments(const std::vector<InputValue>& defs,
                                               const Selection& node, const PathNode* path) {
    json::object args;
    for (const auto& def : defs) {
      const Argument* given = nullptr;
      for (const auto& a : node.arguments) {
        if (a.name == def.name) given = &a;
      }
      bool non_null = def.type->kind == TypeKind::kNonNull;
      if (!given ||
          (given->value.kind == ValueKind::kVariable && !variables_.contains(given->value.text))) {
        if (def.default_value) {
          auto d = coerce_literal(*def.default_value, def.type, nullptr);
          if (d && !d->undefined) args[def.name] = std::move(d->value);
        } else if (non_null) {
          std::string message =
              given ? fmt::format(
                          "Argument \"{}\" of required type \"{}\" was provided the variable "
                          "\"${}\" which was not provided a runtime value.",
                          def.name, def.type->to_string(), given->value.text)
                    : fmt::format("Argument \"{}\" of required type \"{}\" was not provided.",
                                  def.name, def.type->to_string());
          error(std::move(message), {given ? given->value.loc : node.loc}, path, kCodeBadUserInput);
          return std::nullopt;
        }
        continue;
      }
      auto v = coerce_literal(given->value, def.type, &variables_);
      if (!v) {
        error(given->value.kind == ValueKind::kVariable
                  ? fmt::format("Argument \"{}\" of non-null type \"{}\" must not be null.",
                                def.name, def.type->to_string())
                  : fmt::format("Argument \"{}\" has invalid value {}.", def.name,
                                print_value(given->value)),
              {given->value.loc}, path, kCodeBadUserInput);
        return std::nullopt;
      }
      if (!v->undefined) args[def.name] = std::move(v->value);
    }
    return args;
  }

  // The group's coerced arguments, coerced once per request (they depend only on the document
  // and the variables); nullptr after recording an error, which is raised again for every
  // position of the field.
  const json::object* arguments(FieldGroup& group, const PathNode* path) {
    if (group.field->arguments.empty()) return &kNoArguments;
    if (group.arguments) return &*group.arguments;
    auto args = coerce_arguments(group.field->arguments, *group.nodes.front(), path);
    if (!args) return nullptr;
    group.arguments = std::move(*args);
    return &*group.arguments;
  }

  // The value of the field in the parent JSON object, by name; JSON objects a resolver builds
  // tend to have their members in the same order, so the last position is tried first.
  static const json::value* member(const json::object& parent, FieldGroup& group) {
    const std::string& name = group.field->name;
    if (group.member_hint < parent.size()) {
      const json::key_value_pair& kv = parent.begin()[group.member_hint];
      if (kv.key() == name) return &kv.value();
    }
    auto it = parent.find(name);
    if (it == parent.end()) return nullptr;
    group.member_hint = static_cast<std::size_t>(it - parent.begin());
    return &it->value();
  }

  // The value of a meta field, an introspection field or a field read from the parent object.
  Resolved resolve_sync(const Type* parent_type, const Resolved& source, FieldGroup& group,
                        const json::object& args) {
    Resolved value;
    if (group.kind == FieldGroup::Kind::kSchemaMeta) {
      value = native(&schema_);
    } else if (group.kind == FieldGroup::Kind::kTypeMeta) {
      auto name = args.find("name");
      const Type* t = name != args.end() && name->value().is_string()
                          ? schema_.type(name->value().get_string())
                          : nullptr;
      if (t) value = native(t);
    } else if (source.native) {
      value = introspect(schema_, *parent_type, source.native, group.field->name, args);
    } else if (source.json().is_object()) {
      value.ref = member(source.json().get_object(), group);
    }
    return value;
  }

  // The start of every field: __typename and fields the schema lacks are written at once, and
  // the arguments are coerced. The field's result when that ends it, else nullopt with `args`
  // set.
  std::optional<bool> start_field(const Type* parent_type, FieldGroup& group, const PathNode* path,
                                  const json::object*& args) {
    const std::size_t mark = out_.size();
    if (group.kind == FieldGroup::Kind::kTypename) {
      write_string(out_, parent_type->name);
      return true;
    }
    if (!group.field) {  // validation rejects unknown fields
      out_.append("null");
      return true;
    }
    args = arguments(group, path);
    if (!args) return null_or_propagate(group.field->type, mark);
    return std::nullopt;
  }

  awaitable<bool> execute_field(const Type* parent_type, const Resolved& source, FieldGroup& group,
                                const PathNode* path) {
    const std::size_t mark = out_.size();
    const json::object* args = nullptr;
    const std::optional<bool> done = start_field(parent_type, group, path, args);
    if (done.has_value()) co_return *done;
    const Field* field = group.field;

    Resolved value;
    if (group.kind == FieldGroup::Kind::kField && !source.native && field->resolver) {
      const Selection& node = *group.nodes.front();
      ResolveInfo info{source.json(), *args, request_.context, schema_, *parent_type, *field,
                       node,          path,  storage_};
      std::optional<FieldResult> r;
      std::string exception;
      try {
        r = co_await field->resolver(info);
      } catch (const std::exception&) {
        exception = "Unexpected error.";
      }
      if (!r) {
        error(exception, {node.loc}, path, kCodeInternal);
        co_return null_or_propagate(field->type, mark);
      }
      if (!r->has_value()) {
        error(r->error().message, {node.loc}, path, r->error().code);
        co_return null_or_propagate(field->type, mark);
      }
      value.owned.emplace(std::move(**r));
    } else {
      value = resolve_sync(parent_type, source, group, *args);
    }
    bool ok = false;
    if (group.completion_async) {
      ok = co_await complete_value(field->type, *parent_type, group, value, path);
    } else {
      ok = complete_value_sync(field->type, *parent_type, group, value, path);
    }
    if (!ok) co_return null_or_propagate(field->type, mark);
    co_return true;
  }

  bool execute_field_sync(const Type* parent_type, const Resolved& source, FieldGroup& group,
                          const PathNode* path) {
    const std::size_t mark = out_.size();
    const json::object* args = nullptr;
    const std::optional<bool> done = start_field(parent_type, group, path, args);
    if (done.has_value()) return *done;
    const Field* field = group.field;
    Resolved value = resolve_sync(parent_type, source, group, *args);
    if (!complete_value_sync(field->type, *parent_type, group, value, path)) {
      return null_or_propagate(field->type, mark);
    }
    return true;
  }

  // A leaf value; the common cases (a String, ID, Boolean or Int already of the right JSON kind, a
  // valid enum name) are written without going through the scalar's general serialisation.
  bool complete_leaf(const Type* type, const json::value& v, const FieldGroup& group,
                     const PathNode* path) {
    if (type->built_in) {
      if (v.is_string() && (type == string_type_ || type == id_type_)) {
        write_string(out_, v.get_string());
        return true;
      }
      if (v.is_bool() && type == boolean_type_) {
        out_.append(v.get_bool() ? "true" : "false");
        return true;
      }
      if (v.is_int64() && type == int_type_ && v.get_int64() >= INT32_MIN &&
          v.get_int64() <= INT32_MAX) {
        write_integer(out_, v.get_int64());
        return true;
      }
    } else if (type->kind == TypeKind::kEnum && v.is_string() && type->enum_value(v.get_string())) {
      write_string(out_, v.get_string());
      return true;
    }
    auto s = serialize_leaf(type, v);
    if (!s) {
      error(s.error(), {group.nodes.front()->loc}, path);
      return false;
    }
    write_json(out_, *s);
    return true;
  }

  // After an error at a field whose text starts at `mark`: null when the field is nullable,
  // else the error propagates (false).
  bool null_or_propagate(const Type* type, std::size_t mark) {
    if (type->kind == TypeKind::kNonNull) return false;
    out_.truncate(mark);
    out_.append("null");
    return true;
  }

  // The subfields of the group's value once its object type is known.
  FieldGroups& object_subfields(const Type* object_type, const Type* declared, FieldGroup& group) {
    if (object_type != declared) return subfields(object_type, group.nodes);  // abstract
    if (!group.object_subfields) group.object_subfields = &subfields(object_type, group.nodes);
    return *group.object_subfields;
  }

  // A non-null type's value was completed from `mark` on: a null written there is an error at
  // this field (false).
  bool non_null_written(std::size_t mark, const Type& parent_type, const FieldGroup& group,
                        const PathNode* path) {
    if (!wrote_null(out_, mark)) return true;
    error(fmt::format("Cannot return null for non-nullable field {}.{}.", parent_type.name,
                      group.field->name),
          {group.nodes.front()->loc}, path);
    return false;
  }

  // The number of items of a list field's value; nullopt after recording why it cannot be
  // completed as a list.
  std::optional<std::size_t> list_size(const Resolved& value, const Type& parent_type,
                                       const FieldGroup& group, const PathNode* path) {
    const json::value& list = value.json();
    std::size_t count = value.native_list ? value.natives.size()
                        : list.is_array() ? list.get_array().size()
                                          : 0;
    if (!value.native_list && !list.is_array()) {
      error(fmt::format("Expected Iterable, but did not find one for field \"{}.{}\".",
                        parent_type.name, group.field->name),
            {group.nodes.front()->loc}, path);
      return std::nullopt;
    }
    if (count > request_.list_items_max) {
      error(fmt::format("List of {} items exceeds the limit of {} items.", count,
                        request_.list_items_max),
            {group.nodes.front()->loc}, path);
      return std::nullopt;
    }
    return count;
  }

  // Item `i` of a list value that list_size accepted (it borrows from `list`).
  static Resolved list_item(const Resolved& list, std::size_t i) {
    Resolved item;
    if (list.native_list) {
      item.native = list.natives[i];
    } else {
      item.ref = &list.json().get_array()[i];
    }
    return item;
  }

  // The object type a value of `type` (an object or abstract type) completes as; nullptr after
  // recording why none.
  const Type* object_type_of(const Type* type, const Type& parent_type, const FieldGroup& group,
                             const Resolved& value, const PathNode* path) {
    if (!type->is_abstract()) return type;
    return resolve_type(type, parent_type, *group.field, group.nodes, value, path);
  }

  // complete_value and complete_value_sync differ only in how they complete what a value holds
  // (items, fields): with or without waiting for resolvers.
  awaitable<bool> complete_value(const Type* type, const Type& parent_type, FieldGroup& group,
                                 const Resolved& value, const PathNode* path) {
    if (type->kind == TypeKind::kNonNull) {
      const std::size_t mark = out_.size();
      bool ok = co_await complete_value(type->of, parent_type, group, value, path);
      if (!ok) co_return false;
      co_return non_null_written(mark, parent_type, group, path);
    }
    if (value.is_null()) {
      out_.append("null");
      co_return true;
    }

    if (type->kind == TypeKind::kList) {
      const std::optional<std::size_t> count = list_size(value, parent_type, group, path);
      if (!count) co_return false;
      out_.put('[');
      for (std::size_t i = 0; i < *count; ++i) {
        if (i > 0) out_.put(',');
        const std::size_t item_mark = out_.size();
        PathNode item_path{path, {}, static_cast<int>(i)};
        const Resolved item = list_item(value, i);
        bool ok = co_await complete_value(type->of, parent_type, group, item, &item_path);
        if (!ok && !null_or_propagate(type->of, item_mark)) co_return false;
      }
      out_.put(']');
      co_return true;
    }

    if (type->is_leaf()) co_return complete_leaf(type, value.json(), group, path);

    const Type* object_type = object_type_of(type, parent_type, group, value, path);
    if (!object_type) co_return false;
    FieldGroups& sub = object_subfields(object_type, type, group);
    co_return co_await execute_fields(object_type, value, sub, path);
  }

  bool complete_value_sync(const Type* type, const Type& parent_type, FieldGroup& group,
                           const Resolved& value, const PathNode* path) {
    if (type->kind == TypeKind::kNonNull) {
      const std::size_t mark = out_.size();
      if (!complete_value_sync(type->of, parent_type, group, value, path)) return false;
      return non_null_written(mark, parent_type, group, path);
    }
    if (value.is_null()) {
      out_.append("null");
      return true;
    }

    if (type->kind == TypeKind::kList) {
      const std::optional<std::size_t> count = list_size(value, parent_type, group, path);
      if (!count) return false;
      out_.put('[');
      for (std::size_t i = 0; i < *count; ++i) {
        if (i > 0) out_.put(',');
        const std::size_t item_mark = out_.size();
        PathNode item_path{path, {}, static_cast<int>(i)};
        const Resolved item = list_item(value, i);
        if (!complete_value_sync(type->of, parent_type, group, item, &item_path) &&
            !null_or_propagate(type->of, item_mark)) {
          return false;
        }
      }
      out_.put(']');
      return true;
    }

    if (type->is_leaf()) return complete_leaf(type, value.json(), group, path);

    const Type* object_type = object_type_of(type, parent_type, group, value, path);
    if (!object_type) return false;
    FieldGroups& sub = object_subfields(object_type, type, group);
    return execute_fields_sync(object_type, value, sub, path);
  }

  const Type* resolve_type(const Type* abstract, const Type& parent_type, const Field& field,
                           const std::vector<const Selection*>& nodes, const Resolved& value,
                           const PathNode* path) {
    std::string name;
    const json::value& v = value.json();
    if (abstract->type_resolver) {
      name = abstract->type_resolver(v);
    } else if (v.is_object()) {
      if (auto it = v.get_object().find("__typename");
          it != v.get_object().end() && it->value().is_string()) {
        name = std::string(it->value().get_string());
      }
    }
    if (name.empty()) {
      error(fmt::format("Abstract type \"{0}\" must resolve to an Object type at runtime for field "
                        "\"{1}.{2}\". Either the \"{0}\" type should provide a \"resolveType\" "
                        "function or each possible type should provide an \"isTypeOf\" function.",
                        abstract->name, parent_type.name, field.name),
            {nodes.front()->loc}, path);
      return nullptr;
    }
    const Type* t = schema_.type(name);
    if (!t) {
      error(fmt::format("Abstract type \"{}\" was resolved to a type \"{}\" that does not exist "
                        "inside the schema.",
                        abstract->name, name),
            {nodes.front()->loc}, path);
      return nullptr;
    }
    if (t->kind != TypeKind::kObject) {
      error(fmt::format("Abstract type \"{}\" was resolved to a non-object type \"{}\".",
                        abstract->name, name),
            {nodes.front()->loc}, path);
      return nullptr;
    }
    if (!schema_.is_possible_type(abstract, t)) {
      error(fmt::format("Runtime Object type \"{}\" is not a possible type for \"{}\".", name,
                        abstract->name),
            {nodes.front()->loc}, path);
      return nullptr;
    }
    return t;
  }

  const Schema& schema_;
  const ExecutionRequest& request_;
  std::unordered_map<std::string_view, const FragmentDefinition*> fragments_;
  json::object variables_;
  std::deque<Type> scratch_types_;
  std::vector<GraphqlError> errors_;
  bool serial_ = false;
  // What resolvers build is in one arena, released with the execution. The storage pointer does
  // not own the arena, so values in it are destroyed without walking them.
  json::monotonic_resource arena_{kArenaFirstBlockBytes, json::storage_ptr(&block_cache())};
  json::storage_ptr storage_{&arena_};
  // The response's data as JSON text, written while executing.
  Text out_{std::min(t_last_response_bytes + t_last_response_bytes / 8, kResponseReserveBytesMax)};
  const Type* string_type_ = schema_.type("String");
  const Type* id_type_ = schema_.type("ID");
  const Type* boolean_type_ = schema_.type("Boolean");
  const Type* int_type_ = schema_.type("Int");
  struct PairHash {
    std::size_t operator()(const std::pair<const Type*, const void*>& p) const {
      return std::hash<const void*>()(p.first) * 31 + std::hash<const void*>()(p.second);
    }
  };
  std::unordered_map<std::pair<const Type*, const void*>, FieldGroups, PairHash> subfields_;
  std::unordered_map<std::pair<const Type*, const void*>, bool, PairHash> needs_async_;
};

}  // namespace

const json::value* ResolveInfo::argument(std::string_view name) const {
  auto it = arguments.find(name);
  return it == arguments.end() ? nullptr : &it->value();
}

std::optional<std::string_view> ResolveInfo::string_argument(std::string_view name) const {
  const json::value* v = argument(name);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string_view(v->get_string());
}

std::optional<std::int64_t> ResolveInfo::int_argument(std::string_view name) const {
  const json::value* v = argument(name);
  if (!v || !v->is_int64()) return std::nullopt;
  return v->get_int64();
}

std::optional<double> ResolveInfo::float_argument(std::string_view name) const {
  const json::value* v = argument(name);
  if (!v) return std::nullopt;
  if (v->is_double()) return v->get_double();
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  return std::nullopt;
}

std::optional<bool> ResolveInfo::bool_argument(std::string_view name) const {
  const json::value* v = argument(name);
  if (!v || !v->is_bool()) return std::nullopt;
  return v->get_bool();
}

const json::object* ResolveInfo::object_argument(std::string_view name) const {
  const json::value* v = argument(name);
  return v && v->is_object() ? &v->get_object() : nullptr;
}

std::vector<PathSegment> ResolveInfo::path() const {
  return to_path(path_node);
}

awaitable<ExecutionResult> execute(const Schema& schema, const ExecutionRequest& request) {
  Execution execution(schema, request);
  co_return co_await execution.run();
}

json::object to_json(const GraphqlError& error) {
  json::object e;
  e["message"] = error.message;
  if (!error.locations.empty()) {
    json::array locations;
    for (const auto& l : error.locations) {
      json::object o;
      o["line"] = l.line;
      o["column"] = l.column;
      locations.push_back(std::move(o));
    }
    e["locations"] = std::move(locations);
  }
  if (!error.path.empty()) {
    json::array path;
    for (const auto& s : error.path) {
      if (s.index >= 0) {
        path.emplace_back(s.index);
      } else {
        path.emplace_back(s.key);
      }
    }
    e["path"] = std::move(path);
  }
  if (!error.code.empty()) {
    json::object ext;
    ext["code"] = error.code;
    e["extensions"] = std::move(ext);
  }
  return e;
}

std::string to_json_text(const ExecutionResult& result) {
  std::string out = "{";
  if (!result.errors.empty()) {
    json::array errors;
    for (const auto& e : result.errors) errors.push_back(to_json(e));
    out += "\"errors\":";
    out += json::serialize(errors);
    if (result.data) out += ',';
  }
  if (result.data) {
    out.reserve(out.size() + result.data->size() + 9);
    out += "\"data\":";
    out += *result.data;
  }
  out += '}';
  return out;
}

json::object to_json(const ExecutionResult& result) {
  json::object out;
  if (!result.errors.empty()) {
    json::array errors;
    for (const auto& e : result.errors) errors.push_back(to_json(e));
    out["errors"] = std::move(errors);
  }
  if (result.data) out["data"] = json::parse(*result.data);
  return out;
}

}  // namespace rafiki::graphql
