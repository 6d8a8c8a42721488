// The bearer tokens the gateway accepts, loaded from KAI_TOKENS_FILE and swapped atomically on
// reload (SIGHUP), so requests in flight keep the set they started with.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/tokens.hpp"
#include "common/result.hpp"
#include "http/message.hpp"

namespace kai::gateway {

// The caller of a request once its token is known. Keeps its TokenSet alive.
using Principal = std::shared_ptr<const auth::TokenEntry>;

class TokenStore {
 public:
  explicit TokenStore(std::string path);

  // Reads the file again. On failure the tokens in use stay as they were, and the error (the
  // file's line for a malformed entry) is returned for the log.
  Status reload();

  // The entry holding `token`, or nullptr.
  Principal find(std::string_view token) const;
  std::size_t size() const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::atomic<std::shared_ptr<const auth::TokenSet>> tokens_;
};

// The token of an "Authorization: Bearer <token>" header (scheme case-insensitive); nullopt when
// the header is absent or of another scheme.
std::optional<std::string_view> bearer_token(const http::Request& req);

}  // namespace kai::gateway
