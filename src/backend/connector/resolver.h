// What the connector needs from the domains, as small interfaces the chain owner implements
// (the peer, wallet-address and incoming-payment services behind short-lived caches; fakes in
// tests). Failures of the lookups themselves (database down) are errors → T00.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

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
  // The backend answers it with PeerService::next_hop (the peer domain's routing snapshot).
  virtual boost::asio::awaitable<Result<AccountPtr>> next_hop(const Account& incoming,
                                                              std::string_view destination) = 0;
};

// The STREAM receiver of a tenant: the operator tenant's at ILP_ADDRESS, another tenant's at its
// ILP_ADDRESS setting; nullptr when the tenant has no address (no local receiving).
class StreamReceivers {
 public:
  virtual ~StreamReceivers() = default;
  virtual boost::asio::awaitable<Result<std::shared_ptr<const ilp::stream::Receiver>>> receiver(
      const Uuid& tenant_id) = 0;
};

// StreamReceivers from STREAM_SECRET and a tenant → ILP address lookup (the chain owner's, over
// tenant settings). Receivers are cached per address (at most kReceiversMax); the lookup is
// asked every time, so a changed setting takes effect at once.
class SecretStreamReceivers final : public StreamReceivers {
 public:
  static constexpr std::size_t kReceiversMax = 10'000;
  using AddressLookup = std::function<boost::asio::awaitable<Result<std::optional<std::string>>>(
      Uuid tenant_id)>;

  // Fails (ilp::stream::kErrBadCredentials) when the secret is not 32 bytes.
  static Result<std::unique_ptr<SecretStreamReceivers>> create(Bytes server_secret,
                                                               AddressLookup lookup);
  boost::asio::awaitable<Result<std::shared_ptr<const ilp::stream::Receiver>>> receiver(
      const Uuid& tenant_id) override;

 private:
  SecretStreamReceivers(Bytes secret, AddressLookup lookup)
      : secret_(std::move(secret)), lookup_(std::move(lookup)) {}
  Bytes secret_;
  AddressLookup lookup_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const ilp::stream::Receiver>> by_address_;
};

}  // namespace rafiki::backend::connector
