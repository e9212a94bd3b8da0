// Where the datapath commands find and change interfaces. A CLI process opens each interface from
// its pins and state files and applies whole rule sets; the daemon keeps each one open between
// requests and applies filter changes as deltas, so a change of data only is a few map writes.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tc2xdp/diagnostic.h"
#include "tc2xdp/ir/rule.h"
#include "tc2xdp/runtime/datapath.h"

namespace tc2xdp::cli {

inline constexpr const char* kRejectedCommands = "rejected commands";

class DatapathStore {
 public:
  // `resident`: keep interfaces open across calls, rechecking each against its on-disk
  // generation and attached program before use (another process may have changed it).
  explicit DatapathStore(bool resident) : resident_(resident) {}

  // `dev`'s managed state as it is now; an Error if tc2xdp does not manage it. The pointer stays
  // valid until the next call for `dev`.
  Result<const runtime::Datapath*> open(const std::string& dev);

  // Makes `dev`'s rules `rules`, which are open(dev)'s rules with `delta` applied. A resident
  // store holding `dev` takes `rules` == nullptr: the delta is checked as it is applied, and if
  // tc would reject it the Error's operation is kRejectedCommands, with exactly the errors
  // RuleSet::apply gives in `diags`.
  Result<runtime::ApplyReport> change(const std::string& dev, const runtime::RuleDelta& delta,
                                      const ir::RuleSet* rules,
                                      const runtime::ApplyOptions& options, Diagnostics& diags);

  // Makes `dev`'s rules exactly `rules`.
  Result<runtime::ApplyReport> replace(const std::string& dev, const ir::RuleSet& rules,
                                       const runtime::ApplyOptions& options, Diagnostics& diags);

  bool resident() const { return resident_; }

  // While set, a change a resident interface cannot take in place is checked and held; flush()
  // then compiles each interface's held changes in one swap (the daemon, during a burst).
  void set_deferring(bool deferring) { deferring_ = deferring; }
  struct Flushed {
    std::string dev;
    Result<runtime::ApplyReport> report;
    std::string diagnostics;  // the compile's warnings, or why it failed
  };
  std::vector<Flushed> flush();
  // The interfaces holding changes for flush().
  std::vector<std::string> held() const;

  // One per successful change since the last call, for the daemon's log ("dev: data-only, 3 map
  // writes") and its bursts (`held`: the change waits for flush()).
  struct Change {
    std::string dev;
    std::string line;
    bool held = false;
  };
  std::vector<Change> take_changes();

 private:
  // `delta`: the report is Datapath::apply(RuleDelta)'s, which says whether it went in place.
  void record(const std::string& dev, const Result<runtime::ApplyReport>& report,
              bool delta = false);

  bool resident_;
  bool deferring_ = false;
  std::vector<Change> changes_;
  std::map<std::string, runtime::Datapath> open_;
};

// The store the commands use: a non-resident one, unless the daemon installed its own.
DatapathStore& datapath_store();
void install_datapath_store(DatapathStore* store);  // nullptr restores the default

}  // namespace tc2xdp::cli
