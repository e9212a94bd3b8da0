// The police step. One verifier-friendly shape: the lookups, the mtu check and the bucket update
// meet in one block that counts and branches on the verdict, so the verifier walks each outcome's
// continuation once. The critical section between bpf_spin_lock and bpf_spin_unlock holds no
// helper call (the verifier forbids them): the clock is read before the lock, as act_police reads
// it before taking tcfp_lock.
#include "codegen/lower_police.h"

#include <cstddef>

#include "codegen/action_emitter.h"
#include "codegen/bpf_module.h"
#include "codegen/helpers.h"
#include "codegen/lower_program.h"
#include "tc2xdp/codegen/compile.h"

namespace tc2xdp::codegen {

namespace {

using plan::PolicerValue;

constexpr uint64_t kEthHlen = 14, kVlanHlen = 4;

}  // namespace

void declare_police_maps(BpfModule& module, const plan::Plan& plan, ProgramMaps& maps) {
  std::vector<BtfType::Member> fields = {BtfType::spin_lock("lock"),
                                         {"flags", 4, 1},
                                         {"toks", 8, 1},
                                         {"ptoks", 8, 1},
                                         {"pkttoks", 8, 1},
                                         {"t_c", 8, 1},
                                         {"burst", 8, 1},
                                         {"pkt_burst", 8, 1},
                                         {"mtu_ptoks", 8, 1},
                                         {"pps_cost", 8, 1},
                                         {"mtu", 4, 1},
                                         {"rate_mult", 4, 1},
                                         {"peak_mult", 4, 1},
                                         {"rate_shift", 4, 1},
                                         {"peak_shift", 4, 1},
                                         {"pad", 4, 1},
                                         {"owner", 8, 1}};
  const BtfType value = BtfType::structure("t2x_policer", std::move(fields));
  maps.police =
      &module.declare_map({kPoliceMap, MapKind::kArray, BtfType::u32(), value, plan.police_slots});
  const BtfType counters = BtfType::structure(
      "t2x_police_counters",
      {{"packets", 8, 1}, {"bytes", 8, 1}, {"overlimits", 8, 1}, {"drops", 8, 1}});
  maps.police_stats = &module.declare_map(
      {kPoliceStatsMap, MapKind::kPercpuArray, BtfType::u32(), counters, plan.police_slots});
}

void emit_police(detail::ActionEmitter& e, const ir::PoliceAction& step,
                 std::optional<uint32_t> instance, const PoliceContext& ctx) {
  llvm::IRBuilder<>& b = e.b();
  XdpFunction& fn = e.fn();
  llvm::Type* i64 = b.getInt64Ty();
  const auto field = [&](llvm::Value* base, size_t offset, llvm::Type* type) {
    llvm::Value* at = b.CreateConstGEP1_64(b.getInt8Ty(), base, offset);
    return b.CreateZExt(
        b.CreateAlignedLoad(type, at, llvm::Align(type->getPrimitiveSizeInBits() / 8)), i64);
  };
  const auto u32_field = [&](llvm::Value* base, size_t offset) {
    return field(base, offset, b.getInt32Ty());
  };
  const auto i64_field = [&](llvm::Value* base, size_t offset) { return field(base, offset, i64); };
  const auto store = [&](llvm::Value* base, size_t offset, llvm::Value* v) {
    b.CreateAlignedStore(v, b.CreateConstGEP1_64(b.getInt8Ty(), base, offset), llvm::Align(8));
  };
  const auto smin = [&](llvm::Value* x, llvm::Value* y) {
    return b.CreateBinaryIntrinsic(llvm::Intrinsic::smin, x, y);
  };
  // (units * mult) >> shift: psched_l2t_ns.
  const auto l2t = [&](llvm::Value* units, llvm::Value* mult, llvm::Value* shift) {
    return b.CreateLShr(b.CreateMul(units, mult), b.CreateAnd(shift, e.c64(63)));
  };

  // tcf_police_mtu_check's length (the frame without an outer tag the stack keeps in metadata)
  // and qdisc_pkt_len (that without the MAC header), as at tc ingress.
  llvm::Value* tag = b.CreateSelect(e.tagged(), e.c64(kVlanHlen), e.c64(0));
  llvm::Value* mtu_len = b.CreateSub(e.frame_len(), tag, "police.mtu_len");
  llvm::Value* len = b.CreateSub(mtu_len, e.c64(kEthHlen), "police.len");

  if (instance) b.CreateStore(b.getInt32(*instance), ctx.key);
  llvm::Value* bucket = map_lookup_elem(b, ctx.buckets, ctx.key, "police.bucket");

  llvm::BasicBlock* decided = e.block("police.decided");
  llvm::PHINode* conforms = nullptr;
  llvm::PHINode* checked = nullptr;
  std::vector<std::pair<llvm::Value*, llvm::Value*>> conforms_in, checked_in;
  std::vector<llvm::BasicBlock*> from;
  const auto decide = [&](llvm::Value* conform, llvm::Value* with_rate) {
    conforms_in.emplace_back(conform, with_rate);
    from.push_back(b.GetInsertBlock());
    b.CreateBr(decided);
  };

  // No bucket (an instance outside the map, never planned): exceed.
  llvm::BasicBlock* found = e.block("police.found");
  llvm::BasicBlock* missing = e.block("police.missing");
  b.CreateCondBr(b.CreateIsNull(bucket), missing, found);
  b.SetInsertPoint(missing);
  decide(b.getFalse(), b.getFalse());

  b.SetInsertPoint(found);
  llvm::Value* mtu = u32_field(bucket, offsetof(PolicerValue, mtu));
  llvm::BasicBlock* fits = e.block("police.fits");
  llvm::BasicBlock* too_long = e.block("police.too_long");
  b.CreateCondBr(b.CreateICmpUGT(mtu_len, mtu), too_long, fits);
  b.SetInsertPoint(too_long);
  decide(b.getFalse(), b.getFalse());

  b.SetInsertPoint(fits);
  llvm::Value* flags = u32_field(bucket, offsetof(PolicerValue, flags));
  llvm::BasicBlock* rated = e.block("police.rated");
  llvm::BasicBlock* unrated = e.block("police.mtu_only");
  b.CreateCondBr(
      b.CreateICmpEQ(b.CreateAnd(flags, e.c64(plan::kPoliceRate | plan::kPolicePps)), e.c64(0)),
      unrated, rated);
  b.SetInsertPoint(unrated);
  decide(b.getTrue(), b.getFalse());

  b.SetInsertPoint(rated);
  llvm::Value* now = ktime_get_ns(b);
  spin_lock(b, bucket);
  // Branches rather than selects: fewer values live at once, so no spill grows the stack.
  const auto flag = [&](uint32_t bit) {
    return b.CreateICmpNE(b.CreateAnd(flags, e.c64(bit)), e.c64(0));
  };
  llvm::Value* elapsed = b.CreateSub(now, i64_field(bucket, offsetof(PolicerValue, t_c)));
  // Without a rate the byte bucket's depth is 0, so this is at most 0 (tcf_police_act alike).
  llvm::Value* toks = smin(elapsed, i64_field(bucket, offsetof(PolicerValue, burst)));
  llvm::BasicBlock* by_bytes = e.block("police.bytes");
  llvm::BasicBlock* by_packets = e.block("police.packets");
  llvm::BasicBlock* peak = e.block("police.peak");
  llvm::BasicBlock* rate = e.block("police.rate");
  llvm::BasicBlock* tally = e.block("police.tally");
  b.CreateCondBr(flag(plan::kPoliceRate), by_bytes, by_packets);
  b.SetInsertPoint(by_bytes);
  b.CreateCondBr(flag(plan::kPolicePeak), peak, rate);
  // The peak bucket (peakrate needs a rate).
  b.SetInsertPoint(peak);
  llvm::Value* peak_toks =
      b.CreateSub(smin(b.CreateAdd(toks, i64_field(bucket, offsetof(PolicerValue, ptoks))),
                       i64_field(bucket, offsetof(PolicerValue, mtu_ptoks))),
                  l2t(len, u32_field(bucket, offsetof(PolicerValue, peak_mult)),
                      u32_field(bucket, offsetof(PolicerValue, peak_shift))));
  b.CreateBr(rate);
  // The byte bucket.
  b.SetInsertPoint(rate);
  llvm::PHINode* ptoks = b.CreatePHI(i64, 2, "police.ptoks");
  ptoks->addIncoming(e.c64(0), by_bytes);
  ptoks->addIncoming(peak_toks, peak);
  llvm::Value* byte_toks =
      b.CreateSub(smin(b.CreateAdd(toks, i64_field(bucket, offsetof(PolicerValue, toks))),
                       i64_field(bucket, offsetof(PolicerValue, burst))),
                  l2t(len, u32_field(bucket, offsetof(PolicerValue, rate_mult)),
                      u32_field(bucket, offsetof(PolicerValue, rate_shift))));
  b.CreateBr(tally);
  // Else the packet bucket.
  b.SetInsertPoint(by_packets);
  llvm::Value* pkt_burst = i64_field(bucket, offsetof(PolicerValue, pkt_burst));
  llvm::Value* pkt_toks = b.CreateSub(
      smin(
          b.CreateAdd(smin(elapsed, pkt_burst), i64_field(bucket, offsetof(PolicerValue, pkttoks))),
          pkt_burst),
      i64_field(bucket, offsetof(PolicerValue, pps_cost)));
  b.CreateBr(tally);
  b.SetInsertPoint(tally);
  llvm::PHINode* new_toks = b.CreatePHI(i64, 2, "police.toks");
  new_toks->addIncoming(byte_toks, rate);
  new_toks->addIncoming(toks, by_packets);
  llvm::PHINode* new_ptoks = b.CreatePHI(i64, 2, "police.ptoks");
  new_ptoks->addIncoming(ptoks, rate);
  new_ptoks->addIncoming(e.c64(0), by_packets);
  llvm::PHINode* new_pkttoks = b.CreatePHI(i64, 2, "police.pkttoks");
  new_pkttoks->addIncoming(e.c64(0), rate);
  new_pkttoks->addIncoming(pkt_toks, by_packets);
  llvm::Value* ok = b.CreateICmpSGE(b.CreateOr(b.CreateOr(new_toks, new_ptoks), new_pkttoks),
                                    e.c64(0), "police.ok");
  llvm::BasicBlock* take = e.block("police.take");
  llvm::BasicBlock* unlock = e.block("police.unlock");
  b.CreateCondBr(ok, take, unlock);
  b.SetInsertPoint(take);
  store(bucket, offsetof(PolicerValue, toks), new_toks);
  store(bucket, offsetof(PolicerValue, ptoks), new_ptoks);
  store(bucket, offsetof(PolicerValue, pkttoks), new_pkttoks);
  store(bucket, offsetof(PolicerValue, t_c), now);
  b.CreateBr(unlock);
  b.SetInsertPoint(unlock);
  spin_unlock(b, bucket);
  decide(ok, b.getTrue());

  b.SetInsertPoint(decided);
  conforms = b.CreatePHI(b.getInt1Ty(), from.size(), "police.conforms");
  checked = b.CreatePHI(b.getInt1Ty(), from.size(), "police.checked");
  for (size_t i = 0; i < from.size(); ++i) {
    conforms->addIncoming(conforms_in[i].first, from[i]);
    checked->addIncoming(conforms_in[i].second, from[i]);
  }

  // tc -s's counters, per CPU: every packet; overlimits; drops by its verdict (a bare mtu check
  // that conforms counts no drop, as tcf_police_act returns before counting).
  llvm::Value* counters = map_lookup_elem(b, ctx.counters, ctx.key, "police.counters");
  llvm::BasicBlock* count = e.block("police.count");
  llvm::BasicBlock* counted = e.block("police.counted");
  b.CreateCondBr(b.CreateIsNull(counters), counted, count);
  b.SetInsertPoint(count);
  const auto add = [&](size_t offset, llvm::Value* delta) {
    llvm::Value* at = b.CreateConstGEP1_64(b.getInt8Ty(), counters, offset);
    b.CreateAlignedStore(b.CreateAdd(b.CreateAlignedLoad(i64, at, llvm::Align(8)), delta), at,
                         llvm::Align(8));
  };
  add(offsetof(plan::PoliceCounters, packets), e.c64(1));
  add(offsetof(plan::PoliceCounters, bytes), len);
  llvm::Value* exceeded = b.CreateZExt(b.CreateNot(conforms), i64);
  add(offsetof(plan::PoliceCounters, overlimits), exceeded);
  const bool conform_drops = step.conform.kind == ir::ControlKind::kDrop;
  const bool exceed_drops = step.exceed.kind == ir::ControlKind::kDrop;
  if (conform_drops || exceed_drops) {
    llvm::Value* conform_drop =
        conform_drops ? b.CreateZExt(b.CreateAnd(conforms, checked), i64) : e.c64(0);
    add(offsetof(plan::PoliceCounters, drops),
        exceed_drops ? b.CreateAdd(conform_drop, exceeded) : conform_drop);
  }
  b.CreateBr(counted);
  b.SetInsertPoint(counted);

  // The verdict: pipe goes on here, ok returns XDP_PASS, drop drops.
  llvm::BasicBlock* next = e.block("police.pipe");
  const auto target = [&](const ir::Control& c, const char* name) -> llvm::BasicBlock* {
    switch (c.kind) {
      case ir::ControlKind::kPipe: return next;
      case ir::ControlKind::kDrop: return e.drop();
      default: {
        llvm::BasicBlock* pass = e.block(name);
        llvm::IRBuilderBase::InsertPointGuard guard(b);
        b.SetInsertPoint(pass);
        fn.return_action(XdpAction::kPass);
        return pass;
      }
    }
  };
  b.CreateCondBr(conforms, target(step.conform, "police.conform.pass"),
                 target(step.exceed, "police.exceed.pass"));
  b.SetInsertPoint(next);
}

}  // namespace tc2xdp::codegen
