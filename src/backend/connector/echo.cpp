#include <stdexcept>
#include <string>

#include "backend/connector/stages.h"
#include "ilp/address.h"
#include "ilp/error_codes.h"
#include "ilp/oer.h"

namespace rafiki::backend::connector {

namespace {
constexpr std::uint8_t kEchoRequest = 0;
constexpr std::uint8_t kEchoResponse = 1;
}  // namespace

boost::asio::awaitable<void> EchoStage::handle(Context& ctx, Next next) {
  if (ctx.own_address.empty() || ctx.prepare.destination != ctx.own_address) {
    co_await next(ctx);
    co_return;
  }
  auto data = ctx.prepare.data;
  if (data.size() < kPrefix.size() + 1) {
    ctx.reject(ilp::kF01InvalidPacket,
               "packet data too short for echo request. length=" + std::to_string(data.size()));
    co_return;
  }
  if (as_chars(data.first(kPrefix.size())) != kPrefix) {
    ctx.reject(ilp::kF01InvalidPacket, "packet data does not start with ECHO prefix.");
    co_return;
  }
  if (data[kPrefix.size()] != kEchoRequest) {
    throw std::runtime_error("echo: unexpected echo packet type " +
                             std::to_string(data[kPrefix.size()]));
  }
  ilp::Reader reader(data.subspan(kPrefix.size() + 1));
  auto source = reader.read_var_octets(ilp::kAddressLengthMax);
  if (!source || !ilp::is_valid_address(as_chars(*source))) {
    ctx.reject(ilp::kF01InvalidPacket, "echo request has no valid source address.");
    co_return;
  }
  Bytes answer_data = to_bytes(kPrefix);
  answer_data.push_back(kEchoResponse);
  ilp::Prepare answer;
  answer.amount = ctx.prepare.amount;
  answer.expires_at = ctx.prepare.expires_at - kMinMessageWindow;
  answer.execution_condition = ctx.prepare.execution_condition;
  answer.destination = as_chars(*source);
  answer.data = answer_data;
  auto encoded = ilp::encode_prepare(answer);
  if (!encoded) throw std::runtime_error("echo: " + encoded.error().message);
  if (auto replaced = ctx.replace_packet(std::move(*encoded)); !replaced) {
    throw std::runtime_error("echo: " + replaced.error().message);
  }
  co_await next(ctx);
}

}  // namespace rafiki::backend::connector
