// The browsable API page at /api/v1/docs: Swagger UI (the swagger-ui-dist package from the npm
// registry, installed by scripts/install-deps.sh) pointed at /api/v1/openapi.json. The gateway
// serves every file itself from memory, so the page works without any CDN or internet access.
//
// Immutable after load(); safe to share between threads.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "http/message.hpp"

namespace kai::gateway {

inline constexpr std::string_view kDocsPath = "/api/v1/docs";

class ApiPage {
 public:
  // Reads Swagger UI's files from `dir` (swagger-ui-dist). Missing files leave the page
  // unavailable (logged); the rest of the gateway is unaffected.
  static ApiPage load(const std::string& dir);

  bool available() const { return available_; }
  // The answer for `path` (kDocsPath, kDocsPath + "/", or kDocsPath + "/<file>"): the page, a
  // file, 404 for an unknown file, or 503 when the files are not installed.
  http::Response serve(std::string_view path) const;

 private:
  struct File {
    std::string content_type;
    std::string body;
  };
  bool available_ = false;
  std::string missing_;                             // why not available
  std::map<std::string, File, std::less<>> files_;  // by file name
};

}  // namespace kai::gateway
