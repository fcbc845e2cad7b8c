// Our JCS canonicalisation (backend/admin/canonical_json.h) against json-canonicalize, over a
// fixed corpus and a few thousand random doubles (bit patterns, so every exponent is covered).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "backend/admin/canonical_json.h"
#include "interop/node_harness.h"

using rafiki::backend::admin::canonicalize_json;

namespace {

constexpr int kRandomDoubles = 4000;

TEST(CanonicalJsonInterop, MatchesJsonCanonicalize) {
  std::vector<std::string> texts = {
      "{\"query\":\"mutation { createAsset(input: $input) { asset { id } } }\","
      "\"variables\":{\"input\":{\"code\":\"USD\",\"scale\":2,\"withdrawalThreshold\":null}},"
      "\"operationName\":\"CreateAsset\"}",
      "{ \"\xEF\xAC\x81\": 1, \"\xF0\x9F\x98\x80\": 2, \"\xE2\x82\xAC\": 3, \"a\": 1, \"a\": 2,"
      " \"B\": [1.50, -0, 1e21, 1e-7, 123456789012345678901, 9007199254740993] }",
      "\"\\u0001\\u001f\\b\\f\\n\\r\\t\\\"\\\\\\/\x7f\xE2\x80\xA8\\u00e9\\ud83d\\ude00\"",
      "[[],{},[{}],{\"\":[]},true,false,null,0,-1,0.5,1E+2,1e-400]",
      "{\"10\":1,\"9\":2,\"a\":{\"c\":1,\"b\":{\"e\":1,\"d\":2}}}",
      "{\"a\":1,}", "[01]", "1e400", "\"\\ud800\"", "{\"a\" 1}", "",
      "\"\\udc00\\ud800x\\ud800\\u0041\"", "{\"\\ue000\":1,\"\\ud800\":2,\"\\ud83d\\ude00\":3}",
  };
  std::mt19937_64 random(20261126);
  for (int i = 0; i < kRandomDoubles; ++i) {
    double d = std::bit_cast<double>(random());
    if (!std::isfinite(d)) continue;
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, i % 2 ? "%.17g" : "%.15g", d);
    texts.push_back(buffer);
  }
  for (std::int64_t n : {0LL, 1LL, 999999999999999999LL, -4503599627370497LL}) {
    texts.push_back(std::to_string(n));
  }

  boost::json::array input;
  for (const auto& text : texts) input.emplace_back(text);
  auto output = rafiki::interop::run_node_harness("canonical_json.js", input);
  ASSERT_TRUE(output.has_value());
  const auto& results = output->as_array();
  ASSERT_EQ(results.size(), texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) {
    auto ours = canonicalize_json(texts[i]);
    if (results[i].is_null()) {
      EXPECT_FALSE(ours.has_value()) << texts[i];
    } else {
      ASSERT_TRUE(ours.has_value()) << texts[i];
      EXPECT_EQ(*ours, std::string(results[i].as_string())) << texts[i];
    }
  }
}

}  // namespace
