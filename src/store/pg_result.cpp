// Text forms of statement parameters and typed reads of result columns (libpq's text format).
#include <libpq-fe.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "base/encoding.h"
#include "store/pg.h"

namespace rafiki::store {
namespace {

const PGresult* pg(const void* res) {
  return static_cast<const PGresult*>(res);
}

template <class I>
bool parse_number(std::string_view text, I& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

// PostgreSQL prints a timestamptz offset as "+00" or "+05:30"; RFC 3339 wants "+00:00".
std::string rfc3339_offset(std::string_view text) {
  std::string out(text);
  if (out.size() >= 3) {
    char sign = out[out.size() - 3];
    if ((sign == '+' || sign == '-') && std::isdigit(static_cast<unsigned char>(out.back())) &&
        std::isdigit(static_cast<unsigned char>(out[out.size() - 2]))) {
      out += ":00";
    }
  }
  return out;
}

}  // namespace

PgParam::PgParam(double v) {
  if (std::isnan(v)) {
    text_ = "NaN";
  } else if (std::isinf(v)) {
    text_ = v > 0 ? "Infinity" : "-Infinity";
  } else {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    text_ = std::string(buf, end);
  }
}

PgParam::PgParam(money::u128 v) : text_(money::to_string(v)) {}
PgParam::PgParam(const Uuid& v) : text_(v.str()) {}
PgParam::PgParam(TimePoint v) : text_(format_rfc3339(v)) {}
PgParam::PgParam(ByteView v) : text_("\\x" + encoding::hex_encode(v)) {}

// ---- PgRow

bool PgRow::is_null(int col) const {
  if (col < 0 || col >= PQnfields(pg(res_))) {
    throw std::logic_error(fmt::format("no column {} in the result", col));
  }
  return PQgetisnull(pg(res_), row_, col) != 0;
}

std::string_view PgRow::text(int col) const {
  if (is_null(col)) return {};
  return {PQgetvalue(pg(res_), row_, col),
          static_cast<std::size_t>(PQgetlength(pg(res_), row_, col))};
}

int PgRow::index(std::string_view name) const {
  int n = PQnfields(pg(res_));
  for (int i = 0; i < n; ++i) {
    if (name == PQfname(pg(res_), i)) return i;
  }
  throw std::logic_error(fmt::format("no column \"{}\" in the result", name));
}

const char* PgRow::checked_value(int col, const char* type) const {
  if (is_null(col)) {
    throw std::logic_error(fmt::format("column \"{}\" is NULL; read it as std::optional<{}>",
                                       PQfname(pg(res_), col), type));
  }
  return PQgetvalue(pg(res_), row_, col);
}

namespace {
[[noreturn]] void bad_text(const void* res, int col, const char* type) {
  throw std::logic_error(
      fmt::format("column \"{}\" does not hold a {}", PQfname(pg(res), col), type));
}
}  // namespace

void PgRow::read(int col, std::string& out) const {
  checked_value(col, "std::string");
  out = std::string(text(col));
}

void PgRow::read(int col, std::string_view& out) const {
  checked_value(col, "std::string_view");
  out = text(col);
}

void PgRow::read(int col, std::int64_t& out) const {
  checked_value(col, "int64_t");
  if (!parse_number(text(col), out)) bad_text(res_, col, "int64_t");
}

void PgRow::read(int col, std::int32_t& out) const {
  checked_value(col, "int32_t");
  if (!parse_number(text(col), out)) bad_text(res_, col, "int32_t");
}

void PgRow::read(int col, bool& out) const {
  std::string_view v = checked_value(col, "bool");
  if (v == "t") {
    out = true;
  } else if (v == "f") {
    out = false;
  } else {
    bad_text(res_, col, "bool");
  }
}

void PgRow::read(int col, double& out) const {
  checked_value(col, "double");
  std::string_view v = text(col);
  if (v == "NaN") {
    out = std::numeric_limits<double>::quiet_NaN();
  } else if (v == "Infinity") {
    out = std::numeric_limits<double>::infinity();
  } else if (v == "-Infinity") {
    out = -std::numeric_limits<double>::infinity();
  } else if (!parse_number(v, out)) {
    bad_text(res_, col, "double");
  }
}

void PgRow::read(int col, money::u128& out) const {
  checked_value(col, "u128");
  auto v = money::parse_u128(text(col));
  if (!v) bad_text(res_, col, "u128");
  out = *v;
}

void PgRow::read(int col, Uuid& out) const {
  checked_value(col, "Uuid");
  auto v = Uuid::parse(text(col));
  if (!v) bad_text(res_, col, "Uuid");
  out = *v;
}

void PgRow::read(int col, TimePoint& out) const {
  checked_value(col, "TimePoint");
  auto v = parse_rfc3339(rfc3339_offset(text(col)));
  if (!v) bad_text(res_, col, "TimePoint");
  out = *v;
}

void PgRow::read(int col, Bytes& out) const {
  checked_value(col, "Bytes");
  std::string_view v = text(col);
  if (!v.starts_with("\\x")) bad_text(res_, col, "bytea (hex)");
  auto bytes = encoding::hex_decode(v.substr(2));
  if (!bytes) bad_text(res_, col, "bytea (hex)");
  out = std::move(*bytes);
}

// ---- PgResult

int PgResult::rows() const {
  return res_ ? PQntuples(pg(res_.get())) : 0;
}
int PgResult::columns() const {
  return res_ ? PQnfields(pg(res_.get())) : 0;
}

std::optional<int> PgResult::column(std::string_view name) const {
  for (int i = 0; i < columns(); ++i) {
    if (name == PQfname(pg(res_.get()), i)) return i;
  }
  return std::nullopt;
}

std::int64_t PgResult::affected_rows() const {
  if (!res_) return 0;
  std::int64_t n = 0;
  // PQcmdTuples takes a non-const pointer but does not modify the result.
  std::string_view tag = PQcmdTuples(const_cast<PGresult*>(pg(res_.get())));
  return parse_number(tag, n) ? n : 0;
}

}  // namespace rafiki::store
