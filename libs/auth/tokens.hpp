// Bearer tokens of the HTTP gateway: generation, hashing, the tokens file, scope rules.
//
// The tokens file (KAI_TOKENS_FILE) is UTF-8 text, one entry per line. Blank lines and lines whose
// first non-blank character is '#' are ignored; a trailing "\r" is tolerated. An entry has four or
// five fields separated by a single TAB:
//
//   sha256:<64 lowercase hex>  TAB  principal  TAB  department  TAB  scopes  [TAB  created-at]
//
//   - the SHA-256 of the plain token, in lowercase hex, prefixed with "sha256:". The plain token is
//     never stored anywhere; it is shown once, when it is created.
//   - principal: who holds the token ("alliance-office", "ops-zhang"); non-empty. Several tokens
//     may share a principal (rotation keeps the old one valid until it is removed).
//   - department: the department the principal belongs to; may be empty.
//   - scopes: comma-separated, at least one, each a known scope (see validate_scope), no spaces.
//   - created-at (optional): when the token was created, RFC 3339 UTC ("2026-11-25T08:00:00Z").
//   Principal and department are valid UTF-8 without control characters.
//
// Example:
//   # staff of the alliance office
//   sha256:9f86d0...0a08<TAB>alliance-office<TAB>membership<TAB>membership:read,membership:write
//
// Tokens look like "kai_" followed by 43 URL-safe base64 characters (32 random bytes).
//
// Thread safety: free functions are thread-safe. A TokenSet is immutable after construction, so
// it may be shared between threads; reloading (SIGHUP) builds a new TokenSet and swaps it in.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "common/status.hpp"

namespace kai::auth {

// One line of the tokens file.
struct TokenEntry {
  std::string hash;  // "sha256:" + 64 lowercase hex digits
  std::string principal;
  std::string department;
  std::vector<std::string> scopes;
  std::string created_at;  // RFC 3339, or empty when the line has no fifth field

  friend bool operator==(const TokenEntry&, const TokenEntry&) = default;
};

// A new random token: "kai_" + 43 URL-safe base64 characters (no padding) of 32 bytes from
// libsodium's randombytes_buf.
std::string generate_token();

// "sha256:" + the lowercase hex SHA-256 of `token` (libsodium crypto_hash_sha256).
std::string hash_token(std::string_view token);

// The service names whose scopes are "<service>:read" and "<service>:write".
const std::vector<std::string>& scoped_services();
// Every scope this build knows, in a stable order: the service scopes, then "pii:read",
// "audit:read", "admin".
const std::vector<std::string>& known_scopes();

// Ok when `scope` is a known scope; invalid_argument naming the scope (field "scopes") otherwise.
Status validate_scope(std::string_view scope);

// Splits "a,b,c" and validates every scope. Rejects an empty list, empty items and duplicates.
Result<std::vector<std::string>> parse_scopes(std::string_view csv);

// True when `entry` grants `scope`: it lists the scope itself, or "admin" (which grants every
// scope), or the scope is "<svc>:read" and the entry lists "<svc>:write".
bool has_scope(const TokenEntry& entry, std::string_view scope);

// Checks every field of an entry against the file format above (hash shape, principal,
// department, scopes, created-at). invalid_argument with the field name otherwise.
Status validate_entry(const TokenEntry& entry);

// The line for `entry`, without the trailing newline. The entry must be valid (validate_entry).
std::string format_entry(const TokenEntry& entry);

// Parses the content of a tokens file. Errors are invalid_argument and name the 1-based line
// ("line 3: unknown scope 'membership:delete'"). Two entries with the same hash are an error.
Result<std::vector<TokenEntry>> parse_tokens(std::string_view text);

// The tokens a gateway accepts. Immutable; cheap to look up.
class TokenSet {
 public:
  TokenSet() = default;
  // The entries must be valid and their hashes distinct (as parse_tokens guarantees).
  explicit TokenSet(std::vector<TokenEntry> entries);

  // Reads and parses the file at `path`. not_found when it does not exist, unavailable when it
  // cannot be read, invalid_argument (with the line number) when it is malformed.
  static Result<TokenSet> load(const std::string& path);

  // The entry whose hash matches `token` (the plain bearer token), or nullptr. The comparison is
  // constant-time (sodium_memcmp) and visits every entry, so timing reveals nothing about the
  // stored hashes. The pointer stays valid as long as this TokenSet lives.
  const TokenEntry* find(std::string_view token) const;

  std::size_t size() const { return entries_.size(); }
  const std::vector<TokenEntry>& entries() const { return entries_; }

 private:
  std::vector<TokenEntry> entries_;
  std::vector<std::string> digests_;  // raw 32-byte digests, parallel to entries_
};

// Appends `entry` as one line to the tokens file at `path`. Creates the file with mode 0600 when
// it is missing (an existing file keeps its mode). Holds an exclusive flock on the file while
// appending so that concurrent writers never interleave, writes the line with a single write(),
// and fsyncs before returning. invalid_argument when the entry is invalid or its hash is already
// in the file; unavailable when the file cannot be opened, locked or written.
Status append_token(const std::string& path, const TokenEntry& entry);

}  // namespace kai::auth
