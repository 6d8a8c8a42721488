// HTTP/1.1 messages as the platform's server and client see them, and the small utilities every
// handler needs (percent decoding, query strings, path segments, JSON error bodies).
//
// These are plain values: no I/O, no locking, safe to copy and move between threads.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "common/status.hpp"

namespace kai::http {

struct Header {
  std::string name;  // lower-case on requests parsed by the server and responses read by the client
  std::string value;
};
using Headers = std::vector<Header>;

// First value of header `name` (ASCII case-insensitive), nullopt when absent.
std::optional<std::string_view> find_header(const Headers& headers, std::string_view name);

// One request as parsed by the server. The server owns it: a handler may read and move from it
// during the handler call only; anything needed later (asynchronous completion) must be moved out
// before the handler returns.
struct Request {
  std::string method;  // as sent, case-sensitive ("GET")
  std::string target;  // the raw request-target ("/api/v1/x%20y?limit=3")
  std::string path;   // percent-decoded path, never contains NUL ("/api/v1/x y"; "*" for OPTIONS *)
  std::string query;  // the raw query string without '?' ("limit=3"), not decoded
  int version_minor = 1;   // HTTP/1.<version_minor>: 0 or 1
  Headers headers;         // in arrival order, names lower-cased, duplicates kept
  std::string body;        // Content-Length or decoded chunked body
  std::string peer;        // "127.0.0.1:53412" or "[::1]:53412"
  bool keep_alive = true;  // whether the connection stays open after the response

  // First value of header `name` (any case), nullopt when absent.
  std::optional<std::string_view> header(std::string_view name) const {
    return find_header(headers, name);
  }
  // Clears every field, keeping allocated capacity for the next request on the connection.
  void clear();
};

struct Response {
  int status = 200;
  std::string reason;  // empty: the standard phrase for `status`
  // The server writes Content-Length, Connection and Date itself and ignores such headers here.
  Headers headers;
  std::string body;
  // Server side: close the connection after this response even if the client wants keep-alive.
  bool close = false;

  // First value of header `name` (any case), nullopt when absent.
  std::optional<std::string_view> header(std::string_view name) const {
    return find_header(headers, name);
  }

  // A response with `body` and the given Content-Type.
  static Response with_body(int status, std::string content_type, std::string body);
  static Response json(int status, std::string body) {
    return with_body(status, "application/json", std::move(body));
  }
  static Response text(int status, std::string body) {
    return with_body(status, "text/plain; charset=utf-8", std::move(body));
  }
};

// {"error":{"code":"not_found","message":"...","field":"..."}} with HTTP status
// kai::http_status_for(status.code()). `status` must not be ok.
Response error_response(const Status& status);
// The same body with an explicit HTTP status, for protocol errors that have their own status
// (413, 414, 431, 405, ...): error_response(413, resource_exhausted("body too large")).
Response error_response(int http_status, const Status& status);

// Standard reason phrase ("Not Found"); "Unknown" for codes without one.
std::string_view reason_phrase(int status);

// Decodes %XX escapes. '+' is kept as is unless `plus_as_space`. invalid_argument for a '%' not
// followed by two hex digits, or (when `reject_nul`) for an encoded or literal NUL byte.
Result<std::string> percent_decode(std::string_view s, bool plus_as_space = false,
                                   bool reject_nul = true);

// Encodes every byte outside the RFC 3986 unreserved set (for building targets in clients).
std::string percent_encode(std::string_view s);

// "a=1&b=x+y&c&=z&a=%41" -> {("a","1"),("b","x y"),("c",""),("","z"),("a","A")}: '+' is a space,
// empty pieces are skipped, order and duplicates are kept. invalid_argument on bad escapes or NUL.
Result<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view query);

// First value of `key` in parsed query pairs, nullopt when absent.
std::optional<std::string_view> query_value(
    const std::vector<std::pair<std::string, std::string>>& pairs, std::string_view key);

// "/api//v1/orgs/" -> {"api","v1","orgs"}: splits an already decoded path on '/', dropping empty
// segments. The views point into `path`.
std::vector<std::string_view> split_path(std::string_view path);

// ASCII case-insensitive equality (header names, tokens).
bool iequals(std::string_view a, std::string_view b);

// True when the comma-separated token list `list` (e.g. a Connection header) contains `token`,
// compared case-insensitively, ignoring surrounding whitespace.
bool has_token(std::string_view list, std::string_view token);

}  // namespace kai::http
