// update_bench: how fast a rule change takes effect on a live interface, and how fast rules go in.
//
// A private network namespace holds a veth pair; Datapath::apply manages one end (private pin and
// state roots). A sender thread writes raw frames into the other end without pause; only the new
// rule matches them. Latency is from the apply() call to the first packet counted by the new
// rule (its per-CPU counter polled in a loop), for a data-only change (a rule of an existing
// mask: map writes) and a shape change (a new mask: compile, load, swap), at several installed
// rule counts. Then the insert rate: rules added one apply() at a time, and in one batch.
//
//   update_bench [--sizes 100,1000,10000] [--runs N]
#include <bpf/bpf.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/classbench_trace.h"
#include "common/figures.h"
#include "tc2xdp/frontend/tc.h"
#include "tc2xdp/runtime/datapath.h"
#include "tc2xdp/runtime/map_io.h"
#include "tc2xdp/runtime/stats_map.h"
#include "tc2xdp/runtime/trivial_program.h"

namespace rt = tc2xdp::runtime;
using Clock = std::chrono::steady_clock;

namespace {

const rt::DatapathPaths kPaths{"/sys/fs/bpf/tc2xdp-update-bench", "/run/tc2xdp-update-bench"};
constexpr const char* kDev = "ub1";
constexpr uint16_t kProbePort = 999;

std::string base_rule(size_t i) {
  return "filter add dev ub1 ingress pref " + std::to_string(i + 1) +
         " protocol ip flower ip_proto udp dst_port " + std::to_string(10000 + i) + " action " +
         (i % 2 ? "pass" : "drop") + "\n";
}

std::string base_rules(size_t n) {
  std::string text;
  for (size_t i = 0; i < n; ++i) text += base_rule(i);
  return text;
}

tc2xdp::ir::RuleSet parse(const std::string& text) {
  tc2xdp::ir::RuleSet rules;
  tc2xdp::Diagnostics diags;
  if (!tc2xdp::frontend::tc::load_rules(text, "bench.tc", rules, diags)) {
    std::cerr << diags.to_string();
    std::exit(1);
  }
  return rules;
}

// Frames to UDP port kProbePort from source port 1234, as fast as the socket takes them.
class Sender {
 public:
  explicit Sender(const std::string& dev) : dev_(dev) {
    thread_ = std::thread([this] { run(); });
  }
  ~Sender() {
    stop_ = true;
    thread_.join();
  }

