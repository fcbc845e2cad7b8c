// The connector's packet pipeline as a chain of small stages (Envoy-filter style,
// reference/connector.md §3): each stage's handle(ctx, next) may work before and after calling
// next, or answer itself by setting ctx.reply without calling next. The chain is assembled once
// at start-up; `Next` is an index into it, so passing it along allocates nothing. Stages are
// shared by all packets in flight (on several threads): handle() must be thread-safe.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "backend/connector/context.h"

namespace rafiki::backend::connector {

class Chain;

// The rest of the chain after the current stage. Calling it past the last stage does nothing
// (ctx.reply stays empty, which the error handler reports as an internal error).
class Next {
 public:
  boost::asio::awaitable<void> operator()(Context& ctx) const;

 private:
  friend class Chain;
  Next(const Chain* chain, std::size_t index) : chain_(chain), index_(index) {}
  const Chain* chain_;
  std::size_t index_;
};

class Stage {
 public:
  virtual ~Stage() = default;
  virtual std::string_view name() const = 0;
  virtual boost::asio::awaitable<void> handle(Context& ctx, Next next) = 0;
};

class Chain {
 public:
  explicit Chain(std::vector<std::unique_ptr<Stage>> stages);
  Chain(const Chain&) = delete;
  Chain& operator=(const Chain&) = delete;

  // Runs the packet through every stage from the first.
  boost::asio::awaitable<void> run(Context& ctx) const;

  std::size_t size() const { return stages_.size(); }
  std::string_view stage_name(std::size_t i) const { return stages_.at(i)->name(); }

 private:
  friend class Next;
  std::vector<std::unique_ptr<Stage>> stages_;
};

}  // namespace rafiki::backend::connector
