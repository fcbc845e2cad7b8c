#include "base/config.h"

#include <gtest/gtest.h>

#include <map>

using namespace rafiki::config;

namespace {
EnvLookup env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}
}  // namespace

TEST(Config, ReadsTypedValuesWithUpstreamRules) {
  EnvReader r(env({{"PORT", "3001"}, {"FLAG", "true"}, {"OTHER_FLAG", "TRUE"}, {"EMPTY", ""},
                   {"LIST", " a, b ,,c "}, {"RATE", "0.25"}}));
  EXPECT_EQ(r.port("PORT", 1), 3001);
  EXPECT_TRUE(r.boolean("FLAG", false));
  EXPECT_FALSE(r.boolean("OTHER_FLAG", false));  // only "true" is true
  EXPECT_EQ(r.string("EMPTY", "fallback"), "fallback");  // empty counts as unset
  EXPECT_EQ(r.list("LIST"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_DOUBLE_EQ(r.number("RATE", 0.01, 0, 1), 0.25);
  EXPECT_EQ(r.integer("MISSING", 42, 0, 100), 42);
  EXPECT_TRUE(r.ok()) << r.error_summary();
}

TEST(Config, CollectsEveryProblemInOneSummary) {
  EnvReader r(env({{"PORT", "70000"}, {"WORKERS", "two"}, {"URL", "ftp://x"},
                   {"SECRET", "c2hvcnQ="}, {"TENANT", "nope"}}));
  r.port("PORT", 1);
  r.integer("WORKERS", 1, 1, 64);
  r.url("URL", std::nullopt, true);
  r.url("MISSING_URL", std::nullopt, true);
  r.required_string("ILP_ADDRESS");
  r.base64_secret("SECRET", 32, true);
  r.uuid("TENANT", true);
  EXPECT_EQ(r.errors().size(), 7u);
  auto summary = r.error_summary();
  for (auto name : {"PORT", "WORKERS", "URL", "MISSING_URL", "ILP_ADDRESS", "SECRET", "TENANT"})
    EXPECT_NE(summary.find(name), std::string::npos) << name;
  EXPECT_EQ(summary.find("c2hvcnQ="), std::string::npos) << "secrets are never echoed";
}

TEST(Config, PrefixOverridesSharedNames) {
  EnvReader auth(env({{"ADMIN_PORT", "3001"}, {"AUTH_ADMIN_PORT", "3003"}}), "AUTH_");
  EnvReader backend(env({{"ADMIN_PORT", "3001"}, {"AUTH_ADMIN_PORT", "3003"}}), "BACKEND_");
  EXPECT_EQ(auth.port("ADMIN_PORT", 0), 3003);
  EXPECT_EQ(backend.port("ADMIN_PORT", 0), 3001);
}
