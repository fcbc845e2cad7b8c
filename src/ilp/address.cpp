#include "ilp/address.h"

#include <array>

namespace rafiki::ilp {
namespace {

constexpr std::array<std::string_view, 10> kSchemes = {
    "g", "private", "example", "peer", "self", "test", "test1", "test2", "test3", "local"};

bool is_segment_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '~' || c == '-';
}

bool is_scheme(std::string_view text) {
  for (std::string_view scheme : kSchemes)
    if (text == scheme) return true;
  return false;
}

}  // namespace

bool is_valid_address(std::string_view address) {
  if (address.empty() || address.size() > kAddressLengthMax) return false;
  std::size_t dot = address.find('.');
  if (dot == std::string_view::npos || !is_scheme(address.substr(0, dot))) return false;
  // Every dot must be followed by a non-empty segment of allowed characters.
  std::size_t segment_length = 0;
  for (std::size_t i = dot + 1; i < address.size(); ++i) {
    char c = address[i];
    if (c == '.') {
      if (segment_length == 0) return false;
      segment_length = 0;
    } else if (is_segment_char(c)) {
      ++segment_length;
    } else {
      return false;
    }
  }
  return segment_length > 0;
}

std::string_view address_scheme(std::string_view address) {
  if (!is_valid_address(address)) return {};
  return address.substr(0, address.find('.'));
}

bool address_has_prefix(std::string_view address, std::string_view prefix) {
  if (!address.starts_with(prefix)) return false;
  return address.size() == prefix.size() || address[prefix.size()] == '.';
}

}  // namespace rafiki::ilp
