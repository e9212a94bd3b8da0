#include "datapath_state.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "tc2xdp/codegen/compile.h"
#include "tc2xdp/frontend/tc.h"

namespace tc2xdp::runtime {

namespace {

Status make_dirs(const std::string& dir) {
  for (size_t pos = 0; pos != std::string::npos;) {
    pos = dir.find('/', pos + 1);
    const std::string path = dir.substr(0, pos);
    if (mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) return Error{"mkdir " + path, errno, ""};
  }
  return Ok{};
}

Status write_file(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << content;
    if (!out.flush()) return Error{"write " + tmp, errno, ""};
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) return Error{"rename " + tmp, errno, ""};
  return Ok{};
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// 64 random bits in hex: unique across processes and across detach and re-attach.
std::string new_generation() {
  uint64_t bits = 0;
  if (getrandom(&bits, sizeof bits, 0) != sizeof bits) {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    bits = (uint64_t(ts.tv_sec) * 1000000000ull + ts.tv_nsec) ^ (uint64_t(getpid()) << 48);
  }
  char text[17];
  snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(bits));
  return text;
}

}  // namespace

std::string pin_dir(const DatapathPaths& paths, const std::string& ifname) {
  return paths.pin_root + "/" + ifname;
}

std::string state_dir(const DatapathPaths& paths, const std::string& ifname) {
  return paths.state_root + "/" + ifname;
}

Result<std::optional<SavedState>> read_state(const DatapathPaths& paths,
                                             const std::string& ifname) {
  const std::string dir = state_dir(paths, ifname);
  // The stamp before the rules: a write racing this read leaves an old stamp with new rules
  // (reread later, harmless), never a new stamp with old rules (stale for good).
  std::string stamp = read_state_stamp(paths, ifname);
  auto mode_text = read_file(dir + "/mode");
  if (!mode_text) return std::optional<SavedState>{};
  SavedState state;
  state.stamp = std::move(stamp);
  if (mode_text->starts_with("generic"))
    state.mode = XdpMode::kGeneric;
  else if (mode_text->starts_with("hw"))
    state.mode = XdpMode::kHardware;
  if (auto entries = read_file(dir + "/flow_cache"))
    state.flow_cache_entries = static_cast<uint32_t>(std::strtoul(entries->c_str(), nullptr, 10));
  auto rules_text = read_file(dir + "/rules.tc");
  auto slots_text = read_file(dir + "/slots");
  if (!rules_text || !slots_text)
    return Error{"read state of " + ifname, ENOENT,
                 dir + " is incomplete; 'tc2xdp detach' resets it"};
  Diagnostics diags;
  if (!frontend::tc::load_rules(*rules_text, dir + "/rules.tc", state.rules, diags))
    return Error{"read state of " + ifname, EINVAL, diags.to_string()};
  std::istringstream slots(*slots_text);
  plan::RuleKey key;
  uint32_t slot;
  while (slots >> key.chain >> key.pref >> key.handle >> slot) state.slots[key] = slot;
  // A program built to another layout (or by a build that wrote none): its maps are not what
  // this build writes. As with tables edited elsewhere, only a recompile hands them over.
  if (auto layout = read_file(dir + "/layout");
      !layout || *layout != std::string(codegen::kProgramLayout) + "\n")
    state.tables_edited = true;
  // The journal: tc commands, each followed by its rule's slot line ("slot C P H S|-").
  if (auto journal = read_file(dir + "/journal"); journal && !journal->empty()) {
    state.tables_edited = true;
    std::istringstream lines(*journal);
    std::string commands;
    for (std::string line; std::getline(lines, line);) {
      if (!line.starts_with("slot ")) {
        commands += line + "\n";
        continue;
      }
      std::istringstream words(line.substr(5));
      std::string value;
      if (!(words >> key.chain >> key.pref >> key.handle >> value)) continue;
      if (value == "-")
        state.slots.erase(key);
      else
        state.slots[key] = static_cast<uint32_t>(std::stoul(value));
    }
    const auto replay = frontend::tc::parse_batch(commands, dir + "/journal", diags);
    if (diags.has_errors()) return Error{"read state of " + ifname, EINVAL, diags.to_string()};
    // One by one, skipping what is already so: a full write folds the journal into rules.tc
    // before it removes the journal, and a reader in between must not fail on the overlap
    // (entries name rules by pref and handle, so a repeated add or delete is a no-op).
    for (const auto& command : replay) {
      Diagnostics already;
      (void)state.rules.apply(command, already);
    }
  }
  return std::optional<SavedState>(std::move(state));
}

