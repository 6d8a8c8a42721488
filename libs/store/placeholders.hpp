// Internal to libs/store (exposed for its tests): rewriting `?` placeholders into PostgreSQL's
// $1..$n. A `?` inside a string literal ('...', E'...'), a quoted identifier ("..."), a
// dollar-quoted string ($tag$...$tag$) or a comment (-- ..., /* ... */, nested) is left alone.
#pragma once

#include <string>
#include <string_view>

namespace kai::store::detail {

struct RewrittenSql {
  std::string sql;
  int param_count = 0;
};

RewrittenSql rewrite_placeholders(std::string_view sql);

}  // namespace kai::store::detail
