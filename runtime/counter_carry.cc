#include "counter_carry.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <map>

#include "tc2xdp/runtime/map_io.h"
#include "tc2xdp/runtime/rule_counters.h"
#include "tc2xdp/runtime/trivial_program.h"

namespace tc2xdp::runtime {

namespace {

// The per-CPU value of a counters slot, CPU by CPU.
Result<std::vector<plan::SlotCounts>> read_slot(int fd, uint32_t slot, int cpus) {
  auto bytes = lookup_elem(fd, bytes_of(slot), sizeof(plan::SlotCounts) * cpus);
  if (!bytes) return bytes.error();
  std::vector<plan::SlotCounts> out(cpus);
  std::memcpy(out.data(), bytes->data(), bytes->size());
  return out;
}

// An XDP program for BPF_PROG_TEST_RUN whose input is {u32 slot, u32 pad, u64 packets,
// u64 bytes}: it adds packets and bytes to this CPU's value of `slot` in the counters map
// atomically.
Result<UniqueFd> load_counter_adder(int stats_fd) {
  auto insn = [](uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    return bpf_insn{code, dst, src, off, imm};
  };
  constexpr uint8_t r0 = 0, r1 = 1, r2 = 2, r3 = 3, r4 = 4, r6 = 6, r7 = 7, r8 = 8, r10 = 10;
  constexpr int16_t kOut = 18;  // jump offsets count from the next instruction
  const bpf_insn program[] = {
      insn(BPF_ALU64 | BPF_MOV | BPF_X, r6, r1, 0, 0),                      // 0: ctx
      insn(BPF_LDX | BPF_MEM | BPF_W, r2, r6, 0, 0),                        // 1: data
      insn(BPF_LDX | BPF_MEM | BPF_W, r3, r6, 4, 0),                        // 2: data_end
      insn(BPF_ALU64 | BPF_MOV | BPF_X, r4, r2, 0, 0),                      // 3
      insn(BPF_ALU64 | BPF_ADD | BPF_K, r4, 0, 0, 24),                      // 4
      insn(BPF_JMP | BPF_JGT | BPF_X, r4, r3, kOut - 6, 0),                 // 5: too short
      insn(BPF_LDX | BPF_MEM | BPF_DW, r7, r2, 8, 0),                       // 6: packets
      insn(BPF_LDX | BPF_MEM | BPF_DW, r8, r2, 16, 0),                      // 7: bytes
      insn(BPF_LDX | BPF_MEM | BPF_W, r1, r2, 0, 0),                        // 8: slot
      insn(BPF_STX | BPF_MEM | BPF_W, r10, r1, -4, 0),                      // 9
      insn(BPF_LD | BPF_DW | BPF_IMM, r1, BPF_PSEUDO_MAP_FD, 0, stats_fd),  // 10-11: map
      insn(0, 0, 0, 0, 0),
      insn(BPF_ALU64 | BPF_MOV | BPF_X, r2, r10, 0, 0),             // 12
      insn(BPF_ALU64 | BPF_ADD | BPF_K, r2, 0, 0, -4),              // 13: &slot
      insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),  // 14: this CPU's value
      insn(BPF_JMP | BPF_JEQ | BPF_K, r0, 0, kOut - 16, 0),         // 15: no such slot
      insn(BPF_STX | BPF_ATOMIC | BPF_DW, r0, r7, 0, BPF_ADD),      // 16: packets
      insn(BPF_STX | BPF_ATOMIC | BPF_DW, r0, r8, 8, BPF_ADD),      // 17: bytes
      insn(BPF_ALU64 | BPF_MOV | BPF_K, r0, 0, 0, 2),               // 18: XDP_PASS
      insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),                         // 19
  };
  const int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "t2x_carry", "GPL", program,
                               sizeof program / sizeof program[0], nullptr);
  if (fd < 0) return Error{"bpf_prog_load (counter carry)", -fd, ""};
  return UniqueFd(fd);
}

