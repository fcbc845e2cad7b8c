#include "ilp/oer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "vectors.h"

using namespace rafiki;
using namespace rafiki::ilp;
using rafiki::ilp::testing::hex;
using rafiki::ilp::testing::unhex;
using rafiki::ilp::testing::vectors;

TEST(Oer, LengthDeterminantsMatchEveryReferenceVector) {
  const auto& table = vectors().as_object().at("lengthPrefix").as_object();
  ASSERT_EQ(table.size(), 8u);
  for (const auto& [key, value] : table) {
    std::size_t length = std::stoull(std::string(key));
    std::string expected(value.as_string());
    Writer writer;
    writer.write_length(length);
    EXPECT_EQ(hex(writer.bytes()), expected) << length;
    EXPECT_EQ(length_prefix_size(length), expected.size() / 2) << length;
    Reader reader(writer.bytes());
    auto read = reader.read_length();
    ASSERT_TRUE(read) << length;
    EXPECT_EQ(*read, length);
    EXPECT_TRUE(reader.empty());
  }
}

TEST(Oer, VarUintsMatchEveryReferenceVector) {
  const auto& table = vectors().as_object().at("varUInt").as_object();
  ASSERT_EQ(table.size(), 10u);
  for (const auto& [key, value] : table) {
    std::uint64_t number = std::stoull(std::string(key));
    std::string expected(value.as_string());
    Writer writer;
    writer.write_var_uint(number);
    EXPECT_EQ(hex(writer.bytes()), expected) << number;
    EXPECT_EQ(var_uint_content_size(number) + 1, expected.size() / 2);
    Reader reader(writer.bytes());
    auto read = reader.read_var_uint();
    ASSERT_TRUE(read) << number;
    EXPECT_EQ(*read, number);
    EXPECT_TRUE(reader.empty());
  }
}

TEST(Oer, FixedIntegersAreBigEndian) {
  Writer writer;
  writer.write_u8(0xab);
  writer.write_u64(0x0102030405060708ull);
  EXPECT_EQ(hex(writer.bytes()), "ab0102030405060708");
  Reader reader(writer.bytes());
  EXPECT_EQ(reader.read_u8().value(), 0xab);
  EXPECT_EQ(reader.read_u64().value(), 0x0102030405060708ull);
  EXPECT_FALSE(reader.read_u8());
}

TEST(Oer, VarOctetStringsAreViewsIntoTheInput) {
  Bytes input = unhex("03616263ff");
  Reader reader(input);
  auto text = reader.read_var_octets();
  ASSERT_TRUE(text);
  EXPECT_EQ(as_chars(*text), "abc");
  EXPECT_EQ(text->data(), input.data() + 1);
  EXPECT_EQ(reader.remaining(), 1u);
  EXPECT_EQ(reader.rest().data(), input.data() + 4);
}

TEST(Oer, ReadsAtTheEndOfInputFailAsTruncated) {
  Reader empty(ByteView{});
  EXPECT_EQ(empty.read_u8().error().code, kErrTruncated);
  EXPECT_EQ(empty.read_length().error().code, kErrTruncated);
  EXPECT_EQ(empty.read_var_octets().error().code, kErrTruncated);
  Bytes seven(7, 0);
  Reader short_u64(seven);
  EXPECT_EQ(short_u64.read_u64().error().code, kErrTruncated);
  EXPECT_EQ(short_u64.position(), 0u);
  EXPECT_EQ(short_u64.read_bytes(8).error().code, kErrTruncated);
  EXPECT_TRUE(short_u64.read_bytes(7));
}

TEST(Oer, RefusesNonCanonicalLengthDeterminants) {
  for (const char* bad : {"80",                       // long form with no length bytes
                          "8100",                     // long form holding 0
                          "817f",                     // long form holding a value below 128
                          "820080",                   // leading zero length byte
                          "89010000000000000000"}) {  // 9 length bytes
    Bytes input = unhex(bad);
    Reader reader(input);
    auto length = reader.read_length();
    ASSERT_FALSE(length) << bad;
    EXPECT_EQ(length.error().code, kErrBadLength) << bad;
    EXPECT_EQ(reader.position(), 0u) << bad;
  }
}

