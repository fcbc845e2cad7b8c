// Helpers for the connector's stage tests: Prepare packets, accounts, stages made of lambdas
// (the fake `next`), and running a chain on an io_context.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backend/connector/chain.h"
#include "backend/connector/context.h"
#include "backend/connector/stages.h"
#include "crypto/hash.h"
#include "ilp/error_codes.h"
#include "ilp/packet.h"
#include "store/async_util.h"

namespace rafiki::testing::connector {

namespace asio = boost::asio;
namespace cn = rafiki::backend::connector;

inline constexpr std::string_view kOwnAddress = "test.connector";

inline ilp::Fulfillment fulfillment_of(std::uint8_t byte) {
  ilp::Fulfillment f;
  f.fill(byte);
  return f;
}

struct PrepareSpec {
  std::uint64_t amount = 100;
  TimePoint expires_at = now_ms() + std::chrono::seconds(10);
  ilp::Condition condition = ilp::condition_of(fulfillment_of(7));
  std::string destination = "test.peer-b.alice";
  Bytes data;
};

inline Bytes make_prepare(const PrepareSpec& spec) {
  ilp::Prepare p;
  p.amount = spec.amount;
  p.expires_at = spec.expires_at;
  p.execution_condition = spec.condition;
  p.destination = spec.destination;
  p.data = spec.data;
  auto encoded = ilp::encode_prepare(p);
  if (!encoded) throw std::runtime_error(encoded.error().message);
  return *encoded;
}

// A fixed UUID standing for a name ("peer-a", "tenant-1"): the same name, the same id.
inline Uuid named_id(std::string_view name) {
  Uuid id;
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (std::size_t i = 0; i < id.bytes.size(); ++i) {
    for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    h = (h ^ i) * 1099511628211ull;
    id.bytes[i] = static_cast<std::uint8_t>(h >> 56);
  }
  id.bytes[6] = static_cast<std::uint8_t>((id.bytes[6] & 0x0f) | 0x40);  // version 4
  id.bytes[8] = static_cast<std::uint8_t>((id.bytes[8] & 0x3f) | 0x80);  // variant
  return id;
}

inline cn::AccountPtr make_peer(std::string id, std::string code = "USD", int scale = 2,
                                std::string tenant = "tenant-1") {
  auto a = std::make_shared<cn::Account>();
  a->id = named_id(id);
  a->kind = cn::AccountKind::kPeer;
  a->asset.id = named_id("asset-" + code);
  a->asset.code = std::move(code);
  a->asset.scale = scale;
  a->tenant_id = named_id(tenant);
  return a;
}

// A stage made of a lambda: the fake `next` (or a spy around it).
using StageFn = std::function<asio::awaitable<void>(cn::Context&, cn::Next)>;
class FnStage final : public cn::Stage {
 public:
  explicit FnStage(StageFn fn) : fn_(std::move(fn)) {}
  std::string_view name() const override { return "test"; }
  asio::awaitable<void> handle(cn::Context& ctx, cn::Next next) override { return fn_(ctx, next); }

 private:
  StageFn fn_;
};

// A `next` that fulfills with `f` and counts its calls.
inline std::unique_ptr<cn::Stage> fulfilling(ilp::Fulfillment f, int* calls = nullptr) {
  return std::make_unique<FnStage>([f, calls](cn::Context& ctx, cn::Next) -> asio::awaitable<void> {
    if (calls) ++*calls;
    ctx.fulfill(f);
    co_return;
  });
}

// A `next` that records the context it saw, then fulfills with the default fulfillment.
struct Seen {
  int calls = 0;
  std::uint64_t amount = 0;
  TimePoint expires_at{};
  std::string destination;
  Bytes data;
  cn::AccountPtr outgoing;
};
inline std::unique_ptr<cn::Stage> recording(Seen* seen) {
  return std::make_unique<FnStage>([seen](cn::Context& ctx, cn::Next) -> asio::awaitable<void> {
    ++seen->calls;
    seen->amount = ctx.prepare.amount;
    seen->expires_at = ctx.prepare.expires_at;
    seen->destination = std::string(ctx.prepare.destination);
    seen->data.assign(ctx.prepare.data.begin(), ctx.prepare.data.end());
    seen->outgoing = ctx.outgoing;
    ctx.fulfill(fulfillment_of(7));
    co_return;
  });
}

inline std::vector<std::unique_ptr<cn::Stage>> stages() {
  return {};
}
template <class... S>
std::vector<std::unique_ptr<cn::Stage>> stages(std::unique_ptr<S>... s) {
  std::vector<std::unique_ptr<cn::Stage>> v;
  (v.push_back(std::move(s)), ...);
  return v;
}

// Runs `packet` from `incoming` through the chain; returns the reply bytes.
inline Bytes run_packet(const cn::Chain& chain, const Bytes& packet, cn::AccountPtr incoming) {
  Bytes reply;
  run_async([&](asio::any_io_executor) -> asio::awaitable<void> {
    auto ctx = cn::Context::make(packet, incoming, kOwnAddress);
    if (!ctx) throw std::runtime_error(ctx.error().message);
    co_await chain.run(*ctx);
    reply = std::move(ctx->reply);
  });
  return reply;
}

struct DecodedReject {
  std::string code, triggered_by, message;
  Bytes data;
};
// The Reject in `reply`; code "fulfill" for a Fulfill, "none" for anything else.
inline DecodedReject reject_of(const Bytes& reply) {
  DecodedReject out;
  auto r = ilp::decode_reply(reply);
  if (!r) {
    out.code = "none";
    return out;
  }
  if (std::holds_alternative<ilp::Fulfill>(*r)) {
    out.code = "fulfill";
    return out;
  }
  const auto& rej = std::get<ilp::Reject>(*r);
  out.code = std::string(rej.code);
  out.triggered_by = std::string(rej.triggered_by);
  out.message = std::string(rej.message);
  out.data.assign(rej.data.begin(), rej.data.end());
  return out;
}

}  // namespace rafiki::testing::connector