// Pins the calling thread to one CPU while alive; restores its mask after.
class OnCpu {
 public:
  explicit OnCpu(int cpu) {
    ok_ = sched_getaffinity(0, sizeof saved_, &saved_) == 0;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    ok_ = ok_ && sched_setaffinity(0, sizeof one, &one) == 0;
  }
  ~OnCpu() { sched_setaffinity(0, sizeof saved_, &saved_); }
  bool ok() const { return ok_; }

 private:
  cpu_set_t saved_;
  bool ok_ = false;
};

}  // namespace

Result<CounterCarry> CounterCarry::seed(CounterMapFds from_maps, CounterMapFds to_maps,
                                        std::vector<std::pair<uint32_t, uint32_t>> slots) {
  auto cpus = possible_cpus();
  if (!cpus) return cpus.error();
  CounterCarry carry(from_maps.stats, to_maps.stats, std::move(slots), *cpus);
  // The new last-hit map is empty and not yet attached: its chunks are written whole.
  std::map<uint32_t, std::array<uint32_t, plan::kU32Chunk>> last_hits;
  for (const auto& [from, to] : carry.slots_) {
    auto stored = read_last_hit(from_maps.last_hit, from);
    if (!stored) return stored.error();
    last_hits[to / plan::kU32Chunk][to % plan::kU32Chunk] = *stored;
  }
  for (const auto& [chunk, units] : last_hits)
    if (auto s = update_elem(to_maps.last_hit, bytes_of(chunk), bytes_of(units)); !s)
      return s.error();
  for (const auto& [from, to] : carry.slots_) {
    auto value = read_slot(from_maps.stats, from, *cpus);
    if (!value) return value.error();
    if (auto s = update_elem(to_maps.stats, bytes_of(to),
                             {reinterpret_cast<const uint8_t*>(value->data()),
                              value->size() * sizeof(plan::SlotCounts)});
        !s)
      return s.error();
    carry.seeded_.push_back(std::move(*value));
  }
  return carry;
}

Result<uint64_t> CounterCarry::settle() {
  // synchronize_rcu(): an XDP program runs inside an RCU read section (NAPI), so after this no
  // CPU still runs the program the link pointed at before the swap.
  if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) != 0)
    return Error{"membarrier (wait for the old program)", errno, ""};
  struct Residue {
    uint32_t slot, pad;
    uint64_t packets, bytes;
  };
  std::vector<std::vector<Residue>> per_cpu(cpus_);
  uint64_t carried = 0;
  for (size_t i = 0; i < slots_.size(); ++i) {
    auto now = read_slot(from_, slots_[i].first, cpus_);
    if (!now) return now.error();
    for (int cpu = 0; cpu < cpus_; ++cpu) {
      const plan::SlotCounts& before = seeded_[i][cpu];
      const plan::SlotCounts& after = (*now)[cpu];
      if (after.packets == before.packets && after.bytes == before.bytes) continue;
      per_cpu[cpu].push_back(
          {slots_[i].second, 0, after.packets - before.packets, after.bytes - before.bytes});
      carried += after.packets - before.packets;
    }
  }
  if (carried == 0) return carried;
  auto adder = load_counter_adder(to_);
  if (!adder) return adder.error();
  for (int cpu = 0; cpu < cpus_; ++cpu) {
    if (per_cpu[cpu].empty()) continue;
    OnCpu pinned(cpu);
    if (!pinned.ok())
      return Error{"carry counters on CPU " + std::to_string(cpu), errno, "sched_setaffinity"};
    for (Residue& r : per_cpu[cpu]) {
      LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = &r, .data_size_in = sizeof r);
      if (int err = bpf_prog_test_run_opts(adder->get(), &run); err != 0)
        return Error{"carry counters (BPF_PROG_TEST_RUN)", -err, ""};
    }
  }
  return carried;
}

}  // namespace tc2xdp::runtime
