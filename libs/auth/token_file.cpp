// The tokens file: validation, formatting, parsing, loading and locked appends (tokens.hpp).
#include <cerrno>
#include <cstring>
#include <unordered_map>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/tokens.hpp"
#include "common/time.hpp"
#include "schema/utf8.hpp"

namespace kai::auth {
namespace {

constexpr std::string_view kHashPrefix = "sha256:";
constexpr std::size_t kHexDigits = 64;
constexpr std::size_t kMaxNameBytes = 128;
// A tokens file holds one line per token; anything this large is not one.
constexpr std::size_t kMaxFileBytes = 16u << 20;

std::string errno_text(int err) {
  return std::strerror(err);
}

Status check_hash(std::string_view hash) {
  if (hash.size() != kHashPrefix.size() + kHexDigits || !hash.starts_with(kHashPrefix)) {
    return invalid_argument("the hash must be 'sha256:' followed by 64 lowercase hex digits",
                            "hash");
  }
  for (char c : hash.substr(kHashPrefix.size())) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return invalid_argument("the hash must be 'sha256:' followed by 64 lowercase hex digits",
                              "hash");
    }
  }
  return Status::Ok();
}

// Principal and department: printable UTF-8 of bounded length without surrounding blanks (which
// would be invisible in listings and make two names look the same).
Status check_name(std::string_view value, std::string_view field, bool required) {
  const std::string f(field);
  if (value.empty()) {
    if (required) return invalid_argument("the " + f + " must not be empty", f);
    return Status::Ok();
  }
  if (value.size() > kMaxNameBytes) {
    return invalid_argument(
        "the " + f + " is longer than " + std::to_string(kMaxNameBytes) + " bytes", f);
  }
  if (!schema::utf8_length(value)) return invalid_argument("the " + f + " is not valid UTF-8", f);
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) {
      return invalid_argument("the " + f + " contains a control character", f);
    }
  }
  if (value.front() == ' ' || value.back() == ' ') {
    return invalid_argument("the " + f + " starts or ends with a space", f);
  }
  return Status::Ok();
}

std::string join_scopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const std::string& s : scopes) {
    if (!out.empty()) out.push_back(',');
    out += s;
  }
  return out;
}

Status with_line(std::size_t line, const Status& s) {
  return {s.code(), "line " + std::to_string(line) + ": " + s.message(), s.field()};
}

Result<TokenEntry> parse_line(std::string_view line) {
  std::vector<std::string_view> fields;
  while (true) {
    const std::size_t tab = line.find('\t');
    fields.push_back(line.substr(0, tab));
    if (tab == std::string_view::npos) break;
    line.remove_prefix(tab + 1);
  }
  if (fields.size() != 4 && fields.size() != 5) {
    return invalid_argument(
        "expected 4 or 5 fields separated by single TABs (hash, principal, "
        "department, scopes[, created-at]), found " +
        std::to_string(fields.size()));
  }
  TokenEntry e;
  e.hash = fields[0];
  e.principal = fields[1];
  e.department = fields[2];
  auto scopes = parse_scopes(fields[3]);
  if (!scopes.ok()) return scopes.status();
  e.scopes = std::move(scopes).value();
  if (fields.size() == 5) e.created_at = fields[4];
  KAI_RETURN_IF_ERROR(validate_entry(e));
  return e;
}

// Reads a whole file from an open descriptor, from offset 0, whatever the file position.
Result<std::string> read_all(int fd, const std::string& path) {
  std::string out;
  char buf[65536];
  off_t offset = 0;
  while (true) {
    const ssize_t n = ::pread(fd, buf, sizeof buf, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return unavailable("cannot read " + path + ": " + errno_text(errno));
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    offset += n;
    if (out.size() > kMaxFileBytes) {
      return invalid_argument(path + " is larger than " + std::to_string(kMaxFileBytes >> 20) +
                              " MiB; it is not a tokens file");
    }
  }
  return out;
}

Status write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return unavailable("cannot write " + path + ": " + errno_text(errno));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::Ok();
}

