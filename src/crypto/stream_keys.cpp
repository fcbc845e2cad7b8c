#include "crypto/stream_keys.h"

#include <string_view>

namespace rafiki::crypto {
namespace {

constexpr std::string_view kEncryptionLabel = "ilp_stream_encryption";
constexpr std::string_view kFulfillmentLabel = "ilp_stream_fulfillment";
constexpr std::string_view kConnectionTokenLabel = "ilp_stream_connection_token";
constexpr std::string_view kSharedSecretLabel = "ilp_stream_shared_secret";

}  // namespace

Sha256Digest stream_encryption_key(ByteView shared_secret) {
  return hmac_sha256(shared_secret, as_bytes(kEncryptionLabel));
}

Sha256Digest stream_fulfillment_key(ByteView shared_secret) {
  return hmac_sha256(shared_secret, as_bytes(kFulfillmentLabel));
}

Sha256Digest stream_fulfillment(ByteView fulfillment_key, ByteView prepare_data) {
  return hmac_sha256(fulfillment_key, prepare_data);
}

Sha256Digest stream_condition(ByteView fulfillment) {
  return sha256(fulfillment);
}

Sha256Digest stream_connection_token_key(ByteView server_secret) {
  return hmac_sha256(server_secret, as_bytes(kConnectionTokenLabel));
}

Sha256Digest stream_shared_secret_generator(ByteView server_secret) {
  return hmac_sha256(server_secret, as_bytes(kSharedSecretLabel));
}

Sha256Digest stream_connection_shared_secret(ByteView generator, ByteView token) {
  return hmac_sha256(generator, token);
}

}  // namespace rafiki::crypto
