// JCS canonicalisation: vectors computed with JavaScript's JSON.parse + sorted-key JSON.stringify
// (what upstream's signer and server do).
#include "backend/admin/canonical_json.h"

#include <gtest/gtest.h>

#include <string>

using namespace rafiki::backend::admin;

namespace {

std::string canon(std::string_view text) {
  auto out = canonicalize_json(text);
  EXPECT_TRUE(out.has_value()) << text;
  return out ? *out : std::string("<error>");
}

TEST(CanonicalJson, SortsMembersByUtf16CodeUnitsAndKeepsTheLastDuplicate) {
  EXPECT_EQ(canon("{ \"\xEF\xAC\x81\": 1, \"\xF0\x9F\x98\x80\": 2, \"\xE2\x82\xAC\": 3, "
                  "\"a\": [true, false, null, {\"z\": 1, \"y\": \"\\u00e9\\n\"}], \"B\": 1.50, "
                  "\"\": {}, \"a\": \"last\" }"),
            "{\"\":{},\"B\":1.5,\"a\":\"last\",\"\xE2\x82\xAC\":3,\"\xF0\x9F\x98\x80\":2,"
            "\"\xEF\xAC\x81\":1}");
  EXPECT_EQ(canon(" [ 1 , { \"b\" : [ ] , \"a\" : { } } ]\n"), "[1,{\"a\":{},\"b\":[]}]");
  EXPECT_EQ(canon("{\"query\":\"query { whoami { id } }\",\"variables\":{\"b\":1,\"a\":\"x\"}}"),
            "{\"query\":\"query { whoami { id } }\",\"variables\":{\"a\":\"x\",\"b\":1}}");
}

TEST(CanonicalJson, FormatsNumbersAsJavaScriptDoes) {
  const std::pair<const char*, const char*> vectors[] = {
      {"1e21", "1e+21"},
      {"1e20", "100000000000000000000"},
      {"123456789012345678901", "123456789012345680000"},
      {"0.000001", "0.000001"},
      {"0.0000001", "1e-7"},
      {"1.5e-7", "1.5e-7"},
      {"-0", "0"},
      {"-0.0e5", "0"},
      {"4.5", "4.5"},
      {"9007199254740993", "9007199254740992"},
      {"1E3", "1000"},
      {"0.1", "0.1"},
      {"5e-324", "5e-324"},
      {"1.7976931348623157e308", "1.7976931348623157e+308"},
      {"123.456e5", "12345600"},
      {"-1.25e-10", "-1.25e-10"},
      {"100", "100"},
      {"333333333.33333329", "333333333.3333333"},
      {"1e-400", "0"},
      {"-1e-400", "0"},
      {"1e400", "null"},
      {"[-1e999]", "[null]"},
      {"10000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000", "null"},
  };
  for (const auto& [in, out] : vectors) EXPECT_EQ(canon(in), out) << in;
}

TEST(CanonicalJson, EscapesStringsAsJsonStringify) {
  EXPECT_EQ(canon("\"\\u0001\\u001f\\b\\f\\n\\r\\t\\\"\\\\\\/\x7f\xE2\x80\xA8\\u00e9\\ud83d\\ude00\""),
            "\"\\u0001\\u001f\\b\\f\\n\\r\\t\\\"\\\\/\x7f\xE2\x80\xA8\xC3\xA9\xF0\x9F\x98\x80\"");
}

TEST(CanonicalJson, KeepsLoneSurrogatesEscaped) {
  EXPECT_EQ(canon("\"\\ud800\""), "\"\\ud800\"");
  EXPECT_EQ(canon("\"\\uDC00x\""), "\"\\udc00x\"");
  EXPECT_EQ(canon("\"\\ud800\\u0041\\ud83d\\ude00\""), "\"\\ud800A\xF0\x9F\x98\x80\"");
  EXPECT_EQ(canon("\"\\ud800\\ud800\\udc00\""), "\"\\ud800\xF0\x90\x80\x80\"");
  // Sorted by UTF-16 code units: U+D800 alone sorts below U+E000 and above U+20AC.
  EXPECT_EQ(canon("{\"\\ue000\":1,\"\\ud800\":2,\"\\u20ac\":3}"),
            "{\"\xE2\x82\xAC\":3,\"\\ud800\":2,\"\xEE\x80\x80\":1}");
}

TEST(CanonicalJson, RefusesWhatIsNotOneJsonValue) {
  const char* bad[] = {
      "",          " ",          "{",           "{\"a\":1,}",   "[1,]",        "[1 2]",
      "{a:1}",     "'a'",        "01",          "1.",           ".5",          "1e",
      "+1",        "-",          "NaN",         "Infinity",     "-Infinity",   "0x10",
      "tru",       "nul",        "{} {}",       "\"a",          "\"\\x\"",     "\"\\u12\"",
      "\"\\ud800\\u00\"",                                   "\"\x01\"",     "\"\xC0\xAF\"",
      "\"\xED\xA0\x80\"",         "\"\xF5\x80\x80\x80\"",       "\"\xE2\x82\"", "\"\x80\"",
  };
  for (const char* text : bad) {
    auto out = canonicalize_json(text);
    ASSERT_FALSE(out.has_value()) << text << " gave " << *out;
    EXPECT_EQ(out.error().code, kCanonicalJsonErrorInvalid);
  }
}

TEST(CanonicalJson, BoundsNesting) {
  std::string ok(kCanonicalJsonDepthMax, '[');
  ok += std::string(kCanonicalJsonDepthMax, ']');
  EXPECT_EQ(canon(ok), ok);
  std::string deep(kCanonicalJsonDepthMax + 1, '[');
  deep += std::string(kCanonicalJsonDepthMax + 1, ']');
  EXPECT_FALSE(canonicalize_json(deep).has_value());
}

}  // namespace
