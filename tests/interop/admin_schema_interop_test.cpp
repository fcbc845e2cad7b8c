// Our Admin API schema (src/backend/admin/schema.graphql) as graphql-js sees it: every operation
// upstream's integrations send for the parts we serve validates, and — when upstream's schema
// file is available (RAFIKI_UPSTREAM_ADMIN_SCHEMA, or the reference copy beside the repository)
// — graphql-js finds no breaking or dangerous change between theirs and ours, either way.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>

#include "backend/admin/api.h"
#include "graphql/parser.h"
#include "graphql/validator.h"
#include "interop/node_harness.h"

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

fs::path source(const std::string& relative) { return fs::path(RAFIKI_SOURCE_DIR) / relative; }

std::optional<fs::path> upstream_schema() {
  if (const char* env = std::getenv("RAFIKI_UPSTREAM_ADMIN_SCHEMA")) return fs::path(env);
  fs::path beside = fs::path(RAFIKI_SOURCE_DIR).parent_path() / "shared" / "reference" / "specs" /
                    "backend-admin.graphql";
  if (fs::exists(beside)) return beside;
  return std::nullopt;
}

TEST(AdminSchemaInterop, UpstreamOperationsValidateAndNothingBreaks) {
  const std::string sdl = rafiki::interop::read_text_file(source("src/backend/admin/schema.graphql"));
  const std::string operations =
      rafiki::interop::read_text_file(source("tests/interop/admin_operations.graphql"));
  json::object input{{"sdl", sdl}, {"operations", operations}};
  auto upstream = upstream_schema();
  if (upstream) input["upstreamSdl"] = rafiki::interop::read_text_file(*upstream);
  auto output = rafiki::interop::run_node_harness("admin_schema.js", input);
  ASSERT_TRUE(output);
  const auto& o = output->as_object();
  EXPECT_GE(o.at("operations").as_int64(), 35);
  for (const auto& e : o.at("operationErrors").as_array()) ADD_FAILURE() << "graphql-js: " << e;
  for (const auto& e : o.at("breaking").as_array()) ADD_FAILURE() << "breaking: " << e;
  for (const auto& e : o.at("dangerous").as_array()) ADD_FAILURE() << "dangerous: " << e;
  if (!upstream) GTEST_LOG_(INFO) << "upstream schema not available: comparison skipped";

  // Our engine agrees with graphql-js on the same operations.
  auto schema = rafiki::backend::load_admin_schema();
  ASSERT_TRUE(schema) << schema.error().message;
  auto doc = rafiki::graphql::parse(operations);
  ASSERT_TRUE(doc);
  auto errors = rafiki::graphql::validate(**schema, *doc);
  for (const auto& e : errors) ADD_FAILURE() << "ours: " << e.message;
}

}  // namespace
