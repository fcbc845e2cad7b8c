#include "ilp/oer.h"

#include <utility>

namespace rafiki::ilp {
namespace {

// Bytes in the minimal big-endian form of value (0 for zero).
std::size_t significant_bytes(std::uint64_t value) {
  std::size_t n = 0;
  while (value != 0) {
    ++n;
    value >>= 8;
  }
  return n;
}

std::uint64_t fold_big_endian(ByteView bytes) {
  std::uint64_t value = 0;
  for (std::uint8_t b : bytes) value = (value << 8) | b;
  return value;
}

}  // namespace

std::size_t length_prefix_size(std::size_t length) {
  if (length < 0x80) return 1;
  return 1 + significant_bytes(length);
}

std::size_t var_uint_content_size(std::uint64_t value) {
  return value == 0 ? 1 : significant_bytes(value);
}

bool is_valid_utf8(ByteView bytes) {
  std::size_t i = 0;
  const std::size_t n = bytes.size();
  while (i < n) {
    std::uint8_t b = bytes[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    std::size_t extra;
    std::uint32_t code_point;
    std::uint32_t minimum;
    if ((b & 0xe0) == 0xc0) {
      extra = 1, code_point = b & 0x1f, minimum = 0x80;
    } else if ((b & 0xf0) == 0xe0) {
      extra = 2, code_point = b & 0x0f, minimum = 0x800;
    } else if ((b & 0xf8) == 0xf0) {
      extra = 3, code_point = b & 0x07, minimum = 0x10000;
    } else {
      return false;  // a continuation byte or 0xf8..0xff where a sequence must start
    }
    if (n - i - 1 < extra) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      std::uint8_t c = bytes[i + k];
      if ((c & 0xc0) != 0x80) return false;
      code_point = (code_point << 6) | (c & 0x3f);
    }
    if (code_point < minimum || code_point > 0x10ffff) return false;
    if (code_point >= 0xd800 && code_point <= 0xdfff) return false;
    i += 1 + extra;
  }
  return true;
}

Result<std::uint8_t> Reader::read_u8() {
  if (remaining() < 1) return fail(kErrTruncated, "expected a UInt8");
  return input_[position_++];
}

Result<std::uint64_t> Reader::read_u64() {
  if (remaining() < 8) return fail(kErrTruncated, "expected a UInt64");
  std::uint64_t value = fold_big_endian(input_.subspan(position_, 8));
  position_ += 8;
  return value;
}

Result<ByteView> Reader::read_bytes(std::size_t count) {
  if (remaining() < count) return fail(kErrTruncated, "expected more bytes");
  ByteView out = input_.subspan(position_, count);
  position_ += count;
  return out;
}

Result<std::size_t> Reader::read_length() {
  if (remaining() < 1) return fail(kErrTruncated, "expected a length determinant");
  std::uint8_t first = input_[position_];
  if (first < 0x80) {
    ++position_;
    return first;
  }
  std::size_t length_bytes = first & 0x7f;
  if (length_bytes == 0) return fail(kErrBadLength, "length determinant 0x80 has no length");
  if (length_bytes > kLengthOfLengthMax || length_bytes > sizeof(std::size_t))
    return fail(kErrBadLength, "length determinant longer than 8 bytes");
  if (remaining() < 1 + length_bytes) return fail(kErrTruncated, "length determinant cut short");
  ByteView digits = input_.subspan(position_ + 1, length_bytes);
  if (digits[0] == 0) return fail(kErrBadLength, "length determinant has a leading zero byte");
  std::uint64_t length = fold_big_endian(digits);
  if (length < 0x80) return fail(kErrBadLength, "long-form length determinant below 128");
  position_ += 1 + length_bytes;
  return static_cast<std::size_t>(length);
}

Result<ByteView> Reader::read_var_octets(std::size_t max_bytes) {
  std::size_t start = position_;
  auto length = read_length();
  if (!length) return std::unexpected(std::move(length.error()));
  if (*length > remaining()) {
    position_ = start;
    return fail(kErrTruncated, "octet string longer than the bytes left");
  }
  if (*length > max_bytes) {
    position_ = start;
    return fail(kErrTooLarge, "octet string longer than its bound");
  }
  return read_bytes(*length);
}

Result<std::string_view> Reader::read_var_utf8(std::size_t max_bytes) {
  std::size_t start = position_;
  auto contents = read_var_octets(max_bytes);
  if (!contents) return std::unexpected(std::move(contents.error()));
  if (!is_valid_utf8(*contents)) {
    position_ = start;
    return fail(kErrBadUtf8, "string is not valid UTF-8");
  }
  return as_chars(*contents);
}

Result<ByteView> Reader::read_var_uint_bytes() {
  std::size_t start = position_;
  auto contents = read_var_octets();
  if (!contents) return std::unexpected(std::move(contents.error()));
  if (contents->empty()) {
    position_ = start;
    return fail(kErrBadLength, "VarUInt with no bytes");
  }
  return contents;
}

Result<std::uint64_t> Reader::read_var_uint() {
  std::size_t start = position_;
  auto contents = read_var_uint_bytes();
  if (!contents) return std::unexpected(std::move(contents.error()));
  if (contents->size() > kVarUintBytesMax) {
    position_ = start;
    return fail(kErrTooLarge, "VarUInt larger than 64 bits");
  }
  return fold_big_endian(*contents);
}

Result<std::uint64_t> Reader::read_var_uint_saturating() {
  auto contents = read_var_uint_bytes();
  if (!contents) return std::unexpected(std::move(contents.error()));
  ByteView digits = *contents;
  while (digits.size() > 1 && digits[0] == 0) digits = digits.subspan(1);
  if (digits.size() > kVarUintBytesMax) return UINT64_MAX;
  return fold_big_endian(digits);
}

void Writer::write_u64(std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8)
    buffer_.push_back(static_cast<std::uint8_t>(value >> shift));
}

void Writer::write_length(std::size_t length) {
  if (length < 0x80) {
    buffer_.push_back(static_cast<std::uint8_t>(length));
    return;
  }
  std::size_t n = significant_bytes(length);
  buffer_.push_back(static_cast<std::uint8_t>(0x80 | n));
  for (std::size_t i = n; i-- > 0;) buffer_.push_back(static_cast<std::uint8_t>(length >> (8 * i)));
}

void Writer::write_var_uint(std::uint64_t value) {
  std::size_t n = var_uint_content_size(value);
  buffer_.push_back(static_cast<std::uint8_t>(n));
  for (std::size_t i = n; i-- > 0;) buffer_.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

}  // namespace rafiki::ilp
