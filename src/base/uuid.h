// UUIDs (RFC 9562): random version 4 and time-ordered version 7 (48-bit Unix milliseconds, then
// random bits) from the OS CSPRNG, parsing of the canonical 36-character
// form (any case; other forms are refused) and lowercase printing.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rafiki {

struct Uuid {
  std::array<std::uint8_t, 16> bytes{};

  static Uuid v4();
  // Time-ordered: ids made close in time sort close together, so a B-tree keyed by them is
  // appended to at its right edge instead of at random pages (TigerBeetle recommends such ids
  // for transfers for the same reason).
  static Uuid v7();
  static std::optional<Uuid> parse(std::string_view text);
  std::string str() const;
  bool is_nil() const;
  int version() const { return bytes[6] >> 4; }

  friend bool operator==(const Uuid&, const Uuid&) = default;
  friend auto operator<=>(const Uuid&, const Uuid&) = default;
};

// True when `text` is a canonical UUID of any version (as upstream's isValidUuid / uuid.validate).
bool is_uuid(std::string_view text);

}  // namespace rafiki

// Hash maps keyed by Uuid. Both halves are mixed: v7 ids share their leading timestamp bytes.
template <>
struct std::hash<rafiki::Uuid> {
  std::size_t operator()(const rafiki::Uuid& id) const noexcept {
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    for (int i = 0; i < 8; ++i) {
      a = (a << 8) | id.bytes[static_cast<std::size_t>(i)];
      b = (b << 8) | id.bytes[static_cast<std::size_t>(i + 8)];
    }
    return static_cast<std::size_t>(a ^ (b * 0x9e3779b97f4a7c15ULL));
  }
};
