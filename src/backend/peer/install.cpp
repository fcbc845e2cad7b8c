// Wiring of the peer domain (backend/core/domains.h). Its service is built with the others by
// Backend (core/backend.cpp); here: the auto-peering server's route, and the start and stop of
// the peer snapshot's listener with the runtime. The Admin API is in resolvers.cpp.
#include "backend/core/backend.h"
#include "backend/core/domains.h"
#include "backend/peer/service.h"
#include "service/runtime.h"

namespace rafiki::backend::peer {

namespace asio = boost::asio;

void install(Backend& backend, const Mount& mount) {
  PeerService& peers = *backend.peers;
  if (mount.auto_peering) {
    mount.auto_peering->post(
        "/", [&peers](net::Request& request) -> asio::awaitable<net::Response> {
          PeerService::PeeringAnswer answer = co_await peers.accept_peering(request.body);
          co_return net::Response::json(answer.status, std::move(answer.body));
        });
  }
  if (mount.runtime) {
    mount.runtime->on_startup("peer cache listener", [&peers]() -> asio::awaitable<Result<void>> {
      co_return peers.start_listener();
    });
    mount.runtime->on_shutdown([&peers]() -> asio::awaitable<void> {
      peers.stop_listener();
      co_return;
    });
  }
}

}  // namespace rafiki::backend::peer