 private:
  void run() {
    const int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    sockaddr_ll to{};
    to.sll_family = AF_PACKET;
    to.sll_ifindex = static_cast<int>(if_nametoindex(dev_.c_str()));
    to.sll_halen = 6;
    const auto frame = bench::ipv4_frame(0x0a000001, 0x0a000002, 17, 1234, kProbePort);
    while (!stop_)
      (void)sendto(fd, frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    close(fd);
  }
  std::string dev_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Watches a counters map from its own thread for the first packet a rule counts that it had not
// counted when the watch began: only the new rule matches the probe frames, so that is the moment
// the change took effect, even if apply() is still busy (a swap returns after an RCU grace period
// that the new program does not wait for; pins and state are written after it). One batch read
// of the slots the new rule may take (the first free one, or a little past it) every 100 µs.
class EffectWatch {
 public:
  EffectWatch(int stats_fd, uint32_t first_slot) : first_(first_slot) {
    if (auto mapped = rt::StatsMap::open(stats_fd)) {
      stats_.emplace(std::move(*mapped));
      if (stats_->shape().slots > first_)
        slots_ = std::min<uint32_t>(64, stats_->shape().slots - first_);
    }
    baseline_ = packets();
    thread_ = std::thread([this] { run(); });
  }
  ~EffectWatch() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // When the first new count was seen (nullopt: not within 10 s of the watch's start).
  std::optional<Clock::time_point> wait() {
    if (thread_.joinable()) thread_.join();
    return seen_;
  }

 private:
  // Packets per watched slot, summed over CPUs.
  std::vector<uint64_t> packets() const {
    std::vector<uint64_t> sums(slots_, 0);
    for (uint32_t i = 0; i < slots_; ++i) sums[i] = stats_->total(first_ + i).packets;
    return sums;
  }
  void run() {
    const auto start = Clock::now();
    while (!stop_ && Clock::now() - start < std::chrono::seconds(10)) {
      const auto current = packets();
      for (uint32_t i = 0; i < current.size() && i < baseline_.size(); ++i) {
        // Not just "more": a slot reused by the new rule is zeroed before it counts.
        if (current[i] != baseline_[i] && current[i] > 0) {
          seen_ = Clock::now();  // the count came at the latest by the end of this read
          return;
        }
      }
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }
  std::optional<rt::StatsMap> stats_;  // mapped once: the watch reads it every 100 µs
  uint32_t first_;
  uint32_t slots_ = 0;
  std::vector<uint64_t> baseline_;
  std::atomic<bool> stop_{false};
  std::optional<Clock::time_point> seen_;
  std::thread thread_;
};

struct Applied {
  rt::ApplyReport report;
  double call_us = 0;    // apply() call to return
  double effect_us = 0;  // apply() call to the first packet counted on `slot`
};

Applied with_watched_effect(Applied out, EffectWatch& watcher, Clock::time_point t0) {
  const auto seen = watcher.wait();
  if (!seen) {
    std::cerr << "the new rule never counted a packet\n";
    std::exit(1);
  }
  out.effect_us = std::chrono::duration<double, std::micro>(*seen - t0).count();
  return out;
}

// Applies `text` and waits until stats slot `slot` counts a packet. With `watch`, the effect is
// timed by an EffectWatch running during the call instead.
Applied apply_and_wait(const std::string& text, uint32_t slot, int stats_fd_hint,
                       bool watch = false) {
  const auto rules = parse(text);
  tc2xdp::Diagnostics diags;
  rt::ApplyOptions options;
  options.paths = kPaths;
  std::optional<EffectWatch> watcher;
  if (watch) {
    rt::UniqueFd live(bpf_obj_get((kPaths.pin_root + "/ub1/stats").c_str()));
    watcher.emplace(live.get(), slot);
  }
  const auto t0 = Clock::now();
  auto report = rt::Datapath::apply(kDev, rules, options, diags);
  const auto t1 = Clock::now();
  if (!report) {
    std::cerr << report.error().to_string() << "\n";
    std::exit(1);
  }
  Applied out{*report, std::chrono::duration<double, std::micro>(t1 - t0).count(), 0};
  if (watcher) return with_watched_effect(out, *watcher, t0);
  rt::UniqueFd stats(stats_fd_hint >= 0 ? dup(stats_fd_hint)
                                        : bpf_obj_get((kPaths.pin_root + "/ub1/stats").c_str()));
  auto mapped = rt::StatsMap::open(stats.get());
  if (!mapped) {
    std::cerr << mapped.error().to_string() << "\n";
    std::exit(1);
  }
  for (;;) {
    if (mapped->total(slot).packets > 0) break;
    if (std::chrono::duration<double>(Clock::now() - t0).count() > 10) {
      std::cerr << "the new rule never counted a packet\n";
      std::exit(1);
    }
  }
  out.effect_us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
  return out;
}

std::vector<tc2xdp::ir::Command> commands(const std::string& text) {
  tc2xdp::Diagnostics diags;
  auto cmds = tc2xdp::frontend::tc::parse_batch(text, "bench.tc", diags);
  if (diags.has_errors()) {
    std::cerr << diags.to_string();
    std::exit(1);
  }
  return cmds;
}

// The same through a Datapath kept in memory (as the daemon holds it): apply(delta).
Applied apply_delta_and_wait(rt::Datapath& dp, const std::vector<tc2xdp::ir::Command>& delta,
                             int stats_fd, bool watch = false) {
  tc2xdp::Diagnostics diags;
  std::optional<EffectWatch> watcher;
  // The first slot no rule holds: where the one-shot path files a new rule too.
  if (watch) watcher.emplace(stats_fd, static_cast<uint32_t>(dp.rules().size()));
  const auto t0 = Clock::now();
  auto report = dp.apply(delta, diags);
  const auto t1 = Clock::now();
  if (!report) {
    std::cerr << report.error().to_string() << "\n";
    std::exit(1);
  }
  // A slot freed by the previous delete is quarantined: the rule may have another one.
  const auto& rule = delta[0].rule;
  const uint32_t slot = dp.stats_slot(rule.chain, rule.pref, 1).value_or(0);
  Applied out{*report, std::chrono::duration<double, std::micro>(t1 - t0).count(), 0};
  if (watcher) return with_watched_effect(out, *watcher, t0);
  auto mapped = rt::StatsMap::open(stats_fd);
  if (!mapped) {
    std::cerr << mapped.error().to_string() << "\n";
    std::exit(1);
  }
  for (;;) {
    if (mapped->total(slot).packets > 0) break;
    if (std::chrono::duration<double>(Clock::now() - t0).count() > 10) {
      std::cerr << "the new rule never counted a packet\n";
      std::exit(1);
    }
  }
  out.effect_us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
  return out;
}

void apply_quiet(const std::string& text) {
  tc2xdp::Diagnostics diags;
  rt::ApplyOptions options;
  options.paths = kPaths;
  auto report = rt::Datapath::apply(kDev, parse(text), options, diags);
  if (!report) {
    std::cerr << report.error().to_string() << "\n";
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<size_t> sizes = {100, 1000, 10000};
  int runs = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--sizes") {
      sizes = bench::parse_sizes(argv[i + 1]);
    } else if (a == "--runs") {
      runs = std::stoi(argv[i + 1]);
    } else {
      std::cerr << "usage: update_bench [--sizes 100,1000,10000] [--runs N]\n";
      return 2;
    }
  }
  if (geteuid() != 0 || unshare(CLONE_NEWNET) != 0) {
    std::cerr << "update_bench needs root (a private network namespace)\n";
    return 1;
  }
  if (std::system("ip link set lo up && ip link add ub0 type veth peer name ub1 && "
                  "ip link set ub0 up && ip link set ub1 up") != 0)
    return 1;

  std::printf("%7s %-18s %5s %12s %12s %12s %9s\n", "rules", "change", "runs", "median_us",
              "p99_us", "call_med_us", "map_wr");
  for (size_t n : sizes) {
    (void)rt::Datapath::detach(kDev, kPaths);
    apply_quiet(base_rules(n));
    Sender sender("ub0");
    const std::string base = base_rules(n);
    // The added rule takes the first slot nobody held: n.
    const std::string data_rule = "filter add dev ub1 ingress pref " + std::to_string(n + 1) +
                                  " protocol ip flower ip_proto udp dst_port " +
                                  std::to_string(kProbePort) + " action drop\n";
    const std::string shape_rule = "filter add dev ub1 ingress pref " + std::to_string(n + 1) +
                                   " protocol ip flower ip_proto udp src_port 1234 dst_port " +
                                   std::to_string(kProbePort) + " action drop\n";
    for (const auto& [name, rule, count] :
         {std::tuple{"data-only", data_rule, runs},
          std::tuple{"shape", shape_rule, std::max(3, runs / 4)}}) {
      std::vector<double> effect, call;
      uint32_t writes = 0;
      bool all_as_named = true;
      for (int r = 0; r < count; ++r) {
        const bool shape = std::string(name) == "shape";
        const Applied a = apply_and_wait(base + rule, static_cast<uint32_t>(n), -1, shape);
        effect.push_back(a.effect_us);
        call.push_back(a.call_us);
        writes = a.report.map_writes;
        all_as_named &= a.report.data_only == (std::string(name) == "data-only");
        apply_quiet(base);  // and back
      }
      std::printf("%7zu %-18s %5d %12.1f %12.1f %12.1f %9u%s\n", n, name, count,
                  bench::percentile(effect, 0.5), bench::percentile(effect, 0.99),
                  bench::percentile(call, 0.5), writes,
                  all_as_named ? "" : "  (path differed from its name!)");
    }
    // In process: one Datapath, deltas of one rule (add, then delete it again).
    {
      auto dp = rt::Datapath::open(kDev, kPaths);
      if (!dp) {
        std::cerr << dp.error().to_string() << "\n";
        return 1;
      }
      rt::UniqueFd stats(bpf_obj_get((kPaths.pin_root + "/ub1/stats").c_str()));
      const auto add = commands(data_rule);
      auto del = add;
      del[0].op = tc2xdp::ir::CommandOp::kDelete;
      // The first change opens the live maps and indexes the tables (once per process, as a
      // daemon does at start): timed apart from the steady state.
      {
        tc2xdp::Diagnostics diags;
        const auto t0 = Clock::now();
        if (!dp->apply(add, diags) || !dp->apply(del, diags)) return 1;
        std::printf("%7zu %-18s %5d %12s %12s %12.1f\n", n, "first delta (cold)", 1, "-", "-",
                    std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      }
      // A rule of the table's mask, one of a new mask (UDP, any port: a spare tuple), and one
      // keying a component the table does not pack (a shape change: compile, load, swap), as
      // a daemon applies them.
      const std::string new_mask_rule = "filter add dev ub1 ingress pref " + std::to_string(n + 1) +
                                        " protocol ip flower ip_proto udp action drop\n";
      for (const auto& [name, text, in_place, count] :
           {std::tuple{"data-only (delta)", data_rule, true, runs},
            std::tuple{"new mask (delta)", new_mask_rule, true, runs},
            std::tuple{"shape (delta)", shape_rule, false, std::max(3, runs / 4)}}) {
        const auto adds = commands(text);
        auto dels = adds;
        dels[0].op = tc2xdp::ir::CommandOp::kDelete;
        std::vector<double> effect, call;
        uint32_t writes = 0;
        bool all_as_named = true;
        std::string last_refusal;
        std::vector<std::pair<std::string, double>> last_phases;
        for (int r = 0; r < count; ++r) {
          const Applied a = apply_delta_and_wait(*dp, adds, stats.get(), !in_place);
          effect.push_back(a.effect_us);
          call.push_back(a.call_us);
          writes = std::max(writes, a.report.map_writes);
          all_as_named &= a.report.data_only == in_place;
          last_phases = a.report.phases_ms;
          if (in_place && !a.report.not_in_place.empty()) last_refusal = a.report.not_in_place;
          // Back to the base shape: a delete in place would keep the wider program live, and
          // the next add of the rule would go in as data.
          tc2xdp::Diagnostics diags;
          rt::ApplyOptions restore;
          restore.recompile = !in_place;
          if (!dp->apply(dels, diags, restore)) return 1;
        }
        if (!last_refusal.empty())
          std::printf("        (not in place: %s)\n", last_refusal.c_str());
        std::printf("%7zu %-18s %5d %12.1f %12.1f %12.1f %9u%s\n", n, name, count,
                    bench::percentile(effect, 0.5), bench::percentile(effect, 0.99),
                    bench::percentile(call, 0.5), writes,
                    all_as_named ? "" : "  (path differed from its name!)");
        if (!last_phases.empty()) {
          std::printf("        (last run:");
          for (const auto& [phase, ms] : last_phases)
            std::printf(" %s %.1f ms,", phase.c_str(), ms);
          std::printf(")\n");
        }
      }
    }
  }

  // Insert rate on the largest size: one rule per apply(), then one batch of many.
  const size_t n = sizes.back();
  (void)rt::Datapath::detach(kDev, kPaths);
  apply_quiet(base_rules(n));
  std::string text = base_rules(n);
  const int singles = 50;
  auto t0 = Clock::now();
  for (int i = 0; i < singles; ++i) {
    text += base_rule(n + i);
    apply_quiet(text);
  }
  const double single_s = std::chrono::duration<double>(Clock::now() - t0).count();
  const size_t batch = std::max<size_t>(1000, n / 10);
  for (size_t i = 0; i < batch; ++i) text += base_rule(n + singles + i);
  t0 = Clock::now();
  apply_quiet(text);
  const double batch_s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf(
      "\ninsert rate at %zu rules, apply(ifname, rules): single %.0f rules/s (%d applies), "
      "batched %.0f rules/s (%zu rules in one apply)\n",
      n, singles / single_s, singles, batch / batch_s, batch);
  // The same through apply(delta) on a Datapath in memory.
  {
    (void)rt::Datapath::detach(kDev, kPaths);
    apply_quiet(base_rules(n));
    auto dp = rt::Datapath::open(kDev, kPaths);
    if (!dp) return 1;
    tc2xdp::Diagnostics diags;
    {  // warm: open the live maps and index the tables, as a running daemon has
      auto warm = commands(base_rule(n + singles + n / 20 + batch + 1));
      if (!dp->apply(warm, diags)) return 1;
      warm[0].op = tc2xdp::ir::CommandOp::kDelete;
      if (!dp->apply(warm, diags)) return 1;
    }
    t0 = Clock::now();
    for (int i = 0; i < singles; ++i)
      if (!dp->apply(commands(base_rule(n + i)), diags)) return 1;
    const double delta_single_s = std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("insert rate at %zu rules, apply(delta): single %.0f rules/s\n", n,
                singles / delta_single_s);
    // A batch within the counters' headroom (a sixteenth of the rules: n / 20 fits after the
    // singles) is filed in place; the next one, past it, grows the maps by a recompile.
    size_t next = n + singles;
    for (const size_t count : {n / 20, batch}) {
      std::string more;
      for (size_t i = 0; i < count; ++i) more += base_rule(next + i);
      next += count;
      const auto cmds = commands(more);
      t0 = Clock::now();
      auto report = dp->apply(cmds, diags);
      if (!report) return 1;
      const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
      std::printf("  batched %.0f rules/s (%zu rules, %s%s)\n", count / seconds, count,
                  report->data_only ? "map writes" : "recompiled: ",
                  report->data_only ? "" : report->not_in_place.c_str());
    }
  }
  (void)rt::Datapath::detach(kDev, kPaths);
  return 0;
}
