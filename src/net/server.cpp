#include "net/server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <unordered_map>

#include "base/uuid.h"

namespace rafiki::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// Bytes read per read_some; the read buffer holds at most the header limit and one chunk.
constexpr std::size_t kReadChunkBytes = 4096;
// Poll period while shutdown waits for in-flight requests.
constexpr std::chrono::milliseconds kShutdownPollPeriod{10};

// Maps a read error to the status we answer with; 0 = close without answering (the peer went
// away or never sent anything).
int status_for_read_error(const boost::system::error_code& ec, bool timed_out) {
  if (timed_out) return 408;
  if (ec == http::error::body_limit) return 413;
  if (ec == http::error::header_limit) return 431;
  if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
      ec == asio::error::eof || ec == asio::error::connection_reset ||
      ec == asio::error::operation_aborted || ec == asio::error::broken_pipe)
    return 0;
  // Any other Beast HTTP parser error means a malformed message.
  if (ec.category() == boost::system::error_code(http::error::bad_target).category()) return 400;
  return 0;
}

std::string_view reason_for(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 408: return "Request Timeout";
    case 413: return "Payload Too Large";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

// Header values from handlers must not smuggle a line break into the response.
std::string_view clean_header_value(std::string_view v, std::string& scratch) {
  if (v.find_first_of("\r\n") == std::string_view::npos) return v;
  scratch.assign(v);
  std::erase_if(scratch, [](char c) { return c == '\r' || c == '\n'; });
  return scratch;
}

// The address a client is counted under: an IPv4-mapped IPv6 address is the IPv4 client; any
// other IPv6 address counts as its /64 (one host may use every address of its /64, so one
// client per address would let it take the whole listener).
asio::ip::address client_key(const asio::ip::address& a) {
  if (!a.is_v6()) return a;
  const auto v6 = a.to_v6();
  if (v6.is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, v6);
  auto bytes = v6.to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return asio::ip::address_v6(bytes);
}

std::string raw_error_response(int status, std::string_view description) {
  auto r = Response::error(status, description);
  return fmt::format("HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nConnection: close\r\n"
                     "Content-Length: {}\r\n\r\n{}",
                     status, reason_for(status), r.body.size(), r.body);
}

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<Impl> {
  struct Session;

  // One client address's share; lives in `clients` while the address has a connection.
  // Guarded by clients_mu. unordered_map keeps element addresses stable, so a session holds a
  // pointer to its entry.
  struct ClientEntry {
    std::size_t connections = 0;
    std::size_t request_bytes = 0;
  };

  Impl(asio::io_context& io_, std::string name_, Handler handler_, ServerLimits limits_)
      : io(io_), name(std::move(name_)), handler(std::move(handler_)), limits(limits_), acceptor(io_) {}

  asio::io_context& io;
  std::string name;
  Handler handler;
  ServerLimits limits;
  tcp::acceptor acceptor;
  std::uint16_t bound_port = 0;
  std::atomic<std::size_t> active{0};
  std::atomic<bool> stopping{false};
  std::mutex sessions_mu;
  std::uint64_t next_session_id = 0;
  std::unordered_map<std::uint64_t, std::weak_ptr<Session>> sessions;
  // Per-client connections and request bytes; request_bytes_total is their sum over clients.
  mutable std::mutex clients_mu;
  std::unordered_map<asio::ip::address, ClientEntry> clients;
  std::size_t request_bytes_total = 0;

  struct Session : std::enable_shared_from_this<Session> {
    Session(tcp::socket s, asio::ip::address key, ClientEntry* entry)
        : socket(std::move(s)), timer(socket.get_executor()), client_address(key), client(entry) {}
    tcp::socket socket;
    asio::steady_timer timer;
    Clock::time_point deadline = Clock::time_point::max();
    bool timed_out = false;
    bool idle = true;
    asio::ip::address client_address;
    ClientEntry* client;
    // Request bytes this connection holds now, counted in client->request_bytes (clients_mu).
    std::size_t charged_bytes = 0;

    // Arms the watchdog: if the deadline passes, pending socket operations are cancelled and
    // timed_out is set. Re-arming the timer only when the deadline moves earlier keeps this to
    // at most one timer cancellation per request.
    void expire_after(std::chrono::milliseconds d) { expire_at(Clock::now() + d); }
    void expire_at(Clock::time_point t) {
      deadline = t;
      timed_out = false;
      if (deadline < timer.expiry()) timer.expires_at(deadline);
    }
    void disarm() { deadline = Clock::time_point::max(); }

    asio::awaitable<void> watchdog() {
      auto self = shared_from_this();
      boost::system::error_code ec;
      timer.expires_at(deadline);
      while (socket.is_open()) {
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (!socket.is_open()) break;
        if (Clock::now() >= deadline) {
          timed_out = true;
          deadline = Clock::time_point::max();
          socket.cancel(ec);
        }
        if (timer.expiry() <= Clock::now()) timer.expires_at(deadline);
      }
    }

    void close() {
      boost::system::error_code ec;
      socket.shutdown(tcp::socket::shutdown_both, ec);
      socket.close(ec);
      timer.cancel();
    }
  };

  asio::awaitable<void> accept_loop() {
    auto self = shared_from_this();
    while (acceptor.is_open()) {
      boost::system::error_code ec;
      tcp::socket socket(asio::make_strand(io));
      co_await acceptor.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (!acceptor.is_open() || ec == asio::error::operation_aborted) break;
        spdlog::warn("{}: accept failed: {}", name, ec.message());
        // Out of descriptors (or kernel memory): accepting again at once would spin. Pause,
        // so connections closing meanwhile free descriptors for the database and peers too.
        if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
            ec == asio::error::no_memory) {
          asio::steady_timer pause(io, ServerLimits::kAcceptPauseOnExhaustion);
          co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      auto remote = socket.remote_endpoint(ec);
      if (ec) {  // the client is already gone
        socket.close(ec);
        continue;
      }
      auto exec = socket.get_executor();
      if (active.load() >= limits.connections_max || stopping.load()) {
        asio::co_spawn(exec, refuse(std::move(socket), "too many connections"), asio::detached);
        continue;
      }
      auto key = client_key(remote.address());
      ClientEntry* client = admit(key);
      if (client == nullptr) {
        spdlog::debug("{}: refused a connection from {}: {} open already", name, key.to_string(),
                      limits.connections_per_client_max);
        asio::co_spawn(exec, refuse(std::move(socket), "too many connections from this address"),
                       asio::detached);
        continue;
      }
      auto session = std::make_shared<Session>(std::move(socket), key, client);
      std::uint64_t id;
      {
        std::lock_guard lock(sessions_mu);
        id = next_session_id++;
        sessions.emplace(id, session);
      }
      active.fetch_add(1);
      asio::co_spawn(exec, session->watchdog(), asio::detached);
      asio::co_spawn(exec, serve(session, id), asio::detached);
    }
  }

  // Counts a new connection from `key`; nullptr when the address is at its cap.
  ClientEntry* admit(const asio::ip::address& key) {
    std::lock_guard lock(clients_mu);
    auto& entry = clients[key];
    if (entry.connections >= limits.connections_per_client_max) {
      if (entry.connections == 0) clients.erase(key);
      return nullptr;
    }
    ++entry.connections;
    return &entry;
  }

  // Releases what a closing session held and forgets an address with no connection left.
  void leave(Session& s) {
    std::lock_guard lock(clients_mu);
    s.client->request_bytes -= s.charged_bytes;
    request_bytes_total -= s.charged_bytes;
    s.charged_bytes = 0;
    if (--s.client->connections == 0) clients.erase(s.client_address);
  }

  // Sets the request bytes session `s` holds to `bytes`. Growing past its client's or the
  // listener's budget changes nothing and returns why (to answer 503); otherwise empty.
  std::string_view charge(Session& s, std::size_t bytes) {
    std::lock_guard lock(clients_mu);
    if (bytes > s.charged_bytes) {
      std::size_t more = bytes - s.charged_bytes;
      if (s.client->request_bytes + more > limits.request_bytes_per_client_max)
        return "too much request data in progress from this address";
      if (request_bytes_total + more > limits.request_bytes_max)
        return "too much request data in progress";
      s.client->request_bytes += more;
      request_bytes_total += more;
    } else {
      std::size_t less = s.charged_bytes - bytes;
      s.client->request_bytes -= less;
      request_bytes_total -= less;
    }
    s.charged_bytes = bytes;
    return {};
  }

  asio::awaitable<void> refuse(tcp::socket socket, std::string_view description) {
    auto self = shared_from_this();
    std::string raw = raw_error_response(503, description);
    boost::system::error_code ec;
    co_await asio::async_write(socket, asio::buffer(raw), asio::redirect_error(asio::use_awaitable, ec));
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
  }

  asio::awaitable<void> write_error(Session& s, int status, std::string_view description) {
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    res.set(http::field::content_type, "application/json");
    res.keep_alive(false);
    res.body() = Response::error(status, description).body;
    res.prepare_payload();
    s.expire_after(limits.request_timeout);
    boost::system::error_code ec;
    co_await http::async_write(s.socket, res, asio::redirect_error(asio::use_awaitable, ec));
  }

  asio::awaitable<Response> call_handler(Request& req) {
    try {
      co_return co_await handler(req);
    } catch (const std::exception& e) {
      std::string correlation = Uuid::v4().str();
      spdlog::error("{}: handler failed on {} {} (correlation id {}): {}", name,
                    method_name(req.method), req.path, correlation, e.what());
      co_return Response::error(500, "Internal Server Error (correlation id " + correlation + ")");
    }
  }

  // Reads one request into `req`, holding its bytes against the client's and the listener's
  // budgets (Session::charged_bytes) until the caller releases them. Returns 0 when a request
  // was read, the status to answer with when it was refused, or -1 to close without answering
  // (the peer went away). `refusal` says why a 503 was given.
  //
  // The socket is read here rather than with http::async_read so the budget is checked after
  // every read and before the body is allocated: Beast reserves the whole declared
  // Content-Length for a string body as soon as it starts on the body.
  asio::awaitable<int> read_request(Session& s, beast::flat_buffer& buffer, Request& req,
                                    bool& keep_alive, unsigned& version, std::string_view& refusal) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.header_bytes_max));
    parser.body_limit(limits.body_bytes_max);
    parser.eager(false);  // stop after the header, before the body is initialised
    auto started = Clock::now();
    auto request_deadline = started + limits.request_timeout;
    s.expire_at(std::min(started + limits.header_timeout, request_deadline));
    std::size_t header_bytes = 0;
    std::size_t body_bytes = 0;  // reserved for the body once the header is known
    bool body_reserved = false;
    boost::system::error_code ec;
    while (true) {
      if (parser.is_header_done() && !body_reserved) {
        body_reserved = true;
        if (!parser.is_done()) {
          auto length = parser.content_length();
          // A chunked body's string may end up with up to twice its length in capacity.
          body_bytes = length ? static_cast<std::size_t>(*length) : 2 * limits.body_bytes_max;
          parser.eager(true);
        }
        refusal = charge(s, buffer.capacity() + header_bytes + body_bytes);
        if (!refusal.empty()) co_return 503;
        s.expire_at(request_deadline);
      }
      if (parser.is_done()) break;
      if (buffer.size() > 0) {
        bool in_header = !parser.is_header_done();
        std::size_t used = parser.put(buffer.data(), ec);
        buffer.consume(used);
        if (in_header) header_bytes += used;
        if (ec == http::error::need_more) {
          ec = {};
        } else if (ec) {
          int status = status_for_read_error(ec, false);
          co_return status == 0 ? -1 : status;
        }
        if (used > 0) continue;
      }
      std::size_t room = buffer.max_size() - buffer.size();
      if (room == 0) co_return 400;  // unreachable: the parser's limits stop first
      std::size_t n = co_await s.socket.async_read_some(
          buffer.prepare(std::min(room, kReadChunkBytes)), asio::redirect_error(asio::use_awaitable, ec));
      buffer.commit(n);
      if (ec) {
        if (s.timed_out) co_return 408;
        co_return -1;  // closed mid-request, or shutdown
      }
      refusal = charge(s, buffer.capacity() + header_bytes + body_bytes);
      if (!refusal.empty()) co_return 503;
    }
    s.disarm();

    auto& msg = parser.get();
    req.method = parse_method(msg.method_string());
    req.target = msg.target();
    auto q = req.target.find('?');
    req.path = req.target.substr(0, q);
    if (q != std::string::npos) req.query = req.target.substr(q + 1);
    for (const auto& field : msg) req.headers.add(field.name_string(), field.value());
    req.body = std::move(msg.body());
    keep_alive = msg.keep_alive();
    version = msg.version();
    co_return 0;
  }

  asio::awaitable<void> serve(std::shared_ptr<Session> s, std::uint64_t id) {
    auto self = shared_from_this();
    // Bounded: a header over the limit is refused before the buffer would need more room.
    beast::flat_buffer buffer(limits.header_bytes_max + kReadChunkBytes);
    boost::system::error_code ec;
    std::string remote;
    {
      auto ep = s->socket.remote_endpoint(ec);
      remote = ec ? s->client_address.to_string() : ep.address().to_string();
    }
    while (true) {
      // Wait for the next request to start (kept-alive idle period). An idle connection holds
      // no read buffer: it waits for readability, not for bytes.
      s->idle = true;
      if (stopping.load()) break;
      if (buffer.size() == 0) {
        buffer.shrink_to_fit();
        s->expire_after(limits.idle_timeout);
        co_await s->socket.async_wait(tcp::socket::wait_read,
                                      asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;  // idle timeout or shutdown: nothing to answer
      }
      s->idle = false;

      Request req;
      bool keep_alive = false;
      unsigned version = 11;
      std::string_view refusal;
      int status = co_await read_request(*s, buffer, req, keep_alive, version, refusal);
      if (status != 0) {
        if (status == 503) {
          spdlog::debug("{}: refused a request from {}: {}", name, remote, refusal);
          co_await write_error(*s, status, refusal);
        } else if (status > 0) {
          co_await write_error(*s, status, reason_for(status));
        }
        break;
      }
      req.remote_address = remote;

      Response r = co_await call_handler(req);
      keep_alive = keep_alive && !stopping.load();
      // 1xx, 204 and 304 responses have no body (RFC 9110 §6.4.1); Beast refuses to frame one.
      if ((r.status >= 100 && r.status < 200) || r.status == 204 || r.status == 304) r.body.clear();

      http::response<http::string_body> res{static_cast<http::status>(r.status), version};
      std::string scratch;
      for (const auto& [k, v] : r.headers) res.insert(k, clean_header_value(v, scratch));
      res.keep_alive(keep_alive);
      // As Node.js does: tells clients when we drop an idle connection, so they stop reusing
      // it before then (undici does) instead of racing our close.
      if (keep_alive && limits.idle_timeout >= std::chrono::seconds(1) &&
          res.find(http::field::keep_alive) == res.end())
        res.set(http::field::keep_alive,
                fmt::format("timeout={}",
                            std::chrono::duration_cast<std::chrono::seconds>(limits.idle_timeout).count()));
      if (req.method == Method::kHead) {
        res.content_length(r.body.size());
      } else {
        res.body() = std::move(r.body);
        res.prepare_payload();
      }
      s->expire_after(limits.request_timeout);
      if (req.method == Method::kHead) {
        http::response_serializer<http::string_body> sr{res};
        co_await http::async_write_header(s->socket, sr, asio::redirect_error(asio::use_awaitable, ec));
      } else {
        co_await http::async_write(s->socket, res, asio::redirect_error(asio::use_awaitable, ec));
      }
      s->disarm();
      // The request is answered: its bytes are no longer held (a shrinking charge cannot fail).
      (void)charge(*s, 0);
      if (ec || !keep_alive) break;
    }
    s->close();
    {
      std::lock_guard lock(sessions_mu);
      sessions.erase(id);
    }
    leave(*s);
    active.fetch_sub(1);
  }

  // Runs `fn(session)` on each live session's own strand.
  template <class F>
  void for_each_session(F fn) {
    std::lock_guard lock(sessions_mu);
    for (auto& [id, weak] : sessions) {
      if (auto s = weak.lock()) asio::post(s->socket.get_executor(), [s, fn] { fn(*s); });
    }
  }
};

