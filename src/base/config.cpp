#include "base/config.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdlib>

#include "base/encoding.h"
#include "base/uuid.h"

namespace rafiki::config {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

EnvLookup process_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

EnvReader::EnvReader(EnvLookup lookup, std::string prefix)
    : lookup_(std::move(lookup)), prefix_(std::move(prefix)) {}

std::optional<std::string> EnvReader::raw(std::string_view name) {
  if (!prefix_.empty()) {
    auto v = lookup_(prefix_ + std::string(name));
    if (v && !v->empty()) return v;
  }
  auto v = lookup_(name);
  if (v && v->empty()) return std::nullopt;
  return v;
}

std::optional<std::string> EnvReader::optional_string(std::string_view name) { return raw(name); }

std::string EnvReader::string(std::string_view name, std::string_view fallback) {
  auto v = raw(name);
  return v ? *v : std::string(fallback);
}

std::string EnvReader::required_string(std::string_view name) {
  auto v = raw(name);
  if (!v) {
    errors_.push_back(fmt::format("{} is required", name));
    return {};
  }
  return *v;
}

std::int64_t EnvReader::integer(std::string_view name, std::int64_t fallback, std::int64_t min,
                                std::int64_t max) {
  auto v = raw(name);
  if (!v) return fallback;
  std::string_view text = trim(*v);
  std::int64_t out = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    errors_.push_back(fmt::format("{} must be an integer (got \"{}\")", name, *v));
    return fallback;
  }
  if (out < min || out > max) {
    errors_.push_back(fmt::format("{} must be between {} and {} (got {})", name, min, max, out));
    return fallback;
  }
  return out;
}

std::uint16_t EnvReader::port(std::string_view name, std::uint16_t fallback) {
  return static_cast<std::uint16_t>(integer(name, fallback, 0, 65535));
}

double EnvReader::number(std::string_view name, double fallback, double min, double max) {
  auto v = raw(name);
  if (!v) return fallback;
  std::string_view text = trim(*v);
  double out = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    errors_.push_back(fmt::format("{} must be a number (got \"{}\")", name, *v));
    return fallback;
  }
  if (!(out >= min && out <= max)) {
    errors_.push_back(fmt::format("{} must be between {} and {} (got {})", name, min, max, out));
    return fallback;
  }
  return out;
}

bool EnvReader::boolean(std::string_view name, bool fallback) {
  auto v = raw(name);
  if (!v) return fallback;
  return *v == "true";
}

std::vector<std::string> EnvReader::list(std::string_view name) {
  std::vector<std::string> out;
  auto v = raw(name);
  if (!v) return out;
  std::string_view rest = *v;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    auto item = trim(rest.substr(0, comma));
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

std::optional<std::string> EnvReader::url(std::string_view name,
                                          std::optional<std::string_view> fallback,
                                          bool required) {
  auto v = raw(name);
  if (!v) {
    if (fallback) return std::string(*fallback);
    if (required) errors_.push_back(fmt::format("{} is required", name));
    return std::nullopt;
  }
  std::string_view text = *v;
  bool scheme_ok = text.starts_with("http://") || text.starts_with("https://");
  auto host_start = text.find("://");
  if (!scheme_ok || host_start == std::string_view::npos || host_start + 3 >= text.size() ||
      text[host_start + 3] == '/') {
    errors_.push_back(fmt::format("{} must be an absolute http(s) URL (got \"{}\")", name, text));
    return std::nullopt;
  }
  return *v;
}

std::optional<std::string> EnvReader::base64_secret(std::string_view name, std::size_t length,
                                                    bool required) {
  auto v = raw(name);
  if (!v) {
    if (required) errors_.push_back(fmt::format("{} is required", name));
    return std::nullopt;
  }
  auto decoded = encoding::base64_decode(*v);
  if (!decoded || decoded->size() != length) {
    // Never echo a secret's value.
    errors_.push_back(fmt::format("{} must be base64 of exactly {} bytes", name, length));
    return std::nullopt;
  }
  return *v;
}

std::string EnvReader::uuid(std::string_view name, bool required) {
  auto v = raw(name);
  if (!v) {
    if (required) errors_.push_back(fmt::format("{} is required", name));
    return {};
  }
  auto id = Uuid::parse(*v);
  if (!id) {
    errors_.push_back(fmt::format("{} must be a UUID (got \"{}\")", name, *v));
    return {};
  }
  // The canonical (lowercase) spelling, which ids compare against as strings.
  return id->str();
}

std::string EnvReader::error_summary() const {
  if (errors_.empty()) return {};
  return fmt::format("invalid configuration: {}", fmt::join(errors_, "; "));
}

}  // namespace rafiki::config
