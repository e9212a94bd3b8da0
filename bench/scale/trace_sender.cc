#include "scale/trace_sender.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <cerrno>

#include "tc2xdp/runtime/test_run.h"

namespace bench {

namespace {

using tc2xdp::Error;

constexpr uint32_t kFrameBytes = 64;

// The few instruction forms the program needs (the kernel's own macros are not uapi).
bpf_insn alu64_imm(uint8_t op, uint8_t dst, int32_t imm) {
  return {static_cast<uint8_t>(BPF_ALU64 | op | BPF_K), dst, 0, 0, imm};
}
bpf_insn mov64_reg(uint8_t dst, uint8_t src) {
  return {BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0};
}
bpf_insn load(uint8_t size, uint8_t dst, uint8_t src, int16_t off) {
  return {static_cast<uint8_t>(BPF_LDX | size | BPF_MEM), dst, src, off, 0};
}
bpf_insn store(uint8_t size, uint8_t dst, uint8_t src, int16_t off) {
  return {static_cast<uint8_t>(BPF_STX | size | BPF_MEM), dst, src, off, 0};
}
bpf_insn store_imm(uint8_t size, uint8_t dst, int16_t off, int32_t imm) {
  return {static_cast<uint8_t>(BPF_ST | size | BPF_MEM), dst, 0, off, imm};
}
bpf_insn jump_imm(uint8_t op, uint8_t dst, int32_t imm, int16_t off) {
  return {static_cast<uint8_t>(BPF_JMP | op | BPF_K), dst, 0, off, imm};
}
bpf_insn jump_reg(uint8_t op, uint8_t dst, uint8_t src, int16_t off) {
  return {static_cast<uint8_t>(BPF_JMP | op | BPF_X), dst, src, off, 0};
}
bpf_insn call(int32_t helper) {
  return {BPF_JMP | BPF_CALL, 0, 0, 0, helper};
}
bpf_insn exit_insn() {
  return {BPF_JMP | BPF_EXIT, 0, 0, 0, 0};
}
// ld_imm64 of a map fd: two instructions.
void load_map(std::vector<bpf_insn>& p, uint8_t dst, int fd) {
  p.push_back({BPF_LD | BPF_DW | BPF_IMM, dst, BPF_PSEUDO_MAP_FD, 0, fd});
  p.push_back({0, 0, 0, 0, 0});
}

tc2xdp::Result<tc2xdp::runtime::UniqueFd> array_map(const char* name, uint32_t value_size,
                                                    uint32_t entries) {
  const int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, name, 4, value_size, entries, nullptr);
  if (fd < 0) return Error{"bpf_map_create", errno, name};
  return tc2xdp::runtime::UniqueFd(fd);
}

}  // namespace