HttpServer::HttpServer(asio::io_context& io, std::string name, Handler handler, ServerLimits limits)
    : impl_(std::make_shared<Impl>(io, std::move(name), std::move(handler), limits)) {}

HttpServer::~HttpServer() {
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
}

Result<std::uint16_t> HttpServer::listen(std::string_view address, std::uint16_t port) {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(std::string(address), ec);
  if (ec) return fail("net.listen", fmt::format("invalid listen address \"{}\"", address));
  tcp::endpoint ep(addr, port);
  auto& acc = impl_->acceptor;
  acc.open(ep.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(ep, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    boost::system::error_code ignored;
    acc.close(ignored);
    return fail("net.listen", fmt::format("{}: cannot listen on {}:{}: {}", impl_->name, address,
                                          port, ec.message()));
  }
  impl_->bound_port = acc.local_endpoint().port();
  return impl_->bound_port;
}

void HttpServer::start() {
  asio::co_spawn(impl_->acceptor.get_executor(), impl_->accept_loop(), asio::detached);
}

asio::awaitable<void> HttpServer::shutdown() {
  auto impl = impl_;
  impl->stopping.store(true);
  asio::post(impl->acceptor.get_executor(), [impl] {
    boost::system::error_code ec;
    impl->acceptor.close(ec);
  });
  // Idle connections have nothing in flight: close them now.
  impl->for_each_session([](Impl::Session& s) {
    if (s.idle) {
      boost::system::error_code ec;
      s.socket.cancel(ec);
    }
  });
  auto deadline = Clock::now() + impl->limits.shutdown_grace;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (impl->active.load() > 0 && Clock::now() < deadline) {
    impl->for_each_session([](Impl::Session& s) {
      if (s.idle) {
        boost::system::error_code ec;
        s.socket.cancel(ec);
      }
    });
    timer.expires_after(kShutdownPollPeriod);
    co_await timer.async_wait(asio::use_awaitable);
  }
  if (impl->active.load() > 0) {
    spdlog::warn("{}: closing {} connection(s) still busy after the shutdown grace period",
                 impl->name, impl->active.load());
    impl->for_each_session([](Impl::Session& s) { s.close(); });
  }
}

std::uint16_t HttpServer::port() const { return impl_->bound_port; }
std::size_t HttpServer::connections() const { return impl_->active.load(); }
const std::string& HttpServer::name() const { return impl_->name; }

std::size_t HttpServer::request_bytes() const {
  std::lock_guard lock(impl_->clients_mu);
  return impl_->request_bytes_total;
}

ClientUsage HttpServer::client_usage(std::string_view address) const {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(std::string(address), ec);
  ClientUsage usage;
  if (ec) return usage;
  std::lock_guard lock(impl_->clients_mu);
  auto it = impl_->clients.find(client_key(addr));
  if (it == impl_->clients.end()) return usage;
  usage.connections = it->second.connections;
  usage.request_bytes = it->second.request_bytes;
  return usage;
}

}  // namespace rafiki::net
