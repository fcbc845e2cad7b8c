// One-dimensional PostgreSQL arrays in the binary wire format, for PgParam::binary: the server
// copies their elements instead of parsing text, which matters for the ledger's batches (a dozen
// arrays of thousands of elements per call), and nothing needs quoting. Elements: uuid, integer,
// bigint, boolean, numeric (from unsigned 128-bit integers) and text, each possibly NULL. Every
// array parameter goes through here (no hand-built "{...}" literals).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/money.h"
#include "base/uuid.h"
#include "store/pg.h"

namespace rafiki::store {

// Type oids of the element types (pg_type.oid, fixed for built-in types).
enum class PgElement : std::uint32_t {
  kBool = 16,
  kInt8 = 20,
  kInt4 = 23,
  kUuid = 2950,
  kNumeric = 1700,
  kText = 25,
};

class PgBinaryArray {
 public:
  // `reserve_elements` sizes the buffer; adding elements of another type than `element` is a
  // programming error the server refuses ("wrong element type").
  PgBinaryArray(PgElement element, std::size_t reserve_elements);

  void add_null();
  void add_uuid(const Uuid& id);  // the nil uuid is added as NULL
  void add_int4(std::int32_t value);
  void add_int8(std::int64_t value);
  void add_bool(bool value);
  void add_numeric(money::u128 value);
  // UTF-8 text, as is. The server refuses text containing a NUL byte (the statement fails).
  void add_text(std::string_view value);
  template <class T>
  void add_optional_int4(std::optional<T> value) {
    if (value) {
      add_int4(static_cast<std::int32_t>(*value));
    } else {
      add_null();
    }
  }

  std::size_t size() const { return count_; }
  // The array as a binary statement parameter; the builder is spent.
  PgParam finish() &&;

 private:
  void put32(std::uint32_t v);
  void put16(std::uint16_t v);

  std::string bytes_;
  PgElement element_;
  std::size_t count_ = 0;
  bool has_null_ = false;
};

// Whole arrays in one call, for the common cases.
PgParam uuid_array(const std::vector<Uuid>& ids);
PgParam text_array(const std::vector<std::string>& values);

}  // namespace rafiki::store
