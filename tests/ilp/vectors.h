// The reference vectors of reference/ilp.md (specs/ilp-test-vectors.json, produced by the npm
// packages), copied under tests/ilp/testdata, and small hex helpers for the ILP tests.
#pragma once

#include <boost/json.hpp>

#include <fstream>
#include <initializer_list>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/encoding.h"

namespace rafiki::ilp::testing {

inline const boost::json::value& vectors() {
  static const boost::json::value root = [] {
    std::ifstream file(RAFIKI_SOURCE_DIR "/tests/ilp/testdata/ilp-test-vectors.json");
    if (!file) throw std::runtime_error("cannot open ilp-test-vectors.json");
    std::stringstream text;
    text << file.rdbuf();
    return boost::json::parse(text.str());
  }();
  return root;
}

// The string at a path of object keys, e.g. vector_text({"timestamps", "..."}).
inline std::string vector_text(std::initializer_list<std::string_view> path) {
  const boost::json::value* at = &vectors();
  for (std::string_view key : path) at = &at->as_object().at(key);
  return std::string(at->as_string());
}

inline Bytes unhex(std::string_view text) {
  auto bytes = encoding::hex_decode(text);
  if (!bytes) throw std::runtime_error("bad hex in test");
  return *bytes;
}
inline std::string hex(ByteView bytes) {
  return encoding::hex_encode(bytes);
}

inline Bytes vector_bytes(std::initializer_list<std::string_view> path) {
  return unhex(vector_text(path));
}

}  // namespace rafiki::ilp::testing
