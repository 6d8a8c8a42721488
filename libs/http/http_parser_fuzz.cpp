// libFuzzer target: arbitrary bytes, split at arbitrary points, through the request parser the
// way a connection feeds it. Nothing may crash, and a parser that reports a complete request must
// have consumed a consistent amount of input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  // The first byte chooses how the rest is cut into reads.
  const std::size_t step = static_cast<std::size_t>(data[0] % 17) + 1;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  kai::http::Limits limits;
  limits.max_request_line = 256;
  limits.max_header_bytes = 512;
  limits.max_headers = 8;
  limits.max_body_bytes = 1024;
  kai::http::RequestParser parser(limits);
  kai::http::Request req;
  std::string buffer;
  std::size_t fed = 0;
  while (fed < input.size()) {
    const std::size_t n = std::min(step, input.size() - fed);
    buffer.append(input.substr(fed, n));
    fed += n;
    while (true) {
      std::size_t consumed = 0;
      const auto st = parser.parse(buffer, consumed, req);
      if (consumed > buffer.size()) std::abort();
      buffer.erase(0, consumed);
      if (st == kai::http::RequestParser::State::error) return 0;
      if (st == kai::http::RequestParser::State::need_more) break;
      if (req.body.size() > limits.max_body_bytes) std::abort();
      if (req.path.find('\0') != std::string::npos) std::abort();
      parser.reset();
      req.clear();
    }
  }
  return 0;
}
