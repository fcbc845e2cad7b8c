// STREAM key schedule (RFC 29 §5, as ilp-protocol-stream and @interledger/pay compute it) and the
// key derivations of the stateless STREAM receiver Rafiki uses (@interledger/stream-receiver).
// All are HMAC-SHA256 with ASCII labels; none can fail. Secrets of any length are accepted (the
// protocols use 32 bytes; checking that is the caller's job where the secret comes in).
#pragma once

#include "base/bytes.h"
#include "crypto/hash.h"

namespace rafiki::crypto {

inline constexpr std::size_t kStreamSharedSecretBytes = 32;

// HMAC(shared_secret, "ilp_stream_encryption"): the AES-256-GCM key of the STREAM envelope.
Sha256Digest stream_encryption_key(ByteView shared_secret);
// HMAC(shared_secret, "ilp_stream_fulfillment").
Sha256Digest stream_fulfillment_key(ByteView shared_secret);
// HMAC(fulfillment_key, data): the fulfillment of a Prepare whose data is the whole encrypted
// STREAM envelope.
Sha256Digest stream_fulfillment(ByteView fulfillment_key, ByteView prepare_data);
// SHA-256(fulfillment): the Prepare's execution condition.
Sha256Digest stream_condition(ByteView fulfillment);

// Receiver side, derived once from the server secret (STREAM_SECRET):
// HMAC(server_secret, "ilp_stream_connection_token"): the AES-256-GCM key of connection tokens.
Sha256Digest stream_connection_token_key(ByteView server_secret);
// HMAC(server_secret, "ilp_stream_shared_secret").
Sha256Digest stream_shared_secret_generator(ByteView server_secret);
// HMAC(generator, token): a connection's shared secret, from the full encrypted token bytes.
Sha256Digest stream_connection_shared_secret(ByteView generator, ByteView token);

}  // namespace rafiki::crypto
