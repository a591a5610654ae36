#include "engine/daemon/config_command.h"

#include <iostream>
#include <string_view>

#include "engine/config/daemon_config.h"
#include "engine/rules/rule_pack.h"

namespace wirescan::daemon {

std::string DefaultRulesDir();  // cli.cc

namespace {

constexpr int kExitConfig = 78;  // as `wirescan run`

constexpr std::string_view kConfigUsage = R"(Usage: wirescan config check FILE

Checks a daemon configuration as `wirescan run --config FILE` does before it binds a port or
connects, without doing either: the YAML and the WIRESCAN_* environment variables (unknown keys
and variables, bounds, the librdkafka properties of `kafka`, `consumer` and `producer` applied
to clients that connect nowhere), the reload token file, and the rule pack (`rules_dir`, else
the shipped pack): parsed, validated, compiled, its examples run (as a reload does).
Exit status: 0 if the daemon would start with them, 78 on a configuration or rule-pack error
(every file:line message on stderr), 2 on a usage error.
)";

int Usage(std::string_view message) {
  std::cerr << "wirescan: " << message << "\n\n" << kConfigUsage;
  return 2;
}

}  // namespace

int RunConfigCommand(std::vector<std::string> args) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << kConfigUsage;
    return 0;
  }
  if (args.empty()) return Usage("config: missing subcommand (check)");
  if (args[0] != "check") return Usage("config: unknown subcommand " + args[0]);
  std::string path;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      std::cout << kConfigUsage;
      return 0;
    }
    if (args[i].size() > 1 && args[i][0] == '-') return Usage("unknown option " + args[i]);
    if (!path.empty()) return Usage("config check takes one FILE");
    path = args[i];
  }
  if (path.empty()) return Usage("config check: missing FILE");

  auto cfg = config::LoadDaemonConfig(path, config::Environment::Process());
  if (!cfg.ok()) {
    std::cerr << cfg.status().message() << "\n";
    return kExitConfig;
  }
  if (auto token = config::LoadReloadToken(cfg->admin()); !token.ok()) {
    std::cerr << token.status().message() << "\n";
    return kExitConfig;
  }
  const std::string rules_dir = cfg->rules_dir().empty() ? DefaultRulesDir() : cfg->rules_dir();
  auto pack = rules::LoadRulePack(rules_dir, cfg->rules_cache_dir());
  if (!pack.ok()) {
    std::cerr << "rules: " << pack.status().message() << "\n";
    return kExitConfig;
  }
  std::vector<std::string> failures = rules::RunExamples(**pack);
  for (const std::string& f : failures) std::cerr << "rules: " << f << "\n";
  if (!failures.empty()) return kExitConfig;
  std::cout << path << ": ok: brokers " << cfg->brokers() << ", " << cfg->input().topics_size()
            << " input topic(s), group " << cfg->group_id() << "; rules " << rules_dir
            << ": version " << (*pack)->version << ", " << (*pack)->stats.files << " files, "
            << (*pack)->stats.examples << " example(s) passed\n";
  return 0;
}

}  // namespace wirescan::daemon