TEST(Oer, RefusesLengthDeterminantsCutShort) {
  for (const char* bad : {"81", "8201", "830100"}) {
    Bytes input = unhex(bad);
    Reader reader(input);
    EXPECT_EQ(reader.read_length().error().code, kErrTruncated) << bad;
  }
}

TEST(Oer, RefusesOctetStringsLongerThanTheInputOrTheirBound) {
  Bytes longer = unhex("05616263");
  Reader reader(longer);
  EXPECT_EQ(reader.read_var_octets().error().code, kErrTruncated);
  EXPECT_EQ(reader.position(), 0u);
  // A huge canonical length (2^63) must not overflow the bounds check.
  Bytes huge = unhex("88800000000000000000");
  Reader huge_reader(huge);
  EXPECT_EQ(huge_reader.read_var_octets().error().code, kErrTruncated);
  Bytes fits = unhex("03616263");
  Reader bounded(fits);
  EXPECT_EQ(bounded.read_var_octets(2).error().code, kErrTooLarge);
  EXPECT_TRUE(bounded.read_var_octets(3));
}

TEST(Oer, VarUintRulesFollowOerUtils) {
  Bytes empty = unhex("00");
  EXPECT_EQ(Reader(empty).read_var_uint().error().code, kErrBadLength);
  Bytes nine = unhex("09010000000000000000");
  EXPECT_EQ(Reader(nine).read_var_uint().error().code, kErrTooLarge);
  Bytes leading_zero = unhex("020005");
  EXPECT_EQ(Reader(leading_zero).read_var_uint().value(), 5u);
  Bytes cut = unhex("0201");
  EXPECT_EQ(Reader(cut).read_var_uint().error().code, kErrTruncated);
}

TEST(Oer, SaturatingVarUintCapsValuesAbove64Bits) {
  Bytes nine = unhex("09010000000000000000");
  EXPECT_EQ(Reader(nine).read_var_uint_saturating().value(), UINT64_MAX);
  Bytes padded = unhex("0a0000ffffffffffffffff");
  EXPECT_EQ(Reader(padded).read_var_uint_saturating().value(), UINT64_MAX);
  Bytes padded_small = unhex("0a00000000000000000007");
  EXPECT_EQ(Reader(padded_small).read_var_uint_saturating().value(), 7u);
  Bytes empty = unhex("00");
  EXPECT_EQ(Reader(empty).read_var_uint_saturating().error().code, kErrBadLength);
}

TEST(Oer, Utf8ValidationRefusesMalformedSequences) {
  EXPECT_TRUE(is_valid_utf8(as_bytes("")));
  EXPECT_TRUE(is_valid_utf8(as_bytes("plain ascii")));
  EXPECT_TRUE(is_valid_utf8(unhex("c3a9e282acf09f9880")));  // é € 😀
  EXPECT_TRUE(is_valid_utf8(unhex("f48fbfbf")));            // U+10FFFF
  for (const char* bad :
       {"80", "c3", "c328", "c0af", "e080af", "eda080", "f4908080", "f8888080", "ff", "e282"}) {
    EXPECT_FALSE(is_valid_utf8(unhex(bad))) << bad;
  }
  Bytes string = unhex("02c328");
  Reader reader(string);
  EXPECT_EQ(reader.read_var_utf8().error().code, kErrBadUtf8);
  EXPECT_EQ(reader.position(), 0u);
}

TEST(Oer, WritesLongOctetStringsWithMinimalLongForm) {
  Bytes payload(65536, 0x5a);
  Writer writer;
  writer.write_var_octets(payload);
  EXPECT_EQ(writer.size(), 4 + payload.size());
  EXPECT_EQ(hex(ByteView(writer.bytes()).first(4)), "83010000");
  Reader reader(writer.bytes());
  auto read = reader.read_var_octets();
  ASSERT_TRUE(read);
  EXPECT_EQ(read->size(), payload.size());
}
