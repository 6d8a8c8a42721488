#include "http/parser.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstring>

namespace kai::http {
namespace {

constexpr std::size_t kMaxChunkLine = 4096;  // chunk size plus extensions
constexpr std::size_t kMaxBodyDigits = 18;   // below 2^63: no overflow while accumulating

// RFC 9110 tchar: the characters of methods, header names and transfer codings.
constexpr std::array<bool, 256> make_token_table() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c)
    t[static_cast<std::size_t>(c)] = true;
  for (int c = 'a'; c <= 'z'; ++c)
    t[static_cast<std::size_t>(c)] = true;
  for (int c = 'A'; c <= 'Z'; ++c)
    t[static_cast<std::size_t>(c)] = true;
  for (const char c : std::string_view("!#$%&'*+-.^_`|~"))
    t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr std::array<bool, 256> kToken = make_token_table();

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (!kToken[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

// Field values: visible characters, obs-text, space and tab; never other control characters.
bool is_field_value(std::string_view s) {
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7F) return false;
  }
  return true;
}

// request-target characters: visible ASCII except '#', which never travels on the wire.
bool is_target(std::string_view s) {
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7F || c == '#') return false;
  }
  return true;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

void assign_lower(std::string& out, std::string_view s) {
  out.assign(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
}

// A line without its terminator: "\n" or "\r\n". False when a CR appears anywhere else.
bool strip_line(std::string_view& line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line.find('\r') == std::string_view::npos;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void RequestParser::reset() {
  phase_ = Phase::head;
  line_end_ = kNone;
  last_nl_ = 0;
  search_from_ = 0;
  body_remaining_ = 0;
  trailer_bytes_ = 0;
  expect_continue_ = false;
}

bool RequestParser::take_continue() {
  if (!expect_continue_ || !in_body()) return false;
  expect_continue_ = false;
  return true;
}

RequestParser::State RequestParser::fail(int http_status, std::string_view reason, Status status) {
  error_.http_status = http_status;
  error_.reason = reason;
  error_.status = std::move(status);
  return State::error;
}

RequestParser::State RequestParser::parse(std::string_view data, std::size_t& consumed,
                                          Request& req) {
  consumed = 0;
  if (phase_ == Phase::done) return State::complete;
  if (phase_ == Phase::head) {
    const State s = parse_head(data, consumed, req);
    if (s != State::complete) return s;
    if (phase_ == Phase::done) return State::complete;
  }
  std::size_t body_consumed = 0;
  const State s = parse_body(data.substr(consumed), body_consumed, req);
  consumed += body_consumed;
  return s;
}

RequestParser::State RequestParser::parse_head(std::string_view data, std::size_t& consumed,
                                               Request& req) {
  const char* const base = data.data();
  const std::size_t size = data.size();

  // Clients may send empty lines before a request line (after a previous body, typically).
  std::size_t line_begin = 0;
  while (line_begin < size && (base[line_begin] == '\r' || base[line_begin] == '\n')) {
    ++line_begin;
  }
  if (line_begin > limits_.max_request_line) {
    return fail(400, "malformed", invalid_argument("too many empty lines before the request"));
  }

  if (line_end_ == kNone) {
    const std::size_t from = std::max(line_begin, search_from_);
    const void* nl = from < size ? std::memchr(base + from, '\n', size - from) : nullptr;
    if (nl == nullptr) {
      search_from_ = size;
      // +1: the line's CR may be what is still missing its LF.
      if (size - line_begin > limits_.max_request_line + 1) {
        return fail(414, "uri_too_long", resource_exhausted("request line too long"));
      }
      return State::need_more;
    }
    line_end_ = static_cast<std::size_t>(static_cast<const char*>(nl) - base);
    std::size_t line_len = line_end_ - line_begin;
    if (line_len > 0 && base[line_end_ - 1] == '\r') --line_len;
    if (line_len > limits_.max_request_line) {
      return fail(414, "uri_too_long", resource_exhausted("request line too long"));
    }
    last_nl_ = line_end_;
    search_from_ = line_end_ + 1;
  }

  // Look for the empty line that ends the head.
  const std::size_t header_limit = limits_.max_header_bytes + 2;
  std::size_t head_end = kNone;
  while (true) {
    const std::size_t j = last_nl_ + 1;
    if (j >= size) break;
    if (base[j] == '\n') {
      head_end = j + 1;
      break;
    }
    if (base[j] == '\r') {
      if (j + 1 >= size) break;
      if (base[j + 1] == '\n') {
        head_end = j + 2;
        break;
      }
    }
    const std::size_t from = std::max(j, search_from_);
    const void* nl = from < size ? std::memchr(base + from, '\n', size - from) : nullptr;
    if (nl == nullptr) {
      search_from_ = size;
      break;
    }
    last_nl_ = static_cast<std::size_t>(static_cast<const char*>(nl) - base);
    search_from_ = last_nl_ + 1;
    if (last_nl_ - line_end_ > header_limit) break;
  }
  if (head_end == kNone) {
    if (size - (line_end_ + 1) > header_limit) {
      return fail(431, "headers_too_large", resource_exhausted("request headers too large"));
    }
    return State::need_more;
  }
  if (head_end - (line_end_ + 1) > header_limit) {
    return fail(431, "headers_too_large", resource_exhausted("request headers too large"));
  }
  const State s = finish_head(data, line_begin, head_end, req);
  if (s == State::complete) consumed = head_end;
  return s;
}

RequestParser::State RequestParser::finish_head(std::string_view data, std::size_t line_begin,
                                                std::size_t head_end, Request& req) {
  // Request line: method SP request-target SP HTTP-version
  std::string_view line = data.substr(line_begin, line_end_ - line_begin);
  if (!strip_line(line)) return fail(400, "malformed", invalid_argument("bare CR in request line"));
  const std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) {
    return fail(400, "malformed", invalid_argument("malformed request line"));
  }
  const std::size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) {
    return fail(400, "malformed", invalid_argument("malformed request line"));
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method)) return fail(400, "malformed", invalid_argument("invalid method"));
  if (target.empty() || !is_target(target)) {
    return fail(400, "malformed", invalid_argument("invalid request target"));
  }
  if (version == "HTTP/1.1") {
    req.version_minor = 1;
  } else if (version == "HTTP/1.0") {
    req.version_minor = 0;
  } else if (version.size() == 8 && version.substr(0, 5) == "HTTP/" && version[5] >= '0' &&
             version[5] <= '9' && version[6] == '.' && version[7] >= '0' && version[7] <= '9') {
    return fail(505, "version", invalid_argument("HTTP version not supported"));
  } else {
    return fail(400, "malformed", invalid_argument("malformed HTTP version"));
  }
  req.method.assign(method);
  req.target.assign(target);

  // Target forms: origin ("/p?q"), absolute ("http://host/p?q"), asterisk ("*", OPTIONS only).
  std::string_view path_and_query;
  if (target.front() == '/') {
    path_and_query = target;
  } else if (target == "*") {
    if (method != "OPTIONS") return fail(400, "malformed", invalid_argument("invalid target"));
    req.path.assign("*");
  } else if (starts_with_ci(target, "http://") || starts_with_ci(target, "https://")) {
    std::string_view rest = target.substr(target.find("//") + 2);
    const std::size_t end = rest.find_first_of("/?");
    if (end == 0 || rest.empty()) {
      return fail(400, "malformed", invalid_argument("absolute target without authority"));
    }
    path_and_query = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    if (path_and_query.empty() || path_and_query.front() == '?') req.path.assign("/");
  } else {
    return fail(400, "malformed", invalid_argument("invalid request target"));
  }
  if (!path_and_query.empty()) {
    const std::size_t q = path_and_query.find('?');
    const std::string_view raw_path = path_and_query.substr(0, q);
    if (q != std::string_view::npos) req.query.assign(path_and_query.substr(q + 1));
    if (!raw_path.empty()) {
      if (raw_path.find('%') == std::string_view::npos) {
        req.path.assign(raw_path);
      } else {
        auto decoded = percent_decode(raw_path, false, true);
        if (!decoded.ok()) {
          return fail(
              400, "bad_path",
              invalid_argument("invalid percent-encoding in path: " + decoded.status().message()));
        }
        req.path = std::move(decoded).value();
      }
    }
  }

  // Header fields.
  std::size_t pos = line_end_ + 1;
  int host_count = 0;
  bool has_length = false;
  std::uint64_t content_length = 0;
  bool has_te = false;
  bool connection_close = false;
  bool connection_keep_alive = false;
  bool expect_continue = false;
  std::string_view te_last;  // last transfer coding across all Transfer-Encoding fields
  std::size_t te_codings = 0;
  while (true) {
    const std::size_t nl = data.find('\n', pos);
    std::string_view field = data.substr(pos, nl - pos);
    pos = nl + 1;
    if (!strip_line(field)) return fail(400, "malformed", invalid_argument("bare CR in header"));
    if (field.empty()) break;
    if (field.front() == ' ' || field.front() == '\t') {
      return fail(400, "malformed", invalid_argument("obsolete header line folding"));
    }
    const std::size_t colon = field.find(':');
    if (colon == std::string_view::npos) {
      return fail(400, "malformed", invalid_argument("header line without a colon"));
    }
    const std::string_view name = field.substr(0, colon);
    if (!is_token(name)) return fail(400, "malformed", invalid_argument("invalid header name"));
    const std::string_view value = trim_ows(field.substr(colon + 1));
    if (!is_field_value(value)) {
      return fail(400, "malformed", invalid_argument("control character in header value"));
    }
    if (req.headers.size() >= limits_.max_headers) {
      return fail(431, "too_many_headers", resource_exhausted("too many request headers"));
    }
    Header& h = req.headers.emplace_back();
    assign_lower(h.name, name);
    h.value.assign(value);

    const std::string_view n = h.name;
    if (n == "host") {
      ++host_count;
    } else if (n == "content-length") {
      // A list ("5, 5") or repeated fields are acceptable only when every value is the same.
      std::string_view list = value;
      while (true) {
        const std::size_t comma = list.find(',');
        const std::string_view item = trim_ows(list.substr(0, comma));
        if (item.empty() || item.size() > kMaxBodyDigits) {
          return fail(400, "malformed", invalid_argument("invalid Content-Length"));
        }
        std::uint64_t v = 0;
        for (const char c : item) {
          if (c < '0' || c > '9') {
            return fail(400, "malformed", invalid_argument("invalid Content-Length"));
          }
          v = v * 10 + static_cast<std::uint64_t>(c - '0');
        }
        if (has_length && v != content_length) {
          return fail(400, "malformed", invalid_argument("conflicting Content-Length values"));
        }
        has_length = true;
        content_length = v;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
      }
    } else if (n == "transfer-encoding") {
      has_te = true;
      std::string_view list = value;
      while (true) {
        const std::size_t comma = list.find(',');
        const std::string_view item = trim_ows(list.substr(0, comma));
        if (!item.empty()) {
          ++te_codings;
          te_last = item;
        }
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
      }
    } else if (n == "connection") {
      if (has_token(value, "close")) connection_close = true;
      if (has_token(value, "keep-alive")) connection_keep_alive = true;
    } else if (n == "expect") {
      if (!iequals(value, "100-continue")) {
        return fail(417, "expectation", invalid_argument("unsupported expectation"));
      }
      expect_continue = true;
    }
  }
  assert(pos == head_end);
  (void)head_end;

  if (host_count > 1 || (req.version_minor == 1 && host_count == 0)) {
    return fail(400, "malformed", invalid_argument("exactly one Host header is required"));
  }
  req.keep_alive =
      req.version_minor == 1 ? !connection_close : (connection_keep_alive && !connection_close);

  if (has_te) {
    if (has_length) {
      return fail(400, "malformed",
                  invalid_argument("both Content-Length and Transfer-Encoding present"));
    }
    if (req.version_minor == 0) {
      return fail(400, "malformed", invalid_argument("Transfer-Encoding in an HTTP/1.0 request"));
    }
    if (te_codings == 0) return fail(400, "malformed", invalid_argument("empty Transfer-Encoding"));
    if (!iequals(te_last, "chunked")) {
      // Without chunked as the final coding the body length cannot be known.
      return te_codings == 1 && is_token(te_last)
                 ? fail(501, "unsupported_encoding",
                        invalid_argument("unsupported transfer coding"))
                 : fail(400, "malformed", invalid_argument("chunked must be the final coding"));
    }
    if (te_codings != 1) {
      return fail(501, "unsupported_encoding", invalid_argument("unsupported transfer coding"));
    }
    phase_ = Phase::chunk_size;
  } else if (has_length && content_length > 0) {
    if (content_length > limits_.max_body_bytes) {
      return fail(413, "body_too_large", resource_exhausted("request body too large"));
    }
    body_remaining_ = content_length;
    // Reserve modestly: a client announcing a large body may never send it.
    req.body.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(content_length, 64 * 1024)));
    phase_ = Phase::fixed_body;
  } else {
    phase_ = Phase::done;
  }
  expect_continue_ = expect_continue && req.version_minor == 1 && phase_ != Phase::done;
  return State::complete;
}

