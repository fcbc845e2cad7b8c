#include "net/client.h"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "net/internal.h"

namespace rafiki::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace urls = boost::urls;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Milliseconds = std::chrono::milliseconds;

namespace {

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
// 1xx interim responses (100 Continue, 103 Early Hints) skipped before the final response.
constexpr int kInterimResponsesMax = 8;

using Message = bhttp::request<bhttp::string_body>;

// Where a request goes, derived from its URL.
struct Target {
  bool tls = false;
  std::string host;         // for resolving and certificate checks: no brackets, decoded
  bool host_is_ip = false;  // IP literals get no SNI and are matched against IP SANs
  std::string port;         // decimal
  std::string host_header;  // as written in the URL: host[:port]
  std::string path_query;   // the request-target
  std::string origin;       // scheme://host:port (the pool key, with the address policy)
};

bool is_host_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

Result<Target> parse_target(std::string_view text) {
  auto parsed = urls::parse_uri(text);
  if (!parsed)
    return fail("http.url",
                fmt::format("'{}' is not an absolute URL: {}", text, parsed.error().message()));
  const urls::url_view& url = *parsed;
  Target target;
  if (url.scheme_id() == urls::scheme::http) {
    target.tls = false;
  } else if (url.scheme_id() == urls::scheme::https) {
    target.tls = true;
  } else {
    return fail("http.url",
                fmt::format("unsupported URL scheme '{}': only http and https", url.scheme()));
  }
  if (!url.has_authority() || url.encoded_host().empty())
    return fail("http.url", fmt::format("URL '{}' has no host", text));
  if (url.has_userinfo())
    return fail("http.url", "credentials in a URL are not supported; send an Authorization header");
  switch (url.host_type()) {
    case urls::host_type::ipv4:
      target.host = url.host_ipv4_address().to_string();
      target.host_is_ip = true;
      break;
    case urls::host_type::ipv6:
      target.host = url.host_ipv6_address().to_string();
      target.host_is_ip = true;
      break;
    case urls::host_type::name:
      target.host = url.host_name();
      if (!std::all_of(target.host.begin(), target.host.end(), is_host_name_char))
        return fail("http.url", fmt::format("invalid host name in URL '{}'", text));
      break;
    default:
      return fail("http.url", fmt::format("unsupported host form in URL '{}'", text));
  }
  std::uint16_t port = target.tls ? 443 : 80;
  const bool explicit_port = url.has_port() && !url.port().empty();
  if (explicit_port) {
    // Parsed here: Boost.URL's port_number() wraps values above 65535 around.
    unsigned long value = 0;
    for (char c : url.port()) {
      value = value * 10 + static_cast<unsigned long>(c - '0');  // the grammar allows digits only
      if (value > 65535) break;
    }
    if (value == 0 || value > 65535)
      return fail("http.url", fmt::format("invalid port '{}'", url.port()));
    port = static_cast<std::uint16_t>(value);
  }
  target.port = std::to_string(port);
  target.host_header = std::string(url.encoded_host());
  if (explicit_port) target.host_header += ":" + target.port;
  target.path_query = url.encoded_path().empty() ? "/" : std::string(url.encoded_path());
  if (url.has_query()) target.path_query += "?" + std::string(url.encoded_query());
  target.origin = fmt::format("{}://{}:{}", target.tls ? "https" : "http",
                              lowercase(url.encoded_host()), target.port);
  return target;
}

// RFC 9110 token characters, for header names.
bool is_token_char(char c) {
  static constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         kSymbols.find(c) != std::string_view::npos;
}

// A field value must not smuggle a line break (header injection) or a NUL.
bool is_valid_field_value(std::string_view value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool is_idempotent(Method method) {
  return method == Method::kGet || method == Method::kHead || method == Method::kPut ||
         method == Method::kDelete || method == Method::kOptions;
}

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

Result<Message> build_message(const Target& target, const ClientRequest& request) {
  Message message;
  message.version(11);
  message.method(bhttp::string_to_verb(method_name(request.method)));
  message.target(target.path_query);
  message.set(bhttp::field::host, target.host_header);
  for (const auto& [name, value] : request.headers) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_token_char))
      return fail("http.request", fmt::format("invalid header name '{}'", name));
    if (!is_valid_field_value(value))
      return fail("http.request", fmt::format("header '{}' has a line break or NUL", name));
    // The body decides the framing; a caller's own framing headers could desynchronise it.
    if (iequals(name, "content-length") || iequals(name, "transfer-encoding")) continue;
    if (iequals(name, "host")) {
      message.set(bhttp::field::host, value);
      continue;
    }
    message.insert(name, value);
  }
  if (message.find(bhttp::field::user_agent) == message.end())
    message.set(bhttp::field::user_agent, "rafiki/" RAFIKI_VERSION);
  message.body() = request.body;
  const bool has_body_semantics = request.method == Method::kPost ||
                                  request.method == Method::kPut ||
                                  request.method == Method::kPatch;
  if (!request.body.empty() || has_body_semantics) message.content_length(request.body.size());
  return message;
}

