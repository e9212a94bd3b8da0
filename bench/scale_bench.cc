// The comparative scale benchmark: ClassBench acl1/fw1 at 1k and 10k rules and a synthetic 100k
// set, each measured as
//  - tc2xdp: compile time (tc text -> attached), map memory per rule, ns/packet by
//    BPF_PROG_TEST_RUN next to an empty XDP program, live packet rate on a veth next to an empty
//    XDP_DROP program;
//  - nftables: the same rules on the veth's netdev ingress hook (no XDP attached);
//  - Open vSwitch: the same rules as OpenFlow flows on a userspace (netdev) bridge with the veth.
// One trace per set (rules hit across the whole set, plus misses) is used everywhere; each path's
// per-rule counts are checked against ClassBench's first-match semantics, and tc2xdp's deciding
// rule and verdict per packet. Prints a table and writes JSON (bench/run_scale.sh adds the plot).
//
//   build/bench/scale_bench [--sets acl1_1k,acl1_10k,fw1_1k,fw1_10k,synthetic_100k]
//       [--no-xdp] [--no-nft] [--no-ovs] [--rounds 5] [--window 1.0] [--packets 1024]
//       [--repeat 100] [--compile-runs 3] [--compile-timeout 300] [--json FILE]
#include <net/if.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "classbench.h"
#include "scale/competitors.h"
#include "scale/report.h"
#include "scale/system.h"
#include "scale/trace.h"
#include "scale/trace_sender.h"
#include "scale/xdp_path.h"
#include "synthetic.h"
#include "tc2xdp/runtime/map_io.h"
#include "tc2xdp/runtime/test_run.h"
#include "tc2xdp/runtime/xdp_link.h"

namespace {

namespace rt = tc2xdp::runtime;
using bench::Clock;
using bench::seconds_since;

const char* kSender = "tbs";
const char* kReceiver = "tbr";
const char* kBridge = "tbbr";
const rt::DatapathPaths kPaths{"/sys/fs/bpf/tb_scale", "/run/tb_scale"};

struct Options {
  std::vector<std::string> sets = {"acl1_1k", "acl1_10k", "fw1_1k", "fw1_10k", "synthetic_100k"};
  bool xdp = true, nft = true, ovs = true;
  int rounds = 5;
  double window_s = 1.0;
  size_t packets = 1024;
  uint32_t repeat = 100;
  int compile_runs = 3;
  double compile_timeout_s = 300;
  uint64_t seed = 1;
  std::string data = std::string(TC2XDP_SOURCE_DIR) + "/../shared/data/classbench";
  std::string json = std::string(TC2XDP_SOURCE_DIR) + "/bench/results/scale.json";
};

bool parse_args(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--no-xdp") {
      o.xdp = false;
    } else if (a == "--no-nft") {
      o.nft = false;
    } else if (a == "--no-ovs") {
      o.ovs = false;
    } else if (i + 1 >= argc) {
      return false;
    } else if (a == "--sets") {
      o.sets.clear();
      std::stringstream list(argv[++i]);
      for (std::string s; std::getline(list, s, ',');) o.sets.push_back(s);
    } else if (a == "--rounds") {
      o.rounds = std::stoi(argv[++i]);
    } else if (a == "--window") {
      o.window_s = std::stod(argv[++i]);
    } else if (a == "--packets") {
      o.packets = std::stoul(argv[++i]);
    } else if (a == "--repeat") {
      o.repeat = std::stoul(argv[++i]);
    } else if (a == "--compile-runs") {
      o.compile_runs = std::stoi(argv[++i]);
    } else if (a == "--compile-timeout") {
      o.compile_timeout_s = std::stod(argv[++i]);
    } else if (a == "--seed") {
      o.seed = std::stoull(argv[++i]);
    } else if (a == "--data") {
      o.data = argv[++i];
    } else if (a == "--json") {
      o.json = argv[++i];
    } else {
      return false;
    }
  }
  return o.packets > 0 && (o.packets & (o.packets - 1)) == 0 && o.rounds > 0;
}

