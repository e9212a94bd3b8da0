#include "counter_carry.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <map>

#include "tc2xdp/runtime/grace_period.h"
#include "tc2xdp/runtime/map_io.h"
#include "tc2xdp/runtime/on_cpu.h"
#include "tc2xdp/runtime/rule_counters.h"
#include "tc2xdp/runtime/stats_map.h"
#include "tc2xdp/runtime/trivial_program.h"

namespace tc2xdp::runtime {

namespace {

// An XDP program for BPF_PROG_TEST_RUN whose input is {u32 slot, u32 pad, u64 packets,
// u64 bytes}: it adds packets and bytes to `slot` in this CPU's element of the counters map
// atomically (slots: the element's).
Result<UniqueFd> load_counter_adder(int stats_fd, uint32_t slots) {
  auto insn = [](uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    return bpf_insn{code, dst, src, off, imm};
  };
  constexpr uint8_t r0 = 0, r1 = 1, r2 = 2, r3 = 3, r4 = 4, r6 = 6, r7 = 7, r8 = 8, r9 = 9,
                    r10 = 10;
  constexpr int16_t kOut = 22;  // jump offsets count from the next instruction
  const bpf_insn program[] = {
      insn(BPF_ALU64 | BPF_MOV | BPF_X, r6, r1, 0, 0),       // 0: ctx
      insn(BPF_LDX | BPF_MEM | BPF_W, r2, r6, 0, 0),         // 1: data
      insn(BPF_LDX | BPF_MEM | BPF_W, r3, r6, 4, 0),         // 2: data_end
      insn(BPF_ALU64 | BPF_MOV | BPF_X, r4, r2, 0, 0),       // 3
      insn(BPF_ALU64 | BPF_ADD | BPF_K, r4, 0, 0, 24),       // 4
      insn(BPF_JMP | BPF_JGT | BPF_X, r4, r3, kOut - 6, 0),  // 5: too short
      insn(BPF_LDX | BPF_MEM | BPF_DW, r7, r2, 8, 0),        // 6: packets
      insn(BPF_LDX | BPF_MEM | BPF_DW, r8, r2, 16, 0),       // 7: bytes
      insn(BPF_LDX | BPF_MEM | BPF_W, r9, r2, 0, 0),         // 8: slot
      insn(BPF_JMP | BPF_JGE | BPF_K, r9, 0, kOut - 10, static_cast<int32_t>(slots)),  // 9
      insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_smp_processor_id),                // 10
      insn(BPF_STX | BPF_MEM | BPF_W, r10, r0, -4, 0),                      // 11: key: the CPU
      insn(BPF_LD | BPF_DW | BPF_IMM, r1, BPF_PSEUDO_MAP_FD, 0, stats_fd),  // 12-13: map
      insn(0, 0, 0, 0, 0),
      insn(BPF_ALU64 | BPF_MOV | BPF_X, r2, r10, 0, 0),             // 14
      insn(BPF_ALU64 | BPF_ADD | BPF_K, r2, 0, 0, -4),              // 15: &cpu
      insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),  // 16: this CPU's element
      insn(BPF_JMP | BPF_JEQ | BPF_K, r0, 0, kOut - 18, 0),         // 17: no element
      insn(BPF_ALU64 | BPF_LSH | BPF_K, r9, 0, 0, 4),               // 18: 16 bytes a slot
      insn(BPF_ALU64 | BPF_ADD | BPF_X, r0, r9, 0, 0),              // 19
      insn(BPF_STX | BPF_ATOMIC | BPF_DW, r0, r7, 0, BPF_ADD),      // 20: packets
      insn(BPF_STX | BPF_ATOMIC | BPF_DW, r0, r8, 8, BPF_ADD),      // 21: bytes
      insn(BPF_ALU64 | BPF_MOV | BPF_K, r0, 0, 0, 2),               // 22: XDP_PASS
      insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),                         // 23
  };
  static_assert(sizeof(plan::SlotCounts) == 16 && offsetof(plan::SlotCounts, bytes) == 8);
  const int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "t2x_carry", "GPL", program,
                               sizeof program / sizeof program[0], nullptr);
  if (fd < 0) return Error{"bpf_prog_load (counter carry)", -fd, ""};
  return UniqueFd(fd);
}

}  // namespace

Result<CounterCarry> CounterCarry::seed(CounterMapFds from_maps, CounterMapFds to_maps,
                                        std::vector<std::pair<uint32_t, uint32_t>> slots) {
  auto from = StatsMap::open(from_maps.stats);
  if (!from) return from.error();
  auto to = StatsMap::open(to_maps.stats);
  if (!to) return to.error();
  if (from->shape().cpus != to->shape().cpus)
    return Error{"carry counters", EINVAL,
                 "the counters maps have " + std::to_string(from->shape().cpus) + " and " +
                     std::to_string(to->shape().cpus) + " CPUs"};
  // The new last-hit map is empty and not yet attached: its chunks are written whole.
  std::map<uint32_t, std::array<uint32_t, plan::kU32Chunk>> last_hits;
  for (const auto& [old_slot, new_slot] : slots) {
    auto stored = read_last_hit(from_maps.last_hit, old_slot);
    if (!stored) return stored.error();
    last_hits[new_slot / plan::kU32Chunk][new_slot % plan::kU32Chunk] = *stored;
  }
  for (const auto& [chunk, units] : last_hits)
    if (auto s = update_elem(to_maps.last_hit, bytes_of(chunk), bytes_of(units)); !s)
      return s.error();
  std::vector<std::vector<plan::SlotCounts>> seeded;
  for (const auto& [old_slot, new_slot] : slots) {
    std::vector<plan::SlotCounts> value = from->per_cpu(old_slot);
    for (uint32_t cpu = 0; cpu < value.size(); ++cpu)
      if (auto s = to->store(cpu, new_slot, value[cpu]); !s) return s.error();
    seeded.push_back(std::move(value));
  }
  return CounterCarry(std::move(*from), to_maps.stats, to->shape().slots, std::move(slots),
                      std::move(seeded));
}

Result<uint64_t> CounterCarry::settle() {
  // synchronize_rcu(): an XDP program runs inside an RCU read section (NAPI), so after this no
  // CPU still runs the program the link pointed at before the swap.
  if (auto s = wait_for_running_programs(); !s) return s.error();
  struct Residue {
    uint32_t slot, pad;
    uint64_t packets, bytes;
  };
  const uint32_t cpus = from_.shape().cpus;
  std::vector<std::vector<Residue>> per_cpu(cpus);
  uint64_t carried = 0;
  for (size_t i = 0; i < slots_.size(); ++i) {
    for (uint32_t cpu = 0; cpu < cpus; ++cpu) {
      const plan::SlotCounts& before = seeded_[i][cpu];
      const plan::SlotCounts after = from_.on_cpu(cpu, slots_[i].first);
      if (after.packets == before.packets && after.bytes == before.bytes) continue;
      per_cpu[cpu].push_back(
          {slots_[i].second, 0, after.packets - before.packets, after.bytes - before.bytes});
      carried += after.packets - before.packets;
    }
  }
  if (carried == 0) return carried;
  auto adder = load_counter_adder(to_, to_slots_);
  if (!adder) return adder.error();
  for (uint32_t cpu = 0; cpu < cpus; ++cpu) {
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
