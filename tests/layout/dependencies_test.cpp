// The source tree's dependency rules, checked on the #include lines of src/ (docs/architecture.md,
// "Dependencies"):
//  * libraries only include the libraries below them (base ← crypto ← net, store ← ledger, ilp,
//    graphql ← service), never a service;
//  * a backend domain only includes domains before it in the domain order, and never another
//    domain's store.h (it calls the other domain's service instead).
// Existing exceptions are listed below, each to be removed; a new one fails the test.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const fs::path kSource = fs::path(RAFIKI_SOURCE_DIR) / "src";

// The domain order: a domain may use only domains of a lower rank. Webhook comes right after
// tenant because every domain that emits events writes to it (it is the outbox).
const std::map<std::string, int> kDomainRank = {
    {"tenant", 0},           {"webhook", 1},          {"asset", 2},
    {"fee", 3},              {"liquidity", 3},        {"peer", 4},
    {"wallet_address", 4},   {"rates", 5},            {"incoming_payment", 6},
    {"receiver", 7},         {"quote", 8},            {"outgoing_payment", 9},
    {"connector", 10},
};
// Backend folders that are wiring, not domains: they may include any domain.
const std::set<std::string> kBackendWiring = {"core", "admin"};

// Library folder → the top-level folders it may include (itself included).
const std::map<std::string, std::set<std::string>> kLibraryMayInclude = {
    {"base", {"base"}},
    {"crypto", {"base", "crypto"}},
    {"net", {"base", "crypto", "net"}},
    {"store", {"base", "crypto", "store"}},
    {"ledger", {"base", "crypto", "store", "ledger"}},
    {"ilp", {"base", "crypto", "net", "ilp"}},
    {"graphql", {"base", "net", "graphql"}},
    {"service", {"base", "crypto", "net", "store", "service"}},
    {"token_introspection", {"base", "crypto", "net", "token_introspection"}},
};

// "src/<file>: <included>" pairs that break a rule today, each waiting for its fix.
const std::set<std::string> kKnownExceptions = {
};

struct Include {
  std::string file;    // relative to src/
  std::string target;  // as written, e.g. backend/peer/store.h
};

std::vector<Include> includes_of_tree() {
  std::vector<Include> out;
  const std::regex include_line(R"re(^\s*#\s*include\s+"([^"]+)")re");
  for (const auto& entry : fs::recursive_directory_iterator(kSource)) {
    if (!entry.is_regular_file()) continue;
    const auto ext = entry.path().extension();
    if (ext != ".h" && ext != ".cpp") continue;
    std::ifstream in(entry.path());
    std::string line;
    const std::string file = fs::relative(entry.path(), kSource).generic_string();
    while (std::getline(in, line)) {
      std::smatch m;
      if (std::regex_search(line, m, include_line)) out.push_back({file, m[1]});
    }
  }
  return out;
}

std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> out;
  for (const auto& part : fs::path(path)) out.push_back(part.string());
  return out;
}

// The rule `include` breaks, or "" when it keeps them all.
std::string broken_rule(const Include& include) {
  const auto from = segments(include.file);
  const auto to = segments(include.target);
  if (from.size() < 2 || to.size() < 2) return "";
  const std::string& from_top = from[0];
  const std::string& to_top = to[0];
  if (auto allowed = kLibraryMayInclude.find(from_top); allowed != kLibraryMayInclude.end()) {
    if (!allowed->second.count(to_top)) {
      return "the " + from_top + " library may not include " + to_top + "/";
    }
    return "";
  }
  if (from_top != "backend" || to_top != "backend" || from.size() < 3 || to.size() < 3) return "";
  const std::string& from_domain = from[1];
  const std::string& to_domain = to[1];
  if (from_domain == to_domain || kBackendWiring.count(from_domain) ||
      kBackendWiring.count(to_domain)) {
    return "";
  }
  if (to.back() == "store.h") return "a domain may not include another domain's store.h";
  auto from_rank = kDomainRank.find(from_domain);
  auto to_rank = kDomainRank.find(to_domain);
  if (from_rank == kDomainRank.end()) return "backend/" + from_domain + " is not in the domain order";
  if (to_rank == kDomainRank.end()) return "backend/" + to_domain + " is not in the domain order";
  if (to_rank->second >= from_rank->second) {
    return "backend/" + from_domain + " may only use domains before it, not " + to_domain;
  }
  return "";
}

TEST(Dependencies, IncludesFollowTheLayersAndTheDomainOrder) {
  std::set<std::string> seen_exceptions;
  std::vector<std::string> broken;
  for (const auto& include : includes_of_tree()) {
    std::string rule = broken_rule(include);
    if (rule.empty()) continue;
    std::string key = include.file + ": " + include.target;
    if (kKnownExceptions.count(key)) {
      seen_exceptions.insert(key);
      continue;
    }
    broken.push_back("src/" + key + " — " + rule);
  }
  std::sort(broken.begin(), broken.end());
  for (const auto& b : broken) ADD_FAILURE() << b;
  // A fixed exception must leave the list, so the list only ever shrinks.
  for (const auto& e : kKnownExceptions) {
    EXPECT_TRUE(seen_exceptions.count(e)) << "no longer needed; remove it from kKnownExceptions: "
                                          << e;
  }
}

TEST(Dependencies, TheRulesCatchWhatTheyShould) {
  EXPECT_NE(broken_rule({"backend/asset/service.cpp", "backend/peer/service.h"}), "");
  EXPECT_NE(broken_rule({"backend/connector/install.cpp", "backend/peer/store.h"}), "");
  EXPECT_EQ(broken_rule({"backend/connector/install.cpp", "backend/peer/service.h"}), "");
  EXPECT_EQ(broken_rule({"backend/peer/service.cpp", "backend/peer/store.h"}), "");
  EXPECT_NE(broken_rule({"store/pg.cpp", "backend/core/backend.h"}), "");
  EXPECT_NE(broken_rule({"base/log.cpp", "net/http.h"}), "");
  EXPECT_EQ(broken_rule({"ilp/stream/spsp.h", "net/client.h"}), "");
  EXPECT_NE(broken_rule({"backend/fee/service.cpp", "backend/liquidity/service.h"}), "");
  EXPECT_NE(broken_rule({"backend/nowhere/x.cpp", "backend/tenant/service.h"}), "");
}

}  // namespace
