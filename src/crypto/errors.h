// Error codes returned by the crypto library (Error::code). An edge maps them once: a bad key,
// PEM or JWK from a client is that client's fault (4xx); a failed decryption means tampered or
// foreign data, never a reason to return plaintext.
#pragma once

namespace rafiki::crypto {

inline constexpr const char* kErrorInvalidKey = "crypto.invalid_key";        // wrong size/form
inline constexpr const char* kErrorInvalidPem = "crypto.invalid_pem";        // unreadable PEM
inline constexpr const char* kErrorInvalidJwk = "crypto.invalid_jwk";        // JWK breaks the rules
inline constexpr const char* kErrorInvalidInput = "crypto.invalid_input";    // bad IV, too large
inline constexpr const char* kErrorDecryptFailed = "crypto.decrypt_failed";  // tag did not verify

}  // namespace rafiki::crypto
