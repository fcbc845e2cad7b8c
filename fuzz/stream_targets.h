// The checks of the STREAM fuzz target (stream_fuzz.cpp) on one input, shared with the test
// that replays its seed corpus and regressions (tests/ilp/stream_fuzz_regression_test.cpp).
// The STREAM packet and frame decoders must refuse or accept without reading out of bounds;
// what decode_packet accepts must re-encode to bytes that decode to the same packet and
// re-encode identically; an encrypted packet must decrypt to itself and any single flipped bit
// must make it fail; receipts of any bytes are verified without crashing. A broken invariant
// aborts.
#pragma once

#include <cstdint>
#include <cstdlib>

#include "base/bytes.h"
#include "ilp/oer.h"
#include "ilp/stream/frames.h"
#include "ilp/stream/packet.h"
#include "ilp/stream/receipt.h"

namespace rafiki::fuzz {

inline void stream_check(bool condition) {
  if (!condition) std::abort();
}

inline void stream_target(ByteView input) {
  using namespace rafiki::ilp::stream;
  // Frames one by one: a failure leaves the reader where it was; progress otherwise.
  ilp::Reader reader(input);
  for (std::size_t i = 0; i < kFramesMax && reader.position() < input.size(); ++i) {
    std::size_t before = reader.position();
    auto frame = read_frame(reader);
    if (!frame) {
      stream_check(reader.position() == before);
      break;
    }
    stream_check(reader.position() > before && reader.position() <= input.size());
    if (frame->has_value()) {
      Bytes encoded = encode_frame(**frame);
      ilp::Reader again(encoded);
      auto back = read_frame(again);
      stream_check(back.has_value() && back->has_value() && **back == **frame);
      stream_check(again.position() == encoded.size());
    }
  }

  auto packet = decode_packet(input);
  if (packet) {
    Bytes encoded = encode_packet(*packet);
    auto second = decode_packet(encoded);
    stream_check(second.has_value() && *second == *packet);
    stream_check(encode_packet(*second) == encoded);

    // Encryption round trip under a fixed key and IV; one flipped bit anywhere is refused.
    static const ConnectionKeys keys = *derive_keys(Bytes(kSharedSecretBytes, 0x5e));
    const Bytes iv(12, 0xa5);
    auto sealed = encrypt_packet_with_iv(keys, iv, *packet);
    stream_check(sealed.has_value());
    auto opened = decrypt_packet(keys, *sealed);
    stream_check(opened.has_value() && *opened == *packet);
    if (!sealed->empty()) {
      Bytes tampered = *sealed;
      std::size_t at = input.empty() ? 0 : input[0] % tampered.size();
      tampered[at] ^= static_cast<std::uint8_t>(1u << (input.size() % 8));
      stream_check(!decrypt_packet(keys, tampered).has_value());
    }
  }

  // Any bytes as encrypted data: fails to authenticate (or, by a 2^-128 chance, decodes).
  static const ConnectionKeys other = *derive_keys(Bytes(kSharedSecretBytes, 0x17));
  (void)decrypt_packet(other, input);

  // Any bytes as a receipt.
  ReceiptSecret secret{};
  secret.fill(0x33);
  if (auto receipt = verify_receipt(input, secret)) stream_check(input.size() == kReceiptBytes);
}

}  // namespace rafiki::fuzz