// Makes a newly created file's directory entry durable too.
void fsync_parent_dir(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return;
  (void)::fsync(dfd);
  ::close(dfd);
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

Status validate_entry(const TokenEntry& e) {
  KAI_RETURN_IF_ERROR(check_hash(e.hash));
  KAI_RETURN_IF_ERROR(check_name(e.principal, "principal", true));
  KAI_RETURN_IF_ERROR(check_name(e.department, "department", false));
  if (e.scopes.empty()) return invalid_argument("at least one scope is required", "scopes");
  for (std::size_t i = 0; i < e.scopes.size(); ++i) {
    KAI_RETURN_IF_ERROR(validate_scope(e.scopes[i]));
    for (std::size_t j = 0; j < i; ++j) {
      if (e.scopes[j] == e.scopes[i]) {
        return invalid_argument("scope '" + e.scopes[i] + "' is listed twice", "scopes");
      }
    }
  }
  if (!e.created_at.empty() && !parse_rfc3339(e.created_at)) {
    return invalid_argument("created-at '" + e.created_at + "' is not an RFC 3339 time",
                            "created_at");
  }
  return Status::Ok();
}

std::string format_entry(const TokenEntry& e) {
  std::string line = e.hash;
  line.push_back('\t');
  line += e.principal;
  line.push_back('\t');
  line += e.department;
  line.push_back('\t');
  line += join_scopes(e.scopes);
  if (!e.created_at.empty()) {
    line.push_back('\t');
    line += e.created_at;
  }
  return line;
}

Result<std::vector<TokenEntry>> parse_tokens(std::string_view text) {
  std::vector<TokenEntry> out;
  std::unordered_map<std::string, std::size_t> line_of_hash;
  std::size_t number = 0;
  while (!text.empty()) {
    ++number;
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    auto entry = parse_line(line);
    if (!entry.ok()) return with_line(number, entry.status());
    auto [it, inserted] = line_of_hash.emplace(entry->hash, number);
    if (!inserted) {
      return with_line(
          number,
          invalid_argument("the same token hash as line " + std::to_string(it->second), "hash"));
    }
    out.push_back(std::move(entry).value());
  }
  return out;
}

Result<TokenSet> TokenSet::load(const std::string& path) {
  const int raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (raw < 0) {
    if (errno == ENOENT) return not_found("tokens file " + path + " does not exist");
    return unavailable("cannot open tokens file " + path + ": " + errno_text(errno));
  }
  Fd fd(raw);
  auto text = read_all(fd.get(), path);
  if (!text.ok()) return text.status();
  auto entries = parse_tokens(*text);
  if (!entries.ok()) {
    const Status& s = entries.status();
    return Status(s.code(), path + ": " + s.message(), s.field());
  }
  return TokenSet(std::move(entries).value());
}

Status append_token(const std::string& path, const TokenEntry& entry) {
  KAI_RETURN_IF_ERROR(validate_entry(entry));
  // O_EXCL tells us whether this call created the file, so only a new file gets its mode set
  // (and an existing file's owner keeps whatever mode they chose).
  bool created = true;
  int raw = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (raw < 0 && errno == EEXIST) {
    created = false;
    raw = ::open(path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  }
  if (raw < 0) return unavailable("cannot open tokens file " + path + ": " + errno_text(errno));
  Fd fd(raw);
  if (created && ::fchmod(fd.get(), 0600) != 0) {
    return unavailable("cannot set the mode of " + path + ": " + errno_text(errno));
  }
  // The lock is released when the descriptor closes, after the fsync.
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return unavailable("cannot lock " + path + ": " + errno_text(errno));
  }
  auto existing = read_all(fd.get(), path);
  if (!existing.ok()) return existing.status();
  auto entries = parse_tokens(*existing);
  if (!entries.ok()) {
    return failed_precondition(
        path + " has errors; fix them before adding a token: " + entries.status().message());
  }
  for (const TokenEntry& e : *entries) {
    if (e.hash == entry.hash) {
      return invalid_argument("this token is already in " + path, "hash");
    }
  }
  std::string line;
  if (!existing->empty() && existing->back() != '\n') line.push_back('\n');
  line += format_entry(entry);
  line.push_back('\n');
  KAI_RETURN_IF_ERROR(write_all(fd.get(), line, path));
  if (::fsync(fd.get()) != 0) {
    return unavailable("cannot sync " + path + ": " + errno_text(errno));
  }
  if (created) fsync_parent_dir(path);
  return Status::Ok();
}

}  // namespace kai::auth
