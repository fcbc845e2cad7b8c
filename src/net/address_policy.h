// Which IP addresses an outbound request may connect to. URLs that a tenant of a multi-tenant
// deployment sets (webhook, exchange rates, peer endpoints) must not turn the server into a proxy
// into its own network: the cloud metadata service, link-local hosts, loopback services, the
// private network. The HTTP client checks every resolved address against the request's policy
// right before connecting (net/client.h, ClientRequest::address_policy), so a host name that
// resolves (or is re-pointed) to a forbidden address is refused too, and nothing is sent to it.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace rafiki::net {

enum class AddressClass : std::uint8_t {
  kPublic,     // globally routable unicast
  kLoopback,   // 127.0.0.0/8, ::1
  kPrivate,    // 10/8, 172.16/12, 192.168/16, 100.64/10 (CGNAT), 198.18/15, fc00::/7, fec0::/10
  kLinkLocal,  // 169.254/16, fe80::/10 and known cloud metadata addresses (fd00:ec2::254,
               // 100.100.100.200)
  kReserved,   // 0/8, ::, multicast, broadcast, 240/4, documentation and other special ranges
};

enum class AddressPolicy : std::uint8_t {
  kAny,             // every address (URLs the operator configured)
  kPrivateAllowed,  // public, private and loopback; never link-local/metadata or reserved
  kPublicOnly,      // public addresses only
};

// The class of an IP address in text form ("10.0.0.1", "::1", "::ffff:169.254.169.254");
// nullopt when `text` is not an IP address. IPv4-mapped (::ffff:0:0/96) and NAT64
// (64:ff9b::/96) IPv6 addresses are classified by the IPv4 address they carry; 6to4
// (2002::/16) addresses too when that IPv4 address is not public.
std::optional<AddressClass> classify_address(std::string_view text);
// The same for raw bytes in network order.
AddressClass classify_ipv4(const std::uint8_t (&bytes)[4]);
AddressClass classify_ipv6(const std::uint8_t (&bytes)[16]);

// The class of `url`'s host when it is an IP literal ("http://10.0.0.1:80/", "http://[::1]/");
// also for a host written in a numeric form getaddrinfo reads without DNS ("127.1",
// "2130706433", "0x7f.1", "0177.0.0.1"); nullopt for a host name, or for text that is not an
// absolute URL. This is a convenience
// for refusing a URL when it is set; the check at connection time is the one that counts.
std::optional<AddressClass> literal_host_class(std::string_view url);

// Whether `policy` lets a request connect to an address of class `address`.
bool address_allowed(AddressPolicy policy, AddressClass address);

// "public", "loopback", ... for messages.
std::string_view to_string(AddressClass address);

}  // namespace rafiki::net
