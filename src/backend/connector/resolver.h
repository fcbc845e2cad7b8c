// What the connector needs from the domains, as small interfaces the chain owner implements
// (the peer, wallet-address and incoming-payment services behind short-lived caches; fakes in
// tests). Failures of the lookups themselves (database down) are errors → T00.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <string_view>

#include "backend/connector/context.h"
#include "base/errors.h"

namespace rafiki::backend::connector {

class AccountResolver {
 public:
  virtual ~AccountResolver() = default;

  // The peer owning an incoming ILP-over-HTTP bearer token (exact match); nullptr when no peer
  // has it.
  virtual boost::asio::awaitable<Result<AccountPtr>> incoming_peer_by_token(
      std::string_view token) = 0;

  // The local account a STREAM payment tag names: an incoming payment (not deleted) or else a
  // wallet address; nullptr when neither exists. Creates its ledger account if needed (an
  // already existing one is fine). An incoming payment that is COMPLETED or EXPIRED comes back
  // with `closed` set.
  virtual boost::asio::awaitable<Result<AccountPtr>> local_account(
      std::string_view payment_tag) = 0;

  // The next-hop peer (with its asset) for `destination` within the incoming account's tenant
  // (reference/connector.md §6): longest whole-segment prefix over the peers' static addresses
  // and routes, never the incoming peer itself (no bounce-back); nullptr when no peer matches.
  // RoutingTable (routing.h) is the table this can be answered from.
  virtual boost::asio::awaitable<Result<AccountPtr>> next_hop(const Account& incoming,
                                                              std::string_view destination) = 0;
};

}  // namespace rafiki::backend::connector