std::optional<std::vector<classbench::Filter>> load_set(const std::string& name, const Options& o) {
  if (name.rfind("synthetic_", 0) == 0) {
    std::string count = name.substr(10);
    size_t scale = 1;
    if (!count.empty() && count.back() == 'k') {
      scale = 1000;
      count.pop_back();
    }
    return classbench::synthetic_filters(std::stoul(count) * scale, o.seed);
  }
  std::ifstream in(o.data + "/" + name);
  if (!in) {
    std::cerr << o.data << "/" << name << ": cannot open\n";
    return std::nullopt;
  }
  std::vector<classbench::Filter> filters;
  std::string line, error;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto f = classbench::parse_line(line, error);
    if (!f) {
      std::cerr << name << ": " << error << "\n";
      return std::nullopt;
    }
    filters.push_back(*f);
  }
  return filters;
}

// Processed packets per second while the sender streams the trace for about `window_s`: chunks
// grow until one takes a noticeable share of the window, so slow receivers are not overrun.
double live_rate(const bench::TraceSender& sender, uint32_t ifindex,
                 const std::function<uint64_t()>& processed, double window_s) {
  const uint64_t before = processed();
  const auto start = Clock::now();
  uint32_t chunk = 256;
  while (seconds_since(start) < window_s) {
    const auto t = Clock::now();
    if (!sender.send(ifindex, chunk)) return 0;
    if (seconds_since(t) < window_s / 16 && chunk < (1u << 22)) chunk *= 2;
  }
  const double elapsed = seconds_since(start);
  return (processed() - before) / elapsed;
}

