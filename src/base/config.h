// Typed reading of configuration from environment variables, with upstream's names and
// parsing rules: an empty string counts as unset; booleans are true only for "true"; lists are
// comma-separated, trimmed, empties dropped. Every problem is collected, so start-up can report
// all bad or missing variables in one message and exit non-zero.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rafiki::config {

// Looks a variable up; nullopt when unset. The default reads the process environment.
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;
EnvLookup process_env();

class EnvReader {
 public:
  // `prefix` (e.g. "AUTH_"), when given, is tried first: PREFIX + NAME overrides NAME. This is
  // how `rafiki all` lets two services that share a variable name (ADMIN_PORT) differ.
  explicit EnvReader(EnvLookup lookup, std::string prefix = {});

  std::optional<std::string> optional_string(std::string_view name);
  std::string string(std::string_view name, std::string_view fallback);
  std::string required_string(std::string_view name);
  // Integers must be whole decimal numbers within [min, max].
  std::int64_t integer(std::string_view name, std::int64_t fallback, std::int64_t min,
                       std::int64_t max);
  std::uint16_t port(std::string_view name, std::uint16_t fallback);
  double number(std::string_view name, double fallback, double min, double max);
  bool boolean(std::string_view name, bool fallback);
  std::vector<std::string> list(std::string_view name);
  // An absolute http(s) URL; an empty optional when unset and not required.
  std::optional<std::string> url(std::string_view name, std::optional<std::string_view> fallback,
                                 bool required);
  // Base64 text that must decode to exactly `length` bytes (e.g. 32-byte secrets).
  std::optional<std::string> base64_secret(std::string_view name, std::size_t length,
                                           bool required);
  // A UUID in its canonical lowercase spelling (ids are compared as strings).
  std::string uuid(std::string_view name, bool required);

  void add_error(std::string message) { errors_.push_back(std::move(message)); }
  const std::vector<std::string>& errors() const { return errors_; }
  bool ok() const { return errors_.empty(); }
  // "invalid configuration: A is required; B must be an integer ..." or empty when ok.
  std::string error_summary() const;

 private:
  std::optional<std::string> raw(std::string_view name);
  EnvLookup lookup_;
  std::string prefix_;
  std::vector<std::string> errors_;
};

}  // namespace rafiki::config
