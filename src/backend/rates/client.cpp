#include "backend/rates/client.h"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "net/client.h"

namespace rafiki::backend::rates {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

using Signal = asio::experimental::concurrent_channel<void(boost::system::error_code)>;

bool unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string query_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    if (unreserved(c)) {
      out += c;
    } else {
      auto b = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 15];
    }
  }
  return out;
}

std::unexpected<Error> could_not_fetch(std::string_view why) {
  return fail(kErrCouldNotFetch, std::string(kCouldNotFetchMessage) + ": " + std::string(why));
}

// The contract's body → a rate table for `base`.
Result<RateTablePtr> parse_rates(std::string_view body, std::string_view base) {
  boost::system::error_code ec;
  json::value doc = json::parse(body, ec);
  if (ec) return could_not_fetch("the answer is not JSON");
  const auto* object = doc.if_object();
  if (object == nullptr) return could_not_fetch("the answer is not a JSON object");
  const auto* answered_base = object->if_contains("base");
  if (answered_base == nullptr) return fail(kErrMissingBaseAsset, "Missing base asset");
  if (!answered_base->is_string()) return fail(kErrInvalidBaseAsset, "Invalid base asset");
  if (answered_base->get_string() != base) {
    return could_not_fetch("the answer is for base " + std::string(answered_base->get_string()));
  }
  const auto* rates = object->if_contains("rates");
  if (rates == nullptr || !rates->is_object()) return could_not_fetch("no rates object");
  if (rates->get_object().size() > RatesClientOptions::kRatesPerTableMax) {
    return could_not_fetch("too many rates");
  }
  auto table = std::make_shared<RateTable>();
  table->base = std::string(base);
  for (const auto& [code, value] : rates->get_object()) {
    Rate rate;  // anything but a positive number: unusable (→ InvalidDestinationPrice)
    if (value.is_double()) {
      rate = Rate::from_double(value.get_double());
    } else if (value.is_int64()) {
      rate = Rate::from_integer(value.get_int64());
    } else if (value.is_uint64()) {
      rate = Rate::from_double(static_cast<double>(value.get_uint64()));
    }
    table->rates.emplace(std::string(code), rate);
  }
  return RateTablePtr(std::move(table));
}

}  // namespace

struct RatesClient::Impl : std::enable_shared_from_this<Impl> {
  struct Flight {
    std::optional<Result<RateTablePtr>> result;
    std::vector<std::shared_ptr<Signal>> waiters;
  };
  struct Entry {
    RateTablePtr table;
    std::int64_t expires_at_ms = 0;
    std::shared_ptr<Flight> flight;  // a fetch in progress
  };

  Impl(asio::any_io_executor executor, RatesUrlLookup lookup, RatesClientOptions options)
      : executor(executor),
        url_for_tenant(std::move(lookup)),
        options(options),
        http(executor, client_options(options)) {
    if (this->options.clock == nullptr) this->options.clock = steady_ms;
  }

  static net::ClientOptions client_options(const RatesClientOptions& o) {
    net::ClientOptions c;
    c.connect_timeout_ms = o.timeout_ms;
    c.request_timeout_ms = o.timeout_ms;
    c.response_body_bytes_max = RatesClientOptions::kResponseBytesMax;
    return c;
  }

  asio::any_io_executor executor;
  RatesUrlLookup url_for_tenant;
  RatesClientOptions options;
  net::HttpClient http;
  mutable std::mutex mutex;
  std::unordered_map<std::string, Entry> cache;
  std::size_t fetches = 0;

  // Makes room for one more entry; false when every entry has a fetch in progress.
  bool make_room(std::int64_t now) {
    if (cache.size() < options.cache_entries_max) return true;
    for (auto it = cache.begin(); it != cache.end();) {
      bool stale = !it->second.flight && it->second.expires_at_ms <= now;
      it = stale ? cache.erase(it) : std::next(it);
    }
    for (auto it = cache.begin(); cache.size() >= options.cache_entries_max && it != cache.end();) {
      it = it->second.flight ? std::next(it) : cache.erase(it);
    }
    return cache.size() < options.cache_entries_max;
  }

  asio::awaitable<Result<RateTablePtr>> fetch(std::string url, std::string base,
                                              net::AddressPolicy policy) {
    std::string target = url;
    target += url.find('?') == std::string::npos ? '?' : '&';
    target += "base=" + query_encode(base);
    net::ClientRequest request;
    request.method = net::Method::kGet;
    request.url = std::move(target);
    request.headers.set("Accept", "application/json");
    request.address_policy = policy;
    auto response = co_await http.request(std::move(request));
    if (!response) co_return could_not_fetch(response.error().message);
    if (response->status != 200) {
      co_return could_not_fetch("status " + std::to_string(response->status));
    }
    co_return parse_rates(response->body, base);
  }

