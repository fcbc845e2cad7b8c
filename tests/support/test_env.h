// What integration tests need from the environment `make test` sets up: the private PostgreSQL
// (an admin URL, from which each test makes a database of its own so tests run in parallel and
// never see each other's rows) and Redis. A missing variable fails the test with a clear message.
#pragma once

#include <string>

namespace rafiki::testing {

// RAFIKI_TEST_PG_URL, e.g. postgresql://rafiki:rafiki@127.0.0.1:5439/postgres
std::string pg_admin_url();
// REDIS_URL, e.g. redis://127.0.0.1:6389/0
std::string redis_url();
// RAFIKI_BINARY: the built `rafiki` executable.
std::string rafiki_binary();

// A fresh, empty database, dropped when this object goes away.
class TestDatabase {
 public:
  TestDatabase();
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& url() const { return url_; }
  // Runs SQL synchronously on this database (test set-up and assertions only).
  std::string query_value(const std::string& sql) const;
  void exec(const std::string& sql) const;

 private:
  std::string name_;
  std::string url_;
};

}  // namespace rafiki::testing