// One connection to one origin. Its operations run on its own strand, because a Beast stream's
// timer and I/O completions must not run concurrently on an io_context with several threads.
struct Connection {
  Connection(const asio::any_io_executor& executor, asio::ssl::context* tls_context)
      : strand(asio::make_strand(executor)) {
    if (tls_context)
      tls.emplace(strand, *tls_context);
    else
      plain.emplace(strand);
  }

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  asio::strand<asio::any_io_executor> strand;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;  // bytes read past the end of a response; must stay empty
  bool connected = false;
  Clock::time_point idle_since;
};

using ConnectionPtr = std::shared_ptr<Connection>;

// True when an idle connection is still usable: the server has neither closed it nor sent
// anything (any unsolicited bytes would be mistaken for the next response).
bool still_open(Connection& connection) {
  if (connection.buffer.size() != 0) return false;
  char byte = 0;
  const int fd = connection.lowest().socket().native_handle();
  const auto received = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

// The outcome of one attempt on one connection.
struct Exchange {
  Result<ClientResponse> result;
  bool reusable = false;          // the connection may serve another request
  bool nothing_written = false;   // failed before any byte of the request was sent
  bool nothing_received = false;  // the connection ended before any byte of a response
};

Error connect_timeout_error(const Target& target, std::uint32_t timeout_ms) {
  return {"http.timeout", fmt::format("connecting to {}:{} timed out after {} ms", target.host,
                                      target.port, timeout_ms)};
}

std::string tls_failure_message(SSL* ssl, const beast::error_code& ec) {
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK)
    return fmt::format("certificate verification failed: {}",
                       X509_verify_cert_error_string(verify));
  return ec.message();
}

// Resolves the target's host, giving up at `deadline`. getaddrinfo cannot be interrupted, so on
// timeout the lookup is left to finish in the background; its result is then dropped. Runs on
// the connection's strand, as does the lookup's completion, so the two never race.
asio::awaitable<Result<tcp::resolver::results_type>> resolve(Connection& connection,
                                                             const Target& target,
                                                             Clock::time_point deadline,
                                                             std::uint32_t timeout_ms) {
  struct Lookup {
    Lookup(const asio::strand<asio::any_io_executor>& strand, Clock::time_point deadline)
        : resolver(strand), wake(strand, deadline) {}
    tcp::resolver resolver;
    asio::steady_timer wake;
    bool done = false;
    beast::error_code ec;
    tcp::resolver::results_type results;
  };
  auto lookup = std::make_shared<Lookup>(connection.strand, deadline);
  lookup->resolver.async_resolve(
      target.host, target.port,
      asio::bind_executor(connection.strand,
                          [lookup](const beast::error_code& ec, tcp::resolver::results_type r) {
                            lookup->done = true;
                            lookup->ec = ec;
                            lookup->results = std::move(r);
                            lookup->wake.cancel();
                          }));
  co_await lookup->wake.async_wait(kAsTuple);
  if (!lookup->done) {
    lookup->resolver.cancel();
    co_return std::unexpected(connect_timeout_error(target, timeout_ms));
  }
  if (lookup->ec)
    co_return fail("http.connect",
                   fmt::format("cannot resolve '{}': {}", target.host, lookup->ec.message()));
  co_return std::move(lookup->results);
}

