// `make bench`: parse + validate + execute + serialise of an Admin-style query (a page of 20
// wallet addresses, each with its asset and a nested page of 5 incoming payments) through our
// GraphQL engine, on one thread, for N seconds. Prints "<requests/s> <response bytes>".
// bench/graphql_bench.js runs the same schema, data and query through graphql-js.
// Usage: graphql_bench <source dir> <seconds>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "graphql/http.h"

namespace json = boost::json;
using boost::asio::awaitable;
using namespace rafiki::graphql;

namespace {

constexpr int kWalletAddressesTotal = 100;
constexpr const char* kCreatedAt = "2026-01-01T00:00:00.000Z";

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json::object amount(const char* value, const json::storage_ptr& sp) {
  return json::object({{"value", value}, {"assetCode", "USD"}, {"assetScale", 2}}, sp);
}

json::object wallet_address(int i, const json::storage_ptr& sp) {
  json::object wa(sp);
  wa["id"] = "wa-" + std::to_string(i);
  wa["address"] = "https://ilp.example/wa-" + std::to_string(i);
  wa["publicName"] = i % 3 == 0 ? json::value(nullptr) : json::value("Wallet " + std::to_string(i));
  wa["status"] = i % 2 ? "INACTIVE" : "ACTIVE";
  wa["createdAt"] = kCreatedAt;
  wa["asset"] = json::object({{"id", "asset-1"},
                              {"code", "USD"},
                              {"scale", 2},
                              {"withdrawalThreshold", nullptr},
                              {"createdAt", kCreatedAt}},
                             sp);
  wa["liquidity"] = std::to_string(i * 1000);
  return wa;
}

std::shared_ptr<Schema> make_schema(const std::string& dir) {
  auto schema = Schema::from_sdl(read_file(dir + "/bench/graphql_bench_schema.graphql"));
  if (!schema) {
    std::fprintf(stderr, "schema: %s\n", schema.error()[0].message.c_str());
    std::exit(1);
  }
  Schema& s = **schema;
  (void)s.set_resolver(
      "Query.walletAddresses", [](const ResolveInfo& info) -> awaitable<FieldResult> {
        int first = static_cast<int>(info.int_argument("first").value_or(20));
        int start = 0;
        if (auto after = info.string_argument("after"))
          start = std::stoi(std::string(after->substr(3))) + 1;
        const json::storage_ptr& sp = info.storage;
        json::array edges(sp);
        int end = std::min(kWalletAddressesTotal, start + std::max(0, first));
        for (int i = start; i < end; ++i) {
          edges.push_back(json::object(
              {{"cursor", "wa-" + std::to_string(i)}, {"node", wallet_address(i, sp)}}, sp));
        }
        json::object page(sp);
        page["startCursor"] =
            start < end ? json::value("wa-" + std::to_string(start)) : json::value(nullptr);
        page["endCursor"] =
            start < end ? json::value("wa-" + std::to_string(end - 1)) : json::value(nullptr);
        page["hasNextPage"] = end < kWalletAddressesTotal;
        page["hasPreviousPage"] = start > 0;
        co_return json::object({{"pageInfo", std::move(page)}, {"edges", std::move(edges)}}, sp);
      });
  (void)s.set_resolver(
      "WalletAddress.incomingPayments", [](const ResolveInfo& info) -> awaitable<FieldResult> {
        std::string wa(info.parent.at("id").as_string());
        int first = static_cast<int>(info.int_argument("first").value_or(5));
        const json::storage_ptr& sp = info.storage;
        json::array edges(sp);
        for (int k = 0; k < first; ++k) {
          std::string id = "ip-" + wa + "-" + std::to_string(k);
          json::object p(sp);
          p["id"] = id;
          p["walletAddressId"] = wa;
          p["state"] = "PENDING";
          p["incomingAmount"] = amount("1000", sp);
          p["receivedAmount"] = amount("0", sp);
          p["metadata"] = nullptr;
          p["createdAt"] = kCreatedAt;
          p["expiresAt"] = kCreatedAt;
          edges.push_back(json::object({{"cursor", id}, {"node", std::move(p)}}, sp));
        }
        json::object page(
            {{"hasNextPage", false},
             {"hasPreviousPage", false},
             {"startCursor", nullptr},
             {"endCursor", first > 0 ? json::value("ip-" + wa + "-" + std::to_string(first - 1))
                                     : json::value(nullptr)}},
            sp);
        co_return json::object({{"pageInfo", std::move(page)}, {"edges", std::move(edges)}}, sp);
      });
  return *schema;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: graphql_bench <source dir> <seconds>\n");
    return 2;
  }
  std::string dir = argv[1];
  double seconds = std::stod(argv[2]);
  auto schema = make_schema(dir);
  Request request;
  request.query = read_file(dir + "/bench/graphql_bench_query.graphql");
  request.variables["first"] = 20;
  long count = 0;
  std::size_t bytes = 0;
  boost::asio::io_context io;
  auto loop = [&]() -> awaitable<void> {
    // One second of warm-up (caches, allocator), as the graphql-js side warms its JIT.
    auto warm_until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (std::chrono::steady_clock::now() < warm_until) {
      Outcome outcome = co_await run(*schema, request);
      std::string body = to_json_text(outcome.result);
    }
    auto start = std::chrono::steady_clock::now();
    auto until = start + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < until) {
      Outcome outcome = co_await run(*schema, request);
      bool failed = !outcome.result.errors.empty();
      std::string body = to_json_text(outcome.result);
      if (failed) {
        std::fprintf(stderr, "errors: %s\n", body.c_str());
        std::exit(1);
      }
      bytes = body.size();
      ++count;
    }
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%.0f %zu\n", count / elapsed, bytes);
  };
  boost::asio::co_spawn(io, loop(), boost::asio::detached);
  io.run();
  return 0;
}
