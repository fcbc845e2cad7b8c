// Interledger addresses (RFC 15): `scheme 1*("." segment)`, scheme one of g, private, example,
// peer, self, test, test1, test2, test3, local; a segment is 1+ of A-Z a-z 0-9 _ ~ -; at most
// 1023 bytes; case-sensitive. A bare scheme ("g"), empty segments and trailing dots are invalid.
#pragma once

#include <cstddef>
#include <string_view>

namespace rafiki::ilp {

inline constexpr std::size_t kAddressLengthMax = 1023;  // bytes

// The address ILDCP requests are sent to (RFC 31); link-local, never forwarded.
inline constexpr std::string_view kIldcpDestination = "peer.config";

// True when `address` satisfies every rule above.
bool is_valid_address(std::string_view address);

// The scheme (text before the first dot) of a valid address; empty for an invalid one.
std::string_view address_scheme(std::string_view address);

// True when `address` equals `prefix` or starts with `prefix` followed by a dot (so "g.a" is
// under "g.a" and "g" but not under "g.ab"). Neither is validated.
bool address_has_prefix(std::string_view address, std::string_view prefix);

}  // namespace rafiki::ilp
