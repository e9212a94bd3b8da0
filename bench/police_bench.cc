// Accuracy of the compiled police action under load: one policed rule (conform pass, exceed drop),
// frames offered by BPF_PROG_TEST_RUN at several times the configured rate for a few seconds,
// from one CPU or from two CPUs at once (threads pinned, each offering its share), all through one
// bucket. The conforming rate is the policer's own counters (packets - overlimits) over the
// measured window, after a warm-up that spends the initial burst.
//
//   build/bench/police_bench [--seconds S] [--warmup S] [--offered X] [--cpus 1,2] [--flood]
//
// Byte rates are measured as act_police counts bytes (qdisc_pkt_len at ingress: the frame
// without its MAC header; the frames here are 1014 bytes, 1000 counted).
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/figures.h"
#include "tc2xdp/codegen/compile.h"
#include "tc2xdp/frontend/tc.h"
#include "tc2xdp/plan/plan.h"
#include "tc2xdp/runtime/police_state.h"
#include "tc2xdp/runtime/program_check.h"
#include "tc2xdp/runtime/test_run.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace tc2xdp;

struct Options {
  double seconds = 3;
  double warmup = 0.5;
  double offered = 4;  // times the configured rate
  std::vector<size_t> cpus = {1, 2};
  bool flood = false;  // no pacing: every CPU offers all it can
};

struct Case {
  const char* name;  // as configured
  std::string police;
  bool packets;       // a packet rate (else bytes)
  double rate;        // bytes or packets per second
  size_t frame_size;  // bytes on the wire
};

struct Measured {
  double conforming = 0;  // bytes (or packets) per second
  double offered = 0;
  uint64_t runs = 0;
};

std::vector<uint8_t> udp_frame(size_t size) {
  std::vector<uint8_t> f(size, 0);
  const uint8_t head[] = {2,    0, 0, 0, 0,  2, 2, 0, 0,  0,  0, 1, 0x08, 0x00,  // eth
                          0x45, 0, 0, 0, 0,  1, 0, 0, 64, 17, 0, 0,              // ipv4
                          10,   0, 0, 1, 10, 0, 0, 2};
  std::copy(std::begin(head), std::end(head), f.begin());
  const size_t ip_len = size - 14;
  f[16] = static_cast<uint8_t>(ip_len >> 8);
  f[17] = static_cast<uint8_t>(ip_len);
  return f;
}