// Sends the trace once, in bursts of 32 a receiver takes without loss: the next burst goes when
// `done` (if given) has counted the previous one, or after two seconds.
bool send_trace_once(const bench::TraceSender& sender, uint32_t ifindex, size_t packets,
                     const std::function<uint64_t()>& done = {}) {
  if (!sender.rewind()) return false;
  const uint64_t start = done ? done() : 0;
  for (size_t sent = 0; sent < packets; sent += 32) {
    if (!sender.send(ifindex, 32)) return false;
    const auto t = Clock::now();
    while (done && done() - start < sent + 32 && seconds_since(t) < 2)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

std::string compare_counts(const std::vector<uint64_t>& got, const std::vector<uint64_t>& want) {
  if (got.size() != want.size())
    return "FAIL: " + std::to_string(got.size()) + " counters for " + std::to_string(want.size());
  size_t wrong = 0;
  for (size_t i = 0; i < got.size(); ++i) wrong += got[i] != want[i];
  if (wrong == 0) return "ok";
  uint64_t total = 0;
  for (auto c : got) total += c;
  return "FAIL: " + std::to_string(wrong) + " rules counted differently (" + std::to_string(total) +
         " packets counted)";
}

void measure_xdp(const std::vector<classbench::Filter>& filters,
                 const std::vector<bench::TracePacket>& trace, const bench::TraceSender& sender,
                 int empty_fd, const Options& o, bench::Row& row) {
  const std::string tc_text =
      classbench::to_tc_batch(filters, kReceiver, classbench::ActionPolicy::kDrop);
  const uint32_t sender_if = if_nametoindex(kSender), receiver_if = if_nametoindex(kReceiver);
  std::vector<double> parse, total;
  for (int run = 0; run < o.compile_runs; ++run) {
    (void)rt::Datapath::detach(kReceiver, kPaths);
    const auto c = bench::compile_in_child(tc_text, kReceiver, kPaths, o.compile_timeout_s);
    if (!c.ok) {
      row.xdp_error = c.error;
      break;
    }
    parse.push_back(c.parse_s);
    total.push_back(c.total_s);
    row.instructions = c.instructions;
  }
  // The empty program's live rate is measured whatever happened to the compile.
  std::vector<double> empty_rates, prog_rates;
  auto rx = [&] { return bench::rx_packets(kReceiver); };
  if (!row.xdp_error.empty()) {
    for (int round = 0; round < o.rounds; ++round) {
      auto link = rt::XdpLink::attach(receiver_if, empty_fd, rt::XdpMode::kNative);
      if (!link) break;
      empty_rates.push_back(live_rate(sender, sender_if, rx, o.window_s));
      (void)link->detach();
    }
    row.empty_pps = bench::median(empty_rates);
    return;
  }
  row.compile_s = bench::median(total);
  row.parse_s = bench::median(parse);
  auto attached = bench::open_attached(kReceiver, kPaths);
  if (!attached) {
    row.xdp_error = attached.error().to_string();
    return;
  }
  row.map_bytes = attached->map_bytes;
  row.map_bytes_declared = attached->map_bytes_declared;

  // ns/packet, side by side per packet, and every packet's deciding rule and verdict.
  const int prog = attached->program.get(), last = attached->last_match.get();
  const int cpus = rt::possible_cpus().value_or(1);
  const std::vector<uint8_t> zeros(8 * cpus, 0);
  const uint32_t key = 0;
  double empty_sum = 0, prog_sum = 0;
  size_t wrong = 0;
  for (const auto& t : trace) {
    (void)rt::update_elem(last, rt::bytes_of(key), zeros);
    auto once = rt::test_run(prog, t.frame);
    auto decided = rt::read_percpu_counter(last, 0);
    long filter = -1;
    if (decided && *decided > 0 && *decided <= attached->filter_of_rule.size())
      filter = attached->filter_of_rule[*decided - 1];
    const uint32_t verdict = t.expected >= 0 ? 1 /* XDP_DROP */ : 2 /* XDP_PASS */;
    wrong += !once || !decided || filter != t.expected || once->retval != verdict;
    auto e = rt::test_run(empty_fd, t.frame, {.repeat = o.repeat});
    auto p = rt::test_run(prog, t.frame, {.repeat = o.repeat});
    if (e && p) {
      empty_sum += e->duration_ns;
      prog_sum += p->duration_ns;
    }
  }
  row.empty_ns = empty_sum / trace.size();
  row.prog_ns = prog_sum / trace.size();
  row.xdp_packet_check =
      wrong ? "FAIL: " + std::to_string(wrong) + " packets decided differently" : "ok";

  // Live: the trace once, counted per rule by the program's own counters; then timed rounds with
  // the empty program and the compiled one taking turns on the same veth.
  const size_t lines = filters.size();
  const uint64_t rx_before = rx();
  const auto before = bench::rule_histogram(kReceiver, kPaths, attached->filter_of_rule, lines, 0);
  send_trace_once(sender, sender_if, trace.size(), rx);
  const uint64_t seen = rx() - rx_before;
  auto after = bench::rule_histogram(kReceiver, kPaths, attached->filter_of_rule, lines, 0);
  std::vector<uint64_t> got(lines + 1, 0);
  uint64_t decided = 0;
  for (size_t i = 0; i < lines; ++i) decided += got[i] = after[i] - before[i];
  got[lines] = seen - decided;
  row.xdp_live_check = compare_counts(got, bench::expected_histogram(trace, lines));
  // Turns on one veth: the empty program and the compiled one, each attached afresh (the pinned
  // link refuses to swap in the two-instruction empty program: EINVAL).
  (void)rt::Datapath::detach(kReceiver, kPaths);
  for (int round = 0; round < o.rounds; ++round) {
    for (int which : {0, 1}) {
      auto link = rt::XdpLink::attach(receiver_if, which ? prog : empty_fd, rt::XdpMode::kNative);
      if (!link) {
        row.xdp_error = link.error().to_string();
        return;
      }
      (which ? prog_rates : empty_rates).push_back(live_rate(sender, sender_if, rx, o.window_s));
      (void)link->detach();
    }
  }
  row.empty_pps = bench::median(empty_rates);
  row.xdp_pps = bench::median(prog_rates);
}

void measure_nft(const std::vector<classbench::Filter>& filters,
                 const std::vector<bench::TracePacket>& trace, const bench::TraceSender& sender,
                 const Options& o, bench::Row& row) {
  bench::NftChain chain;
  if (!chain.load(filters, "tb_scale", kReceiver, row.nft_load_s)) {
    row.nft_error = "nft -f failed";
    chain.remove();
    return;
  }
  const uint32_t sender_if = if_nametoindex(kSender);
  auto rx = [&] { return bench::rx_packets(kReceiver); };
  const auto before = chain.counters();
  const uint64_t rx_before = rx();
  send_trace_once(sender, sender_if, trace.size(), rx);
  const uint64_t seen = rx() - rx_before;
  auto after = chain.counters();
  std::vector<uint64_t> got(after.size());
  uint64_t counted = 0;
  for (size_t i = 0; i < after.size() && i < before.size(); ++i)
    counted += got[i] = after[i] - before[i];
  row.nft_check = compare_counts(got, bench::expected_histogram(trace, filters.size()));
  if (counted != seen)
    row.nft_check +=
        " (device saw " + std::to_string(seen) + ", chain " + std::to_string(counted) + ")";
  std::vector<double> rates;
  for (int round = 0; round < o.rounds; ++round)
    rates.push_back(live_rate(sender, sender_if, rx, o.window_s));
  row.nft_pps = bench::median(rates);
  chain.remove();
}

void measure_ovs(const std::vector<classbench::Filter>& filters,
                 const std::vector<bench::TracePacket>& trace, const bench::TraceSender& sender,
                 const Options& o, bench::Row& row) {
  bench::OvsSwitch ovs;
  // ovs-vswitchd gets the CPU the sender and the veth's NAPI do not use.
  if (!ovs.start("/run/tb_scale_ovs", kBridge, kReceiver, 1)) {
    row.ovs_error = "could not start ovsdb-server/ovs-vswitchd (see /run/tb_scale_ovs/*.log)";
    return;
  }
  if (!ovs.load(filters, row.ovs_load_s)) {
    row.ovs_error = "ovs-ofctl add-flows failed";
    return;
  }
  row.ovs_flows = ovs.flows();
  const uint32_t sender_if = if_nametoindex(kSender);
  // The first pass also installs the datapath's megaflows (upcalls); its counts are the check.
  auto received = [&] { return ovs.packets_received(); };
  send_trace_once(sender, sender_if, trace.size(), received);
  const auto got = ovs.rule_counters(filters.size(), trace.size(), 10);
  row.ovs_check = compare_counts(got, bench::expected_histogram(trace, filters.size()));
  std::vector<double> rates;
  for (int round = 0; round < o.rounds; ++round)
    rates.push_back(live_rate(sender, sender_if, received, o.window_s));
  row.ovs_pps = bench::median(rates);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse_args(argc, argv, o)) {
    std::cerr << "usage: scale_bench [--sets acl1_1k,acl1_10k,fw1_1k,fw1_10k,synthetic_100k]\n"
                 "    [--no-xdp] [--no-nft] [--no-ovs] [--rounds R] [--window SECONDS]\n"
                 "    [--packets N (a power of two)] [--repeat R] [--compile-runs N]\n"
                 "    [--compile-timeout SECONDS] [--seed S] [--data DIR] [--json FILE]\n";
    return 2;
  }
  if (!bench::make_private_veth(kSender, kReceiver)) {
    std::cerr << "scale_bench: needs root (network namespace, veth, BPF)\n";
    return 1;
  }
  bench::pin_to_cpu(0);  // the sender and the veth's NAPI share CPU 0
  auto empty = rt::load_trivial_xdp(1, "t2x_drop");
  if (!empty) {
    std::cerr << empty.error().to_string() << "\n";
    return 1;
  }
  std::printf(
      "trace: %zu packets per set (10%% aimed at no rule), live windows of %.1f s, "
      "medians of %d rounds, BPF_PROG_TEST_RUN repeat %u\n",
      o.packets, o.window_s, o.rounds, o.repeat);
  std::vector<bench::Row> rows;
  for (const auto& name : o.sets) {
    auto filters = load_set(name, o);
    if (!filters) return 1;
    bench::Row row;
    row.set = name;
    row.rules = filters->size();
    const auto trace = bench::make_trace(*filters, o.packets, 42, 0.1);
    for (const auto& t : trace) row.trace_hits += t.expected >= 0;
    std::vector<std::vector<uint8_t>> frames;
    for (const auto& t : trace) frames.push_back(t.frame);
    auto sender = bench::TraceSender::create(frames);
    if (!sender) {
      std::cerr << sender.error().to_string() << "\n";
      return 1;
    }
    std::fprintf(stderr, "%s: %zu rules\n", name.c_str(), filters->size());
    if (o.xdp) measure_xdp(*filters, trace, *sender, empty->get(), o, row);
    if (o.nft) measure_nft(*filters, trace, *sender, o, row);
    if (o.ovs) measure_ovs(*filters, trace, *sender, o, row);
    bench::print_row(row, rows.empty());
    rows.push_back(row);
  }
  bench::print_notes(rows);
  bench::shell("rm -rf " + kPaths.pin_root + " " + kPaths.state_root);
  if (!bench::write_json(o.json, rows, o.packets, o.rounds, o.window_s, o.repeat)) return 1;
  std::printf("wrote %s\n", o.json.c_str());
  bool checks_ok = true;
  for (const auto& r : rows) checks_ok &= r.checks_ok();
  return checks_ok ? 0 : 1;
}
