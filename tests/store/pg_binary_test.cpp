// Binary array parameters (store/pg_binary.h) against a real server: what the server reads is
// what was meant, for every element type, edge values and NULLs; a wrong element type is refused.
#include "store/pg_binary.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "store/async_util.h"
#include "store/pg.h"
#include "support/test_env.h"

using namespace rafiki;
using namespace rafiki::store;
using rafiki::testing::run_async;
using rafiki::testing::TestDatabase;
namespace asio = boost::asio;
using asio::awaitable;

namespace {

PgPool make_pool(asio::any_io_executor ex, const TestDatabase& db) {
  PgConfig config;
  config.url = db.url();
  config.max_connections = 2;
  auto pool = PgPool::create(std::move(ex), std::move(config));
  if (!pool) throw std::runtime_error(pool.error().message);
  return std::move(*pool);
}

money::u128 pow10(int n) {
  money::u128 v = 1;
  for (int i = 0; i < n; ++i) v *= 10;
  return v;
}

}  // namespace

TEST(PgBinaryArray, NumericsOfEveryMagnitudeArriveExactly) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    PgPool pool = make_pool(ex, db);
    std::vector<money::u128> values{0,          1,           9999,        10000,       10001,
                                    99990000,   100000000,   pow10(19),   pow10(20) + 7,
                                    pow10(38),  money::kU128Max - 1,      money::kU128Max};
    PgBinaryArray array(PgElement::kNumeric, values.size() + 1);
    for (money::u128 v : values) array.add_numeric(v);
    array.add_null();
    std::vector<PgParam> params;
    params.push_back(std::move(array).finish());
    auto rows = co_await pool.query_params(
        "SELECT x::text, x IS NULL FROM unnest($1::numeric[]) WITH ORDINALITY AS u(x, o) "
        "ORDER BY o",
        std::move(params));
    CO_ASSERT_OK(rows);
    CO_ASSERT(rows->rows() == static_cast<int>(values.size() + 1));
    for (std::size_t i = 0; i < values.size(); ++i) {
      EXPECT_EQ(std::string((*rows)[static_cast<int>(i)].text(0)), money::to_string(values[i]))
          << i;
    }
    EXPECT_TRUE((*rows)[static_cast<int>(values.size())].get<bool>(1));
  });
}

TEST(PgBinaryArray, UuidsIntegersAndBooleansWithNulls) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    PgPool pool = make_pool(ex, db);
    const Uuid a = Uuid::v4();
    const Uuid b = Uuid::v7();
    PgBinaryArray uuids(PgElement::kUuid, 3), int4s(PgElement::kInt4, 3),
        int8s(PgElement::kInt8, 3), bools(PgElement::kBool, 3);
    uuids.add_uuid(a);
    uuids.add_uuid(Uuid{});  // nil → NULL
    uuids.add_uuid(b);
    int4s.add_int4(std::numeric_limits<std::int32_t>::min());
    int4s.add_optional_int4(std::optional<int>());
    int4s.add_int4(std::numeric_limits<std::int32_t>::max());
    int8s.add_int8(std::numeric_limits<std::int64_t>::min());
    int8s.add_int8(0);
    int8s.add_int8(std::numeric_limits<std::int64_t>::max());
    bools.add_bool(true);
    bools.add_null();
    bools.add_bool(false);
    std::vector<PgParam> params;
    params.push_back(std::move(uuids).finish());
    params.push_back(std::move(int4s).finish());
    params.push_back(std::move(int8s).finish());
    params.push_back(std::move(bools).finish());
    params.emplace_back("text beside binary");
    auto rows = co_await pool.query_params(
        "SELECT u::text, i::text, l::text, b::text, $5::text "
        "FROM unnest($1::uuid[], $2::integer[], $3::bigint[], $4::boolean[]) "
        "WITH ORDINALITY AS x(u, i, l, b, o) ORDER BY o",
        std::move(params));
    CO_ASSERT_OK(rows);
    CO_ASSERT(rows->rows() == 3);
    EXPECT_EQ(std::string((*rows)[0].text(0)), a.str());
    EXPECT_TRUE((*rows)[1].is_null(0));
    EXPECT_EQ(std::string((*rows)[2].text(0)), b.str());
    EXPECT_EQ(std::string((*rows)[0].text(1)), "-2147483648");
    EXPECT_TRUE((*rows)[1].is_null(1));
    EXPECT_EQ(std::string((*rows)[2].text(1)), "2147483647");
    EXPECT_EQ(std::string((*rows)[0].text(2)), "-9223372036854775808");
    EXPECT_EQ(std::string((*rows)[1].text(2)), "0");
    EXPECT_EQ(std::string((*rows)[2].text(2)), "9223372036854775807");
    EXPECT_EQ(std::string((*rows)[0].text(3)), "true");
    EXPECT_TRUE((*rows)[1].is_null(3));
    EXPECT_EQ(std::string((*rows)[2].text(3)), "false");
    EXPECT_EQ(std::string((*rows)[0].text(4)), "text beside binary");
  });
}

