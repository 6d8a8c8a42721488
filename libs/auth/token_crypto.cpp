// Token generation, hashing and constant-time lookup (tokens.hpp), on libsodium.
#include <cassert>
#include <cstdlib>

#include <sodium.h>

#include "auth/tokens.hpp"

namespace kai::auth {
namespace {

constexpr std::string_view kTokenPrefix = "kai_";
constexpr std::string_view kHashPrefix = "sha256:";
constexpr std::size_t kTokenBytes = 32;

void ensure_sodium() {
  // sodium_init is thread-safe and idempotent; it only fails when the system has no entropy
  // source, and then no token may be made at all.
  static const bool ok = sodium_init() >= 0;
  if (!ok) std::abort();
}

std::string digest_of(std::string_view token) {
  std::string digest(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(digest.data()),
                     reinterpret_cast<const unsigned char*>(token.data()), token.size());
  return digest;
}

// The 32 raw bytes of a "sha256:<hex>" string (which validate_entry has checked).
std::string digest_from_hash(std::string_view hash) {
  assert(hash.starts_with(kHashPrefix));
  const std::string_view hex = hash.substr(kHashPrefix.size());
  std::string digest(crypto_hash_sha256_BYTES, '\0');
  std::size_t len = 0;
  const int rc = sodium_hex2bin(reinterpret_cast<unsigned char*>(digest.data()), digest.size(),
                                hex.data(), hex.size(), nullptr, &len, nullptr);
  assert(rc == 0 && len == digest.size());
  (void)rc;
  return digest;
}

}  // namespace

std::string generate_token() {
  ensure_sodium();
  unsigned char bytes[kTokenBytes];
  randombytes_buf(bytes, sizeof bytes);
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  char encoded[sodium_base64_ENCODED_LEN(kTokenBytes, kVariant)];
  sodium_bin2base64(encoded, sizeof encoded, bytes, sizeof bytes, kVariant);
  sodium_memzero(bytes, sizeof bytes);
  std::string token(kTokenPrefix);
  token += encoded;
  sodium_memzero(encoded, sizeof encoded);
  return token;
}

std::string hash_token(std::string_view token) {
  ensure_sodium();
  const std::string digest = digest_of(token);
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, reinterpret_cast<const unsigned char*>(digest.data()),
                 digest.size());
  std::string out(kHashPrefix);
  out += hex;
  return out;
}

TokenSet::TokenSet(std::vector<TokenEntry> entries) : entries_(std::move(entries)) {
  ensure_sodium();
  digests_.reserve(entries_.size());
  for (const TokenEntry& e : entries_)
    digests_.push_back(digest_from_hash(e.hash));
}

const TokenEntry* TokenSet::find(std::string_view token) const {
  const std::string digest = digest_of(token);
  const TokenEntry* found = nullptr;
  // Every entry is compared, whatever matched earlier, so the time taken does not depend on
  // where (or whether) the token is in the set.
  for (std::size_t i = 0; i < digests_.size(); ++i) {
    if (sodium_memcmp(digest.data(), digests_[i].data(), crypto_hash_sha256_BYTES) == 0) {
      found = &entries_[i];
    }
  }
  return found;
}

}  // namespace kai::auth