std::string read_state_stamp(const DatapathPaths& paths, const std::string& ifname) {
  const std::string dir = state_dir(paths, ifname);
  auto generation = read_file(dir + "/generation");
  if (!generation || generation->empty()) return {};
  while (!generation->empty() && generation->back() == '\n') generation->pop_back();
  struct stat journal {};
  if (stat((dir + "/journal").c_str(), &journal) != 0) return *generation;
  return *generation + " journal " + std::to_string(journal.st_ino) + ":" +
         std::to_string(journal.st_size);
}

Status write_state(const DatapathPaths& paths, const std::string& ifname, const ir::RuleSet& rules,
                   const plan::Plan& plan, XdpMode mode, uint32_t flow_cache_entries) {
  const std::string dir = state_dir(paths, ifname);
  if (auto made = make_dirs(dir); !made) return made;
  std::string slots;
  for (const auto& r : plan.rules)
    slots += std::to_string(r.chain) + ' ' + std::to_string(r.pref) + ' ' +
             std::to_string(r.handle) + ' ' + std::to_string(r.stats_slot) + '\n';
  // rules first, mode next: mode's presence says the state is whole. The generation goes last,
  // so whoever sees the new one reads the new rules.
  const std::string generation = new_generation();
  for (const auto& [name, content] :
       {std::pair<std::string, std::string>{"rules.tc", frontend::tc::print_rule_set(rules)},
        {"slots", slots},
        {"mode", std::string(xdp_mode_name(mode)) + "\n"},
        {"flow_cache", std::to_string(flow_cache_entries) + "\n"},
        {"layout", std::string(codegen::kProgramLayout) + "\n"},
        {"generation", generation + "\n"}}) {
    if (auto written = write_file(dir + "/" + name, content); !written) return written;
  }
  // The full state now says everything the journal did.
  if (unlink((dir + "/journal").c_str()) != 0 && errno != ENOENT)
    return Error{"remove journal of " + ifname, errno, ""};
  return Ok{};
}

Status append_journal(const DatapathPaths& paths, const std::string& ifname,
                      const std::vector<JournalEntry>& entries) {
  const std::string path = state_dir(paths, ifname) + "/journal";
  std::string text;
  for (const auto& e : entries)
    text += e.command + "\nslot " + std::to_string(e.rule.chain) + ' ' +
            std::to_string(e.rule.pref) + ' ' + std::to_string(e.rule.handle) + ' ' +
            (e.slot ? std::to_string(*e.slot) : std::string("-")) + '\n';
  const int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Error{"open " + path, errno, ""};
  const ssize_t n = write(fd, text.data(), text.size());
  const int saved_errno = errno;
  close(fd);
  if (n != static_cast<ssize_t>(text.size())) return Error{"append to " + path, saved_errno, ""};
  return Ok{};
}

Status remove_state(const DatapathPaths& paths, const std::string& ifname) {
  const std::string dir = state_dir(paths, ifname);
  for (const char* name :
       {"generation", "mode", "rules.tc", "slots", "journal", "layout", "flow_cache"})
    unlink((dir + "/" + name).c_str());
  rmdir(dir.c_str());
  return Ok{};
}

}  // namespace tc2xdp::runtime
