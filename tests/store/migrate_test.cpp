#include "store/migrate.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "base/uuid.h"
#include "store/async_util.h"
#include "support/test_env.h"

using namespace rafiki;
using namespace rafiki::store;
using rafiki::testing::join_all;
using rafiki::testing::run_async;
using rafiki::testing::TestDatabase;
namespace asio = boost::asio;
namespace fs = std::filesystem;
using asio::awaitable;

namespace {

// A migrations directory of its own, removed afterwards.
class MigrationDir {
 public:
  MigrationDir() : path_(fs::temp_directory_path() / ("rafiki-migrations-" + Uuid::v4().str())) {
    fs::create_directories(path_);
  }
  ~MigrationDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  void write(const std::string& name, const std::string& sql) const {
    std::ofstream(path_ / name, std::ios::binary | std::ios::trunc) << sql;
  }
  void remove(const std::string& name) const { fs::remove(path_ / name); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

PgPool make_pool(asio::any_io_executor ex, const TestDatabase& db) {
  PgConfig config;
  config.url = db.url();
  config.max_connections = 2;
  auto pool = PgPool::create(std::move(ex), config);
  if (!pool) throw std::runtime_error(pool.error().message);
  return std::move(*pool);
}

// Runs migrate() on a fresh pool and returns its result.
Result<std::vector<int>> run_migrate(const TestDatabase& db, const fs::path& dir) {
  Result<std::vector<int>> out = fail("test", "did not run");
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    PgPool pool = make_pool(ex, db);
    out = co_await migrate(pool, dir);
  });
  return out;
}

}  // namespace

TEST(Migrate, AppliesFilesInOrderAndRerunningIsANoOp) {
  TestDatabase db;
  MigrationDir dir;
  dir.write("0002_add_name.sql", "ALTER TABLE assets ADD COLUMN name text;");
  dir.write("0001_create_assets.sql",
            "CREATE TABLE assets (id uuid PRIMARY KEY);\n"
            "CREATE INDEX assets_id ON assets (id);\n");
  dir.write("0010_seed.sql", "INSERT INTO assets VALUES (gen_random_uuid(), 'USD');");
  dir.write("README.md", "not a migration");

  auto first = run_migrate(db, dir.path());
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_EQ(*first, (std::vector<int>{1, 2, 10}));
  EXPECT_EQ(db.query_value("SELECT name FROM assets"), "USD");
  EXPECT_EQ(db.query_value("SELECT string_agg(version || ':' || name, ',' ORDER BY version) "
                           "FROM rafiki_migrations"),
            "1:0001_create_assets.sql,2:0002_add_name.sql,10:0010_seed.sql");
  EXPECT_EQ(db.query_value("SELECT length(checksum) FROM rafiki_migrations WHERE version = 1"),
            "64");

  auto again = run_migrate(db, dir.path());
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_TRUE(again->empty());
  EXPECT_EQ(db.query_value("SELECT count(*) FROM assets"), "1");

  dir.write("0011_more.sql", "INSERT INTO assets VALUES (gen_random_uuid(), 'EUR');");
  auto more = run_migrate(db, dir.path());
  ASSERT_TRUE(more.has_value()) << more.error().message;
  EXPECT_EQ(*more, (std::vector<int>{11}));
}

TEST(Migrate, RefusesAnAppliedFileThatChanged) {
  TestDatabase db;
  MigrationDir dir;
  dir.write("0001_init.sql", "CREATE TABLE a (x int);");
  ASSERT_TRUE(run_migrate(db, dir.path()).has_value());

  dir.write("0001_init.sql", "CREATE TABLE a (x bigint);");
  dir.write("0002_next.sql", "CREATE TABLE b (x int);");
  auto changed = run_migrate(db, dir.path());
  ASSERT_FALSE(changed.has_value());
  EXPECT_EQ(changed.error().code, kMigrationErrorChanged);
  EXPECT_NE(changed.error().message.find("0001_init.sql"), std::string::npos);
  // Nothing after the refusal was applied either.
  EXPECT_EQ(db.query_value("SELECT count(*) FROM rafiki_migrations"), "1");
  EXPECT_EQ(db.query_value("SELECT count(*) FROM pg_tables WHERE tablename = 'b'"), "0");

  // A rename of an applied file is refused too.
  dir.write("0001_init.sql", "CREATE TABLE a (x int);");
  dir.remove("0002_next.sql");
  dir.remove("0001_init.sql");
  dir.write("0001_renamed.sql", "CREATE TABLE a (x int);");
  auto renamed = run_migrate(db, dir.path());
  ASSERT_FALSE(renamed.has_value());
  EXPECT_EQ(renamed.error().code, kMigrationErrorChanged);
}

