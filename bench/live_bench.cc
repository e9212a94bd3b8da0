// Live packet rate on a veth pair: frames are transmitted by BPF_PROG_TEST_RUN in live-frames mode
// (a constant XDP_TX program on the sender's veth, `repeat` transmissions per call) and classified
// by the program attached natively to the peer. The compiled ClassBench rules (first 1, 100 and 942
// of acl1_1k, every rule `drop`) and an empty XDP_DROP program take turns on the same veth in the
// same run; rates are the receiver's processed packets (its rx counter, cross-checked with the
// compiled program's own rule counters) over the wall time of the send.
//
//   build/bench/live_bench [--sizes 1,100,942] [--packets N] [--rounds R]
#include <net/if.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "common/classbench_trace.h"
#include "common/figures.h"
#include "tc2xdp/codegen/compile.h"
#include "tc2xdp/frontend/tc.h"
#include "tc2xdp/plan/plan.h"
#include "tc2xdp/runtime/bpf_object.h"
#include "tc2xdp/runtime/map_io.h"
#include "tc2xdp/runtime/stats_map.h"
#include "tc2xdp/runtime/table_fill.h"
#include "tc2xdp/runtime/test_run.h"
#include "tc2xdp/runtime/trivial_program.h"
#include "tc2xdp/runtime/xdp_link.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace rt = tc2xdp::runtime;

std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  pclose(pipe);
  return out;
}

// The receiver's rx packet counter, through netlink (`ip -s -j`), in this network namespace.
uint64_t rx_packets(const std::string& dev) {
  const std::string json = run("ip -s -j link show " + dev);
  const size_t rx = json.find("\"rx\":");
  const size_t packets = json.find("\"packets\":", rx);
  return rx == std::string::npos ? 0 : std::stoull(json.substr(packets + 10));
}

struct Receiver {
  std::string name;
  int prog_fd = -1;
  int stats_fd = -1;  // the compiled program's counters, -1 for the empty program
  size_t rules = 0;
};

uint64_t counted_by_rules(const Receiver& r, size_t slots) {
  auto stats = rt::StatsMap::open(r.stats_fd);
  if (!stats) return 0;
  uint64_t sum = 0;
  for (uint32_t slot = 0; slot < slots; ++slot) sum += stats->total(slot).packets;
  return sum;
}

