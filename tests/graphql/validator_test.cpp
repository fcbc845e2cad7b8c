#include "graphql/validator.h"

#include <gtest/gtest.h>

#include "graphql/parser.h"

using namespace rafiki::graphql;

namespace {

constexpr std::string_view kSdl = R"(
  type Query {
    dog: Dog
    pet: Pet
    pets: [Pet]
    human(id: ID!): Human
    catOrDog: CatOrDog
    arguments: Arguments
    findDog(complex: ComplexInput): Dog
    booleanList(booleanListArg: [Boolean!]): Boolean
  }
  type Mutation { mutateDog: Dog }
  type Subscription { newMessage: String disallowed: String }
  enum DogCommand { SIT DOWN HEEL }
  interface Pet { name: String! }
  type Dog implements Pet {
    name: String!
    nickname: String
    barkVolume: Int
    doesKnowCommand(dogCommand: DogCommand!): Boolean!
    isHouseTrained(atOtherHomes: Boolean): Boolean!
    owner: Human
  }
  type Cat implements Pet { name: String! nickname: String meowVolume: Int }
  union CatOrDog = Cat | Dog
  type Human { name: String! pets: [Pet] }
  type Arguments {
    multipleRequirements(x: Int!, y: Int!): Int!
    booleanArgField(booleanArg: Boolean): Boolean
    floatArgField(floatArg: Float): Float
    intArgField(intArg: Int): Int
    nonNullBooleanArgField(nonNullBooleanArg: Boolean!): Boolean!
    booleanListArgField(booleanListArg: [Boolean]!): [Boolean]
    optionalNonNullBooleanArgField(optionalBooleanArg: Boolean! = false): Boolean!
  }
  input ComplexInput { name: String owner: String required: Int! }
)";

const Schema& schema() {
  static std::shared_ptr<Schema> s = [] {
    auto r = Schema::from_sdl(kSdl);
    EXPECT_TRUE(r) << r.error()[0].message;
    return *r;
  }();
  return *s;
}

std::vector<std::string> errors_of(std::string_view query, const ValidationLimits& limits = {}) {
  auto doc = parse(query);
  EXPECT_TRUE(doc) << doc.error().message;
  if (!doc) return {"parse error"};
  std::vector<std::string> out;
  for (const auto& e : validate(schema(), *doc, limits)) {
    EXPECT_EQ(e.code, kCodeValidationFailed);
    out.push_back(e.message);
  }
  return out;
}

void expect_valid(std::string_view query) {
  auto errors = errors_of(query);
  EXPECT_TRUE(errors.empty()) << query << "\n first error: " << (errors.empty() ? "" : errors[0]);
}

void expect_error(std::string_view query, std::string_view message) {
  auto errors = errors_of(query);
  EXPECT_NE(std::find(errors.begin(), errors.end(), message), errors.end())
      << query << "\n expected: " << message << "\n got " << errors.size() << " errors"
      << (errors.empty() ? "" : ", first: " + errors[0]);
}

}  // namespace

TEST(Validator, AcceptsTheSpecsValidExamples) {
  expect_valid("query getDogName { dog { name } } query getOwnerName { dog { owner { name } } }");
  expect_valid("{ dog { name } }");
  expect_valid("subscription sub { newMessage }");
  expect_valid(
      "fragment interfaceFieldSelection on Pet { name } { pet { ...interfaceFieldSelection } }");
  expect_valid(
      "{ dog { ... on Dog { barkVolume } ... on Pet { name } } catOrDog { ... on Cat { meowVolume "
      "} __typename } }");
  expect_valid("{ dog { name otherName: name } dog { name } }");
  expect_valid("{ dog { doesKnowCommand(dogCommand: SIT) doesKnowCommand(dogCommand: SIT) } }");
  expect_valid("query($b: Boolean) { arguments { booleanArgField(booleanArg: $b) } }");
  expect_valid(
      "query($b: Boolean = true) { arguments { nonNullBooleanArgField(nonNullBooleanArg: $b) } }");
  expect_valid(
      "query($b: Boolean) { arguments { optionalNonNullBooleanArgField(optionalBooleanArg: $b) } "
      "}");
  expect_valid("query($b: Boolean!) { booleanList(booleanListArg: [$b]) }");
  expect_valid("{ arguments { multipleRequirements(y: 2, x: 1) floatArgField(floatArg: 1) } }");
  expect_valid("{ findDog(complex: {required: 1, name: \"x\"}) { name } }");
  expect_valid(
      "{ dog { ... on Pet { ... on Dog { name } } } pets { ... on CatOrDog { ... on Cat { name } } "
      "} }");
  expect_valid(
      "{ dog @include(if: true) { name @skip(if: false) } __schema { types { name } } __type(name: "
      "\"Dog\") { name } }");
  expect_valid("{ dog { ...A } } fragment A on Dog { ...B } fragment B on Dog { name }");
  expect_valid("{ arguments { booleanListArgField(booleanListArg: true) } }");
}