asio::awaitable<Result<void>> connect(Connection& connection, const Target& target,
                                      std::uint32_t timeout_ms, bool tls_verify,
                                      AddressPolicy policy) {
  const auto deadline = Clock::now() + Milliseconds(timeout_ms);
  auto endpoints = co_await resolve(connection, target, deadline, timeout_ms);
  if (!endpoints) co_return std::unexpected(std::move(endpoints.error()));

  // The policy is applied to the very addresses we connect to, so DNS answering differently
  // later (rebinding) cannot get a forbidden address past it.
  std::vector<tcp::endpoint> allowed;
  std::optional<AddressClass> refused;
  for (const auto& entry : *endpoints) {
    const AddressClass cls = internal::classify(entry.endpoint().address());
    if (address_allowed(policy, cls))
      allowed.push_back(entry.endpoint());
    else if (!refused)
      refused = cls;
  }
  if (allowed.empty()) {
    co_return fail("http.forbidden_address",
                   fmt::format("'{}' resolves to a {} address, which this request may not reach",
                               target.host, to_string(refused.value_or(AddressClass::kReserved))));
  }

  auto& socket_stream = connection.lowest();
  socket_stream.expires_at(deadline);
  auto [connect_ec, endpoint] = co_await socket_stream.async_connect(allowed, kAsTuple);
  if (connect_ec == beast::error::timeout)
    co_return std::unexpected(connect_timeout_error(target, timeout_ms));
  if (connect_ec)
    co_return fail("http.connect", fmt::format("cannot connect to {}:{}: {}", target.host,
                                               target.port, connect_ec.message()));
  beast::error_code ignored;
  socket_stream.socket().set_option(tcp::no_delay(true), ignored);

  if (connection.tls) {
    SSL* ssl = connection.tls->native_handle();
    if (!target.host_is_ip && !SSL_set_tlsext_host_name(ssl, target.host.c_str()))
      co_return fail("http.tls", "cannot set the TLS server name");
    if (tls_verify) {
      connection.tls->set_verify_mode(asio::ssl::verify_peer);
      // OpenSSL checks the name (or IP) during chain verification and reports a mismatch as
      // its own verification error, which makes the failure message precise.
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
      const int set = target.host_is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, target.host.c_str())
                                        : SSL_set1_host(ssl, target.host.c_str());
      if (set != 1) co_return fail("http.tls", "cannot set the expected certificate name");
    } else {
      connection.tls->set_verify_mode(asio::ssl::verify_none);
    }
    auto [handshake_ec] =
        co_await connection.tls->async_handshake(asio::ssl::stream_base::client, kAsTuple);
    if (handshake_ec == beast::error::timeout)
      co_return std::unexpected(connect_timeout_error(target, timeout_ms));
    if (handshake_ec)
      co_return fail("http.tls", fmt::format("TLS handshake with {}:{} failed: {}", target.host,
                                             target.port, tls_failure_message(ssl, handshake_ec)));
  }
  socket_stream.expires_never();
  connection.connected = true;
  co_return Result<void>{};
}

Error write_error(const beast::error_code& ec, std::uint32_t timeout_ms) {
  if (ec == beast::error::timeout)
    return {"http.timeout", fmt::format("no complete response within {} ms", timeout_ms)};
  return {"http.connect",
          fmt::format("connection lost while sending the request: {}", ec.message())};
}

Error read_error(const beast::error_code& ec, std::uint32_t timeout_ms,
                 const ClientOptions& options) {
  if (ec == beast::error::timeout)
    return {"http.timeout", fmt::format("no complete response within {} ms", timeout_ms)};
  if (ec == bhttp::error::body_limit)
    return {"http.body_too_large",
            fmt::format("response body exceeds {} bytes", options.response_body_bytes_max)};
  if (ec == bhttp::error::header_limit)
    return {"http.protocol",
            fmt::format("response header exceeds {} bytes", options.response_header_bytes_max)};
  if (ec == bhttp::error::end_of_stream)
    return {"http.connect", "connection closed by the server before a response"};
  if (ec == bhttp::error::partial_message || ec == asio::ssl::error::stream_truncated)
    return {"http.connect", "connection closed by the server in the middle of the response"};
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category())
    return {"http.protocol", fmt::format("malformed response: {}", ec.message())};
  if (ec.category() == asio::error::get_ssl_category())
    return {"http.tls", fmt::format("TLS failure while reading the response: {}", ec.message())};
  return {"http.connect",
          fmt::format("connection lost while reading the response: {}", ec.message())};
}