  // Runs one fetch for `key` and hands the result to everyone waiting for it.
  // `self` keeps the client's state alive until the fetch ends.
  asio::awaitable<void> run_flight([[maybe_unused]] std::shared_ptr<Impl> self, std::string key,
                                   std::string url, std::string base, net::AddressPolicy policy,
                                   std::shared_ptr<Flight> flight) {
    Result<RateTablePtr> result = could_not_fetch("internal error");
    try {
      result = co_await fetch(std::move(url), base, policy);
    } catch (const std::exception& e) {
      result = could_not_fetch(e.what());
    }
    if (!result) spdlog::warn("rates: base {}: {}", base, result.error().message);
    std::vector<std::shared_ptr<Signal>> waiters;
    {
      std::lock_guard lock(mutex);
      auto it = cache.find(key);
      if (it != cache.end() && it->second.flight == flight) {
        if (result) {
          it->second.table = *result;
          it->second.expires_at_ms = options.clock() + options.lifetime_ms;
          it->second.flight.reset();
        } else {
          cache.erase(it);  // failures are not cached
        }
      }
      flight->result = result;
      waiters.swap(flight->waiters);
    }
    for (auto& w : waiters) w->try_send(boost::system::error_code{});
  }

  asio::awaitable<Result<RateTablePtr>> get(std::string url, std::string base,
                                            net::AddressPolicy policy) {
    if (base.empty() || base.size() > RatesClientOptions::kCodeBytesMax) {
      co_return fail(kErrInvalidBaseAsset, "Invalid base asset");
    }
    // Per policy too: rates fetched without a restriction are not served to a tenant whose
    // request would have been refused.
    std::string key = url + '\n' + base + '\n' + std::to_string(static_cast<int>(policy));
    auto signal = std::make_shared<Signal>(executor, 1);
    std::shared_ptr<Flight> flight;
    bool lead = false;
    {
      std::lock_guard lock(mutex);
      const auto now = options.clock();
      auto it = cache.find(key);
      if (it != cache.end() && it->second.table && it->second.expires_at_ms > now) {
        co_return it->second.table;
      }
      if (it != cache.end() && it->second.flight) {
        flight = it->second.flight;
      } else {
        if (it == cache.end()) {
          if (!make_room(now)) co_return could_not_fetch("too many rate fetches in progress");
          it = cache.emplace(key, Entry{}).first;
        }
        flight = std::make_shared<Flight>();
        it->second.flight = flight;
        ++fetches;
        lead = true;
      }
      flight->waiters.push_back(signal);
    }
    // Spawned outside the lock (it may start inline); it outlives this caller if need be.
    if (lead) {
      asio::co_spawn(executor,
                     run_flight(shared_from_this(), key, std::move(url), base, policy, flight),
                     asio::detached);
    }
    co_await signal->async_receive(asio::use_awaitable);
    std::lock_guard lock(mutex);
    co_return *flight->result;
  }
};

RatesClient::RatesClient(asio::any_io_executor executor, RatesUrlLookup url_for_tenant,
                         RatesClientOptions options)
    : impl_(std::make_shared<Impl>(executor, std::move(url_for_tenant), options)) {}

RatesClient::~RatesClient() = default;

RatesUrlLookup RatesClient::fixed_url(std::optional<std::string> url) {
  return
      [url = std::move(url)](std::string) -> asio::awaitable<Result<std::optional<RatesEndpoint>>> {
        if (!url) co_return std::optional<RatesEndpoint>{};
        RatesEndpoint endpoint;
        endpoint.url = *url;
        co_return std::optional<RatesEndpoint>(std::move(endpoint));
      };
}

asio::awaitable<Result<RateTablePtr>> RatesClient::rates(std::string_view tenant_id,
                                                         std::string_view base) {
  auto impl = impl_;
  std::string base_code(base);
  auto endpoint = co_await impl->url_for_tenant(std::string(tenant_id));
  if (!endpoint) co_return std::unexpected(endpoint.error());
  if (!*endpoint || (*endpoint)->url.empty())
    co_return fail(kErrMissingUrl, std::string(kMissingUrlMessage));
  const net::AddressPolicy policy = (*endpoint)->address_policy;
  co_return co_await impl->get(std::move((*endpoint)->url), std::move(base_code), policy);
}

asio::awaitable<Result<RateTablePtr>> RatesClient::rates_from(std::string url, std::string base,
                                                              net::AddressPolicy address_policy) {
  auto impl = impl_;
  co_return co_await impl->get(std::move(url), std::move(base), address_policy);
}

asio::awaitable<Result<money::Amount>> RatesClient::convert(money::Amount amount, AssetRef from,
                                                            AssetRef to,
                                                            std::string_view tenant_id) {
  if (from.code == to.code) co_return convert_source(amount, from, to, nullptr);
  auto table = co_await rates(tenant_id, from.code);
  if (!table) co_return std::unexpected(table.error());
  co_return convert_source(amount, from, to, table->get());
}

std::size_t RatesClient::fetches() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->fetches;
}

std::size_t RatesClient::cache_size() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->cache.size();
}

}  // namespace rafiki::backend::rates
