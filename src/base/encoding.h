// Text encodings of bytes: hex (lowercase), base64 (RFC 4648 §4) and base64url (§5).
// Decoders return nullopt on any character outside the alphabet or a bad length/padding;
// they never throw.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"

namespace rafiki::encoding {

std::string hex_encode(ByteView data);
std::optional<Bytes> hex_decode(std::string_view text);  // accepts upper and lower case

std::string base64_encode(ByteView data);                  // with '=' padding
std::string base64url_encode(ByteView data);               // without padding (JOSE style)
// Standard alphabet; padding optional but, if present, must be correct.
std::optional<Bytes> base64_decode(std::string_view text);
// URL-safe alphabet; padding optional.
std::optional<Bytes> base64url_decode(std::string_view text);

inline std::string base64_encode(std::string_view s) { return base64_encode(as_bytes(s)); }
inline std::string base64url_encode(std::string_view s) { return base64url_encode(as_bytes(s)); }

}  // namespace rafiki::encoding
