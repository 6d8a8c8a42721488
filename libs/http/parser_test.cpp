#include "http/parser.hpp"

#include <random>
#include <string>

#include <gtest/gtest.h>

namespace kai::http {
namespace {

using State = RequestParser::State;

struct Outcome {
  State state = State::need_more;
  Request req;
  ParseError error;
  std::size_t consumed = 0;  // total bytes taken from the input
};

// Feeds `data` the way a connection does: in pieces of `step` bytes, keeping what the parser did
// not consume. Stops at the first complete request or error.
Outcome feed(std::string_view data, std::size_t step = 0, Limits limits = {}) {
  if (step == 0) step = data.size() == 0 ? 1 : data.size();
  RequestParser parser(limits);
  Outcome out;
  std::string buffer;
  std::size_t offset = 0;
  while (true) {
    const std::size_t n = std::min(step, data.size() - offset);
    buffer.append(data.substr(offset, n));
    offset += n;
    std::size_t consumed = 0;
    out.state = parser.parse(buffer, consumed, out.req);
    EXPECT_LE(consumed, buffer.size());
    buffer.erase(0, consumed);
    out.consumed += consumed;
    if (out.state == State::error) out.error = parser.error();
    if (out.state != State::need_more || offset == data.size()) return out;
  }
}

void expect_error(std::string_view data, int status, std::string_view reason, Limits limits = {}) {
  for (std::size_t step : {std::size_t{0}, std::size_t{1}, std::size_t{7}}) {
    Outcome o = feed(data, step, limits);
    ASSERT_EQ(o.state, State::error) << "step " << step << " input: " << data;
    EXPECT_EQ(o.error.http_status, status) << data;
    EXPECT_EQ(o.error.reason, reason) << data;
    EXPECT_FALSE(o.error.status.ok());
  }
}

TEST(RequestParserTest, SimpleGet) {
  Outcome o = feed(
      "GET /api/v1/orgs/%E5%87%AF?limit=3&x=a+b HTTP/1.1\r\n"
      "Host: example\r\nX-Multi: one\r\nACCEPT:  text/plain  \r\nx-multi: two\r\n\r\n");
  ASSERT_EQ(o.state, State::complete);
  EXPECT_EQ(o.req.method, "GET");
  EXPECT_EQ(o.req.target, "/api/v1/orgs/%E5%87%AF?limit=3&x=a+b");
  EXPECT_EQ(o.req.path, "/api/v1/orgs/凯");
  EXPECT_EQ(o.req.query, "limit=3&x=a+b");
  EXPECT_EQ(o.req.version_minor, 1);
  EXPECT_TRUE(o.req.keep_alive);
  ASSERT_EQ(o.req.headers.size(), 4u);
  EXPECT_EQ(o.req.headers[0].name, "host");
  EXPECT_EQ(o.req.headers[1].name, "x-multi");
  EXPECT_EQ(o.req.headers[2].name, "accept");
  EXPECT_EQ(o.req.headers[2].value, "text/plain");
  EXPECT_EQ(o.req.headers[3].value, "two");
  EXPECT_EQ(o.req.header("X-Multi"), "one");
  EXPECT_TRUE(o.req.body.empty());
}

TEST(RequestParserTest, ByteByByteGivesSameResult) {
  const std::string req =
      "POST /submit HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\nX-A: b\r\n\r\nhello world";
  Outcome whole = feed(req);
  Outcome bytes = feed(req, 1);
  ASSERT_EQ(whole.state, State::complete);
  ASSERT_EQ(bytes.state, State::complete);
  EXPECT_EQ(bytes.req.body, "hello world");
  EXPECT_EQ(bytes.req.headers.size(), whole.req.headers.size());
  EXPECT_EQ(bytes.consumed, req.size());
  EXPECT_EQ(whole.consumed, req.size());
}

TEST(RequestParserTest, LeadingEmptyLinesAndBareLf) {
  Outcome o = feed("\r\n\nGET /x HTTP/1.1\nHost: h\n\n");
  ASSERT_EQ(o.state, State::complete);
  EXPECT_EQ(o.req.path, "/x");
  EXPECT_EQ(o.req.header("host"), "h");
}

TEST(RequestParserTest, TargetForms) {
  Outcome abs = feed("GET http://example.com:8080/a%20b?q=1 HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(abs.state, State::complete);
  EXPECT_EQ(abs.req.path, "/a b");
  EXPECT_EQ(abs.req.query, "q=1");
  Outcome bare = feed("GET HTTPS://example.com HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(bare.state, State::complete);
  EXPECT_EQ(bare.req.path, "/");
  Outcome star = feed("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(star.state, State::complete);
  EXPECT_EQ(star.req.path, "*");
  expect_error("GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400, "malformed");
  expect_error("GET http:///x HTTP/1.1\r\nHost: x\r\n\r\n", 400, "malformed");
  expect_error("GET example.com:80 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "malformed");
  expect_error("GET /a#frag HTTP/1.1\r\nHost: x\r\n\r\n", 400, "malformed");
  expect_error("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "malformed");
}

TEST(RequestParserTest, PathEncoding) {
  expect_error("GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_path");
  expect_error("GET /a%2 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_path");
  expect_error("GET /a%00b HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_path");
  // The query is kept raw: its decoding is parse_query's business.
  Outcome o = feed("GET /a?x=%zz HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(o.state, State::complete);
  EXPECT_EQ(o.req.query, "x=%zz");
}

TEST(RequestParserTest, RequestLineShape) {
  expect_error("GET  /x HTTP/1.1\r\nHost: x\r\n\r\n", 400, "malformed");
  expect_error("GET /x  HTTP/1.1\r\nHost: x\r\n\r\n", 400, "malformed");
  expect_error("GET /x\r\nHost: x\r\n\r\n", 400, "malformed");
  expect_error("GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", 400, "malformed");
  expect_error("G(T /x HTTP/1.1\r\nHost: x\r\n\r\n", 400, "malformed");
  expect_error(" /x HTTP/1.1\r\nHost: x\r\n\r\n", 400, "malformed");
  expect_error("GET /x http/1.1\r\nHost: x\r\n\r\n", 400, "malformed");
  expect_error("GET /x HTTP/1.1x\r\nHost: x\r\n\r\n", 400, "malformed");
  expect_error("GET /x HTTP/2.0\r\nHost: x\r\n\r\n", 505, "version");
  expect_error("GET /x HTTP/1.1\rX\r\nHost: x\r\n\r\n", 400, "malformed");
}

TEST(RequestParserTest, HeaderShape) {
  expect_error("GET / HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n", 400, "malformed");
  expect_error("GET / HTTP/1.1\r\nHost: x\r\nName : v\r\n\r\n", 400, "malformed");
  expect_error("GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400, "malformed");
  expect_error("GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n", 400, "malformed");
  expect_error("GET / HTTP/1.1\r\nHost: x\r\nA: b\r\n folded\r\n\r\n", 400, "malformed");
  expect_error(std::string("GET / HTTP/1.1\r\nHost: x\r\nA: b") + '\0' + "c\r\n\r\n", 400,
               "malformed");
  expect_error("GET / HTTP/1.1\r\nHost: x\r\nA: b\rc\r\n\r\n", 400, "malformed");
  // obs-text in values is allowed and passed through.
  Outcome o = feed("GET / HTTP/1.1\r\nHost: x\r\nX-Name: \xe5\x87\xaf\r\n\r\n");
  ASSERT_EQ(o.state, State::complete);
  EXPECT_EQ(o.req.header("x-name"), "\xe5\x87\xaf");
}

TEST(RequestParserTest, HostRules) {
  expect_error("GET / HTTP/1.1\r\n\r\n", 400, "malformed");
  expect_error("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "malformed");
  Outcome o = feed("GET / HTTP/1.0\r\n\r\n");
  ASSERT_EQ(o.state, State::complete);
  EXPECT_EQ(o.req.version_minor, 0);
}

TEST(RequestParserTest, KeepAliveRules) {
  EXPECT_TRUE(feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n").req.keep_alive);
  EXPECT_FALSE(feed("GET / HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n").req.keep_alive);
  EXPECT_FALSE(
      feed("GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, close\r\n\r\n").req.keep_alive);
  EXPECT_FALSE(feed("GET / HTTP/1.0\r\n\r\n").req.keep_alive);
  EXPECT_TRUE(feed("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").req.keep_alive);
}

TEST(RequestParserTest, RequestLineLimit) {
  Limits l;
  l.max_request_line = 64;
  const std::string long_target = "GET /" + std::string(100, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n";
  expect_error(long_target, 414, "uri_too_long", l);
  // Detected before the line ends too.
  Outcome partial = feed("GET /" + std::string(100, 'a'), 0, l);
  ASSERT_EQ(partial.state, State::error);
  EXPECT_EQ(partial.error.http_status, 414);
  // Right at the limit is fine.
  const std::string ok = "GET /" + std::string(64 - 14, 'a') + " HTTP/1.1";
  ASSERT_EQ(ok.size(), 64u);
  EXPECT_EQ(feed(ok + "\r\nHost: x\r\n\r\n", 0, l).state, State::complete);
  // An endless run of empty lines is not a way around it.
  expect_error(std::string(200, '\n'), 400, "malformed", l);
}

TEST(RequestParserTest, HeaderBytesLimit) {
  Limits l;
  l.max_header_bytes = 100;
  expect_error("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(200, 'v') + "\r\n\r\n", 431,
               "headers_too_large", l);
  Outcome partial = feed("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(200, 'v'), 0, l);
  ASSERT_EQ(partial.state, State::error);
  EXPECT_EQ(partial.error.http_status, 431);
  EXPECT_EQ(
      feed("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(50, 'v') + "\r\n\r\n", 0, l).state,
      State::complete);
}

TEST(RequestParserTest, HeaderCountLimit) {
  Limits l;
  l.max_headers = 5;
  std::string ok = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 4; ++i)
    ok += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(feed(ok + "\r\n", 0, l).state, State::complete);
  expect_error(ok + "X-Extra: v\r\n\r\n", 431, "too_many_headers", l);
}

TEST(RequestParserTest, ContentLengthBody) {
  const std::string req = "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
  Outcome o = feed(req + "EXTRA");
  ASSERT_EQ(o.state, State::complete);
  EXPECT_EQ(o.req.body, "hello");
  EXPECT_EQ(o.consumed, req.size());
}

TEST(RequestParserTest, BodyLimitCheckedBeforeBody) {
  Limits l;
  l.max_body_bytes = 10;
  // Only the head is given: the refusal must not wait for the body.
  Outcome o = feed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n", 0, l);
  ASSERT_EQ(o.state, State::error);
  EXPECT_EQ(o.error.http_status, 413);
  EXPECT_EQ(o.error.reason, "body_too_large");
  EXPECT_EQ(o.error.status.code(), StatusCode::resource_exhausted);
  EXPECT_EQ(feed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789", 0, l).state,
            State::complete);
}

TEST(RequestParserTest, ContentLengthValidation) {
  for (const char* bad : {"abc", "-1", "+5", "5 5", "", "1,2", "99999999999999999999", "0x10"}) {
    expect_error(std::string("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ") + bad + "\r\n\r\n",
                 400, "malformed");
  }
  expect_error("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
               400, "malformed");
  Outcome same =
      feed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3, 3\r\n\r\nabc");
  ASSERT_EQ(same.state, State::complete);
  EXPECT_EQ(same.req.body, "abc");
}

TEST(RequestParserTest, ChunkedBody) {
  const std::string req =
      "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n"
      "1;name=value\r\n \r\n"
      "A \r\n0123456789\r\n"
      "0\r\nX-Trailer: t\r\n\r\n"
      "GET /next";
  for (std::size_t step : {std::size_t{0}, std::size_t{1}, std::size_t{3}}) {
    Outcome o = feed(req, step);
    ASSERT_EQ(o.state, State::complete) << step;
    EXPECT_EQ(o.req.body, "hello 0123456789") << step;
    EXPECT_EQ(o.consumed, req.size() - 9) << step;
  }
}

TEST(RequestParserTest, ChunkedErrors) {
  const std::string head = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  expect_error(head + "zz\r\n", 400, "malformed");
  expect_error(head + "\r\n", 400, "malformed");
  expect_error(head + "3\r\nabcX\r\n", 400, "malformed");
  expect_error(head + "3\r\nabc\rX", 400, "malformed");
  expect_error(head + "1x\r\n", 400, "malformed");
  expect_error(head + "0\r\nbad trailer\r\n\r\n", 400, "malformed");
  expect_error(head + "FFFFFFFFFFFFFFFFFF\r\n", 413, "body_too_large");
  expect_error(head + "1" + std::string(5000, ';') + "\r\n", 400, "malformed");
  Limits l;
  l.max_body_bytes = 8;
  expect_error(head + "5\r\nhello\r\n5\r\n", 413, "body_too_large", l);
  expect_error(head + "9\r\n", 413, "body_too_large", l);
  Limits t;
  t.max_header_bytes = 64;
  expect_error(head + "0\r\nX-T: " + std::string(100, 'a') + "\r\n\r\n", 431, "headers_too_large",
               t);
}

TEST(RequestParserTest, TransferEncodingRules) {
  expect_error("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501,
               "unsupported_encoding");
  expect_error("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501,
               "unsupported_encoding");
  expect_error(
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
      501, "unsupported_encoding");
  expect_error("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400,
               "malformed");
  expect_error("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \r\n\r\n", 400, "malformed");
  expect_error(
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
      "malformed");
  expect_error("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "malformed");
  EXPECT_EQ(feed("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n").state,
            State::complete);
}

TEST(RequestParserTest, ExpectContinue) {
  RequestParser p;
  Request req;
  std::size_t consumed = 0;
  const std::string head =
      "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n";
  ASSERT_EQ(p.parse(head, consumed, req), State::need_more);
  EXPECT_EQ(consumed, head.size());
  EXPECT_TRUE(p.in_body());
  EXPECT_TRUE(p.take_continue());
  EXPECT_FALSE(p.take_continue());
  ASSERT_EQ(p.parse("ok", consumed, req), State::complete);
  EXPECT_EQ(req.body, "ok");
  EXPECT_FALSE(p.take_continue());

  expect_error("POST / HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\n\r\n", 417, "expectation");
  // Without a body there is nothing to continue to.
  RequestParser q;
  Request r2;
  ASSERT_EQ(q.parse("GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n", consumed, r2),
            State::complete);
  EXPECT_FALSE(q.take_continue());
}

TEST(RequestParserTest, PipelinedRequestsParseInOrder) {
  const std::string two =
      "GET /one HTTP/1.1\r\nHost: x\r\n\r\nPOST /two HTTP/1.1\r\nHost: x\r\nContent-Length: "
      "3\r\n\r\nabcGET /three HTTP/1.1\r\nHost: x\r\n\r\n";
  RequestParser p;
  std::string buf = two;
  std::vector<std::string> paths;
  while (!buf.empty()) {
    Request req;
    std::size_t consumed = 0;
    ASSERT_EQ(p.parse(buf, consumed, req), State::complete);
    buf.erase(0, consumed);
    paths.push_back(req.path + ":" + req.body);
    p.reset();
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"/one:", "/two:abc", "/three:"}));
}

TEST(RequestParserTest, GarbageNeverCrashes) {
  std::mt19937 rng(12345);
  Limits l;
  l.max_request_line = 512;
  l.max_header_bytes = 1024;
  l.max_body_bytes = 2048;
  int errors = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string data;
    const int len = static_cast<int>(rng() % 3000);
    // Mix plausible HTTP pieces with random bytes so the parser gets past the first line.
    static const char* kPieces[] = {"GET ",
                                    "/",
                                    " HTTP/1.1",
                                    "\r\n",
                                    "Host: x",
                                    ": ",
                                    "Transfer-Encoding: chunked",
                                    "Content-Length: 5",
                                    "0\r\n",
                                    "%",
                                    "\n",
                                    ";"};
    while (static_cast<int>(data.size()) < len) {
      if (rng() % 2 == 0) {
        data += kPieces[rng() % std::size(kPieces)];
      } else {
        data.push_back(static_cast<char>(rng() % 256));
      }
    }
    Outcome o = feed(data, 1 + rng() % 50, l);
    if (o.state == State::error) {
      ++errors;
      EXPECT_GE(o.error.http_status, 400);
      EXPECT_LT(o.error.http_status, 600);
    }
    EXPECT_LE(o.req.body.size(), l.max_body_bytes);
    EXPECT_EQ(o.req.path.find('\0'), std::string::npos);
  }
  EXPECT_GT(errors, 0);
}

}  // namespace
}  // namespace kai::http
