// Incremental, allocation-light HTTP/1.1 request parser: the part of the server that sees untrusted
// bytes first. It enforces every size limit before buffering what the limit protects (the body
// limit is checked against Content-Length before any body byte is read), decodes chunked bodies,
// and rejects ambiguous framing (Content-Length with Transfer-Encoding, conflicting lengths) that
// would let two parsers disagree about where a request ends.
//
// Pure logic, no I/O: feed it the connection's unconsumed bytes, drop what it consumed, and feed
// the rest plus new bytes on the next call. One parser per connection; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.hpp"
#include "http/message.hpp"

namespace kai::http {

struct Limits {
  std::size_t max_request_line = 8 * 1024;   // beyond this: 414
  std::size_t max_header_bytes = 16 * 1024;  // header field lines together; beyond: 431
  std::size_t max_headers = 100;             // number of header fields; beyond: 431
  std::size_t max_body_bytes = 1024 * 1024;  // Content-Length or decoded chunked body; beyond: 413
};

// Why a request was refused: the HTTP status to answer, a stable label for the
// kai_http_bad_requests_total{reason} metric, and the status that goes into the JSON error body.
struct ParseError {
  int http_status = 400;
  std::string_view reason = "malformed";  // static storage
  Status status;
};

class RequestParser {
 public:
  enum class State : std::uint8_t {
    need_more,  // everything given so far is consistent; feed more bytes
    complete,   // `req` holds a whole request; call reset() before parsing the next one
    error,      // see error(); the connection must answer it and close
  };

  explicit RequestParser(Limits limits = {}) : limits_(limits) {}

  // Parses as far as `data` allows. `consumed` is set to the number of leading bytes of `data`
  // that the parser has taken (they must not be given again). A request head is taken only once it
  // is complete, so until then the caller keeps passing the same growing prefix; body bytes are
  // taken (appended to req.body) as they come. `req` must be cleared by the caller before the first
  // call for each request.
  State parse(std::string_view data, std::size_t& consumed, Request& req);

  // Prepares for the next request on the same connection.
  void reset();

  const ParseError& error() const { return error_; }
  // The head has been parsed and the body is still arriving.
  bool in_body() const { return phase_ != Phase::head && phase_ != Phase::done; }
  // True exactly once per request when the client sent "Expect: 100-continue" and the body is
  // still to come: the server should then write "HTTP/1.1 100 Continue".
  bool take_continue();

  const Limits& limits() const { return limits_; }

 private:
  enum class Phase : std::uint8_t {
    head,
    fixed_body,
    chunk_size,
    chunk_data,
    chunk_data_end,
    trailers,
    done
  };

  State parse_head(std::string_view data, std::size_t& consumed, Request& req);
  State parse_body(std::string_view data, std::size_t& consumed, Request& req);
  // Parses the head [begin, end) once it is known to be complete.
  State finish_head(std::string_view data, std::size_t line_begin, std::size_t head_end,
                    Request& req);
  State fail(int http_status, std::string_view reason, Status status);

  Limits limits_;
  Phase phase_ = Phase::head;
  ParseError error_;

  // Head scanning state, so that a head arriving byte by byte is scanned once, not quadratically.
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::size_t line_end_ = kNone;  // index of the request line's '\n'
  std::size_t last_nl_ = 0;       // a '\n' whose following line is not yet known to be non-empty
  std::size_t search_from_ = 0;   // where to resume looking for the next '\n'

  std::uint64_t body_remaining_ = 0;  // fixed body, or the current chunk's data
  std::size_t trailer_bytes_ = 0;
  bool expect_continue_ = false;
};

}  // namespace kai::http
