// Runs one of the node harnesses of tests/interop (JS reference implementations from npm,
// installed by scripts/test with `npm ci --prefix tests/interop`): writes the input JSON to a
// temporary file, runs `node <script> <input> <output>` once, and returns the output JSON.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace rafiki::interop {

inline std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// Fails the current test (and returns nullopt) when node or the npm packages are missing or
// the script exits non-zero; stderr of the script is part of the failure message.
inline std::optional<boost::json::value> run_node_harness(const std::string& script,
                                                          const boost::json::value& input) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(RAFIKI_SOURCE_DIR) / "tests" / "interop";
  if (!fs::exists(dir / "node_modules")) {
    ADD_FAILURE() << "tests/interop/node_modules is missing: run `npm ci --prefix tests/interop`"
                     " (scripts/test does)";
    return std::nullopt;
  }
  const fs::path work =
      fs::temp_directory_path() / ("rafiki-interop-" + std::to_string(::getpid()) + "-" + script);
  fs::create_directories(work);
  const fs::path in = work / "in.json", out = work / "out.json", err = work / "stderr.txt";
  {
    std::ofstream file(in);
    file << boost::json::serialize(input);
  }
  std::string command = "node '" + (dir / script).string() + "' '" + in.string() + "' '" +
                        out.string() + "' 2>'" + err.string() + "'";
  int status = std::system(command.c_str());
  std::optional<boost::json::value> result;
  if (status != 0) {
    ADD_FAILURE() << "node " << script << " failed (status " << status
                  << "): " << read_text_file(err);
  } else {
    boost::system::error_code ec;
    auto parsed = boost::json::parse(read_text_file(out), ec);
    if (ec)
      ADD_FAILURE() << "node " << script << " wrote bad JSON: " << ec.message();
    else
      result = std::move(parsed);
  }
  fs::remove_all(work);
  return result;
}

}  // namespace rafiki::interop
