#include "ilp/stream/receipt.h"

#include <algorithm>

#include "crypto/hash.h"
#include "ilp/oer.h"

namespace rafiki::ilp::stream {
namespace {
constexpr std::size_t kReceiptSignedBytes = 1 + kReceiptNonceBytes + 1 + 8;
}  // namespace

Bytes create_receipt(const ReceiptNonce& nonce, const ReceiptSecret& secret, std::uint8_t stream_id,
                     std::uint64_t total_received) {
  Writer writer(kReceiptBytes);
  writer.write_u8(kReceiptVersion);
  writer.write_bytes(nonce);
  writer.write_u8(stream_id);
  writer.write_u64(total_received);
  auto mac = crypto::hmac_sha256(secret, writer.bytes());
  writer.write_bytes(mac);
  return std::move(writer).take();
}

Result<Receipt> verify_receipt(ByteView bytes, const ReceiptSecret& secret) {
  if (bytes.size() != kReceiptBytes) return fail(kErrBadReceipt, "a receipt is 58 bytes");
  if (bytes[0] != kReceiptVersion) return fail(kErrBadReceipt, "receipt version is not 1");
  auto mac = crypto::hmac_sha256(secret, bytes.first(kReceiptSignedBytes));
  if (!crypto::constant_time_equal(mac, bytes.subspan(kReceiptSignedBytes))) {
    return fail(kErrBadReceipt, "receipt signature does not verify");
  }
  Reader reader(bytes.subspan(1));
  Receipt receipt;
  auto nonce = reader.read_bytes(kReceiptNonceBytes);
  std::copy(nonce->begin(), nonce->end(), receipt.nonce.begin());
  receipt.stream_id = *reader.read_u8();
  receipt.total_received = *reader.read_u64();
  return receipt;
}

}  // namespace rafiki::ilp::stream