TEST(Validator, RejectsOperationAndFragmentErrors) {
  expect_error("query A { dog { name } } query A { pet { name } }",
               "There can be only one operation named \"A\".");
  expect_error("{ dog { name } } query B { dog { name } }",
               "This anonymous operation must be the only defined operation.");
  expect_error("subscription S { newMessage disallowed }",
               "Subscription \"S\" must select only one top level field.");
  expect_error("subscription { __typename }",
               "Anonymous Subscription must not select an introspection top level field.");
  expect_error("{ dog { name } } type Foo { a: Int }", "The \"Foo\" definition is not executable.");
  expect_error("{ dog { ...F } } fragment F on Dog { name } fragment F on Dog { name }",
               "There can be only one fragment named \"F\".");
  expect_error("{ dog { ...Nope } }", "Unknown fragment \"Nope\".");
  expect_error("{ dog { name } } fragment F on Dog { name }", "Fragment \"F\" is never used.");
  expect_error("{ dog { ...A } } fragment A on Dog { ...B } fragment B on Dog { ...A }",
               "Cannot spread fragment \"A\" within itself via \"B\".");
  expect_error("{ dog { ...A } } fragment A on Dog { ...A }",
               "Cannot spread fragment \"A\" within itself.");
  expect_error("{ dog { ...F } } fragment F on NotAType { name }", "Unknown type \"NotAType\".");
  expect_error("{ dog { ...F } } fragment F on Boolean { name }",
               "Fragment \"F\" cannot condition on non composite type \"Boolean\".");
  expect_error("{ dog { ... on DogCommand { name } } }",
               "Fragment cannot condition on non composite type \"DogCommand\".");
  expect_error("{ dog { ...C } } fragment C on Cat { meowVolume }",
               "Fragment \"C\" cannot be spread here as objects of type \"Dog\" can never be of "
               "type \"Cat\".");
  expect_error(
      "{ dog { ... on Cat { meowVolume } } }",
      "Fragment cannot be spread here as objects of type \"Dog\" can never be of type \"Cat\".");
}

TEST(Validator, RejectsFieldAndArgumentErrors) {
  expect_error("{ dog { meowVolume } }", "Cannot query field \"meowVolume\" on type \"Dog\".");
  expect_error("{ catOrDog { name } }", "Cannot query field \"name\" on type \"CatOrDog\".");
  expect_error(
      "{ dog { barkVolume { sinceWhen } } }",
      "Field \"barkVolume\" must not have a selection since type \"Int\" has no subfields.");
  expect_error("{ human(id: 1) }",
               "Field \"human\" of type \"Human\" must have a selection of subfields. Did you mean "
               "\"human { ... }\"?");
  expect_error("{ dog { doesKnowCommand(command: SIT) } }",
               "Unknown argument \"command\" on field \"Dog.doesKnowCommand\".");
  expect_error("{ dog { doesKnowCommand } }",
               "Field \"doesKnowCommand\" argument \"dogCommand\" of type \"DogCommand!\" is "
               "required, but it was not provided.");
  expect_error("{ dog { isHouseTrained(atOtherHomes: true, atOtherHomes: false) } }",
               "There can be only one argument named \"atOtherHomes\".");
  expect_error("{ dog { name @unknown } }", "Unknown directive \"@unknown\".");
  expect_error("query @skip(if: true) { dog { name } }",
               "Directive \"@skip\" may not be used on QUERY.");
  expect_error("{ dog { name @skip(if: true) @skip(if: false) } }",
               "The directive \"@skip\" can only be used once at this location.");
  expect_error("{ dog { name @include } }",
               "Directive \"@include\" argument \"if\" of type \"Boolean!\" is required, but it "
               "was not provided.");
}

TEST(Validator, RejectsValuesOfTheWrongType) {
  expect_error("{ arguments { intArgField(intArg: \"3\") } }",
               "Int cannot represent non-integer value: \"3\"");
  expect_error("{ arguments { intArgField(intArg: 3000000000) } }",
               "Int cannot represent non 32-bit signed integer value: 3000000000");
  expect_error("{ arguments { nonNullBooleanArgField(nonNullBooleanArg: null) } }",
               "Expected value of type \"Boolean!\", found null.");
  expect_error("{ dog { doesKnowCommand(dogCommand: JUMP) } }",
               "Value \"JUMP\" does not exist in \"DogCommand\" enum.");
  expect_error("{ findDog(complex: {name: \"x\"}) { name } }",
               "Field \"ComplexInput.required\" of required type \"Int!\" was not provided.");
  expect_error("{ findDog(complex: {required: 1, favoriteCookieFlavor: \"Bacon\"}) { name } }",
               "Field \"favoriteCookieFlavor\" is not defined by type \"ComplexInput\".");
  expect_error("{ findDog(complex: {required: 1, name: \"a\", name: \"b\"}) { name } }",
               "There can be only one input field named \"name\".");
  expect_error("{ findDog(complex: 3) { name } }",
               "Expected value of type \"ComplexInput\", found 3.");
  expect_error("{ arguments { intArgField(intArg: [1]) } }",
               "Int cannot represent non-integer value: [1]");
}