// Text needs no quoting or escaping in binary form: quotes, backslashes, braces, commas, the
// word NULL and multi-byte characters arrive as sent; a NUL byte is refused by the server.
TEST(PgBinaryArray, TextArrivesAsSentWhateverItHolds) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    PgPool pool = make_pool(ex, db);
    const std::vector<std::string> values = {"", "plain", "with \"quotes\" and \\", "{a,b}",
                                             "NULL", "g.peer.€uro", std::string(10'000, 'x')};
    PgBinaryArray texts(PgElement::kText, values.size() + 1);
    for (const auto& v : values) texts.add_text(v);
    texts.add_null();
    std::vector<PgParam> params;
    params.push_back(std::move(texts).finish());
    auto rows = co_await pool.query_params(
        "SELECT t, t IS NULL FROM unnest($1::text[]) WITH ORDINALITY AS x(t, o) ORDER BY o",
        std::move(params));
    CO_ASSERT_OK(rows);
    CO_ASSERT(rows->rows() == static_cast<int>(values.size()) + 1);
    for (std::size_t i = 0; i < values.size(); ++i) {
      EXPECT_EQ(std::string((*rows)[static_cast<int>(i)].text(0)), values[i]) << i;
    }
    EXPECT_TRUE((*rows)[static_cast<int>(values.size())].is_null(0));

    PgBinaryArray nul(PgElement::kText, 1);
    nul.add_text(std::string_view("a\0b", 3));
    std::vector<PgParam> refused_params;
    refused_params.push_back(std::move(nul).finish());
    auto refused = co_await pool.query_params("SELECT $1::text[]", std::move(refused_params));
    EXPECT_FALSE(refused);
  });
}

TEST(PgBinaryArray, EmptyArraysAndWrongElementTypes) {
  TestDatabase db;
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    PgPool pool = make_pool(ex, db);
    std::vector<PgParam> empty;
    empty.push_back(PgBinaryArray(PgElement::kUuid, 0).finish());
    auto n = co_await pool.query_params("SELECT cardinality($1::uuid[])", std::move(empty));
    CO_ASSERT_OK(n);
    EXPECT_EQ((*n)[0].get<std::int32_t>(0), 0);

    // An int4 array where the statement says uuid[]: the server refuses, nothing is misread.
    PgBinaryArray ints(PgElement::kInt4, 1);
    ints.add_int4(7);
    std::vector<PgParam> wrong;
    wrong.push_back(std::move(ints).finish());
    auto refused = co_await pool.query_params("SELECT $1::uuid[]", std::move(wrong));
    CO_ASSERT(!refused);
    EXPECT_EQ(refused.error().code.rfind("pg.", 0), 0u) << refused.error().code;
  });
}
