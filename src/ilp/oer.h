// OER (Octet Encoding Rules, RFC 30 as Interledger profiles it): the bytes under every ILP,
// ILDCP and STREAM message. Big-endian unsigned integers, length determinants (short form
// 0..127, canonical long form 0x80|n + n bytes), variable-length octet strings and VarUInts.
// Reader is a bounds-checked cursor over borrowed bytes: every read either returns a value (a
// view into the input for byte strings) or an Error, never reads past the end and never throws;
// a failed read leaves the position where it was.
// Writer appends to an owned buffer; sizes can be predicted so a packet is allocated once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/bytes.h"
#include "base/errors.h"

namespace rafiki::ilp {

// Error::code values of every ILP-family decoder (oer, packet, ildcp).
inline constexpr const char* kErrTruncated = "ilp.truncated";   // input ends inside a field
inline constexpr const char* kErrBadLength = "ilp.bad_length";  // non-canonical determinant
inline constexpr const char* kErrTooLarge = "ilp.too_large";    // a field over its bound
inline constexpr const char* kErrTrailingBytes = "ilp.trailing_bytes";
inline constexpr const char* kErrBadType = "ilp.bad_type";  // wrong packet type byte
inline constexpr const char* kErrBadAddress = "ilp.bad_address";
inline constexpr const char* kErrBadTimestamp = "ilp.bad_timestamp";
inline constexpr const char* kErrBadCode = "ilp.bad_code";  // reject code not 3 chars
inline constexpr const char* kErrBadUtf8 = "ilp.bad_utf8";
inline constexpr const char* kErrBadValue = "ilp.bad_value";  // well-formed, wrong value

// A length determinant's long form carries at most this many length bytes (a 64-bit length).
inline constexpr std::size_t kLengthOfLengthMax = 8;
// A VarUInt holds at most a 64-bit number.
inline constexpr std::size_t kVarUintBytesMax = 8;

// Bytes taken by the length determinant of a field of `length` bytes (1 for 0..127).
std::size_t length_prefix_size(std::size_t length);
// Bytes taken by a var octet string of `length` content bytes, prefix included.
inline std::size_t var_octets_size(std::size_t length) {
  return length_prefix_size(length) + length;
}
// Content bytes of the minimal big-endian form of `value` (1 for zero).
std::size_t var_uint_content_size(std::uint64_t value);

// True when `bytes` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
// above U+10FFFF).
bool is_valid_utf8(ByteView bytes);

class Reader {
 public:
  explicit Reader(ByteView input) : input_(input) {}

  std::size_t remaining() const { return input_.size() - position_; }
  bool empty() const { return remaining() == 0; }
  std::size_t position() const { return position_; }
  // The bytes not read yet (a view into the input).
  ByteView rest() const { return input_.subspan(position_); }

  // Fail with kErrTruncated when the input ends first.
  Result<std::uint8_t> read_u8();
  Result<std::uint64_t> read_u64();
  Result<ByteView> read_bytes(std::size_t count);

  // A length determinant. Fails with kErrBadLength on the long form 0x80 (no length bytes),
  // more than kLengthOfLengthMax length bytes, a leading zero length byte, or a long form
  // holding a value below 128 (all non-canonical); kErrTruncated when the input ends first.
  Result<std::size_t> read_length();

  // A var octet string: determinant + bytes. Fails as read_length, with kErrTruncated when the
  // length exceeds the bytes left, and kErrTooLarge when it exceeds max_bytes.
  Result<ByteView> read_var_octets(std::size_t max_bytes = SIZE_MAX);

  // A var octet string holding UTF-8: fails as read_var_octets, and with kErrBadUtf8 when the
  // bytes are not well-formed UTF-8.
  Result<std::string_view> read_var_utf8(std::size_t max_bytes = SIZE_MAX);

  // A VarUInt. Fails as read_var_octets, with kErrBadLength on zero content bytes and
  // kErrTooLarge on more than 8 content bytes. Leading zero bytes are accepted (as oer-utils).
  Result<std::uint64_t> read_var_uint();
  // As read_var_uint, but a value that needs more than 64 bits reads as UINT64_MAX (what
  // STREAM asks for amounts in some frames).
  Result<std::uint64_t> read_var_uint_saturating();

 private:
  // A VarUInt's content bytes: fails as read_var_octets, and with kErrBadLength when there are
  // none.
  Result<ByteView> read_var_uint_bytes();

  ByteView input_;
  std::size_t position_ = 0;
};

class Writer {
 public:
  // capacity_bytes: expected final size, reserved up front.
  explicit Writer(std::size_t capacity_bytes = 0) { buffer_.reserve(capacity_bytes); }

  void write_u8(std::uint8_t value) { buffer_.push_back(value); }
  void write_u64(std::uint64_t value);
  void write_bytes(ByteView bytes) { buffer_.insert(buffer_.end(), bytes.begin(), bytes.end()); }
  void write_length(std::size_t length);
  void write_var_octets(ByteView bytes) {
    write_length(bytes.size());
    write_bytes(bytes);
  }
  // Minimal big-endian form; zero is one byte 00.
  void write_var_uint(std::uint64_t value);

  std::size_t size() const { return buffer_.size(); }
  const Bytes& bytes() const { return buffer_; }
  Bytes take() && { return std::move(buffer_); }

 private:
  Bytes buffer_;
};

}  // namespace rafiki::ilp
