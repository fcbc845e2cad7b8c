#include "backend/admin/signature.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "backend/admin/canonical_json.h"
#include "base/bytes.h"
#include "base/encoding.h"
#include "base/time.h"
#include "crypto/hash.h"

namespace rafiki::backend::admin {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kDecimalDigitsMax = 15;  // timestamps in ms stay below 10^15 (year 33658)

// A decimal integer in its one canonical spelling: digits only, no leading zero (but "0").
template <class T>
std::optional<T> parse_decimal(std::string_view text) {
  if (text.empty() || text.size() > kDecimalDigitsMax) return std::nullopt;
  if (text.size() > 1 && text.front() == '0') return std::nullopt;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool is_lowercase_hex_digest(std::string_view text) {
  return text.size() == kSignatureDigestHexChars &&
         std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Result<ParsedSignature> malformed(std::string_view why) {
  return fail(std::string(kSignatureErrorMalformed), std::string(why));
}

net::Response unauthorized() { return net::Response::text(401, "Unauthorized"); }

}  // namespace

Result<ParsedSignature> parse_signature_header(std::string_view header) {
  if (header.size() > kSignatureHeaderBytesMax) return malformed("signature header too long");
  auto comma = header.find(", ");
  if (comma == std::string_view::npos) return malformed("signature header lacks \", \"");
  std::string_view time_part = header.substr(0, comma);
  std::string_view digest_part = header.substr(comma + 2);
  if (!time_part.starts_with("t=")) return malformed("signature header lacks t=");
  auto timestamp = parse_decimal<std::int64_t>(time_part.substr(2));
  if (!timestamp) return malformed("signature timestamp is not a decimal integer");
  auto equals = digest_part.find('=');
  if (!digest_part.starts_with('v') || equals == std::string_view::npos) {
    return malformed("signature header lacks v<version>=");
  }
  auto version = parse_decimal<std::uint32_t>(digest_part.substr(1, equals - 1));
  if (!version) return malformed("signature version is not a decimal integer");
  std::string_view digest = digest_part.substr(equals + 1);
  if (!is_lowercase_hex_digest(digest)) {
    return malformed("signature digest is not 64 lowercase hex digits");
  }
  ParsedSignature parsed;
  parsed.timestamp_ms = *timestamp;
  parsed.version = *version;
  parsed.digest = std::string(digest);
  return parsed;
}

std::string signature_digest(std::string_view secret, std::int64_t timestamp_ms,
                             std::string_view canonical_body) {
  std::string payload = std::to_string(timestamp_ms);
  payload.push_back('.');
  payload += canonical_body;
  auto mac = crypto::hmac_sha256(as_bytes(secret), as_bytes(payload));
  return encoding::hex_encode(mac);
}

Result<std::string> sign_request_body(std::string_view secret, std::uint32_t version,
                                      std::int64_t timestamp_ms, std::string_view body) {
  auto canonical = canonicalize_json(body);
  if (!canonical) return std::unexpected(canonical.error());
  return "t=" + std::to_string(timestamp_ms) + ", v" + std::to_string(version) + "=" +
         signature_digest(secret, timestamp_ms, *canonical);
}

namespace {

enum class Verdict { kAccepted, kRefused, kStoreFailed };

// Checks the signature header of `request` against `secret` and remembers an accepted
// signature (its timestamp and digest) in `seen`, so it is accepted once.
asio::awaitable<Verdict> verify(const net::Request& request, std::string_view secret,
                                std::uint32_t version,
                                std::chrono::seconds ttl, store::KeyValue& seen) {
  auto header = request.headers.get(kSignatureHeader);
  if (!header) co_return Verdict::kRefused;
  std::string header_value(*header);
  auto parsed = parse_signature_header(header_value);
  if (!parsed) co_return Verdict::kRefused;

  const std::int64_t now = now_ms().time_since_epoch().count();
  const std::int64_t ttl_ms = std::chrono::duration_cast<std::chrono::milliseconds>(ttl).count();
  if (now - parsed->timestamp_ms > ttl_ms) co_return Verdict::kRefused;
  const std::int64_t skew_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(kSignatureFutureSkewMax).count();
  if (parsed->timestamp_ms - now > skew_ms) co_return Verdict::kRefused;
  // Remember the signature until its timestamp leaves the window (later for a future timestamp).
  const std::int64_t remember_ms =
      std::max<std::int64_t>(1, ttl_ms + std::max<std::int64_t>(0, parsed->timestamp_ms - now));
  if (remember_ms > store::kKvTtlMax.count()) co_return Verdict::kRefused;

  if (parsed->version != version) co_return Verdict::kRefused;
  // Upstream's body parser gives {} for an empty body.
  auto canonical =
      request.body.empty() ? Result<std::string>("{}") : canonicalize_json(request.body);
  if (!canonical) co_return Verdict::kRefused;
  // Integers beyond 2^53 round to one double: two bodies meaning different numbers would share
  // this signature.
  if (has_inexact_integer(request.body)) co_return Verdict::kRefused;
  std::string expected = signature_digest(secret, parsed->timestamp_ms, *canonical);
  if (!crypto::constant_time_equal(as_bytes(expected), as_bytes(parsed->digest))) {
    co_return Verdict::kRefused;
  }

  // Keyed on what the signature means, not on how the header was spelled, nor on the unsigned
  // tenant-id header: a signature accepted for one tenant is not accepted again for another
  // tenant that shares the secret (only a holder of the secret can make a digest, so no one
  // can use up another signer's key).
  std::string key = std::string(kSignatureReplayKeyPrefix);
  key += std::to_string(parsed->timestamp_ms);
  key += ':';
  key += parsed->digest;
  std::string marker = "1";
  auto fresh = co_await seen.set_if_absent(std::move(key), std::move(marker),
                                           std::chrono::milliseconds(remember_ms));
  if (!fresh) co_return Verdict::kStoreFailed;
  co_return *fresh ? Verdict::kAccepted : Verdict::kRefused;
}

net::Response store_failed() { return net::Response::text(500, "Internal Server Error"); }

}  // namespace

net::Middleware make_signature_middleware(SignatureConfig config,
                                          std::shared_ptr<store::KeyValue> seen) {
  auto shared = std::make_shared<const SignatureConfig>(std::move(config));
  return [shared, seen = std::move(seen)](
             net::Request& request, const net::Handler& next) -> asio::awaitable<net::Response> {
    Verdict verdict = co_await verify(request, shared->secret, shared->version, shared->ttl, *seen);
    if (verdict == Verdict::kStoreFailed) co_return store_failed();
    if (verdict == Verdict::kRefused) co_return unauthorized();
    co_return co_await next(request);
  };
}

net::Middleware make_tenant_signature_middleware(TenantSignatureConfig config,
                                                 std::shared_ptr<store::KeyValue> seen) {
  auto shared = std::make_shared<const TenantSignatureConfig>(std::move(config));
  return [shared, seen = std::move(seen)](
             net::Request& request, const net::Handler& next) -> asio::awaitable<net::Response> {
    request.headers.set(kAuthenticatedTenantHeader, "");  // never trust a client's value
    if (!request.headers.get(kSignatureHeader)) co_return unauthorized();
    auto tenant_header = request.headers.get(kTenantIdHeader);
    if (!tenant_header) co_return unauthorized();
    auto tenant_id = Uuid::parse(*tenant_header);
    if (!tenant_id) co_return unauthorized();
    auto tenant = co_await shared->lookup(*tenant_id);
    if (!tenant) co_return store_failed();
    if (!*tenant) co_return unauthorized();
    Verdict verdict =
        co_await verify(request, (*tenant)->api_secret, shared->version, shared->ttl, *seen);
    if (verdict == Verdict::kStoreFailed) co_return store_failed();
    if (verdict == Verdict::kRefused) co_return unauthorized();
    std::string who = (*tenant)->id.str();
    if ((*tenant)->is_operator) who += ";operator";
    request.headers.set(kAuthenticatedTenantHeader, who);
    co_return co_await next(request);
  };
}

}  // namespace rafiki::backend::admin