RequestParser::State RequestParser::parse_body(std::string_view data, std::size_t& consumed,
                                               Request& req) {
  std::size_t pos = 0;
  while (true) {
    switch (phase_) {
      case Phase::head:
      case Phase::done:
        consumed = pos;
        return State::complete;

      case Phase::fixed_body: {
        const std::size_t take =
            static_cast<std::size_t>(std::min<std::uint64_t>(body_remaining_, data.size() - pos));
        req.body.append(data.data() + pos, take);
        pos += take;
        body_remaining_ -= take;
        if (body_remaining_ > 0) {
          consumed = pos;
          return State::need_more;
        }
        phase_ = Phase::done;
        break;
      }

      case Phase::chunk_size: {
        const std::size_t nl = data.find('\n', pos);
        if (nl == std::string_view::npos) {
          if (data.size() - pos > kMaxChunkLine) {
            return fail(400, "malformed", invalid_argument("chunk size line too long"));
          }
          consumed = pos;
          return State::need_more;
        }
        std::string_view line = data.substr(pos, nl - pos);
        if (line.size() > kMaxChunkLine || !strip_line(line)) {
          return fail(400, "malformed", invalid_argument("malformed chunk size line"));
        }
        std::size_t i = 0;
        std::uint64_t size = 0;
        while (i < line.size() && hex_digit(line[i]) >= 0) {
          if (i >= 16) return fail(413, "body_too_large", resource_exhausted("chunk too large"));
          size = (size << 4) | static_cast<std::uint64_t>(hex_digit(line[i]));
          ++i;
        }
        if (i == 0) return fail(400, "malformed", invalid_argument("missing chunk size"));
        std::string_view rest = line.substr(i);
        while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) {
          rest.remove_prefix(1);
        }
        if (!rest.empty() && (rest.front() != ';' || !is_field_value(rest))) {
          return fail(400, "malformed", invalid_argument("malformed chunk extension"));
        }
        if (size > limits_.max_body_bytes - req.body.size()) {
          return fail(413, "body_too_large", resource_exhausted("request body too large"));
        }
        pos = nl + 1;
        if (size == 0) {
          phase_ = Phase::trailers;
        } else {
          body_remaining_ = size;
          phase_ = Phase::chunk_data;
        }
        break;
      }

      case Phase::chunk_data: {
        const std::size_t take =
            static_cast<std::size_t>(std::min<std::uint64_t>(body_remaining_, data.size() - pos));
        req.body.append(data.data() + pos, take);
        pos += take;
        body_remaining_ -= take;
        if (body_remaining_ > 0) {
          consumed = pos;
          return State::need_more;
        }
        phase_ = Phase::chunk_data_end;
        break;
      }

      case Phase::chunk_data_end: {
        if (pos >= data.size()) {
          consumed = pos;
          return State::need_more;
        }
        if (data[pos] == '\n') {
          pos += 1;
        } else if (data[pos] == '\r') {
          if (pos + 1 >= data.size()) {
            consumed = pos;
            return State::need_more;
          }
          if (data[pos + 1] != '\n') {
            return fail(400, "malformed", invalid_argument("chunk not followed by CRLF"));
          }
          pos += 2;
        } else {
          return fail(400, "malformed", invalid_argument("chunk not followed by CRLF"));
        }
        phase_ = Phase::chunk_size;
        break;
      }

      case Phase::trailers: {
        const std::size_t nl = data.find('\n', pos);
        if (nl == std::string_view::npos) {
          if (trailer_bytes_ + (data.size() - pos) > limits_.max_header_bytes + 2) {
            return fail(431, "headers_too_large", resource_exhausted("trailers too large"));
          }
          consumed = pos;
          return State::need_more;
        }
        std::string_view field = data.substr(pos, nl - pos);
        trailer_bytes_ += nl + 1 - pos;
        if (trailer_bytes_ > limits_.max_header_bytes + 2) {
          return fail(431, "headers_too_large", resource_exhausted("trailers too large"));
        }
        pos = nl + 1;
        if (!strip_line(field)) return fail(400, "malformed", invalid_argument("bare CR"));
        if (field.empty()) {
          phase_ = Phase::done;
          break;
        }
        // Trailer fields are validated like headers, then dropped: nothing here relies on them.
        const std::size_t colon = field.find(':');
        if (colon == std::string_view::npos || !is_token(field.substr(0, colon)) ||
            !is_field_value(field.substr(colon + 1))) {
          return fail(400, "malformed", invalid_argument("malformed trailer field"));
        }
        break;
      }
    }
  }
}

}  // namespace kai::http
