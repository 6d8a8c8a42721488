// kaictl keygen [--out PREFIX] (commands.hpp).
//
// Without --out the pair is printed:
//   public-key: <40 Z85 characters>
//   secret-key: <40 Z85 characters>
// With --out PREFIX it is written to PREFIX.key (the secret key, mode 0600) and PREFIX.pub (the
// public key, mode 0644), each holding the Z85 key and a newline, so that
// KAI_CURVE_SECRET_KEY="$(cat PREFIX.key)" works; only the public key is printed. Existing files
// are never overwritten: a lost secret key cannot be recovered.
#include <cerrno>
#include <cstring>
#include <ostream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus/curve.hpp"
#include "kaictl/commands.hpp"

namespace kai::kaictl {
namespace {

// Creates `path` (refusing an existing file) with `mode` and writes `content`, durably.
Status write_new_file(const std::string& path, const std::string& content, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    if (errno == EEXIST) return already_exists(path + " already exists; not overwriting it");
    return unavailable("cannot create " + path + ": " + std::strerror(errno));
  }
  Status st;
  // The umask may have narrowed the mode; the secret key's 0600 must be exact, and so is the rest.
  if (::fchmod(fd, mode) != 0) {
    st = unavailable("cannot set the mode of " + path + ": " + std::strerror(errno));
  }
  std::string_view rest = content;
  while (st.ok() && !rest.empty()) {
    const ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      st = unavailable("cannot write " + path + ": " + std::strerror(errno));
      break;
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  if (st.ok() && ::fsync(fd) != 0) {
    st = unavailable("cannot sync " + path + ": " + std::strerror(errno));
  }
  ::close(fd);
  if (!st.ok()) ::unlink(path.c_str());
  return st;
}

int run_keygen(const Invocation& inv) {
  const bus::KeyPair pair = bus::generate_keypair();
  const std::string& prefix = inv.cfg.str("out");
  if (prefix.empty()) {
    inv.io.out << "public-key: " << pair.public_key << "\nsecret-key: " << pair.secret_key << "\n";
    return kExitOk;
  }
  const std::string key_path = prefix + ".key";
  const std::string pub_path = prefix + ".pub";
  // Check both names first so that a refusal leaves nothing half-written behind.
  for (const std::string& p : {key_path, pub_path}) {
    if (::access(p.c_str(), F_OK) == 0) {
      inv.io.err << "kaictl: " << p << " already exists; not overwriting it\n";
      return kExitFailed;
    }
  }
  if (Status s = write_new_file(key_path, pair.secret_key + "\n", 0600); !s.ok()) {
    inv.io.err << "kaictl: " << s.message() << "\n";
    return kExitFailed;
  }
  if (Status s = write_new_file(pub_path, pair.public_key + "\n", 0644); !s.ok()) {
    ::unlink(key_path.c_str());
    inv.io.err << "kaictl: " << s.message() << "\n";
    return kExitFailed;
  }
  inv.io.out << "public-key: " << pair.public_key << "\n";
  inv.io.err << "wrote " << key_path << " (secret key, mode 0600) and " << pub_path
             << " (public key)\n";
  return kExitOk;
}

}  // namespace

CommandSpec keygen_command() {
  CommandSpec c;
  c.words = {"keygen"};
  c.usage = "kaictl keygen [--out PREFIX]";
  c.summary = "make a CurveZMQ key pair (Z85) for a bus process";
  c.settings = {{"out", "",
                 "write PREFIX.key (secret, mode 0600) and PREFIX.pub instead of printing both "
                 "keys"}};
  c.run = run_keygen;
  return c;
}

}  // namespace kai::kaictl
