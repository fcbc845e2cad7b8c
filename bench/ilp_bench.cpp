// `make bench`: ILP packet codec and STREAM throughput, one thread, in process.
//   - encode + decode of one packet (Prepare with STREAM-sized and maximum data, Fulfill,
//     Reject), and a STREAM packet's encode + encrypt + decrypt, in ns per round;
//   - STREAM packets per second from our sender to our receiver: payments whose packets are
//     capped at 1,000 units by the receiver's maximum packet amount (F08), so every packet is
//     encrypted, condition-checked, decrypted, credited and fulfilled; Prepares go through the
//     ILP encoder and decoder on the way, as they would on a wire.
// Prints "name value unit" per row. Usage: ilp_bench [seconds-per-row]
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

#include "base/time.h"
#include "ilp/error_codes.h"
#include "ilp/packet.h"
#include "ilp/stream/packet.h"
#include "ilp/stream/receiver.h"
#include "ilp/stream/sender.h"

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using namespace rafiki;
using namespace rafiki::ilp;

namespace {

constexpr std::uint64_t kPacketAmountMax = 1'000;
constexpr std::uint64_t kPacketsPerPayment = 5'000;

// Runs `round` until `duration` has passed; returns ns per round. `sink` keeps results alive.
double ns_per_round(std::chrono::seconds duration, const std::function<std::size_t()>& round) {
  std::size_t sink = 0;
  std::uint64_t rounds = 0;
  auto start = Clock::now();
  auto deadline = start + duration;
  while (Clock::now() < deadline) {
    for (int i = 0; i < 256; ++i) sink += round();
    rounds += 256;
  }
  double elapsed_ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
  if (sink == 0) std::fprintf(stderr, "(sink %zu)\n", sink);
  return elapsed_ns / static_cast<double>(rounds);
}

void codec_rows(std::chrono::seconds duration) {
  for (std::size_t data_bytes : {std::size_t{100}, kDataBytesMax}) {
    Bytes data(data_bytes, 0x42);
    Prepare prepare;
    prepare.amount = 123'456;
    prepare.expires_at = now_ms() + std::chrono::seconds(30);
    prepare.execution_condition.fill(0x11);
    prepare.destination = "test.rafiki.paWlpaWlpaWlpaWlK6bM6FEWpzP3nedvZ6YdXIRnWupUL7SA90Kt";
    prepare.data = data;
    double ns = ns_per_round(duration, [&] {
      auto encoded = encode_prepare(prepare);
      auto decoded = decode_prepare(*encoded);
      return decoded->data.size();
    });
    std::printf("prepare_%zu_bytes_encode_decode %.0f ns\n", data_bytes, ns);
  }
  {
    Bytes data(100, 0x42);
    Fulfill fulfill;
    fulfill.fulfillment.fill(0x22);
    fulfill.data = data;
    double ns = ns_per_round(duration, [&] {
      auto encoded = encode_fulfill(fulfill);
      return decode_fulfill(*encoded)->data.size();
    });
    std::printf("fulfill_100_bytes_encode_decode %.0f ns\n", ns);
  }
  {
    Bytes data(100, 0x42);
    Reject reject;
    reject.code = kF99ApplicationError;
    reject.triggered_by = "test.rafiki";
    reject.message = "";
    reject.data = data;
    double ns = ns_per_round(duration, [&] {
      auto encoded = encode_reject(reject);
      return decode_reject(*encoded)->data.size();
    });
    std::printf("reject_100_bytes_encode_decode %.0f ns\n", ns);
  }
  {
    auto keys = *ilp::stream::derive_keys(Bytes(32, 0x33));
    ilp::stream::Packet packet;
    packet.sequence = 7;
    packet.prepare_amount = 990;
    packet.frames.push_back(ilp::stream::StreamMoney{1, 1});
    double ns = ns_per_round(duration, [&] {
      Bytes sealed = ilp::stream::encrypt_packet(keys, packet);
      return ilp::stream::decrypt_packet(keys, sealed)->frames.size();
    });
    std::printf("stream_packet_encrypt_decrypt %.0f ns\n", ns);
  }
}

// Pays in kPacketAmountMax-unit packets until `duration` has passed; packets per second.
void stream_row(std::chrono::seconds duration) {
  ilp::stream::ReceiverOptions options;
  options.max_packet_amount = kPacketAmountMax;
  auto receiver = *ilp::stream::Receiver::create(Bytes(32, 0x44), "test.rafiki", options);
  ilp::stream::ConnectionDetails details;
  details.payment_tag = "bench";
  details.asset = ilp::stream::AssetDetails{"USD", 2};
  std::uint64_t credited = 0;
  ilp::stream::MoneyHandler on_money =
      [&credited](ilp::stream::IncomingMoney money) -> asio::awaitable<ilp::stream::MoneyAnswer> {
    credited += money.amount;
    co_return ilp::stream::MoneyAnswer{};
  };
  ilp::stream::PrepareSender send = [&receiver,
                                     &on_money](Bytes packet) -> asio::awaitable<Result<Bytes>> {
    auto prepare = decode_prepare(packet);
    if (!prepare) co_return std::unexpected(prepare.error());
    co_return co_await receiver.handle_prepare(*prepare, on_money);
  };

  asio::io_context io(1);
  std::uint64_t packets = 0, delivered = 0, payments = 0;
  bool failed = false;
  auto start = Clock::now();
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        while (Clock::now() - start < duration) {
          auto credentials = *receiver.generate_credentials(details);
          ilp::stream::PaymentOptions payment;
          payment.destination = credentials.ilp_address;
          payment.shared_secret.assign(credentials.shared_secret.begin(),
                                       credentials.shared_secret.end());
          payment.source_amount = kPacketAmountMax * kPacketsPerPayment;
          payment.minimum_rate = ilp::stream::Ratio{1, 1};
          ilp::stream::PaymentResult result = co_await ilp::stream::pay(send, payment);
          if (!result.ok()) {
            std::fprintf(stderr, "payment failed: %s\n", result.reason.c_str());
            failed = true;
            co_return;
          }
          packets += result.packets_sent;
          delivered += result.amount_delivered;
          ++payments;
        }
      },
      asio::detached);
  io.run();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (failed || credited != delivered) {
    std::fprintf(stderr, "credited %llu != delivered %llu\n",
                 static_cast<unsigned long long>(credited),
                 static_cast<unsigned long long>(delivered));
    std::exit(1);
  }
  std::printf("stream_sender_to_receiver %.0f packets/s\n", static_cast<double>(packets) / seconds);
  std::printf("stream_payments_of_%llu_packets %llu payments\n",
              static_cast<unsigned long long>(kPacketsPerPayment),
              static_cast<unsigned long long>(payments));
}

}  // namespace

int main(int argc, char** argv) {
  std::chrono::seconds duration(argc > 1 ? std::atoi(argv[1]) : 5);
  if (duration.count() <= 0) duration = std::chrono::seconds(1);
  codec_rows(duration);
  stream_row(duration);
  return 0;
}