TEST(Migrate, RefusesBadFileNamesAndDuplicateNumbers) {
  for (const char* bad :
       {"1_init.sql", "0001-init.sql", "0001_.sql", "0001_Init.sql", "0000_zero.sql",
        "00001_five_digits.sql", "init.sql", "0001_has space.sql"}) {
    MigrationDir dir;
    dir.write("0002_fine.sql", "SELECT 1;");
    dir.write(bad, "SELECT 1;");
    auto loaded = load_migrations(dir.path());
    ASSERT_FALSE(loaded.has_value()) << bad;
    EXPECT_EQ(loaded.error().code, kMigrationErrorFile);
    EXPECT_NE(loaded.error().message.find(bad), std::string::npos) << loaded.error().message;
  }
  MigrationDir dir;
  dir.write("0003_a.sql", "SELECT 1;");
  dir.write("0003_b.sql", "SELECT 2;");
  auto duplicate = load_migrations(dir.path());
  ASSERT_FALSE(duplicate.has_value());
  EXPECT_EQ(duplicate.error().code, kMigrationErrorFile);
  EXPECT_NE(duplicate.error().message.find("0003_a.sql"), std::string::npos);

  auto missing = load_migrations(dir.path() / "nope");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, kMigrationErrorFile);
}

TEST(Migrate, RefusesAFileTooLarge) {
  MigrationDir dir;
  dir.write("0001_big.sql", std::string(kMigrationFileBytesMax + 1, ' '));
  auto loaded = load_migrations(dir.path());
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code, kMigrationErrorFile);
}

TEST(Migrate, AFailingMigrationLeavesNothingOfItselfApplied) {
  TestDatabase db;
  MigrationDir dir;
  dir.write("0001_ok.sql", "CREATE TABLE a (x int);");
  dir.write("0002_broken.sql", "CREATE TABLE b (x int);\nINSERT INTO a VALUES (1);\nSELECT 1/0;\n");
  dir.write("0003_after.sql", "CREATE TABLE c (x int);");
  auto r = run_migrate(db, dir.path());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "pg.22012");  // division by zero
  EXPECT_NE(r.error().message.find("0002_broken.sql"), std::string::npos) << r.error().message;
  EXPECT_EQ(db.query_value("SELECT string_agg(version::text, ',') FROM rafiki_migrations"), "1");
  EXPECT_EQ(db.query_value("SELECT count(*) FROM pg_tables WHERE tablename IN ('b', 'c')"), "0");
  EXPECT_EQ(db.query_value("SELECT count(*) FROM a"), "0");

  // Fixed, it applies, followed by the rest.
  dir.write("0002_broken.sql", "CREATE TABLE b (x int);\nINSERT INTO a VALUES (1);\n");
  auto fixed = run_migrate(db, dir.path());
  ASSERT_TRUE(fixed.has_value()) << fixed.error().message;
  EXPECT_EQ(*fixed, (std::vector<int>{2, 3}));
}

TEST(Migrate, RefusesANewFileNumberedBelowAnAppliedOne) {
  TestDatabase db;
  MigrationDir dir;
  dir.write("0001_a.sql", "SELECT 1;");
  dir.write("0003_c.sql", "SELECT 3;");
  ASSERT_TRUE(run_migrate(db, dir.path()).has_value());
  dir.write("0002_b.sql", "CREATE TABLE late (x int);");
  auto r = run_migrate(db, dir.path());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, kMigrationErrorOrder);
  EXPECT_NE(r.error().message.find("0002_b.sql"), std::string::npos);
  EXPECT_EQ(db.query_value("SELECT count(*) FROM pg_tables WHERE tablename = 'late'"), "0");
}

