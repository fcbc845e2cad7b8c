// JSON canonicalisation (RFC 8785, "JCS"), as the Admin API's request signatures need it: the
// signer and the server both HMAC the canonical form of the request body, so ours must match
// upstream's JavaScript byte for byte. The text is parsed the way JavaScript's JSON.parse does
// (every number a double, a repeated member name keeps its last value) and written back with
// members sorted by UTF-16 code units, no whitespace, JSON.stringify's string escapes and
// ECMAScript number formatting (shortest round-trip digits: 1e21, 0.000001, 1e-7, 100, -0 → 0).
// A number beyond the range of a double is written `null`, as json-canonicalize (the package
// upstream uses) writes the Infinity that JSON.parse makes of it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/errors.h"

namespace rafiki::backend::admin {

constexpr std::size_t kCanonicalJsonDepthMax = 128;  // nested arrays/objects

inline constexpr std::string_view kCanonicalJsonErrorInvalid = "json.invalid";

// The canonical form of a JSON text. Fails with kCanonicalJsonErrorInvalid when the text is not
// one JSON value (RFC 8259) surrounded by optional whitespace, holds invalid UTF-8, or nests
// deeper than kCanonicalJsonDepthMax. An escaped lone surrogate is accepted and written back
// escaped ("\ud800"), as JavaScript does.
Result<std::string> canonicalize_json(std::string_view text);

// Whether an integer literal in `text` (no fraction, no exponent) is beyond ±2^53, where
// distinct literals round to one double and so share one canonical form (and one signature)
// while an exact reader (Boost.JSON, the GraphQL executor) tells them apart. The signature check
// refuses such bodies. Call only on text canonicalize_json accepted.
bool has_inexact_integer(std::string_view text);
// ECMAScript Number::toString of a finite double (the number part of JCS).
std::string format_js_number(double value);

}  // namespace rafiki::backend::admin