ClientResponse to_client_response(bhttp::response<bhttp::string_body>&& response) {
  ClientResponse out;
  out.status = static_cast<int>(response.result_int());
  for (const auto& field : response)
    out.headers.add(std::string_view(field.name_string()), std::string_view(field.value()));
  out.body = std::move(response.body());
  return out;
}

template <class Stream>
asio::awaitable<Exchange> transfer(Stream& stream, Connection& connection, const Message& message,
                                   std::uint32_t timeout_ms, const ClientOptions& options) {
  Exchange out;
  auto& socket_stream = connection.lowest();
  // One deadline for writing the request and reading the whole response.
  socket_stream.expires_after(Milliseconds(timeout_ms));
  auto [write_ec, written] = co_await bhttp::async_write(stream, message, kAsTuple);
  if (write_ec) {
    out.nothing_written = written == 0;
    out.result = std::unexpected(write_error(write_ec, timeout_ms));
    co_return out;
  }
  for (int interim = 0;; ++interim) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(options.response_header_bytes_max, UINT32_MAX)));
    parser.body_limit(options.response_body_bytes_max);
    if (message.method() == bhttp::verb::head) parser.skip(true);
    auto [read_ec, read] = co_await bhttp::async_read(stream, connection.buffer, parser, kAsTuple);
    if (read_ec) {
      out.nothing_received = interim == 0 && !parser.got_some() && read_ec != beast::error::timeout;
      out.result = std::unexpected(read_error(read_ec, timeout_ms, options));
      co_return out;
    }
    const unsigned status = parser.get().result_int();
    if (status >= 100 && status < 200 && status != 101) {
      if (interim + 1 >= kInterimResponsesMax) {
        out.result = fail("http.protocol", "too many interim (1xx) responses");
        co_return out;
      }
      continue;
    }
    socket_stream.expires_never();
    out.reusable = message.keep_alive() && parser.get().keep_alive() && status != 101 &&
                   connection.buffer.size() == 0;
    out.result = to_client_response(parser.release());
    co_return out;
  }
}

struct AttemptInput {
  Target target;
  std::shared_ptr<const Message> message;
  std::uint32_t timeout_ms = 0;
  AddressPolicy policy = AddressPolicy::kAny;
};

// Connects when needed, then sends the request and reads the response. Runs on the
// connection's strand.
asio::awaitable<Exchange> attempt(ConnectionPtr connection, AttemptInput input,
                                  const ClientOptions& options) {
  if (!connection->connected) {
    auto connected = co_await connect(*connection, input.target, options.connect_timeout_ms,
                                      options.tls_verify, input.policy);
    if (!connected) {
      Exchange failed;
      failed.result = std::unexpected(std::move(connected.error()));
      co_return failed;
    }
  }
  if (connection->tls)
    co_return co_await transfer(*connection->tls, *connection, *input.message, input.timeout_ms,
                                options);
  co_return co_await transfer(*connection->plain, *connection, *input.message, input.timeout_ms,
                              options);
}

}  // namespace

struct HttpClient::Impl : std::enable_shared_from_this<HttpClient::Impl> {
  Impl(asio::any_io_executor executor_in, ClientOptions options_in)
      : executor(std::move(executor_in)),
        options(std::move(options_in)),
        tls_context(asio::ssl::context::tls_client),
        reaper(executor) {
    SSL_CTX_set_min_proto_version(tls_context.native_handle(), TLS1_2_VERSION);
    beast::error_code ec;
    tls_context.set_default_verify_paths(ec);  // a missing store shows up as a verify failure
    if (!options.tls_extra_ca_file.empty()) {
      tls_context.load_verify_file(options.tls_extra_ca_file, ec);
      if (ec)
        tls_setup_error = Error{"http.tls", fmt::format("cannot load CA file '{}': {}",
                                                        options.tls_extra_ca_file, ec.message())};
    }
  }

