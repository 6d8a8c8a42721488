#include "store/placeholders.hpp"

#include <cctype>

namespace kai::store::detail {
namespace {

bool is_ident_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) != 0 || c == '_' || u >= 0x80;
}

// At sql[i] == '$': the length of a dollar-quote opener "$tag$" (tag may be empty), or 0 when
// this '$' starts no dollar quote (e.g. a $1 parameter).
std::size_t dollar_tag_length(std::string_view sql, std::size_t i) {
  std::size_t j = i + 1;
  if (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j])) != 0) return 0;
  while (j < sql.size() && is_ident_char(sql[j]) && sql[j] != '$')
    ++j;
  if (j < sql.size() && sql[j] == '$') return j - i + 1;
  return 0;
}

}  // namespace

RewrittenSql rewrite_placeholders(std::string_view sql) {
  RewrittenSql out;
  out.sql.reserve(sql.size() + 8);
  std::size_t i = 0;
  const std::size_t n = sql.size();
  auto copy_until = [&](std::size_t end) {
    out.sql.append(sql.substr(i, end - i));
    i = end;
  };
  while (i < n) {
    const char c = sql[i];
    if (c == '?') {
      out.sql += '$';
      out.sql += std::to_string(++out.param_count);
      ++i;
    } else if (c == '\'') {
      // E'...' strings treat backslash as an escape; a doubled quote escapes in both kinds.
      const bool escapes = i > 0 && (sql[i - 1] == 'e' || sql[i - 1] == 'E') &&
                           (i < 2 || !is_ident_char(sql[i - 2]));
      std::size_t j = i + 1;
      while (j < n) {
        if (escapes && sql[j] == '\\') {
          j += 2;
          continue;
        }
        if (sql[j] == '\'') {
          if (j + 1 < n && sql[j + 1] == '\'') {
            j += 2;
            continue;
          }
          ++j;
          break;
        }
        ++j;
      }
      copy_until(j > n ? n : j);
    } else if (c == '"') {
      std::size_t j = i + 1;
      while (j < n) {
        if (sql[j] == '"') {
          if (j + 1 < n && sql[j + 1] == '"') {
            j += 2;
            continue;
          }
          ++j;
          break;
        }
        ++j;
      }
      copy_until(j);
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      const std::size_t nl = sql.find('\n', i);
      copy_until(nl == std::string_view::npos ? n : nl);
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      std::size_t j = i + 2;
      int depth = 1;
      while (j < n && depth > 0) {
        if (sql[j] == '/' && j + 1 < n && sql[j + 1] == '*') {
          ++depth;
          j += 2;
        } else if (sql[j] == '*' && j + 1 < n && sql[j + 1] == '/') {
          --depth;
          j += 2;
        } else {
          ++j;
        }
      }
      copy_until(j);
    } else if (c == '$' && (i == 0 || !is_ident_char(sql[i - 1]))) {
      const std::size_t len = dollar_tag_length(sql, i);
      if (len == 0) {
        copy_until(i + 1);
        continue;
      }
      const std::string_view tag = sql.substr(i, len);
      const std::size_t close = sql.find(tag, i + len);
      copy_until(close == std::string_view::npos ? n : close + len);
    } else {
      copy_until(i + 1);
    }
  }
  return out;
}

}  // namespace kai::store::detail
