// The address classifier and policies the HTTP client applies to tenants' outbound URLs.
#include "net/address_policy.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

using rafiki::net::address_allowed;
using rafiki::net::AddressClass;
using rafiki::net::AddressPolicy;
using rafiki::net::classify_address;
using rafiki::net::literal_host_class;

namespace {

const std::vector<std::pair<std::string, AddressClass>> kTable = {
    // IPv4 public
    {"8.8.8.8", AddressClass::kPublic},
    {"1.1.1.1", AddressClass::kPublic},
    {"93.184.216.34", AddressClass::kPublic},
    {"11.0.0.1", AddressClass::kPublic},
    {"172.15.255.255", AddressClass::kPublic},
    {"172.32.0.0", AddressClass::kPublic},
    {"192.167.255.255", AddressClass::kPublic},
    {"192.169.0.0", AddressClass::kPublic},
    {"100.63.255.255", AddressClass::kPublic},
    {"100.128.0.0", AddressClass::kPublic},
    {"169.253.255.255", AddressClass::kPublic},
    {"169.255.0.0", AddressClass::kPublic},
    {"223.255.255.255", AddressClass::kPublic},
    {"126.255.255.255", AddressClass::kPublic},
    {"128.0.0.1", AddressClass::kPublic},
    // IPv4 loopback
    {"127.0.0.1", AddressClass::kLoopback},
    {"127.255.255.254", AddressClass::kLoopback},
    {"127.1.2.3", AddressClass::kLoopback},
    // IPv4 private
    {"10.0.0.0", AddressClass::kPrivate},
    {"10.255.255.255", AddressClass::kPrivate},
    {"172.16.0.1", AddressClass::kPrivate},
    {"172.31.255.255", AddressClass::kPrivate},
    {"192.168.0.1", AddressClass::kPrivate},
    {"192.168.255.255", AddressClass::kPrivate},
    {"100.64.0.1", AddressClass::kPrivate},
    {"100.127.255.255", AddressClass::kPrivate},
    {"198.18.0.1", AddressClass::kPrivate},
    {"198.19.255.255", AddressClass::kPrivate},
    // IPv4 link-local and metadata
    {"169.254.0.0", AddressClass::kLinkLocal},
    {"169.254.169.254", AddressClass::kLinkLocal},
    {"169.254.255.255", AddressClass::kLinkLocal},
    {"100.100.100.200", AddressClass::kLinkLocal},
    // IPv4 reserved
    {"0.0.0.0", AddressClass::kReserved},
    {"0.1.2.3", AddressClass::kReserved},
    {"224.0.0.1", AddressClass::kReserved},
    {"239.255.255.255", AddressClass::kReserved},
    {"240.0.0.1", AddressClass::kReserved},
    {"255.255.255.255", AddressClass::kReserved},
    {"192.0.0.8", AddressClass::kReserved},
    {"192.0.2.1", AddressClass::kReserved},
    {"198.51.100.7", AddressClass::kReserved},
    {"203.0.113.9", AddressClass::kReserved},
    // IPv6
    {"2606:4700:4700::1111", AddressClass::kPublic},
    {"2001:4860:4860::8888", AddressClass::kPublic},
    {"::1", AddressClass::kLoopback},
    {"::", AddressClass::kReserved},
    {"::2", AddressClass::kReserved},
    {"::127.0.0.1", AddressClass::kReserved},  // IPv4-compatible (deprecated)
    {"fc00::1", AddressClass::kPrivate},
    {"fd12:3456:789a::1", AddressClass::kPrivate},
    {"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", AddressClass::kPrivate},
    {"fec0::1", AddressClass::kPrivate},
    {"fe80::1", AddressClass::kLinkLocal},
    {"fe80::1%1", AddressClass::kLinkLocal},
    {"febf:ffff::1", AddressClass::kLinkLocal},
    {"fd00:ec2::254", AddressClass::kLinkLocal},
    {"ff02::1", AddressClass::kReserved},
    {"2001:db8::1", AddressClass::kReserved},
    {"100::1", AddressClass::kReserved},
    // IPv4 inside IPv6
    {"::ffff:127.0.0.1", AddressClass::kLoopback},
    {"::ffff:169.254.169.254", AddressClass::kLinkLocal},
    {"::ffff:10.1.2.3", AddressClass::kPrivate},
    {"::ffff:8.8.8.8", AddressClass::kPublic},
    {"::ffff:0.0.0.0", AddressClass::kReserved},
    {"64:ff9b::a9fe:a9fe", AddressClass::kLinkLocal},  // NAT64 of 169.254.169.254
    {"64:ff9b::808:808", AddressClass::kPublic},
    {"64:ff9b:1::1", AddressClass::kPrivate},
    {"2002:7f00:1::1", AddressClass::kLoopback},  // 6to4 of 127.0.0.1
    {"2002:a9fe:a9fe::1", AddressClass::kLinkLocal},
    {"2002:808:808::1", AddressClass::kPublic},
};

}  // namespace