// One timed send of `packets` frames; returns processed packets per second at the receiver.
double measure(const Receiver& r, int sender_fd, uint32_t sender_ifindex,
               const std::vector<uint8_t>& frame, uint32_t packets, size_t slots,
               uint32_t receiver_ifindex, bool& consistent) {
  auto link = rt::XdpLink::attach(receiver_ifindex, r.prog_fd, rt::XdpMode::kNative);
  if (!link) {
    std::cerr << link.error().to_string() << "\n";
    std::exit(1);
  }
  const uint64_t rx_before = rx_packets("lvb");
  const uint64_t rules_before = r.stats_fd >= 0 ? counted_by_rules(r, slots) : 0;
  const auto start = Clock::now();
  auto sent =
      rt::test_run(sender_fd, frame,
                   {.repeat = packets, .ingress_ifindex = sender_ifindex, .live_frames = true});
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (!sent) {
    std::cerr << sent.error().to_string() << "\n";
    std::exit(1);
  }
  const uint64_t processed = rx_packets("lvb") - rx_before;
  if (r.stats_fd >= 0) {
    const uint64_t counted = counted_by_rules(r, slots) - rules_before;
    if (counted != processed) {
      consistent = false;
      std::fprintf(stderr, "  %s: rx %lu, rule counters %lu\n", r.name.c_str(), processed, counted);
    }
  }
  (void)link->detach();
  return processed / seconds;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<size_t> sizes = {1, 100, 942};
  uint32_t packets = 2'000'000;
  int rounds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--packets")
      packets = std::stoul(argv[i + 1]);
    else if (a == "--rounds")
      rounds = std::stoi(argv[i + 1]);
    else if (a == "--sizes") {
      sizes = bench::parse_sizes(argv[i + 1]);
    }
  }
  // A private network namespace: the veth pair and its traffic vanish with the process.
  if (unshare(CLONE_NEWNET) != 0 ||
      std::system("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1"
                  " && ip link set lo up && ip link add lva type veth peer name lvb && "
                  "ip link set lva up && ip link set lvb up") != 0) {
    std::cerr << "live_bench: needs root (network namespace, veth)\n";
    return 1;
  }
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  sched_setaffinity(0, sizeof one, &one);  // sender and the veth's NAPI share CPU 0
  const uint32_t lva = if_nametoindex("lva"), lvb = if_nametoindex("lvb");
  auto tx = rt::load_trivial_xdp(3, "t2x_tx");
  auto empty = rt::load_trivial_xdp(1, "t2x_drop");
  if (!tx || !empty) return 1;

  std::ifstream in(std::string(TC2XDP_SOURCE_DIR) + "/../shared/data/classbench/acl1_1k");
  std::vector<classbench::Filter> all;
  std::string line, error;
  while (std::getline(in, line))
    if (auto f = classbench::parse_line(line, error)) all.push_back(*f);

  std::printf("live frames: %u packets per send, %d rounds (medians), sender+NAPI on CPU 0\n",
              packets, rounds);
  std::printf("%6s %12s %12s %7s %10s\n", "rules", "empty_Mpps", "prog_Mpps", "ratio", "counters");
  for (size_t n : sizes) {
    std::vector<classbench::Filter> filters(all.begin(), all.begin() + std::min(n, all.size()));
    std::string text;
    for (size_t i = 0; i < filters.size(); ++i)
      text += classbench::to_tc(filters[i], i + 1, "lvb", classbench::ActionPolicy::kDrop) + "\n";
    tc2xdp::ir::RuleSet rules;
    tc2xdp::Diagnostics diags;
    if (!tc2xdp::frontend::tc::load_rules(text, "acl1_1k", rules, diags)) return 1;
    const auto plan = tc2xdp::plan::make_plan(rules, {}, diags);
    auto program = tc2xdp::codegen::compile(rules, plan);
    if (!program) return 1;
    auto object = rt::BpfObject::load(program->object);
    if (!object) {
      std::cerr << object.error().to_string() << "\n";
      return 1;
    }
    if (auto s = rt::write_tables(plan, *object); !s) {
      std::cerr << s.error().to_string() << "\n";
      return 1;
    }
    const Receiver compiled{"compiled", *object->program_fd(tc2xdp::codegen::kProgramName),
                            *object->map_fd(tc2xdp::codegen::kStatsMap), n};
    const Receiver baseline{"empty", empty->get(), -1, 0};
    // The frame hits the set's last rule: the worst case for a linear program.
    const auto& target = filters.back();
    std::mt19937_64 rng(7);
    const auto frame = bench::ipv4_frame(
        bench::random_in_prefix(target.src, rng), bench::random_in_prefix(target.dst, rng),
        target.proto_wildcard ? 6 : target.proto, bench::random_in_span(target.sport, rng),
        bench::random_in_span(target.dport, rng));
    std::vector<double> empty_rates, prog_rates;
    bool consistent = true;
    for (int round = 0; round < rounds; ++round) {
      empty_rates.push_back(measure(baseline, tx->get(), lva, frame, packets, 0, lvb, consistent));
      prog_rates.push_back(
          measure(compiled, tx->get(), lva, frame, packets, plan.stats_slots, lvb, consistent));
    }
    const double e = median(empty_rates) / 1e6, p = median(prog_rates) / 1e6;
    std::printf("%6zu %12.2f %12.2f %6.1f%% %10s\n", n, e, p, 100 * p / e,
                consistent ? "match" : "DIFFER");
  }
  return 0;
}
