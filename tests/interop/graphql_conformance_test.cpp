// Our GraphQL engine against graphql-js (npm `graphql`) on one schema that exercises every type
// kind: for every document of the corpus the verdict (syntax error / invalid / valid) is the
// same, syntax errors have the same message, valid documents execute to the same data with
// errors at the same paths, and our introspection result is what graphql-js answers, builds
// with buildClientSchema and prints as printSchema prints the SDL.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <regex>

#include "graphql/http.h"
#include "interop/node_harness.h"

namespace json = boost::json;
using boost::asio::awaitable;
using namespace rafiki::graphql;

namespace {

const std::filesystem::path kDir = std::filesystem::path(RAFIKI_SOURCE_DIR) / "tests" / "interop";

struct Case {
  std::string name;
  std::string query;
  json::value variables;  // null when none
  std::string operation_name;
};

// The corpus: documents separated by "### <name>" lines; "# variables: {...}" and
// "# operation: <name>" lines inside a document (GraphQL comments) give the request's extras.
std::vector<Case> load_corpus() {
  std::vector<Case> cases;
  std::istringstream in(rafiki::interop::read_text_file(kDir / "graphql_corpus.graphql"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("### ")) {
      Case c;
      c.name = line.substr(4);
      cases.push_back(std::move(c));
      continue;
    }
    if (cases.empty()) continue;
    Case& c = cases.back();
    if (line.starts_with("# variables: ")) c.variables = json::parse(line.substr(13));
    if (line.starts_with("# operation: ")) c.operation_name = line.substr(13);
    c.query += line + "\n";
  }
  for (auto& c : cases) {
    // Strip the final newline the splitter added, so documents may end mid-token.
    if (!c.query.empty()) c.query.pop_back();
  }
  return cases;
}

// --- the same scalars and resolvers as graphql_conformance.js ---
std::expected<json::value, std::string> uint8(const json::value& v) {
  if (v.is_int64() && v.get_int64() >= 0 && v.get_int64() <= 255) return v;
  if (v.is_uint64() && v.get_uint64() <= 255)
    return json::value(static_cast<std::int64_t>(v.get_uint64()));
  if (v.is_double() && v.get_double() == std::floor(v.get_double()) && v.get_double() >= 0 &&
      v.get_double() <= 255) {
    return json::value(static_cast<std::int64_t>(v.get_double()));
  }
  return std::unexpected("UInt8 cannot represent value: " + json::serialize(v));
}

std::expected<json::value, std::string> bigint(const json::value& v) {
  static const std::regex digits("^-?[0-9]+$");
  if (v.is_string() && std::regex_match(std::string(v.get_string()), digits)) return v;
  if (v.is_int64()) return json::value(std::to_string(v.get_int64()));
  if (v.is_uint64()) return json::value(std::to_string(v.get_uint64()));
  return std::unexpected("BigInt cannot represent value: " + json::serialize(v));
}

std::expected<json::value, std::string> json_object(const json::value& v) {
  if (v.is_object()) return v;
  return std::unexpected("JSONObject cannot represent a non-object value");
}

json::value untyped(const Value& literal) {
  switch (literal.kind) {
    case ValueKind::kInt:
      return json::value(std::stoll(literal.text));
    case ValueKind::kFloat:
      return json::value(std::stod(literal.text));
    case ValueKind::kBoolean:
      return json::value(literal.text == "true");
    case ValueKind::kNull:
      return json::value(nullptr);
    case ValueKind::kList: {
      json::array a;
      for (const auto& item : literal.items) a.push_back(untyped(item));
      return a;
    }
    case ValueKind::kObject: {
      json::object o;
      for (std::size_t i = 0; i < literal.items.size(); ++i)
        o[literal.field_names[i]] = untyped(literal.items[i]);
      return o;
    }
    default:
      return json::value(literal.text);
  }
}

std::map<std::string, ScalarHooks> scalar_hooks() {
  std::map<std::string, ScalarHooks> hooks;
  ScalarHooks u;
  u.serialize = uint8;
  u.parse_value = uint8;
  u.parse_literal = [](const Value& v) -> std::expected<json::value, std::string> {
    if (v.kind != ValueKind::kInt)
      return std::unexpected("UInt8 cannot represent a non-integer literal");
    return uint8(json::value(std::stoll(v.text)));
  };
  hooks["UInt8"] = u;
  ScalarHooks b;
  b.serialize = bigint;
  b.parse_value = bigint;
  b.parse_literal = [](const Value& v) -> std::expected<json::value, std::string> {
    if (v.kind != ValueKind::kInt && v.kind != ValueKind::kString) {
      return std::unexpected("BigInt cannot represent this literal");
    }
    return bigint(json::value(v.text));
  };
  hooks["BigInt"] = b;
  ScalarHooks j;
  j.serialize = json_object;
  j.parse_value = json_object;
  j.parse_literal = [](const Value& v) -> std::expected<json::value, std::string> {
    if (v.kind != ValueKind::kObject)
      return std::unexpected("JSONObject cannot represent a non-object literal");
    return untyped(v);
  };
  hooks["JSONObject"] = j;
  return hooks;
}

const json::value& node(const json::object& data, std::string_view id) {
  static const json::value null_value;
  const auto& nodes = data.at("nodes").as_object();
  auto it = nodes.find(id);
  return it == nodes.end() ? null_value : it->value();
}

std::string species_type(std::string_view species) {
  if (species == "DOG") return "Dog";
  if (species == "CAT") return "Cat";
  if (species == "PARROT") return "Parrot";
  return "";
}

std::shared_ptr<Schema> make_schema(std::shared_ptr<const json::object> data) {
  auto built = Schema::from_sdl(rafiki::interop::read_text_file(kDir / "graphql_schema.graphql"),
                                scalar_hooks());
  EXPECT_TRUE(built) << built.error()[0].message;
  if (!built) return nullptr;
  Schema& s = **built;
  auto set = [&](std::string_view field, Resolver r) {
    EXPECT_TRUE(s.set_resolver(field, std::move(r))) << field;
  };
  set("Query.node", [data](const ResolveInfo& i) -> awaitable<FieldResult> {
    co_return node(*data, *i.string_argument("id"));
  });
  set("Query.person", [data](const ResolveInfo& i) -> awaitable<FieldResult> {
    const json::value& n = node(*data, *i.string_argument("id"));
    if (n.is_object() && n.at("__typename") == "Person") co_return n;
    co_return nullptr;
  });
  set("Query.people", [data](const ResolveInfo& i) -> awaitable<FieldResult> {
    std::vector<std::string> ids;
    for (const auto& id : data->at("people").as_array()) ids.emplace_back(id.as_string());
    if (i.string_argument("order") == "DESC") std::reverse(ids.begin(), ids.end());
    std::size_t start = 0;
    if (auto after = i.string_argument("after")) {
      auto it = std::find(ids.begin(), ids.end(), *after);
      start = it == ids.end() ? 0 : static_cast<std::size_t>(it - ids.begin()) + 1;
    }
    std::int64_t first = std::max<std::int64_t>(0, i.int_argument("first").value_or(0));
    json::array edges;
    std::string end_cursor;
    for (std::size_t k = start; k < ids.size() && k < start + first; ++k) {
      edges.push_back(json::object{{"cursor", ids[k]}, {"node", node(*data, ids[k])}});
      end_cursor = ids[k];
    }
    json::object page;
    page["hasNextPage"] = start + first < ids.size();
    page["endCursor"] = end_cursor.empty() ? json::value(nullptr) : json::value(end_cursor);
    co_return json::object{{"edges", edges}, {"pageInfo", page}, {"totalCount", ids.size()}};
  });
  set("Query.pets", [data](const ResolveInfo& i) -> awaitable<FieldResult> {
    const json::object* filter = i.object_argument("filter");
    json::array out;
    for (const auto& id : data->at("pets").as_array()) {
      const json::value& p = node(*data, id.as_string());
      if (filter) {
        if (auto it = filter->find("species"); it != filter->end() && it->value().is_array()) {
          bool any = false;
          for (const auto& sp : it->value().as_array())
            any |= species_type(sp.as_string()) == p.at("__typename").as_string();
          if (!any) continue;
        }
        if (auto it = filter->find("nameContains");
            it != filter->end() && it->value().is_string()) {
          if (std::string_view(p.at("name").as_string()).find(it->value().as_string()) ==
              std::string_view::npos)
            continue;
        }
      }
      out.push_back(p);
    }
    co_return out;
  });
  set("Query.search", [data](const ResolveInfo& i) -> awaitable<FieldResult> {
    std::string text(*i.string_argument("text"));
    json::array out;
    for (const char* list : {"people", "pets"}) {
      for (const auto& id : data->at(list).as_array()) {
        const json::value& n = node(*data, id.as_string());
        if (std::string_view(n.at("name").as_string()).find(text) != std::string_view::npos)
          out.push_back(n);
      }
    }
    co_return out;
  });
  auto echo = [](const ResolveInfo& i) -> awaitable<FieldResult> { co_return i.arguments; };
  set("Query.echo", echo);
  set("Query.echoRequired", echo);
  set("Query.fail", [](const ResolveInfo&) -> awaitable<FieldResult> {
    co_return std::unexpected(FieldError{"boom", "BOOM"});
  });
  set("Query.failNonNull", [](const ResolveInfo&) -> awaitable<FieldResult> {
    co_return std::unexpected(FieldError{"boom non-null", "BOOM"});
  });
  set("Person.pets", [data](const ResolveInfo& i) -> awaitable<FieldResult> {
    auto species = i.string_argument("species");
    std::int64_t first = std::max<std::int64_t>(0, i.int_argument("first").value_or(0));
    json::array out;
    for (const auto& id : i.parent.at("petIds").as_array()) {
      const json::value& p = node(*data, id.as_string());
      if (species && species_type(*species) != p.at("__typename").as_string()) continue;
      if (static_cast<std::int64_t>(out.size()) >= first) break;
      out.push_back(p);
    }
    co_return out;
  });
  set("Person.friends", [data](const ResolveInfo& i) -> awaitable<FieldResult> {
    const json::value& ids = i.parent.at("friendIds");
    if (ids.is_null()) co_return nullptr;
    json::array out;
    for (const auto& id : ids.as_array()) out.push_back(node(*data, id.as_string()));
    co_return out;
  });
  set("Person.bestFriend", [data](const ResolveInfo& i) -> awaitable<FieldResult> {
    const json::value& id = i.parent.at("bestFriendId");
    if (id.is_null()) co_return nullptr;
    co_return node(*data, id.as_string());
  });
  for (const char* pet : {"Dog", "Cat", "Parrot"}) {
    set(std::string(pet) + ".owner", [data](const ResolveInfo& i) -> awaitable<FieldResult> {
      const json::object& p = i.parent.as_object();
      auto it = p.find("ownerId");
      if (it == p.end() || it->value().is_null()) co_return nullptr;
      co_return node(*data, it->value().as_string());
    });
    set(std::string(pet) + ".sound", [](const ResolveInfo& i) -> awaitable<FieldResult> {
      const json::object& p = i.parent.as_object();
      auto it = p.find("sound");
      if (it == p.end() || it->value().is_null()) co_return nullptr;
      std::string sound(it->value().as_string());
      if (i.bool_argument("loud").value_or(false)) {
        for (auto& ch : sound) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        sound += "!";
      }
      co_return sound;
    });
  }
  set("Mutation.createPet", [](const ResolveInfo& i) -> awaitable<FieldResult> {
    const json::object& input = *i.object_argument("input");
    std::string type = species_type(input.at("species").as_string());
    json::object pet;
    pet["__typename"] = type.empty() ? "Dog" : type;
    pet["id"] = "new-" + std::string(input.at("name").as_string());
    pet["name"] = input.at("name");
    auto owner = input.find("ownerId");
    pet["ownerId"] = owner == input.end() ? json::value(nullptr) : owner->value();
    pet["sound"] = nullptr;
    pet["lives"] = 1;
    auto tags = input.find("tags");
    pet["words"] =
        tags == input.end() || tags->value().is_null() ? json::value(json::array()) : tags->value();
    co_return pet;
  });
  set("Mutation.deletePet", [data](const ResolveInfo& i) -> awaitable<FieldResult> {
    const auto& pets = data->at("pets").as_array();
    co_return std::find(pets.begin(), pets.end(), json::value(*i.string_argument("id"))) !=
        pets.end();
  });
  set("Mutation.failMutation", [](const ResolveInfo&) -> awaitable<FieldResult> {
    co_return std::unexpected(FieldError{"mutation failed", "FAILED"});
  });
  set("Mutation.rename", [data](const ResolveInfo& i) -> awaitable<FieldResult> {
    json::value n = node(*data, *i.string_argument("id"));
    if (!n.is_object() || n.at("__typename") != "Person") co_return nullptr;
    n.as_object()["name"] = *i.string_argument("name");
    co_return n;
  });
  return *built;
}

// Root fields without resolvers read from the root value, as graphql-js's rootValue.
struct Ours {
  std::string verdict;
  std::vector<std::string> messages;
  json::value result;
};

Ours run_case(const Schema& schema, const json::object& root, const Case& c) {
  (void)root;
  Ours ours;
  auto doc = parse(c.query);
  if (!doc) {
    ours.verdict = "syntax";
    ours.messages.push_back(doc.error().message);
    return ours;
  }
  ValidationLimits unbounded;
  unbounded.depth_max = unbounded.fields_max = unbounded.aliases_max = 1'000'000;
  auto errors = validate(schema, *doc, unbounded);
  if (!errors.empty()) {
    ours.verdict = "invalid";
    for (const auto& e : errors) ours.messages.push_back(e.message);
    return ours;
  }
  ours.verdict = "valid";
  ExecutionRequest request;
  request.document = &*doc;
  request.operation_name = c.operation_name;
  if (c.variables.is_object()) request.variables = c.variables.as_object();
  boost::asio::io_context io;
  auto future = boost::asio::co_spawn(io, execute(schema, request), boost::asio::use_future);
  io.run();
  ours.result = to_json(future.get());
  return ours;
}

// JSON equality where numbers compare by value (2 and 2.0 are equal).
bool same_json(const json::value& a, const json::value& b) {
  auto number = [](const json::value& v) -> std::optional<double> {
    if (v.is_int64()) return static_cast<double>(v.get_int64());
    if (v.is_uint64()) return static_cast<double>(v.get_uint64());
    if (v.is_double()) return v.get_double();
    return std::nullopt;
  };
  if (auto x = number(a)) {
    auto y = number(b);
    return y && *x == *y;
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto& x = a.get_array();
    const auto& y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!same_json(x[i], y[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    const auto& x = a.get_object();
    const auto& y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& kv : x) {
      auto it = y.find(kv.key());
      if (it == y.end() || !same_json(kv.value(), it->value())) return false;
    }
    return true;
  }
  return a == b;
}

// Where two JSON values first differ ("" when they are the same), for readable failures.
std::string first_difference(const json::value& a, const json::value& b,
                             const std::string& at = "$") {
  if (same_json(a, b)) return "";
  if (a.is_array() && b.is_array()) {
    const auto& x = a.get_array();
    const auto& y = b.get_array();
    for (std::size_t i = 0; i < std::min(x.size(), y.size()); ++i) {
      std::string d = first_difference(x[i], y[i], at + "[" + std::to_string(i) + "]");
      if (!d.empty()) return d;
    }
    return at + ": " + std::to_string(x.size()) + " items vs " + std::to_string(y.size());
  }
  if (a.is_object() && b.is_object()) {
    for (const auto& kv : a.get_object()) {
      const json::value* other = b.get_object().if_contains(kv.key());
      if (!other) return at + "." + std::string(kv.key()) + ": only ours";
      std::string d = first_difference(kv.value(), *other, at + "." + std::string(kv.key()));
      if (!d.empty()) return d;
    }
    for (const auto& kv : b.get_object()) {
      if (!a.get_object().contains(kv.key()))
        return at + "." + std::string(kv.key()) + ": only graphql-js";
    }
  }
  std::string x = json::serialize(a), y = json::serialize(b);
  return at + ": " + x.substr(0, 300) + " vs " + y.substr(0, 300);
}

std::vector<std::string> error_paths(const json::value& result) {
  std::vector<std::string> out;
  if (const auto* errors = result.as_object().if_contains("errors")) {
    for (const auto& e : errors->as_array()) {
      const auto* path = e.as_object().if_contains("path");
      out.push_back(path ? json::serialize(*path) : "-");
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// graphql-js appends " Did you mean ...?" suggestions; we do not.
std::string strip_suggestion(std::string message) {
  auto at = message.find(" Did you mean ");
  return at == std::string::npos ? message : message.substr(0, at);
}

std::size_t others_count(const json::object& input) {
  return input.at("otherSchemas").as_array().size();
}

}  // namespace

TEST(GraphqlConformance, MatchesGraphqlJsOnTheCorpusAndIntrospection) {
  auto data = std::make_shared<const json::object>(
      json::parse(rafiki::interop::read_text_file(kDir / "graphql_data.json")).as_object());
  auto schema = make_schema(data);
  ASSERT_TRUE(schema);
  std::vector<Case> cases = load_corpus();
  ASSERT_GE(cases.size(), 200u);

  // Root fields without resolvers read from the root value: give the root object's values to
  // the executor through resolvers that return them.
  const json::object& root = data->at("root").as_object();
  for (const auto& kv : root) {
    json::value v = kv.value();
    ASSERT_TRUE(
        schema->set_resolver("Query." + std::string(kv.key()),
                             [v](const ResolveInfo&) -> awaitable<FieldResult> { co_return v; }));
  }

  std::vector<Ours> ours;
  json::array case_inputs;
  for (const auto& c : cases) {
    ours.push_back(run_case(*schema, root, c));
    json::object in;
    in["query"] = c.query;
    in["variables"] = c.variables;
    in["operationName"] =
        c.operation_name.empty() ? json::value(nullptr) : json::value(c.operation_name);
    case_inputs.push_back(std::move(in));
  }
  std::string introspection_query =
      rafiki::interop::read_text_file(kDir / "graphql_introspection.graphql");
  Case introspection_case;
  introspection_case.query = introspection_query;
  Ours introspection = run_case(*schema, root, introspection_case);
  ASSERT_EQ(introspection.verdict, "valid");

  json::object input;
  input["sdl"] = rafiki::interop::read_text_file(kDir / "graphql_schema.graphql");
  input["data"] = *data;
  input["cases"] = std::move(case_inputs);
  input["introspectionQuery"] = introspection_query;
  input["ourIntrospection"] = introspection.result;
  // The upstream Admin schemas (reference files beside the repository, when present).
  json::array others;
  for (const char* file : {"backend-admin.graphql", "auth-admin.graphql"}) {
    auto path =
        std::filesystem::path(RAFIKI_SOURCE_DIR) / ".." / "shared" / "reference" / "specs" / file;
    if (!std::filesystem::exists(path)) continue;
    std::string sdl = rafiki::interop::read_text_file(path);
    ScalarHooks pass;
    std::map<std::string, ScalarHooks> hooks{{"UInt8", pass}, {"UInt64", pass}};
    if (sdl.find("scalar JSONObject") != std::string::npos) hooks.emplace("JSONObject", pass);
    auto admin = Schema::from_sdl(sdl, hooks);
    ASSERT_TRUE(admin) << file << ": " << admin.error()[0].message;
    Ours admin_introspection = run_case(**admin, root, introspection_case);
    ASSERT_EQ(admin_introspection.verdict, "valid") << file;
    json::object other;
    other["name"] = file;
    other["sdl"] = sdl;
    other["ourIntrospection"] = admin_introspection.result;
    others.push_back(std::move(other));
  }
  input["otherSchemas"] = others;
  auto output = rafiki::interop::run_node_harness("graphql_conformance.js", input);
  ASSERT_TRUE(output);
  const auto& reference = output->at("cases").as_array();
  ASSERT_EQ(reference.size(), cases.size());

  int verdicts = 0, valid = 0, invalid = 0, syntax = 0, message_mismatches = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    const json::object& ref = reference[i].as_object();
    std::string ref_verdict(ref.at("verdict").as_string());
    EXPECT_EQ(ours[i].verdict, ref_verdict)
        << "case '" << c.name << "':\n"
        << c.query << "\n ours: " << (ours[i].messages.empty() ? "" : ours[i].messages[0])
        << "\n graphql-js: "
        << (ref.contains("messages") && !ref.at("messages").as_array().empty()
                ? std::string(ref.at("messages").as_array()[0].as_string())
                : std::string());
    if (ours[i].verdict != ref_verdict) continue;
    ++verdicts;
    if (ref_verdict == "syntax") {
      ++syntax;
      EXPECT_EQ(ours[i].messages[0], ref.at("messages").as_array()[0].as_string())
          << "case '" << c.name << "'";
    } else if (ref_verdict == "invalid") {
      ++invalid;
      std::vector<std::string> theirs;
      for (const auto& m : ref.at("messages").as_array())
        theirs.push_back(strip_suggestion(std::string(m.as_string())));
      std::vector<std::string> mine;
      for (const auto& m : ours[i].messages) mine.push_back(strip_suggestion(m));
      std::sort(theirs.begin(), theirs.end());
      std::sort(mine.begin(), mine.end());
      if (theirs != mine) {
        ++message_mismatches;
        std::cout << "[ messages ] case '" << c.name << "' ours: " << (mine.empty() ? "" : mine[0])
                  << " (" << mine.size() << ") graphql-js: " << (theirs.empty() ? "" : theirs[0])
                  << " (" << theirs.size() << ")\n";
      }
    } else {
      ++valid;
      const json::value& theirs = ref.at("result");
      const json::value ours_data =
          ours[i].result.as_object().contains("data") ? ours[i].result.at("data") : json::value();
      const json::value their_data =
          theirs.as_object().contains("data") ? theirs.at("data") : json::value();
      EXPECT_EQ(first_difference(ours_data, their_data), "") << "case '" << c.name << "':\n"
                                                             << c.query;
      EXPECT_EQ(error_paths(ours[i].result), error_paths(theirs))
          << "case '" << c.name << "':\n ours: " << json::serialize(ours[i].result)
          << "\n graphql-js: " << json::serialize(theirs);
    }
  }
  std::cout << "[ corpus   ] " << cases.size() << " documents, " << verdicts << " same verdicts ("
            << valid << " valid, " << invalid << " invalid, " << syntax << " syntax errors); "
            << message_mismatches << " invalid documents with differently worded errors\n";
  EXPECT_GE(valid, 80);
  EXPECT_GE(invalid, 60);

  const json::object& intro = output->at("introspection").as_object();
  EXPECT_EQ(first_difference(introspection.result, intro.at("reference")), "");
  ASSERT_FALSE(intro.contains("buildError")) << intro.at("buildError").as_string();
  EXPECT_EQ(intro.at("clientSchemaErrors").as_array().size(), 0u)
      << json::serialize(intro.at("clientSchemaErrors"));
  EXPECT_EQ(intro.at("printedOurs").as_string(), intro.at("printedSdl").as_string());

  const auto& other_results = output->at("others").as_array();
  ASSERT_EQ(other_results.size(), others_count(input));
  for (std::size_t i = 0; i < other_results.size(); ++i) {
    const json::object& r = other_results[i].as_object();
    ASSERT_FALSE(r.contains("buildError"))
        << r.at("name").as_string() << ": " << r.at("buildError").as_string();
    EXPECT_EQ(r.at("printedOurs").as_string(), r.at("printedSdl").as_string())
        << r.at("name").as_string();
    const json::value& ours_intro = input.at("otherSchemas").as_array()[i].at("ourIntrospection");
    EXPECT_EQ(first_difference(ours_intro, r.at("reference")), "") << r.at("name").as_string();
  }
  std::cout << "[ admin    ] " << other_results.size()
            << " upstream Admin schemas round-tripped through introspection\n";
}