TEST(Migrate, RefusesAFileThatCommitsByItself) {
  TestDatabase db;
  MigrationDir dir;
  dir.write("0001_sneaky.sql", "CREATE TABLE a (x int); COMMIT;");
  auto r = run_migrate(db, dir.path());
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("0001_sneaky.sql"), std::string::npos);
  EXPECT_EQ(db.query_value("SELECT count(*) FROM rafiki_migrations"), "0");
}

TEST(Migrate, ConcurrentRunnersApplyEachFileOnce) {
  TestDatabase db;
  MigrationDir dir;
  dir.write("0001_slow.sql", "CREATE TABLE a (x int); SELECT pg_sleep(0.3);");
  dir.write("0002_count.sql", "INSERT INTO a VALUES (1);");
  Result<std::vector<int>> one = fail("test", "did not run");
  Result<std::vector<int>> two = fail("test", "did not run");
  // Two pools are two sessions, as two processes would be.
  run_async(
      [&](asio::any_io_executor ex) -> awaitable<void> {
        PgPool pool_one = make_pool(ex, db);
        PgPool pool_two = make_pool(ex, db);
        auto runner = [](PgPool pool, fs::path path,
                         Result<std::vector<int>>* out) -> awaitable<void> {
          *out = co_await migrate(pool, path);
        };
        std::vector<awaitable<void>> tasks;
        tasks.push_back(runner(pool_one, dir.path(), &one));
        tasks.push_back(runner(pool_two, dir.path(), &two));
        co_await join_all(std::move(tasks));
      },
      2);
  ASSERT_TRUE(one.has_value()) << one.error().message;
  ASSERT_TRUE(two.has_value()) << two.error().message;
  EXPECT_EQ(one->size() + two->size(), 2u);
  EXPECT_TRUE(one->empty() || two->empty());
  EXPECT_EQ(db.query_value("SELECT count(*) FROM a"), "1");
}

TEST(Migrate, ParsesMigrationsGivenAsNameAndContent) {
  auto m = parse_migration("0042_add_fees.sql", "CREATE TABLE fees (id int);");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->version, 42);
  EXPECT_EQ(m->file_name, "0042_add_fees.sql");
  // SHA-256 of the content, so the same file gives the same checksum on every machine.
  EXPECT_EQ(parse_migration("0001_x.sql", "abc")->checksum,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_FALSE(parse_migration("42_add_fees.sql", "SELECT 1").has_value());
  auto big = parse_migration("0001_big.sql", std::string(kMigrationFileBytesMax + 1, ' '));
  ASSERT_FALSE(big.has_value());
  EXPECT_EQ(big.error().code, kMigrationErrorFile);
}

TEST(Migrate, ApplyTakesFilesInAnyOrderButRefusesTwoOfOneVersion) {
  TestDatabase db;
  Result<std::vector<int>> applied = fail("test", "did not run");
  Result<std::vector<int>> duplicate = fail("test", "did not run");
  run_async([&](asio::any_io_executor ex) -> awaitable<void> {
    PgPool pool = make_pool(ex, db);
    std::vector<Migration> files;
    files.push_back(*parse_migration("0002_b.sql", "INSERT INTO a VALUES (2);"));
    files.push_back(*parse_migration("0001_a.sql", "CREATE TABLE a (x int);"));
    applied = co_await apply_migrations(pool, files);
    files.push_back(*parse_migration("0002_c.sql", "SELECT 1;"));
    duplicate = co_await apply_migrations(pool, files);
  });
  ASSERT_TRUE(applied.has_value()) << applied.error().message;
  EXPECT_EQ(*applied, (std::vector<int>{1, 2}));
  ASSERT_FALSE(duplicate.has_value());
  EXPECT_EQ(duplicate.error().code, kMigrationErrorFile);
}