TEST(AddressPolicy, ClassifiesEveryAddressOfTheTable) {
  for (const auto& [text, expected] : kTable) {
    auto got = classify_address(text);
    ASSERT_TRUE(got.has_value()) << text;
    EXPECT_EQ(*got, expected) << text << " is " << rafiki::net::to_string(*got);
  }
}

TEST(AddressPolicy, TextThatIsNotAnAddressHasNoClass) {
  for (const char* text : {"", "localhost", "example.com", "256.0.0.1", "1.2.3", "::g", "[::1]"}) {
    EXPECT_FALSE(classify_address(text).has_value()) << text;
  }
}

TEST(AddressPolicy, EachPolicyAllowsItsClasses) {
  const AddressClass all[] = {AddressClass::kPublic, AddressClass::kLoopback,
                              AddressClass::kPrivate, AddressClass::kLinkLocal,
                              AddressClass::kReserved};
  for (AddressClass c : all) EXPECT_TRUE(address_allowed(AddressPolicy::kAny, c));
  EXPECT_TRUE(address_allowed(AddressPolicy::kPublicOnly, AddressClass::kPublic));
  EXPECT_FALSE(address_allowed(AddressPolicy::kPublicOnly, AddressClass::kLoopback));
  EXPECT_FALSE(address_allowed(AddressPolicy::kPublicOnly, AddressClass::kPrivate));
  EXPECT_FALSE(address_allowed(AddressPolicy::kPublicOnly, AddressClass::kLinkLocal));
  EXPECT_FALSE(address_allowed(AddressPolicy::kPublicOnly, AddressClass::kReserved));
  EXPECT_TRUE(address_allowed(AddressPolicy::kPrivateAllowed, AddressClass::kPublic));
  EXPECT_TRUE(address_allowed(AddressPolicy::kPrivateAllowed, AddressClass::kLoopback));
  EXPECT_TRUE(address_allowed(AddressPolicy::kPrivateAllowed, AddressClass::kPrivate));
  EXPECT_FALSE(address_allowed(AddressPolicy::kPrivateAllowed, AddressClass::kLinkLocal));
  EXPECT_FALSE(address_allowed(AddressPolicy::kPrivateAllowed, AddressClass::kReserved));
}

TEST(AddressPolicy, LiteralHostsOfUrlsAreClassifiedAndNamesAreNot) {
  EXPECT_EQ(literal_host_class("http://169.254.169.254/latest/meta-data"),
            AddressClass::kLinkLocal);
  EXPECT_EQ(literal_host_class("https://10.0.0.5:8443/rates"), AddressClass::kPrivate);
  EXPECT_EQ(literal_host_class("http://[::1]:3000/"), AddressClass::kLoopback);
  EXPECT_EQ(literal_host_class("http://[fe80::1]/"), AddressClass::kLinkLocal);
  EXPECT_EQ(literal_host_class("http://[::ffff:169.254.169.254]/"), AddressClass::kLinkLocal);
  EXPECT_EQ(literal_host_class("https://8.8.8.8/"), AddressClass::kPublic);
  EXPECT_FALSE(literal_host_class("http://localhost:3000/").has_value());
  EXPECT_FALSE(literal_host_class("https://hooks.example/x").has_value());
  EXPECT_FALSE(literal_host_class("not a url").has_value());
}