void pin(size_t cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

// The policer's conforming units (bytes or packets) so far.
double conformed(const runtime::PoliceMapFds& maps, uint32_t id, bool packets, size_t len) {
  auto read = runtime::read_policer(maps, id);
  if (!read) return 0;
  const double n = static_cast<double>(read->counters.packets - read->counters.overlimits);
  return packets ? n : n * static_cast<double>(len);
}

std::optional<Measured> run_case(const Case& c, size_t ncpu, const Options& o) {
  const std::string text = "filter add dev eth0 ingress pref 1 protocol ip flower action police " +
                           c.police + " conform-exceed drop/ok\n";
  ir::RuleSet rules;
  Diagnostics diags;
  if (!frontend::tc::load_rules(text, "bench.tc", rules, diags)) {
    std::fprintf(stderr, "%s", diags.to_string().c_str());
    return std::nullopt;
  }
  const plan::Plan plan = plan::make_plan(rules, {}, diags);
  auto program = codegen::compile(rules, plan);
  if (!program) return std::nullopt;
  auto loaded = runtime::LoadedProgram::load(plan, *program, {});
  if (!loaded) {
    std::fprintf(stderr, "%s\n", loaded.error().to_string().c_str());
    return std::nullopt;
  }
  const uint32_t id = plan.policers.at(0).id;
  const std::vector<uint8_t> frame = udp_frame(c.frame_size);
  const size_t len = c.frame_size - 14;
  // Offered units per second per CPU, in batches of about a millisecond.
  const double per_cpu = o.offered * c.rate / static_cast<double>(ncpu);
  const double frames_per_sec = c.packets ? per_cpu : per_cpu / static_cast<double>(len);
  const uint32_t batch = std::max<uint32_t>(1, static_cast<uint32_t>(frames_per_sec / 1000));
  const auto interval = std::chrono::duration<double>(batch / frames_per_sec);

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> runs{0};
  std::vector<std::thread> threads;
  const int prog = loaded->program_fd();
  for (size_t cpu = 0; cpu < ncpu; ++cpu) {
    threads.emplace_back([&, cpu] {
      pin(cpu);
      // One frame per call: BPF_PROG_TEST_RUN with repeat > 1 swaps the XDP dispatcher in and out
      // (tens of milliseconds a call here), which would make the load bursty.
      auto next = Clock::now();
      uint64_t mine = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        for (uint32_t k = 0; k < batch; ++k)
          if (runtime::test_run(prog, frame)) ++mine;
        if (o.flood) continue;
        next += std::chrono::duration_cast<Clock::duration>(interval);
        std::this_thread::sleep_until(next);
      }
      runs += mine;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(o.warmup));
  const double start_units = conformed(loaded->police_maps(), id, c.packets, len);
  const uint64_t start_runs = runs.load();
  (void)start_runs;
  const auto start = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
  const double end_units = conformed(loaded->police_maps(), id, c.packets, len);
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  stop = true;
  for (auto& t : threads) t.join();
  auto read = runtime::read_policer(loaded->police_maps(), id);
  Measured m;
  m.conforming = (end_units - start_units) / elapsed;
  m.runs = read ? read->counters.packets : 0;
  const double total_time = o.warmup + o.seconds;
  m.offered =
      static_cast<double>(m.runs) * (c.packets ? 1.0 : static_cast<double>(len)) / total_time;
  return m;
}

// The kernel's average ns per run of `rule` over a 64-byte frame (BPF_PROG_TEST_RUN, repeat).
std::optional<double> ns_per_frame(const std::string& rule) {
  ir::RuleSet rules;
  Diagnostics diags;
  if (!frontend::tc::load_rules("filter add dev eth0 ingress pref 1 protocol ip flower " + rule,
                                "cost.tc", rules, diags))
    return std::nullopt;
  const plan::Plan plan = plan::make_plan(rules, {}, diags);
  auto program = codegen::compile(rules, plan);
  if (!program) return std::nullopt;
  auto loaded = runtime::LoadedProgram::load(plan, *program, {});
  if (!loaded) return std::nullopt;
  auto run = runtime::test_run(loaded->program_fd(), udp_frame(64), {.repeat = 1000000});
  if (!run) return std::nullopt;
  return run->duration_ns;
}

std::string rate_text(double units, bool packets) {
  char b[32];
  if (packets) {
    std::snprintf(b, sizeof b, "%.1f kpps", units / 1e3);
  } else {
    std::snprintf(b, sizeof b, "%.2f Mbit/s", units * 8 / 1e6);
  }
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--flood") {
      o.flood = true;
    } else if (i + 1 < argc && a == "--seconds") {
      o.seconds = std::stod(argv[++i]);
    } else if (i + 1 < argc && a == "--warmup") {
      o.warmup = std::stod(argv[++i]);
    } else if (i + 1 < argc && a == "--offered") {
      o.offered = std::stod(argv[++i]);
    } else if (i + 1 < argc && a == "--cpus") {
      o.cpus = bench::parse_sizes(argv[++i]);
    } else {
      std::fprintf(stderr,
                   "usage: police_bench [--seconds S] [--warmup S] [--offered X] [--cpus 1,2] "
                   "[--flood]\n");
      return 2;
    }
  }
  const unsigned online = std::thread::hardware_concurrency();
  // Bursts of 10 ms at the rate: room for a millisecond's batch, and small next to the window.
  const std::vector<Case> cases = {
      {"10 Mbit/s", "rate 10mbit burst 12500", false, 1.25e6, 1014},
      {"100 Mbit/s", "rate 100mbit burst 125000", false, 12.5e6, 1014},
      {"1 Gbit/s", "rate 1gbit burst 1250000", false, 125e6, 1014},
      {"10 kpps", "pkts_rate 10000 pkts_burst 100", true, 1e4, 64},
      {"100 kpps", "pkts_rate 100000 pkts_burst 1000", true, 1e5, 64},
  };
  std::printf("police_bench: %.1f s per case after %.1f s warm-up, offered %s, %u CPUs online\n",
              o.seconds, o.warmup,
              o.flood ? "flat out" : (std::to_string(static_cast<int>(o.offered)) + "x").c_str(),
              online);
  std::printf("%-11s %4s  %-16s %-16s %8s\n", "configured", "CPUs", "offered", "conforming",
              "error");
  for (const Case& c : cases) {
    for (size_t ncpu : o.cpus) {
      if (ncpu > online) continue;
      auto m = run_case(c, ncpu, o);
      if (!m) return 1;
      const double error = (m->conforming - c.rate) / c.rate * 100;
      std::printf("%-11s %4zu  %-16s %-16s %+7.2f%%\n", c.name, ncpu,
                  rate_text(m->offered, c.packets).c_str(),
                  rate_text(m->conforming, c.packets).c_str(), error);
      std::fflush(stdout);
    }
  }
  // What the police step costs one CPU, uncontended: a frame that conforms (a bucket that never
  // runs dry), one that exceeds (an empty one), next to a plain pass.
  const auto pass = ns_per_frame("action pass");
  const auto conform = ns_per_frame("action police rate 100gbit burst 100m conform-exceed drop/ok");
  const auto exceed = ns_per_frame("action police rate 8bit burst 1 conform-exceed drop/ok");
  if (pass && conform && exceed)
    std::printf(
        "cost per frame (1 CPU, kernel average): pass %.1f ns, police conform %.1f ns, "
        "police exceed %.1f ns\n",
        *pass, *conform, *exceed);
  return 0;
}
