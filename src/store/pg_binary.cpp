#include "store/pg_binary.h"

#include <array>

namespace rafiki::store {

namespace {

constexpr std::size_t kHeaderBytes = 20;  // ndim, has-null flag, element oid, length, lower bound
constexpr std::uint32_t kNumericBase = 10000;
constexpr std::size_t kNumericGroupsMax = 10;  // 2^128 < 10000^10

}  // namespace

PgBinaryArray::PgBinaryArray(PgElement element, std::size_t reserve_elements)
    : element_(element) {
  bytes_.reserve(kHeaderBytes + reserve_elements * 24);
  bytes_.resize(kHeaderBytes);
}

void PgBinaryArray::put32(std::uint32_t v) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
               static_cast<char>(v)};
  bytes_.append(b, 4);
}

void PgBinaryArray::put16(std::uint16_t v) {
  char b[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
  bytes_.append(b, 2);
}

void PgBinaryArray::add_null() {
  put32(0xffffffffu);  // length -1
  has_null_ = true;
  ++count_;
}

void PgBinaryArray::add_uuid(const Uuid& id) {
  if (id.is_nil()) {
    add_null();
    return;
  }
  put32(16);
  bytes_.append(reinterpret_cast<const char*>(id.bytes.data()), id.bytes.size());
  ++count_;
}

PgParam uuid_array(const std::vector<Uuid>& ids) {
  PgBinaryArray array(PgElement::kUuid, ids.size());
  for (const auto& id : ids) array.add_uuid(id);
  return std::move(array).finish();
}

PgParam text_array(const std::vector<std::string>& values) {
  PgBinaryArray array(PgElement::kText, values.size());
  for (const auto& value : values) array.add_text(value);
  return std::move(array).finish();
}

void PgBinaryArray::add_text(std::string_view value) {
  put32(static_cast<std::uint32_t>(value.size()));
  bytes_.append(value);
  ++count_;
}

void PgBinaryArray::add_int4(std::int32_t value) {
  put32(4);
  put32(static_cast<std::uint32_t>(value));
  ++count_;
}

void PgBinaryArray::add_int8(std::int64_t value) {
  put32(8);
  auto v = static_cast<std::uint64_t>(value);
  put32(static_cast<std::uint32_t>(v >> 32));
  put32(static_cast<std::uint32_t>(v));
  ++count_;
}

void PgBinaryArray::add_bool(bool value) {
  put32(1);
  bytes_.push_back(value ? 1 : 0);
  ++count_;
}

// numeric: ndigits, weight, sign, dscale (int16 each), then ndigits base-10000 digits, most
// significant first; the value is sum(digit[i] * 10000^(weight - i)). Zero has no digits.
void PgBinaryArray::add_numeric(money::u128 value) {
  std::array<std::uint16_t, kNumericGroupsMax> groups{};  // least significant first
  std::size_t n = 0;
  while (value != 0) {
    groups[n++] = static_cast<std::uint16_t>(value % kNumericBase);
    value /= kNumericBase;
  }
  std::size_t low = 0;  // trailing zero groups are left out (the weight keeps the magnitude)
  while (low < n && groups[low] == 0) ++low;
  auto ndigits = static_cast<std::uint16_t>(n - low);
  put32(8 + 2u * ndigits);
  put16(ndigits);
  put16(static_cast<std::uint16_t>(n == 0 ? 0 : n - 1));  // weight
  put16(0);                                                // sign: positive
  put16(0);                                                // display scale
  for (std::size_t i = n; i > low; --i) put16(groups[i - 1]);
  ++count_;
}

PgParam PgBinaryArray::finish() && {
  auto put_at = [this](std::size_t at, std::uint32_t v) {
    bytes_[at] = static_cast<char>(v >> 24);
    bytes_[at + 1] = static_cast<char>(v >> 16);
    bytes_[at + 2] = static_cast<char>(v >> 8);
    bytes_[at + 3] = static_cast<char>(v);
  };
  put_at(8, static_cast<std::uint32_t>(element_));
  if (count_ == 0) {  // an empty array has no dimensions
    bytes_.resize(12);
    put_at(0, 0);
    put_at(4, 0);
  } else {
    put_at(0, 1);
    put_at(4, has_null_ ? 1 : 0);
    put_at(12, static_cast<std::uint32_t>(count_));
    put_at(16, 1);
  }
  return PgParam::binary(std::move(bytes_));
}

}  // namespace rafiki::store
