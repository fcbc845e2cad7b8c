#include "backend/connector/context.h"

#include <utility>

#include "ilp/address.h"
#include "ilp/error_codes.h"

namespace rafiki::backend::connector {

Result<Context> Context::make(ByteView packet, AccountPtr incoming, std::string_view own_address) {
  auto prepare = ilp::decode_prepare(packet);
  if (!prepare) return std::unexpected(prepare.error());
  return make(packet, *prepare, std::move(incoming), own_address);
}

Context Context::make(ByteView packet, const ilp::Prepare& prepare, AccountPtr incoming,
                      std::string_view own_address) {
  Context ctx;
  ctx.packet = packet;
  ctx.prepare = prepare;
  ctx.source_amount = prepare.amount;
  ctx.source_expires_at = prepare.expires_at;
  ctx.incoming = std::move(incoming);
  ctx.own_address = own_address;
  return ctx;
}

void Context::reject(std::string_view code, std::string_view message, ByteView data) {
  ilp::Reject r;
  r.code = ilp::is_well_formed_error_code(code) ? code : ilp::kT00InternalError;
  r.triggered_by = ilp::is_valid_address(own_address) ? own_address : std::string_view{};
  r.message = message;
  r.data = data;
  auto encoded = ilp::encode_reject(r);
  if (!encoded) {  // message or data refused: keep the code
    r.message = {};
    r.data = {};
    encoded = ilp::encode_reject(r);
  }
  reply = encoded ? std::move(*encoded) : Bytes{};
}

void Context::fulfill(const ilp::Fulfillment& fulfillment, ByteView data) {
  ilp::Fulfill f;
  f.fulfillment = fulfillment;
  f.data = data;
  auto encoded = ilp::encode_fulfill(f);
  if (!encoded) {
    f.data = {};
    encoded = ilp::encode_fulfill(f);
  }
  reply = encoded ? std::move(*encoded) : Bytes{};
}

Result<void> Context::replace_packet(Bytes encoded) {
  auto owned = std::make_shared<Bytes>(std::move(encoded));
  auto decoded = ilp::decode_prepare(*owned);
  if (!decoded) return std::unexpected(decoded.error());
  owned_packet_ = std::move(owned);
  packet = *owned_packet_;
  prepare = *decoded;
  source_amount = prepare.amount;
  source_expires_at = prepare.expires_at;
  return {};
}

}  // namespace rafiki::backend::connector