  ConnectionPtr new_connection(const Target& target) {
    return std::make_shared<Connection>(executor, target.tls ? &tls_context : nullptr);
  }

  // Takes the most recently used live idle connection of `origin`, or nullptr.
  ConnectionPtr checkout(const std::string& origin) {
    std::vector<ConnectionPtr> dead;  // closed outside the lock
    std::lock_guard lock(mutex);
    auto it = idle.find(origin);
    if (it == idle.end()) return nullptr;
    auto& list = it->second;
    const auto now = Clock::now();
    ConnectionPtr found;
    while (!list.empty() && !found) {
      ConnectionPtr candidate = std::move(list.back());
      list.pop_back();
      --idle_count;
      if (now - candidate->idle_since < idle_timeout() && still_open(*candidate))
        found = std::move(candidate);
      else
        dead.push_back(std::move(candidate));
    }
    if (list.empty()) idle.erase(it);
    return found;
  }

  void checkin(const std::string& origin, ConnectionPtr connection) {
    if (options.idle_connections_per_origin_max == 0) return;
    connection->idle_since = Clock::now();
    ConnectionPtr evicted;
    std::lock_guard lock(mutex);
    auto& list = idle[origin];
    if (list.size() >= options.idle_connections_per_origin_max) {
      evicted = std::move(list.front());  // the least recently used
      list.erase(list.begin());
      --idle_count;
    }
    list.push_back(std::move(connection));
    ++idle_count;
    arm_reaper_locked(list.back()->idle_since + idle_timeout());
  }

  Milliseconds idle_timeout() const { return Milliseconds(options.idle_timeout_ms); }

  // The reaper timer is only touched with the mutex held, which serialises it across threads.
  void arm_reaper_locked(Clock::time_point when) {
    if (reaper_armed) return;  // already due at or before `when`: idle entries only get newer
    reaper_armed = true;
    reaper.expires_at(when);
    reaper.async_wait([weak = weak_from_this()](const beast::error_code&) {
      if (auto self = weak.lock()) self->reap();
    });
  }

  void reap() {
    std::vector<ConnectionPtr> expired;
    std::lock_guard lock(mutex);
    reaper_armed = false;
    const auto now = Clock::now();
    std::optional<Clock::time_point> next;
    for (auto it = idle.begin(); it != idle.end();) {
      auto& list = it->second;
      auto keep = std::find_if(list.begin(), list.end(), [&](const ConnectionPtr& c) {
        return now - c->idle_since < idle_timeout();
      });
      for (auto e = list.begin(); e != keep; ++e) expired.push_back(std::move(*e));
      idle_count -= static_cast<std::size_t>(keep - list.begin());
      list.erase(list.begin(), keep);
      if (list.empty()) {
        it = idle.erase(it);
        continue;
      }
      const auto due = list.front()->idle_since + idle_timeout();
      if (!next || due < *next) next = due;
      ++it;
    }
    if (next) arm_reaper_locked(*next);
  }

  void close_idle() {
    decltype(idle) closing;
    std::lock_guard lock(mutex);
    closing.swap(idle);
    idle_count = 0;
  }

  static asio::awaitable<Result<ClientResponse>> send_once(std::shared_ptr<Impl> impl,
                                                           Target target,
                                                           const ClientRequest& request);

  asio::any_io_executor executor;
  const ClientOptions options;
  asio::ssl::context tls_context;
  std::optional<Error> tls_setup_error;

  mutable std::mutex mutex;
  std::unordered_map<std::string, std::vector<ConnectionPtr>> idle;  // oldest first
  std::size_t idle_count = 0;
  asio::steady_timer reaper;
  bool reaper_armed = false;
};

