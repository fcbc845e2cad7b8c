// Helpers shared by the STREAM tests: run a coroutine to completion on a fresh io_context, and
// build STREAM Prepares the way a sender does.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

#include "base/time.h"
#include "crypto/random.h"
#include "ilp/packet.h"
#include "ilp/stream/packet.h"

namespace rafiki::ilp::stream::testing {

template <class T>
T run(boost::asio::awaitable<T> task) {
  boost::asio::io_context io;
  auto future = boost::asio::co_spawn(io, std::move(task), boost::asio::use_future);
  io.run();
  return future.get();
}

// An encoded Prepare carrying `packet` for the connection `keys`; fulfillable unless
// `random_condition`.
inline Bytes make_prepare(const ConnectionKeys& keys, std::string destination, std::uint64_t amount,
                          const Packet& packet, bool random_condition = false) {
  Bytes data = encrypt_packet(keys, packet);
  Prepare prepare;
  prepare.amount = amount;
  prepare.expires_at = now_ms() + std::chrono::seconds(30);
  if (random_condition) {
    crypto::fill_random(prepare.execution_condition);
  } else {
    prepare.execution_condition = condition_for(keys, data);
  }
  prepare.destination = destination;
  prepare.data = data;
  auto bytes = encode_prepare(prepare);
  if (!bytes) throw std::runtime_error("cannot encode test prepare: " + bytes.error().message);
  return *bytes;
}

}  // namespace rafiki::ilp::stream::testing
