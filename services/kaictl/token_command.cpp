// kaictl token create / kaictl token list (commands.hpp): the gateway's tokens file, through
// libs/auth. The plain token is printed once, on the first line of `create`'s output, and stored
// nowhere; `list` shows who holds which scopes, never hashes.
#include <ostream>

#include "auth/tokens.hpp"
#include "common/time.hpp"
#include "kaictl/commands.hpp"
#include "kaictl/text_table.hpp"

namespace kai::kaictl {
namespace {

SettingSpec tokens_file_setting() {
  return {"tokens-file", "", "the gateway's tokens file (KAI_TOKENS_FILE of kai-gateway)"};
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out.push_back(',');
    out += s;
  }
  return out;
}

int run_create(const Invocation& inv) {
  const CommandSpec spec = token_create_command();
  const std::string& path = inv.cfg.str("tokens-file");
  if (path.empty()) return usage_error(inv.io, spec, "--tokens-file (KAI_TOKENS_FILE) is required");
  if (inv.cfg.str("principal").empty()) {
    return usage_error(inv.io, spec, "--principal (KAI_PRINCIPAL) is required");
  }
  auto scopes = auth::parse_scopes(inv.cfg.str("scopes"));
  if (!scopes.ok()) return usage_error(inv.io, spec, "--scopes: " + scopes.status().message());

  const std::string token = auth::generate_token();
  auth::TokenEntry entry;
  entry.hash = auth::hash_token(token);
  entry.principal = inv.cfg.str("principal");
  entry.department = inv.cfg.str("department");
  entry.scopes = std::move(scopes).value();
  entry.created_at = format_rfc3339(now_unix_ms() / 1000 * 1000);
  if (Status s = auth::validate_entry(entry); !s.ok()) {
    return usage_error(inv.io, spec, "--" + s.field() + ": " + s.message());
  }
  if (Status s = auth::append_token(path, entry); !s.ok()) {
    inv.io.err << "kaictl: cannot add the token: " << s.message() << "\n";
    return kExitFailed;
  }
  inv.io.out << token << "\n"
             << "Added a token for " << entry.principal << " (" << join(entry.scopes) << ") to "
             << path << ".\nIt is shown only this once and stored only as a hash: keep it "
             << "secret. A running kai-gateway picks it up on SIGHUP.\n";
  return kExitOk;
}

int run_list(const Invocation& inv) {
  const std::string& path = inv.cfg.str("tokens-file");
  if (path.empty()) {
    return usage_error(inv.io, token_list_command(), "--tokens-file (KAI_TOKENS_FILE) is required");
  }
  auto set = auth::TokenSet::load(path);
  if (!set.ok()) {
    inv.io.err << "kaictl: " << set.status().message() << "\n";
    return kExitFailed;
  }
  std::vector<std::vector<std::string>> rows = {{"PRINCIPAL", "DEPARTMENT", "SCOPES", "CREATED"}};
  for (const auth::TokenEntry& e : set->entries()) {
    rows.push_back({e.principal, e.department.empty() ? "-" : e.department, join(e.scopes),
                    e.created_at.empty() ? "-" : e.created_at});
  }
  inv.io.out << format_table(rows);
  return kExitOk;
}

}  // namespace

CommandSpec token_create_command() {
  CommandSpec c;
  c.words = {"token", "create"};
  c.usage =
      "kaictl token create --principal NAME --scopes S1,S2 --tokens-file FILE [--department D]";
  c.summary = "add a bearer token for the gateway; prints the token alone on its first line";
  std::string known;
  for (const std::string& s : auth::known_scopes())
    known += (known.empty() ? "" : ", ") + s;
  c.settings = {
      tokens_file_setting(),
      {"principal", "", "who holds the token (a person or a department's system)"},
      {"scopes", "", "comma-separated scopes to grant: " + known},
      {"department", "", "the department the principal belongs to"},
  };
  c.run = run_create;
  return c;
}

CommandSpec token_list_command() {
  CommandSpec c;
  c.words = {"token", "list"};
  c.usage = "kaictl token list --tokens-file FILE";
  c.summary = "list the tokens' principals, departments, scopes and creation times";
  c.settings = {tokens_file_setting()};
  c.run = run_list;
  return c;
}

}  // namespace kai::kaictl
