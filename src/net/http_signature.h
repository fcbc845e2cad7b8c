// RFC 9421 HTTP message signatures as Open Payments profiles them (reference/http-signatures.md):
// the one home for signing and verifying, used by both sides — the auth service verifies GNAP
// requests with the client's key, the backend's Open Payments routes verify requests with the
// key token introspection names, and the backend signs its own outgoing Open Payments requests.
//
// The profile both sides must agree on is fixed here; sign() / verify() arrive with the auth
// service (the GNAP issue) and take our net::Request / net::ClientRequest types, an Ed25519 key
// from crypto/ed25519.h, and answer failures as values (a missing, malformed or wrong signature
// or Content-Digest is a refusal, never an exception). Never require `tag`: the official client
// does not send it.
#pragma once

#include <array>
#include <string_view>

namespace rafiki::net::http_signature {

// The only label clients use and upstream's verifier understands.
inline constexpr std::string_view kLabel = "sig1";
// The signature algorithm (RFC 8032 pure Ed25519 over the signature base's UTF-8 bytes).
inline constexpr std::string_view kAlgorithm = "ed25519";
// Content-Digest of a body (RFC 9530): sha-512=:<base64 of SHA-512(body)>:
inline constexpr std::string_view kContentDigestAlgorithm = "sha-512";
// Covered components, in this order: "authorization" only when the request has that header,
// the last three only when it has a body.
inline constexpr std::array<std::string_view, 6> kComponentsInOrder = {
    "@method", "@target-uri", "authorization", "content-digest", "content-length", "content-type"};
// Signature parameters sent, in this order (no alg, expires, nonce or tag).
inline constexpr std::array<std::string_view, 2> kParametersInOrder = {"keyid", "created"};

}  // namespace rafiki::net::http_signature
