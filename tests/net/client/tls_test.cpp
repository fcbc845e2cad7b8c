// HttpClient over TLS against a loopback server with a self-signed certificate made here:
// verification, SNI, host name checks, CA files.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

#include <boost/asio/ssl.hpp>

#include "net/client/harness.h"

namespace rafiki::testing::http_client {
namespace {

struct Pem {
  std::string certificate;
  std::string private_key;
};

std::string bio_to_string(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

// A self-signed P-256 certificate (its own CA) for `dns_name`, valid for a day.
Pem make_self_signed_certificate(const std::string& dns_name) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!key || !cert) throw std::runtime_error("OpenSSL allocation failed");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), static_cast<long>(::getpid()));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Rafiki test CA"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  const std::string san = "DNS:" + dns_name;
  const std::pair<int, const char*> extensions[] = {
      {NID_basic_constraints, "critical,CA:TRUE"},
      {NID_key_usage, "critical,keyCertSign,digitalSignature"},
      {NID_subject_key_identifier, "hash"},
      {NID_subject_alt_name, san.c_str()},
  };
  for (const auto& [nid, value] : extensions) {
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (!extension) throw std::runtime_error("cannot make a certificate extension");
    X509_add_ext(cert.get(), extension, -1);
    X509_EXTENSION_free(extension);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0)
    throw std::runtime_error("cannot sign the certificate");
  std::unique_ptr<BIO, decltype(&BIO_free)> cert_bio(BIO_new(BIO_s_mem()), BIO_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(cert_bio.get(), cert.get());
  PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return {bio_to_string(cert_bio.get()), bio_to_string(key_bio.get())};
}

asio::awaitable<void> serve_https(tcp::socket socket, std::shared_ptr<asio::ssl::context> tls,
                                  std::shared_ptr<Seen> seen,
                                  std::shared_ptr<std::string> server_name) {
  asio::ssl::stream<tcp::socket> stream(std::move(socket), *tls);
  auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kAsTuple);
  if (ec) co_return;
  const char* sni = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
  {
    std::lock_guard lock(seen->mutex);
    *server_name = sni ? sni : "";
  }
  co_await serve_http_on(stream, echo, {}, seen);
}

class HttpClientTlsTest : public HttpClientTest {
 protected:
  static void SetUpTestSuite() {
    pem_ = new Pem(make_self_signed_certificate("localhost"));
    directory_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                           fmt::format("rafiki-client-test-{}", ::getpid()));
    std::filesystem::create_directories(*directory_);
    std::ofstream(*directory_ / "ca.pem") << pem_->certificate;
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*directory_);
    delete directory_;
    delete pem_;
  }

  void SetUp() override {
    auto tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    tls->use_certificate_chain(asio::buffer(pem_->certificate));
    tls->use_private_key(asio::buffer(pem_->private_key), asio::ssl::context::pem);
    server_ = std::make_unique<TestServer>(
        io_, [tls, seen = seen_, name = server_name_](tcp::socket socket) {
          return serve_https(std::move(socket), tls, seen, name);
        });
  }

  std::string ca_file() const { return (*directory_ / "ca.pem").string(); }
  std::string url(std::string_view host, std::string_view path = "/") const {
    return fmt::format("https://{}:{}{}", host, server_->port(), path);
  }
  std::string server_name() const {
    std::lock_guard lock(seen_->mutex);
    return *server_name_;
  }

  static inline Pem* pem_ = nullptr;
  static inline std::filesystem::path* directory_ = nullptr;
  std::shared_ptr<std::string> server_name_ = std::make_shared<std::string>();
  std::unique_ptr<TestServer> server_;
};

TEST_F(HttpClientTlsTest, VerificationFailsWithoutTheCa) {
  HttpClient client(io_.get_executor());

  auto response = fetch(client, url("localhost"));

  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, "http.tls");
  EXPECT_NE(response.error().message.find("certificate"), std::string::npos)
      << response.error().message;
  EXPECT_EQ(seen_->count(), 0u);
}

TEST_F(HttpClientTlsTest, SucceedsWithTheCaFileAndKeepsTheConnection) {
  HttpClient client(io_.get_executor(), ClientOptions{.tls_extra_ca_file = ca_file()});
  std::vector<Result<ClientResponse>> responses;

  run([&]() -> asio::awaitable<void> {
    for (int i = 0; i < 3; ++i)
      responses.push_back(co_await client.post(url("localhost", "/secure"), "sealed"));
  });

  for (auto& response : responses) {
    ASSERT_TRUE(response) << response.error().code << ": " << response.error().message;
    EXPECT_EQ(response->body, "POST /secure sealed");
  }
  EXPECT_EQ(server_->connections(), 1);
  EXPECT_EQ(server_name(), "localhost");  // SNI
}

TEST_F(HttpClientTlsTest, HostNameMismatchFails) {
  // The certificate names "localhost"; 127.0.0.1 is the same server but not the same name.
  HttpClient client(io_.get_executor(), ClientOptions{.tls_extra_ca_file = ca_file()});

  auto response = fetch(client, url("127.0.0.1"));

  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, "http.tls");
  EXPECT_NE(response.error().message.find("mismatch"), std::string::npos)
      << response.error().message;
  EXPECT_EQ(seen_->count(), 0u);
}

TEST_F(HttpClientTlsTest, VerificationCanBeTurnedOffForDevelopment) {
  HttpClient client(io_.get_executor(), ClientOptions{.tls_verify = false});

  auto response = fetch(client, url("127.0.0.1", "/dev"));

  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->body, "GET /dev ");
  EXPECT_EQ(server_name(), "");  // no SNI for an IP address
}

TEST_F(HttpClientTlsTest, UnreadableCaFileFailsHttpsButNotHttp) {
  TestServer plain(io_, http_server(echo, seen_));
  HttpClient client(io_.get_executor(),
                    ClientOptions{.tls_extra_ca_file = (*directory_ / "missing.pem").string()});

  auto https = fetch(client, url("localhost"));
  auto http = fetch(client, plain.url("/"));

  ASSERT_FALSE(https);
  EXPECT_EQ(https.error().code, "http.tls");
  EXPECT_NE(https.error().message.find("missing.pem"), std::string::npos);
  EXPECT_TRUE(http) << http.error().message;
}

}  // namespace
}  // namespace rafiki::testing::http_client
