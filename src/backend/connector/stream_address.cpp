#include <stdexcept>
#include <utility>

#include "backend/connector/stages.h"
#include "base/assert.h"
#include "ilp/stream/receiver.h"

namespace rafiki::backend::connector {

Result<std::unique_ptr<SecretStreamReceivers>> SecretStreamReceivers::create(Bytes server_secret,
                                                                             AddressLookup lookup) {
  if (server_secret.size() != ilp::stream::kServerSecretBytes) {
    return fail(ilp::stream::kErrBadCredentials, "STREAM secret must be 32 bytes");
  }
  return std::unique_ptr<SecretStreamReceivers>(
      new SecretStreamReceivers(std::move(server_secret), std::move(lookup)));
}

boost::asio::awaitable<Result<std::shared_ptr<const ilp::stream::Receiver>>>
SecretStreamReceivers::receiver(const Uuid& tenant_id) {
  auto address = co_await lookup_(tenant_id);
  if (!address) co_return std::unexpected(address.error());
  if (!*address || (*address)->empty()) co_return std::shared_ptr<const ilp::stream::Receiver>{};
  std::lock_guard lock(mutex_);
  auto it = by_address_.find(**address);
  if (it != by_address_.end()) co_return it->second;
  // F99 for a wrong condition or a below-minimum amount: what @interledger/pay needs.
  ilp::stream::ReceiverOptions options;
  options.f99_for_condition_and_minimum = true;
  options.bind_token_to_address = true;  // as the SPSP answers issue them (wallet_address/routes.cpp)
  auto created = ilp::stream::Receiver::create(secret_, **address, options);
  if (!created) co_return std::unexpected(created.error());
  if (by_address_.size() >= kReceiversMax) by_address_.clear();  // addresses changed en masse
  auto shared = std::make_shared<const ilp::stream::Receiver>(std::move(*created));
  by_address_.emplace(**address, shared);
  co_return shared;
}

StreamAddressStage::StreamAddressStage(StreamReceivers& receivers) : receivers_(receivers) {}

boost::asio::awaitable<void> StreamAddressStage::handle(Context& ctx, Next next) {
  RAFIKI_ASSERT(ctx.incoming, "every packet has an incoming account");
  auto receiver = co_await receivers_.receiver(ctx.incoming->tenant_id);
  if (!receiver) throw std::runtime_error("stream address: " + receiver.error().message);
  if (*receiver) {
    auto details = (*receiver)->decode_destination(ctx.prepare.destination);
    if (details && details->payment_tag) {
      ctx.stream_destination = std::move(*details->payment_tag);
      ctx.stream_receiver = std::move(*receiver);
    }
  }
  co_await next(ctx);
}

}  // namespace rafiki::backend::connector
