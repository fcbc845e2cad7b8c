#include "support/test_env.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <stdexcept>

#include "base/uuid.h"

namespace rafiki::testing {
namespace {

std::string required_env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    throw std::runtime_error(std::string(name) +
                             " is not set: run the tests through `make test` (scripts/test)");
  }
  return v;
}

// Replaces the database name (the last path segment) of a postgresql:// URL.
std::string with_database(const std::string& url, const std::string& db) {
  auto slash = url.rfind('/');
  return url.substr(0, slash + 1) + db;
}

std::string run(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string err = PQerrorMessage(conn);
    PQfinish(conn);
    throw std::runtime_error("test database: " + err);
  }
  PGresult* res = PQexec(conn, sql.c_str());
  auto status = PQresultStatus(res);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    std::string err = PQresultErrorMessage(res);
    PQclear(res);
    PQfinish(conn);
    throw std::runtime_error("test database: " + err + " in: " + sql);
  }
  std::string value;
  if (status == PGRES_TUPLES_OK && PQntuples(res) > 0 && PQnfields(res) > 0)
    value = PQgetvalue(res, 0, 0);
  PQclear(res);
  PQfinish(conn);
  return value;
}

}  // namespace

std::string pg_admin_url() { return required_env("RAFIKI_TEST_PG_URL"); }
std::string redis_url() { return required_env("REDIS_URL"); }
std::string rafiki_binary() { return required_env("RAFIKI_BINARY"); }

TestDatabase::TestDatabase() {
  std::string id = Uuid::v4().str();
  std::erase(id, '-');
  name_ = "test_" + id;
  run(pg_admin_url(), "CREATE DATABASE " + name_);
  url_ = with_database(pg_admin_url(), name_);
}

TestDatabase::~TestDatabase() {
  try {
    run(pg_admin_url(), "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception& e) {
    ADD_FAILURE() << e.what();
  }
}

std::string TestDatabase::query_value(const std::string& sql) const { return run(url_, sql); }
void TestDatabase::exec(const std::string& sql) const { run(url_, sql); }

}  // namespace rafiki::testing
