// Helpers for tests of coroutine code: run a coroutine on a fresh io_context (optionally with
// several threads), join concurrent coroutines, and assert inside a coroutine (gtest's ASSERT_*
// `return`, which a coroutine cannot).
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "base/errors.h"

#define CO_ASSERT(cond)                            \
  do {                                             \
    if (!(cond)) {                                 \
      ADD_FAILURE() << "assertion failed: " #cond; \
      co_return;                                   \
    }                                              \
  } while (0)

// Evaluates `expr` (e.g. a co_await) once; fails the test and leaves the coroutine on error.
#define CO_ASSERT_OK(expr)                                                        \
  do {                                                                            \
    auto&& co_assert_result = (expr);                                             \
    if (!co_assert_result) {                                                      \
      ADD_FAILURE() << #expr " failed: " << co_assert_result.error().code << ": " \
                    << co_assert_result.error().message;                          \
      co_return;                                                                  \
    }                                                                             \
  } while (0)

namespace rafiki::testing {

namespace asio = boost::asio;

// Runs body(executor) to completion on its own io_context served by `threads` threads;
// rethrows what the coroutine threw.
template <class F>
void run_async(F body, int threads = 1) {
  asio::io_context io(threads);
  std::exception_ptr failure;
  asio::co_spawn(io, body(io.get_executor()), [&](std::exception_ptr e) { failure = e; });
  std::vector<std::thread> helpers;
  for (int i = 1; i < threads; ++i) helpers.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : helpers) t.join();
  if (failure) std::rethrow_exception(failure);
}

// Runs the coroutines concurrently on the current executor and waits for all of them.
inline asio::awaitable<void> join_all(std::vector<asio::awaitable<void>> tasks) {
  auto executor = co_await asio::this_coro::executor;
  asio::experimental::concurrent_channel<void(boost::system::error_code)> done(executor,
                                                                               tasks.size());
  std::mutex mutex;
  std::exception_ptr first;
  for (auto& task : tasks) {
    asio::co_spawn(executor, std::move(task), [&](std::exception_ptr e) {
      if (e) {
        std::lock_guard lock(mutex);
        if (!first) first = e;
      }
      done.try_send(boost::system::error_code{});
    });
  }
  for (std::size_t i = 0; i < tasks.size(); ++i) co_await done.async_receive(asio::use_awaitable);
  if (first) std::rethrow_exception(first);
}

inline asio::awaitable<void> sleep_ms(int ms) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(std::chrono::milliseconds(ms));
  co_await timer.async_wait(asio::use_awaitable);
}

// Waits until pred() holds or `wait_ms` passed (polling every `poll_ms`); returns pred(). The
// bound only keeps a broken component from hanging the suite: the wait ends as soon as the
// condition holds.
inline asio::awaitable<bool> eventually(std::function<bool()> pred, int wait_ms = 30'000,
                                        int poll_ms = 5) {
  for (int waited = 0; !pred() && waited < wait_ms; waited += poll_ms) co_await sleep_ms(poll_ms);
  co_return pred();
}

}  // namespace rafiki::testing
