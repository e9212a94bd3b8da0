#include "datapath_store.h"

#include <utility>

namespace tc2xdp::cli {

namespace {

DatapathStore*& installed() {
  static DatapathStore* store = nullptr;
  return store;
}

}  // namespace

DatapathStore& datapath_store() {
  static DatapathStore in_process(false);
  return installed() ? *installed() : in_process;
}

void install_datapath_store(DatapathStore* store) {
  installed() = store;
}

Result<const runtime::Datapath*> DatapathStore::open(const std::string& dev) {
  auto it = open_.find(dev);
  if (resident_ && it != open_.end() && it->second.is_current()) return &it->second;
  if (it != open_.end()) open_.erase(it);
  auto opened = runtime::Datapath::open(dev);
  if (!opened) return opened.error();
  return &open_.insert_or_assign(dev, std::move(*opened)).first->second;
}

Result<runtime::ApplyReport> DatapathStore::change(const std::string& dev,
                                                   const runtime::RuleDelta& delta,
                                                   const ir::RuleSet* rules,
                                                   const runtime::ApplyOptions& options,
                                                   Diagnostics& diags) {
  auto it = open_.find(dev);
  if (!resident_ || it == open_.end()) {
    // A first attachment, or a CLI process: the transactional whole-set path.
    if (!rules) return Error{"change " + dev, EINVAL, "internal: the rules were not checked"};
    auto report = runtime::Datapath::apply(dev, *rules, options, diags);
    if (it != open_.end()) open_.erase(it);
    record(dev, report);
    return report;
  }
  Diagnostics applied;
  runtime::ApplyOptions held = options;
  held.defer_recompile = deferring_;
  auto report = it->second.apply(delta, applied, held);
  if (!report) {
    // Was it the commands? Only a failure pays for checking them on a copy; its errors are the
    // ones a CLI process (which checks first) prints.
    ir::RuleSet check = it->second.rules();
    Diagnostics why;
    const bool rejected = !rules && !check.apply_all(delta, why);
    // The cached object may be half-refreshed after a failure; open() rereads the state. Not
    // one holding a burst's changes: a failure to take one more leaves those as they were.
    if (!it->second.has_held_changes()) open_.erase(it);
    if (rejected) {
      diags.append(why);
      return Error{kRejectedCommands, EINVAL, why.to_string()};
    }
  }
  diags.append(applied);
  record(dev, report, true);
  return report;
}

Result<runtime::ApplyReport> DatapathStore::replace(const std::string& dev,
                                                    const ir::RuleSet& rules,
                                                    const runtime::ApplyOptions& options,
                                                    Diagnostics& diags) {
  open_.erase(dev);
  auto report = runtime::Datapath::apply(dev, rules, options, diags);
  record(dev, report);
  return report;
}

std::vector<DatapathStore::Flushed> DatapathStore::flush() {
  std::vector<Flushed> out;
  for (auto& [dev, dp] : open_) {
    if (!dp.has_held_changes()) continue;
    Diagnostics diags;
    runtime::ApplyOptions options;
    options.mode = dp.mode();
    auto report = dp.flush(diags, options);
    record(dev, report);
    out.push_back({dev, std::move(report), diags.to_string()});
  }
  return out;
}

std::vector<std::string> DatapathStore::held() const {
  std::vector<std::string> out;
  for (const auto& [dev, dp] : open_)
    if (dp.has_held_changes()) out.push_back(dev);
  return out;
}

void DatapathStore::record(const std::string& dev, const Result<runtime::ApplyReport>& report,
                           bool delta) {
  if (!report) return;
  const runtime::ApplyReport& r = report.value();
  std::string line = dev + ": ";
  if (r.deferred)
    line += "held for the burst's recompile";
  else if (r.data_only)
    line += std::string(delta && r.not_in_place.empty() ? "data-only in place, " : "data-only, ") +
            std::to_string(r.map_writes) + " map writes";
  else
    line += r.attached_now ? "compiled and attached" : "compiled and swapped";
  changes_.push_back({dev, std::move(line), r.deferred});
}

std::vector<DatapathStore::Change> DatapathStore::take_changes() {
  return std::exchange(changes_, {});
}

}  // namespace tc2xdp::cli
