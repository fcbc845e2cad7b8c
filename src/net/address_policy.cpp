#include "net/address_policy.h"

#include <boost/asio/ip/address.hpp>
#include <arpa/inet.h>

#include <boost/url/parse.hpp>

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <string>

#include "net/internal.h"

namespace rafiki::net {

namespace {

// A prefix of an address: the first `bits` bits of `bytes` (network order).
template <std::size_t N>
bool in_prefix(const std::uint8_t (&address)[N], std::initializer_list<std::uint8_t> prefix,
               unsigned bits) {
  unsigned index = 0;
  for (std::uint8_t byte : prefix) {
    if (bits == 0) return true;
    const unsigned take = bits >= 8 ? 8 : bits;
    const auto mask = static_cast<std::uint8_t>(0xFF << (8 - take));
    if ((address[index] & mask) != (byte & mask)) return false;
    bits -= take;
    ++index;
  }
  return true;
}

}  // namespace

AddressClass classify_ipv4(const std::uint8_t (&a)[4]) {
  if (a[0] == 127) return AddressClass::kLoopback;
  if (in_prefix(a, {169, 254}, 16)) return AddressClass::kLinkLocal;
  if (a[0] == 100 && a[1] == 100 && a[2] == 100 && a[3] == 200)
    return AddressClass::kLinkLocal;  // Alibaba Cloud's metadata service (inside CGNAT space)
  if (a[0] == 10 || in_prefix(a, {172, 16}, 12) || in_prefix(a, {192, 168}, 16) ||
      in_prefix(a, {100, 64}, 10) || in_prefix(a, {198, 18}, 15))
    return AddressClass::kPrivate;
  if (a[0] == 0 ||                         // "this network"; 0.0.0.0 reaches the local host
      a[0] >= 224 ||                       // multicast, 240/4 reserved, broadcast
      in_prefix(a, {192, 0, 0}, 24) ||     // IETF protocol assignments
      in_prefix(a, {192, 0, 2}, 24) ||     // documentation (TEST-NET-1)
      in_prefix(a, {198, 51, 100}, 24) ||  // TEST-NET-2
      in_prefix(a, {203, 0, 113}, 24) ||   // TEST-NET-3
      in_prefix(a, {192, 88, 99}, 24))     // 6to4 relay anycast (deprecated)
    return AddressClass::kReserved;
  return AddressClass::kPublic;
}

AddressClass classify_ipv6(const std::uint8_t (&a)[16]) {
  auto embedded_v4 = [&](unsigned offset) {
    std::uint8_t v4[4] = {a[offset], a[offset + 1], a[offset + 2], a[offset + 3]};
    return classify_ipv4(v4);
  };
  bool first_ten_zero = true;
  for (int i = 0; i < 10; ++i) first_ten_zero = first_ten_zero && a[i] == 0;
  if (first_ten_zero && a[10] == 0xFF && a[11] == 0xFF) return embedded_v4(12);  // ::ffff:a.b.c.d
  if (first_ten_zero && a[10] == 0 && a[11] == 0) {
    bool zero_to_14 = a[12] == 0 && a[13] == 0 && a[14] == 0;
    if (zero_to_14 && a[15] == 1) return AddressClass::kLoopback;  // ::1
    return AddressClass::kReserved;  // :: and the deprecated IPv4-compatible ::a.b.c.d
  }
  // 64:ff9b::/96, NAT64 of the IPv4 address in the last 32 bits.
  if (in_prefix(a, {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0}, 96)) return embedded_v4(12);
  if (in_prefix(a, {0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48))
    return AddressClass::kPrivate;       // local-use NAT64 (RFC 8215)
  if (in_prefix(a, {0x20, 0x02}, 16)) {  // 6to4: the IPv4 address follows the prefix
    AddressClass v4 = embedded_v4(2);
    if (v4 != AddressClass::kPublic) return v4;
  }
  // AWS's IPv6 instance metadata service, fd00:ec2::254 (inside the ULA range).
  static constexpr std::uint8_t kAwsMetadata[16] = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0,    0,
                                                    0,    0,    0,    0,    0, 0, 0x02, 0x54};
  if (std::equal(std::begin(a), std::end(a), std::begin(kAwsMetadata)))
    return AddressClass::kLinkLocal;
  if (in_prefix(a, {0xfe, 0x80}, 10)) return AddressClass::kLinkLocal;
  if (in_prefix(a, {0xfc}, 7) || in_prefix(a, {0xfe, 0xc0}, 10))  // ULA, deprecated site-local
    return AddressClass::kPrivate;
  if (a[0] == 0xff ||                                    // multicast
      in_prefix(a, {0x20, 0x01, 0x0d, 0xb8}, 32) ||      // documentation
      in_prefix(a, {0x01, 0x00, 0, 0, 0, 0, 0, 0}, 64))  // discard-only
    return AddressClass::kReserved;
  return AddressClass::kPublic;
}

AddressClass internal::classify(const boost::asio::ip::address& address) {
  if (address.is_v4()) {
    const auto bytes = address.to_v4().to_bytes();
    std::uint8_t raw[4];
    std::copy(bytes.begin(), bytes.end(), raw);
    return classify_ipv4(raw);
  }
  const auto bytes = address.to_v6().to_bytes();
  std::uint8_t raw[16];
  std::copy(bytes.begin(), bytes.end(), raw);
  return classify_ipv6(raw);
}

std::optional<AddressClass> classify_address(std::string_view text) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  return internal::classify(address);
}

std::optional<AddressClass> literal_host_class(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return std::nullopt;
  switch (parsed->host_type()) {
    case boost::urls::host_type::ipv4:
      return classify_address(parsed->host_ipv4_address().to_string());
    case boost::urls::host_type::ipv6:
      return classify_address(parsed->host_ipv6_address().to_string());
    case boost::urls::host_type::name: {
      // The numeric forms getaddrinfo reads without DNS ("127.1", "2130706433", "0x7f.1",
      // "0177.0.0.1"): the connection goes to the address they spell.
      const std::string name = parsed->host_name();
      in_addr v4{};
      if (name.empty() || ::inet_aton(name.c_str(), &v4) == 0) return std::nullopt;
      std::uint8_t raw[4];
      std::memcpy(raw, &v4.s_addr, sizeof raw);  // network order
      return classify_ipv4(raw);
    }
    default:
      return std::nullopt;
  }
}

bool address_allowed(AddressPolicy policy, AddressClass address) {
  switch (policy) {
    case AddressPolicy::kAny:
      return true;
    case AddressPolicy::kPrivateAllowed:
      return address == AddressClass::kPublic || address == AddressClass::kPrivate ||
             address == AddressClass::kLoopback;
    case AddressPolicy::kPublicOnly:
      return address == AddressClass::kPublic;
  }
  return false;
}

std::string_view to_string(AddressClass address) {
  switch (address) {
    case AddressClass::kPublic:
      return "public";
    case AddressClass::kLoopback:
      return "loopback";
    case AddressClass::kPrivate:
      return "private";
    case AddressClass::kLinkLocal:
      return "link-local or metadata";
    case AddressClass::kReserved:
      return "reserved";
  }
  return "reserved";
}

}  // namespace rafiki::net
