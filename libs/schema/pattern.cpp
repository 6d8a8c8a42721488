// Pattern (declared in descriptor.hpp): std::wregex behind a compile-once gate.
//
// GCC 12 reports a false -Wmaybe-uninitialized inside libstdc++'s <regex> when sanitizers are on;
// the whole file opts out before any header is read, so the warning stays on everywhere else.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <exception>
#include <regex>
#include <string>

#include "schema/descriptor.hpp"
#include "schema/utf8.hpp"

namespace kai::schema {

struct Pattern::Compiled {
  std::wregex regex;
};

void Pattern::Deleter::operator()(Compiled* p) const {
  delete p;
}

Pattern::~Pattern() = default;

Status Pattern::compile() const {
  std::call_once(once_, [this] {
    try {
      std::wstring source;
      if (!utf8_to_wide(source_, source)) return;
      compiled_.reset(new Compiled{std::wregex(source, std::regex_constants::ECMAScript)});
    } catch (const std::exception&) {
      compiled_.reset();
    }
  });
  if (!compiled_) {
    return internal_error("schema pattern '" + std::string(source_) + "' does not compile");
  }
  return Status::Ok();
}

bool Pattern::matches(std::string_view text) const {
  if (!compile().ok()) return false;
  // One conversion buffer per thread: matching allocates nothing in steady state.
  thread_local std::wstring wide;
  if (!utf8_to_wide(text, wide)) return false;
  try {
    return std::regex_search(wide, compiled_->regex);
  } catch (const std::exception&) {
    // libstdc++ reports runaway backtracking as regex_error (error_complexity / error_stack).
    return false;
  }
}

}  // namespace kai::schema
