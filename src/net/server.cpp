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

// Bytes read per read_some while waiting for a request to start.
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

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<Impl> {
  struct Session;

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

  struct Session : std::enable_shared_from_this<Session> {
    explicit Session(tcp::socket s) : socket(std::move(s)), timer(socket.get_executor()) {}
    tcp::socket socket;
    asio::steady_timer timer;
    Clock::time_point deadline = Clock::time_point::max();
    bool timed_out = false;
    bool idle = true;

    // Arms the watchdog: if the deadline passes, pending socket operations are cancelled and
    // timed_out is set. Re-arming the timer only when the deadline moves earlier keeps this to
    // at most one timer cancellation per request.
    void expire_after(std::chrono::milliseconds d) {
      deadline = Clock::now() + d;
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
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      if (active.load() >= limits.connections_max || stopping.load()) {
        auto exec = socket.get_executor();
        asio::co_spawn(exec, refuse(std::move(socket)), asio::detached);
        continue;
      }
      auto session = std::make_shared<Session>(std::move(socket));
      std::uint64_t id;
      {
        std::lock_guard lock(sessions_mu);
        id = next_session_id++;
        sessions.emplace(id, session);
      }
      active.fetch_add(1);
      auto exec = session->socket.get_executor();
      asio::co_spawn(exec, session->watchdog(), asio::detached);
      asio::co_spawn(exec, serve(session, id), asio::detached);
    }
  }

  asio::awaitable<void> refuse(tcp::socket socket) {
    auto self = shared_from_this();
    auto r = Response::error(503, "too many connections");
    std::string raw = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                      "Connection: close\r\nContent-Length: " + std::to_string(r.body.size()) +
                      "\r\n\r\n" + r.body;
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

  asio::awaitable<void> serve(std::shared_ptr<Session> s, std::uint64_t id) {
    auto self = shared_from_this();
    beast::flat_buffer buffer;
    boost::system::error_code ec;
    std::string remote;
    {
      auto ep = s->socket.remote_endpoint(ec);
      if (!ec) remote = ep.address().to_string();
    }
    while (true) {
      // Wait for the next request to start (kept-alive idle period).
      s->idle = true;
      if (stopping.load()) break;
      if (buffer.size() == 0) {
        s->expire_after(limits.idle_timeout);
        std::size_t n = co_await s->socket.async_read_some(
            buffer.prepare(kReadChunkBytes), asio::redirect_error(asio::use_awaitable, ec));
        buffer.commit(n);
        if (ec || n == 0) break;  // closed, idle timeout, or shutdown: nothing to answer
      }
      s->idle = false;

      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(limits.header_bytes_max));
      parser.body_limit(limits.body_bytes_max);
      s->expire_after(limits.request_timeout);
      co_await http::async_read(s->socket, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        int status = status_for_read_error(ec, s->timed_out);
        if (status != 0) co_await write_error(*s, status, reason_for(status));
        break;
      }
      s->disarm();

      auto& msg = parser.get();
      Request req;
      req.method = parse_method(msg.method_string());
      req.target = msg.target();
      auto q = req.target.find('?');
      req.path = req.target.substr(0, q);
      if (q != std::string::npos) req.query = req.target.substr(q + 1);
      for (const auto& field : msg) req.headers.add(field.name_string(), field.value());
      req.body = std::move(msg.body());
      req.remote_address = remote;
      bool keep_alive = msg.keep_alive();
      unsigned version = msg.version();

      Response r = co_await call_handler(req);
      keep_alive = keep_alive && !stopping.load();
      // 1xx, 204 and 304 responses have no body (RFC 9110 §6.4.1); Beast refuses to frame one.
      if ((r.status >= 100 && r.status < 200) || r.status == 204 || r.status == 304) r.body.clear();

      http::response<http::string_body> res{static_cast<http::status>(r.status), version};
      std::string scratch;
      for (const auto& [k, v] : r.headers) res.insert(k, clean_header_value(v, scratch));
      res.keep_alive(keep_alive);
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
      if (ec || !keep_alive) break;
    }
    s->close();
    {
      std::lock_guard lock(sessions_mu);
      sessions.erase(id);
    }
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

}  // namespace rafiki::net
