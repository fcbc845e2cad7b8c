// Helpers shared by the net sources only; not part of the library's interface.
#pragma once

#include <boost/asio/ip/address.hpp>

#include "net/address_policy.h"

namespace rafiki::net::internal {

// The class of an address Asio parsed or resolved: classify_ipv4 or classify_ipv6 of its bytes.
AddressClass classify(const boost::asio::ip::address& address);

}  // namespace rafiki::net::internal