TEST(Validator, RejectsVariableErrors) {
  expect_error("query($a: Int, $a: Int) { arguments { intArgField(intArg: $a) } }",
               "There can be only one variable named \"$a\".");
  expect_error("query($a: Dog) { dog { name } }",
               "Variable \"$a\" cannot be non-input type \"Dog\".");
  expect_error("query($a: Nope) { dog { name } }", "Unknown type \"Nope\".");
  expect_error("query Q { arguments { intArgField(intArg: $x) } }",
               "Variable \"$x\" is not defined by operation \"Q\".");
  expect_error("query Q($x: Int) { dog { name } }",
               "Variable \"$x\" is never used in operation \"Q\".");
  expect_error(
      "query Q($b: Boolean) { arguments { nonNullBooleanArgField(nonNullBooleanArg: $b) } }",
      "Variable \"$b\" of type \"Boolean\" used in position expecting type \"Boolean!\".");
  expect_error(
      "query Q($b: [Boolean]) { booleanList(booleanListArg: $b) }",
      "Variable \"$b\" of type \"[Boolean]\" used in position expecting type \"[Boolean!]\".");
  expect_error("query Q($i: Int) { arguments { booleanArgField(booleanArg: $i) } }",
               "Variable \"$i\" of type \"Int\" used in position expecting type \"Boolean\".");
  expect_error("query Q($b: Boolean = 3) { arguments { booleanArgField(booleanArg: $b) } }",
               "Boolean cannot represent a non boolean value: 3");
  // Usages inside fragments count for every operation that spreads them.
  expect_error("query Q { dog { ...F } } fragment F on Dog { isHouseTrained(atOtherHomes: $x) }",
               "Variable \"$x\" is not defined by operation \"Q\".");
  expect_valid(
      "query Q($x: Boolean) { dog { ...F } } fragment F on Dog { isHouseTrained(atOtherHomes: $x) "
      "}");
}

TEST(Validator, RejectsFieldsThatCannotBeMerged) {
  expect_error("{ dog { name: nickname name } }",
               "Fields \"name\" conflict because \"nickname\" and \"name\" are different fields. "
               "Use different aliases on the fields to fetch both if this was intentional.");
  expect_error("{ dog { doesKnowCommand(dogCommand: SIT) doesKnowCommand(dogCommand: HEEL) } }",
               "Fields \"doesKnowCommand\" conflict because they have differing arguments. Use "
               "different aliases on the fields to fetch both if this was intentional.");
  expect_error(
      "{ pet { ... on Dog { x: barkVolume } ... on Cat { x: nickname } } }",
      "Fields \"x\" conflict because they return conflicting types \"Int\" and \"String\". Use "
      "different aliases on the fields to fetch both if this was intentional.");
  expect_error("{ dog { owner { x: name } } dog { owner { x: pets { name } } } }",
               "Fields \"dog\" conflict because subfields \"owner\" conflict because subfields "
               "\"x\" conflict because \"name\" and \"pets\" are different fields. Use different "
               "aliases on the fields to fetch both if this was intentional.");
  expect_error(
      "{ dog { ...A ...B } } fragment A on Dog { x: name } fragment B on Dog { x: nickname }",
      "Fields \"x\" conflict because \"name\" and \"nickname\" are different fields. Use different "
      "aliases on the fields to fetch both if this was intentional.");
  // Different concrete parents may use one response key for different fields.
  expect_valid("{ pet { ... on Dog { x: barkVolume } ... on Cat { x: meowVolume } } }");
}

TEST(Validator, EnforcesDepthFieldAndAliasLimits) {
  ValidationLimits limits;
  limits.depth_max = 3;
  auto errors = errors_of("{ human(id: 1) { pets { ... on Dog { owner { name } } } } }", limits);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "Query depth 4 exceeds the maximum depth of 3.");
  limits = {};
  limits.fields_max = 10;
  // Fragments multiply: each spread counts its fields again.
  errors = errors_of(
      "{ dog { ...A ...A2 } } fragment A on Dog { ...B ...B b2: name } fragment A2 on Dog { ...B } "
      "fragment B on Dog { name n1: name n2: name n3: name }",
      limits);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "Query selects 14 fields, more than the maximum of 10.");
  limits = {};
  limits.aliases_max = 1;
  errors = errors_of("{ a: dog { name } b: dog { name } }", limits);
  ASSERT_EQ(errors.size(), 1u);
}