tc2xdp::Result<TraceSender> TraceSender::create(const std::vector<std::vector<uint8_t>>& frames) {
  const uint32_t n = frames.size();
  if (n == 0 || (n & (n - 1)) != 0)
    return Error{"trace sender", EINVAL, "the trace length must be a power of two"};
  TraceSender s;
  auto cursor = array_map("tb_cursor", 4, 1);
  auto table = array_map("tb_frames", kFrameBytes, n);
  if (!cursor) return cursor.error();
  if (!table) return table.error();
  s.cursor_ = std::move(*cursor);
  s.frames_ = std::move(*table);
  for (uint32_t i = 0; i < n; ++i) {
    if (frames[i].size() != kFrameBytes)
      return Error{"trace sender", EINVAL, "every trace frame must be 64 bytes"};
    if (bpf_map_update_elem(s.frames_.get(), &i, frames[i].data(), BPF_ANY) != 0)
      return Error{"bpf_map_update_elem", errno, "tb_frames"};
  }

  // r6 = ctx; i = cursor++ & (n-1); copy frames[i] over the packet; return XDP_TX.
  std::vector<bpf_insn> p;
  p.push_back(mov64_reg(BPF_REG_6, BPF_REG_1));
  p.push_back(store_imm(BPF_W, BPF_REG_10, -4, 0));
  load_map(p, BPF_REG_1, s.cursor_.get());
  p.push_back(mov64_reg(BPF_REG_2, BPF_REG_10));
  p.push_back(alu64_imm(BPF_ADD, BPF_REG_2, -4));
  p.push_back(call(BPF_FUNC_map_lookup_elem));
  const size_t null_cursor = p.size();
  p.push_back(jump_imm(BPF_JEQ, BPF_REG_0, 0, 0));  // patched: to the drop exit
  p.push_back(load(BPF_W, BPF_REG_7, BPF_REG_0, 0));
  p.push_back(mov64_reg(BPF_REG_8, BPF_REG_7));
  p.push_back(alu64_imm(BPF_ADD, BPF_REG_8, 1));
  p.push_back(store(BPF_W, BPF_REG_0, BPF_REG_8, 0));  // one sender CPU: no atomics needed
  p.push_back(alu64_imm(BPF_AND, BPF_REG_7, static_cast<int32_t>(n - 1)));
  p.push_back(store(BPF_W, BPF_REG_10, BPF_REG_7, -8));
  load_map(p, BPF_REG_1, s.frames_.get());
  p.push_back(mov64_reg(BPF_REG_2, BPF_REG_10));
  p.push_back(alu64_imm(BPF_ADD, BPF_REG_2, -8));
  p.push_back(call(BPF_FUNC_map_lookup_elem));
  const size_t null_frame = p.size();
  p.push_back(jump_imm(BPF_JEQ, BPF_REG_0, 0, 0));
  p.push_back(load(BPF_W, BPF_REG_2, BPF_REG_6, offsetof(xdp_md, data)));
  p.push_back(load(BPF_W, BPF_REG_3, BPF_REG_6, offsetof(xdp_md, data_end)));
  p.push_back(mov64_reg(BPF_REG_4, BPF_REG_2));
  p.push_back(alu64_imm(BPF_ADD, BPF_REG_4, kFrameBytes));
  const size_t short_frame = p.size();
  p.push_back(jump_reg(BPF_JGT, BPF_REG_4, BPF_REG_3, 0));
  for (int16_t off = 0; off < static_cast<int16_t>(kFrameBytes); off += 8) {
    p.push_back(load(BPF_DW, BPF_REG_5, BPF_REG_0, off));
    p.push_back(store(BPF_DW, BPF_REG_2, BPF_REG_5, off));
  }
  p.push_back(alu64_imm(BPF_MOV, BPF_REG_0, XDP_TX));
  p.push_back(exit_insn());
  const size_t drop = p.size();
  p.push_back(alu64_imm(BPF_MOV, BPF_REG_0, XDP_DROP));
  p.push_back(exit_insn());
  for (size_t at : {null_cursor, null_frame, short_frame})
    p[at].off = static_cast<int16_t>(drop - at - 1);

  char log[4096] = {};
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_level = 0, .log_size = sizeof log, .log_buf = log);
  const int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "tb_trace_tx", "GPL", p.data(), p.size(), &opts);
  if (fd < 0) {
    opts.log_level = 1;
    bpf_prog_load(BPF_PROG_TYPE_XDP, "tb_trace_tx", "GPL", p.data(), p.size(), &opts);
    return Error{"bpf_prog_load", errno, log};
  }
  s.program_ = tc2xdp::runtime::UniqueFd(fd);
  return s;
}

tc2xdp::Status TraceSender::send(uint32_t ifindex, uint32_t count) const {
  const std::vector<uint8_t> seed(kFrameBytes, 0);  // overwritten by the program
  auto r = tc2xdp::runtime::test_run(
      program_.get(), seed, {.repeat = count, .ingress_ifindex = ifindex, .live_frames = true});
  if (!r) return r.error();
  return tc2xdp::Ok{};
}

tc2xdp::Status TraceSender::rewind() const {
  const uint32_t zero = 0;
  if (bpf_map_update_elem(cursor_.get(), &zero, &zero, BPF_ANY) != 0)
    return Error{"bpf_map_update_elem", errno, "tb_cursor"};
  return tc2xdp::Ok{};
}

}  // namespace bench