// One request to one URL, with the retry on a stale pooled connection.
asio::awaitable<Result<ClientResponse>> HttpClient::Impl::send_once(std::shared_ptr<Impl> impl,
                                                                    Target target,
                                                                    const ClientRequest& request) {
  if (target.tls && impl->tls_setup_error) co_return std::unexpected(*impl->tls_setup_error);
  auto message = build_message(target, request);
  if (!message) co_return std::unexpected(std::move(message.error()));
  AttemptInput input{target, std::make_shared<const Message>(std::move(*message)),
                     request.timeout_ms.value_or(impl->options.request_timeout_ms),
                     request.address_policy};
  // Connections are pooled per origin and policy: one opened under a looser policy may have
  // reached an address this request must not.
  const std::string pool_key =
      target.origin + "#" + std::to_string(static_cast<int>(request.address_policy));
  for (int round = 0;; ++round) {
    ConnectionPtr connection = round == 0 ? impl->checkout(pool_key) : nullptr;
    const bool reused = connection != nullptr;
    if (!connection) connection = impl->new_connection(target);
    Exchange exchange = co_await asio::co_spawn(
        connection->strand, attempt(connection, input, impl->options), asio::use_awaitable);
    if (exchange.result) {
      if (exchange.reusable) impl->checkin(pool_key, std::move(connection));
      co_return std::move(exchange.result);
    }
    // A kept-alive connection the server closed just as we sent: the request never reached it
    // if nothing was written; otherwise it may have, so only an idempotent one is resent.
    const bool stale = reused && (exchange.nothing_written || exchange.nothing_received);
    const bool safe = exchange.nothing_written || is_idempotent(request.method);
    if (round == 0 && stale && safe) continue;
    co_return std::move(exchange.result);
  }
}

HttpClient::HttpClient(asio::any_io_executor executor, ClientOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options))) {}
HttpClient::~HttpClient() = default;
HttpClient::HttpClient(const HttpClient&) = default;
HttpClient& HttpClient::operator=(const HttpClient&) = default;
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;

asio::awaitable<Result<ClientResponse>> HttpClient::request(ClientRequest request) {
  std::shared_ptr<Impl> impl = impl_;  // in-flight requests keep the pool alive
  if (request.method == Method::kOther)
    co_return fail("http.request", "the request method must be a known one");
  int redirects_left = std::clamp(request.redirects_max.value_or(impl->options.redirects_max), 0,
                                  kClientRedirectsMax);
  for (;;) {
    auto target = parse_target(request.url);
    if (!target) co_return std::unexpected(std::move(target.error()));
    auto response = co_await Impl::send_once(impl, *target, request);
    if (!response || !is_redirect(response->status) || redirects_left == 0) co_return response;
    auto location = response->headers.get("location");
    if (!location) co_return response;  // a 3xx without Location is a final answer

    auto reference = urls::parse_uri_reference(*location);
    urls::url next;
    if (!reference || !urls::resolve(urls::url_view(request.url), *reference, next))
      co_return fail("http.protocol",
                     fmt::format("redirect to an invalid Location '{}'", *location));
    next.remove_fragment();
    if (response->status == 303 && request.method != Method::kHead) {
      request.method = Method::kGet;
      request.body.clear();
      request.headers.remove("content-type");
    }
    auto next_target = parse_target(next.buffer());
    if (next_target && next_target->origin != target->origin) {
      // Credentials meant for one origin are not handed to another.
      request.headers.remove("authorization");
      request.headers.remove("proxy-authorization");
      request.headers.remove("cookie");
    }
    request.url = std::string(next.buffer());
    --redirects_left;
  }
}

asio::awaitable<Result<ClientResponse>> HttpClient::get(std::string url, Headers headers) {
  ClientRequest request;
  request.method = Method::kGet;
  request.url = std::move(url);
  request.headers = std::move(headers);
  co_return co_await this->request(std::move(request));
}

asio::awaitable<Result<ClientResponse>> HttpClient::post(std::string url, std::string body,
                                                         Headers headers) {
  ClientRequest request;
  request.method = Method::kPost;
  request.url = std::move(url);
  request.headers = std::move(headers);
  request.body = std::move(body);
  co_return co_await this->request(std::move(request));
}

std::size_t HttpClient::idle_connections() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->idle_count;
}

void HttpClient::close_idle() {
  impl_->close_idle();
}

}  // namespace rafiki::net
