#include "gateway/api_page.hpp"

#include <fstream>
#include <sstream>

#include "common/log.hpp"

namespace kai::gateway {
namespace {

// Served as the page itself. Scripts live in files so the Content-Security-Policy can forbid
// inline scripts.
constexpr std::string_view kIndexHtml = R"(<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Kai Alliance platform API</title>
  <link rel="stylesheet" href="/api/v1/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/api/v1/docs/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/api/v1/docs/swagger-ui-bundle.js" charset="utf-8"></script>
  <script src="/api/v1/docs/init.js" charset="utf-8"></script>
</body>
</html>
)";

constexpr std::string_view kInitJs = R"(window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/api/v1/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    docExpansion: 'list',
    defaultModelsExpandDepth: 0,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout'
  });
});
)";

constexpr std::string_view kSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return static_cast<bool>(in) || in.eof();
}

http::Response file_response(std::string_view content_type, std::string body) {
  http::Response r = http::Response::with_body(200, std::string(content_type), std::move(body));
  r.headers.push_back({"Cache-Control", "public, max-age=3600"});
  r.headers.push_back({"X-Content-Type-Options", "nosniff"});
  r.headers.push_back({"Content-Security-Policy", std::string(kSecurityPolicy)});
  return r;
}

http::Response plain_error(int status, std::string_view code, std::string_view message) {
  std::string body = R"({"error":{"code":")" + std::string(code) + R"(","message":")" +
                     std::string(message) + "\"}}";
  return http::Response::json(status, std::move(body));
}

}  // namespace

ApiPage ApiPage::load(const std::string& dir) {
  ApiPage page;
  struct Wanted {
    const char* name;
    const char* type;
    bool required;
  };
  static constexpr Wanted kFiles[] = {
      {"swagger-ui-bundle.js", "application/javascript; charset=utf-8", true},
      {"swagger-ui.css", "text/css; charset=utf-8", true},
      {"favicon-32x32.png", "image/png", false},
      {"favicon-16x16.png", "image/png", false},
  };
  for (const Wanted& w : kFiles) {
    File f{w.type, {}};
    if (dir.empty() || !read_file(dir + "/" + w.name, f.body) || f.body.empty()) {
      if (w.required) page.missing_ = dir + "/" + w.name;
      continue;
    }
    page.files_.emplace(w.name, std::move(f));
  }
  page.files_.emplace("init.js",
                      File{"application/javascript; charset=utf-8", std::string(kInitJs)});
  page.available_ = page.missing_.empty();
  if (!page.available_) {
    log::warn("API page unavailable: Swagger UI files missing (run scripts/install-deps.sh)")
        .kv("missing", page.missing_);
  }
  return page;
}

http::Response ApiPage::serve(std::string_view path) const {
  if (!available_) {
    return plain_error(503, "unavailable",
                       "the API page is not installed on this gateway; the document is at "
                       "/api/v1/openapi.json");
  }
  std::string_view rest = path.substr(kDocsPath.size());
  if (rest.empty() || rest == "/") {
    return file_response("text/html; charset=utf-8", std::string(kIndexHtml));
  }
  rest.remove_prefix(1);
  auto it = files_.find(rest);
  if (it == files_.end()) return plain_error(404, "not_found", "no such file");
  return file_response(it->second.content_type, it->second.body);
}

}  // namespace kai::gateway
