// The rewrites of an action list, in the reference's terms (runtime/reference/vlan_action.cc,
// pedit_action.cc): offsets are recomputed from the frame as earlier steps left it, header
// offsets of pedit are those of the skb without its outer tag, and a pedit key that cannot be
// applied stops that pedit action. Only scalars: no stack memory is allocated here.
#include "codegen/lower_actions.h"

#include <map>
#include <variant>

#include "codegen/action_emitter.h"
#include "codegen/csum_sharing.h"
#include "codegen/helpers.h"
#include "codegen/lower_police.h"
#include "codegen/lower_tc_companion.h"
#include "codegen/verifier_hints.h"
#include "codegen/xdp_function.h"

namespace tc2xdp::codegen {

namespace {

using detail::ActionEmitter;
using Header = ir::PeditKey::Header;

// IPv6 extension headers pedit walks past to reach tcp/udp (ipv6_find_hdr); a longer chain is
// treated as "header not found" (docs/semantics.md).
constexpr int kIpv6ExtLimit = 8;

constexpr uint64_t kRedirectBroadcast = 1 << 3;  // BPF_F_BROADCAST (include/uapi/linux/bpf.h)

class ListLowering {
 public:
  ListLowering(XdpFunction& fn, llvm::Value* zero, llvm::AllocaInst* slot, llvm::BasicBlock* drop)
      : fn_(fn), b_(fn.builder()), e_(fn, zero, slot, drop) {}

  // The metadata area: [tag] mark, each a host-order u32 (tag only when given).
  void metadata(uint32_t mark, std::optional<uint32_t> tag);
  void vlan(const ir::VlanAction& v);
  void pedit(const ir::PeditAction& p);

 private:
  // The tcp/udp header's skb offset behind IPv6 (`t4`: 4 when tagged); branches to `stop` if none.
  llvm::Value* ipv6_l4(llvm::Value* t4, uint8_t target, llvm::BasicBlock* stop);
  XdpFunction& fn_;
  llvm::IRBuilder<>& b_;
  ActionEmitter e_;
};

void ListLowering::metadata(uint32_t mark, std::optional<uint32_t> tag) {
  // Room in the metadata area. A driver without metadata support fails this before anything was
  // rewritten: the frame goes to the stack untouched (a punt), where tc runs the rule.
  const int size = tag ? 8 : 4;
  llvm::BasicBlock* punt = e_.block("mark.unsupported");
  llvm::BasicBlock* ok = e_.block("mark.room");
  b_.CreateCondBr(b_.CreateICmpNE(xdp_adjust_meta(b_, fn_.ctx(), -size), e_.c64(0)), punt, ok);
  b_.SetInsertPoint(punt);
  fn_.return_action(XdpAction::kPass);
  b_.SetInsertPoint(ok);
  fn_.reload_packet_bounds();
  llvm::Value* meta = b_.CreateIntToPtr(
      b_.CreateZExt(fn_.load_ctx(XdpMdField::kDataMeta, "data_meta.u32"), b_.getInt64Ty()),
      b_.getPtrTy(), "data_meta");
  llvm::BasicBlock* write = e_.block("mark.write");
  llvm::BasicBlock* done = e_.block("mark.done");
  b_.CreateCondBr(b_.CreateICmpUGT(b_.CreateConstGEP1_32(b_.getInt8Ty(), meta, size), fn_.data()),
                  done, write);
  b_.SetInsertPoint(write);
  if (tag) b_.CreateAlignedStore(b_.getInt32(*tag), meta, llvm::Align(4));
  b_.CreateAlignedStore(b_.getInt32(mark), b_.CreateConstGEP1_32(b_.getInt8Ty(), meta, size - 4),
                        llvm::Align(4));
  b_.CreateBr(done);
  b_.SetInsertPoint(done);
}

void ListLowering::vlan(const ir::VlanAction& v) {
  llvm::BasicBlock* drop = e_.drop();
  llvm::BasicBlock* done = e_.block("vlan.done");
  switch (v.op) {
    case ir::VlanAction::Op::kPush: {
      // skb_vlan_push failing is TC_ACT_SHOT; here that is a frame without 4 bytes of headroom.
      e_.exit_if(b_.CreateICmpNE(xdp_adjust_head(b_, fn_.ctx(), b_.getInt32(-4)), e_.c64(0)), drop);
      fn_.reload_packet_bounds();
      llvm::Value* macs_lo = e_.load_at(4, 8, drop);
      llvm::Value* macs_hi = e_.load_at(12, 4, drop);
      e_.store_at(0, 8, macs_lo, drop);
      e_.store_at(8, 4, macs_hi, drop);
      const uint16_t tci =
          static_cast<uint16_t>((v.id & 0x0fff) | (v.priority.value_or(0) & 7) << 13);
      // TPID then TCI, big-endian, as one raw little-endian u32.
      const uint32_t tag = static_cast<uint32_t>(v.protocol >> 8 | (v.protocol & 0xff) << 8) |
                           static_cast<uint32_t>(tci >> 8 | (tci & 0xff) << 8) << 16;
      e_.store_at(12, 4, e_.c64(tag), drop);
      b_.CreateBr(done);
      break;
    }
    case ir::VlanAction::Op::kPop: {
      e_.exit_if(b_.CreateNot(e_.tagged()), done, "vlan.pop");  // untagged: left alone
      llvm::Value* macs_lo = e_.load_at(0, 8, drop);
      llvm::Value* macs_hi = e_.load_at(8, 4, drop);
      e_.store_at(4, 8, macs_lo, drop);
      e_.store_at(12, 4, macs_hi, drop);
      e_.exit_if(b_.CreateICmpNE(xdp_adjust_head(b_, fn_.ctx(), b_.getInt32(4)), e_.c64(0)), drop);
      fn_.reload_packet_bounds();
      b_.CreateBr(done);
      break;
    }
    case ir::VlanAction::Op::kModify: {
      e_.exit_if(b_.CreateNot(e_.tagged()), done, "vlan.modify");
      llvm::Value* tci = e_.be16(e_.c64(14), drop);
      uint64_t keep = 0xf000;
      uint64_t set = v.id & 0x0fff;
      if (v.priority) {
        keep = 0x1000;  // DEI stays
        set |= static_cast<uint64_t>(*v.priority & 7) << 13;
      }
      llvm::Value* new_tci = b_.CreateOr(b_.CreateAnd(tci, e_.c64(keep)), e_.c64(set));
      llvm::Value* raw = b_.CreateOr(
          e_.c64(static_cast<uint32_t>(v.protocol >> 8 | (v.protocol & 0xff) << 8)),
          b_.CreateShl(
              b_.CreateZExt(b_.CreateUnaryIntrinsic(llvm::Intrinsic::bswap,
                                                    b_.CreateTrunc(new_tci, b_.getInt16Ty())),
                            b_.getInt64Ty()),
              e_.c64(16)));
      e_.store_at(12, 4, raw, drop);
      b_.CreateBr(done);
      break;
    }
    case ir::VlanAction::Op::kPopEth:
    case ir::VlanAction::Op::kPushEth: b_.CreateBr(drop); break;  // punted by the planner
  }
  b_.SetInsertPoint(done);
  fn_.reload_packet_bounds();  // the paths that meet here may have moved the frame
}

// iproute2's 32-bit keys: word offset within the header -> bits changed and value, in memory
// order loaded little-endian (the kernel's host order on x86).
struct Word {
  uint32_t change = 0, val = 0;
};
std::map<uint32_t, Word> words_of(const ir::PeditKey& k) {
  std::map<uint32_t, Word> words;
  for (int j = 0; j < k.width; ++j) {
    uint8_t change = 0xff;
    if (k.retain && k.width <= 4) change = static_cast<uint8_t>(*k.retain >> 8 * (k.width - 1 - j));
    if (k.op == ir::PeditKey::Op::kPreserve) change = 0;
    const uint8_t val = k.op == ir::PeditKey::Op::kDecrement ? change : k.value[j] & change;
    const uint32_t at = k.offset + j;
    Word& w = words[at & ~3u];
    w.change |= static_cast<uint32_t>(change) << 8 * (at & 3);
    w.val |= static_cast<uint32_t>(val) << 8 * (at & 3);
  }
  return words;
}

llvm::Value* ListLowering::ipv6_l4(llvm::Value* t4, uint8_t target, llvm::BasicBlock* stop) {
  llvm::BasicBlock* found = e_.block("ip6.found");
  llvm::Value* nh = b_.CreateAdd(e_.c64(14), t4);
  e_.load(b_.CreateAdd(nh, e_.c64(36)), 4, stop);  // the whole fixed header is there
  llvm::Value* next = e_.u8(b_.CreateAdd(nh, e_.c64(6)), stop);
  llvm::Value* off = e_.c64(54);  // skb offset
  std::vector<std::pair<llvm::Value*, llvm::BasicBlock*>> hits;
  for (int i = 0; i < kIpv6ExtLimit; ++i) {
    next = e_.bounded(next);
    off = e_.offset(off);
    hits.emplace_back(off, b_.GetInsertBlock());
    e_.exit_if(b_.CreateICmpEQ(next, e_.c64(target)), found, "ip6.ext");
    llvm::Value* h = e_.offset(b_.CreateAdd(off, t4));
    llvm::BasicBlock* frag = e_.block("ip6.frag");
    llvm::BasicBlock* ah = e_.block("ip6.ah");
    llvm::BasicBlock* other = e_.block("ip6.opts");
    llvm::BasicBlock* join = e_.block("ip6.next");
    llvm::SwitchInst* sw = b_.CreateSwitch(next, stop);
    sw->addCase(b_.getInt64(44), frag);
    sw->addCase(b_.getInt64(51), ah);
    for (uint64_t t : {0, 43, 60}) sw->addCase(b_.getInt64(t), other);
    b_.SetInsertPoint(frag);
    llvm::Value* frag_off = e_.be16(b_.CreateAdd(h, e_.c64(2)), stop);
    e_.exit_if(b_.CreateICmpNE(b_.CreateAnd(frag_off, e_.c64(0xfff8)), e_.c64(0)), stop);
    llvm::Value* frag_next = e_.u8(h, stop);
    e_.load(b_.CreateAdd(h, e_.c64(4)), 4, stop);  // all 8 bytes
    llvm::BasicBlock* frag_end = b_.GetInsertBlock();
    b_.CreateBr(join);
    b_.SetInsertPoint(ah);
    llvm::Value* ah_next = e_.u8(h, stop);
    llvm::Value* ah_len =
        b_.CreateShl(b_.CreateAdd(e_.u8(b_.CreateAdd(h, e_.c64(1)), stop), e_.c64(2)), e_.c64(2));
    llvm::BasicBlock* ah_end = b_.GetInsertBlock();
    b_.CreateBr(join);
    b_.SetInsertPoint(other);
    llvm::Value* o_next = e_.u8(h, stop);
    llvm::Value* o_len =
        b_.CreateShl(b_.CreateAdd(e_.u8(b_.CreateAdd(h, e_.c64(1)), stop), e_.c64(1)), e_.c64(3));
    llvm::BasicBlock* o_end = b_.GetInsertBlock();
    b_.CreateBr(join);
    b_.SetInsertPoint(join);
    llvm::PHINode* n = b_.CreatePHI(b_.getInt64Ty(), 3, "ip6.nexthdr");
    n->addIncoming(frag_next, frag_end);
    n->addIncoming(ah_next, ah_end);
    n->addIncoming(o_next, o_end);
    llvm::PHINode* len = b_.CreatePHI(b_.getInt64Ty(), 3, "ip6.hdrlen");
    len->addIncoming(e_.c64(8), frag_end);
    len->addIncoming(ah_len, ah_end);
    len->addIncoming(o_len, o_end);
    next = n;
    off = b_.CreateAdd(off, len);
  }
  b_.CreateBr(stop);  // a longer chain: not found (see kIpv6ExtLimit)
  b_.SetInsertPoint(found);
  llvm::PHINode* at = b_.CreatePHI(b_.getInt64Ty(), hits.size(), "l4.off");
  for (auto& [v, from] : hits) at->addIncoming(v, from);
  return at;
}

void ListLowering::pedit(const ir::PeditAction& p) {
  llvm::BasicBlock* stop = e_.block("pedit.done");
  for (const auto& k : p.keys) {
    fn_.reload_packet_bounds();  // one verifier state per key, whatever path the last one took
    // The header offsets of the frame as it is now (an earlier key may have changed the type).
    llvm::Value* t4 = b_.CreateSelect(e_.tagged(), e_.c64(4), e_.c64(0), "t4");
    t4 = e_.offset(t4);
    llvm::Value* hoff = nullptr;  // skb offset
    switch (k.header) {
      case Header::kEth: hoff = e_.c64(0); break;
      case Header::kRaw:
      case Header::kIp4:
      case Header::kIp6: hoff = e_.c64(14); break;
      case Header::kIcmp:
        b_.CreateBr(stop);
        b_.SetInsertPoint(e_.block("pedit.dead"));
        hoff = e_.c64(0);
        break;
      case Header::kTcp:
      case Header::kUdp: {
        llvm::BasicBlock* v4 = e_.block("pedit.l4.ip");
        llvm::BasicBlock* v6 = e_.block("pedit.l4.ip6");
        llvm::BasicBlock* l4 = e_.block("pedit.l4");
        llvm::Value* proto = e_.be16(b_.CreateAdd(e_.c64(12), t4), stop);
        llvm::SwitchInst* sw = b_.CreateSwitch(proto, stop);
        sw->addCase(b_.getInt64(0x0800), v4);
        sw->addCase(b_.getInt64(0x86dd), v6);
        b_.SetInsertPoint(v4);
        llvm::Value* nh = b_.CreateAdd(e_.c64(14), t4);
        e_.load(b_.CreateAdd(nh, e_.c64(16)), 4, stop);  // 20 bytes of header
        llvm::Value* ihl = b_.CreateAnd(e_.u8(nh, stop), e_.c64(0x0f));
        llvm::Value* v4_off = b_.CreateAdd(e_.c64(14), b_.CreateShl(ihl, e_.c64(2)));
        llvm::BasicBlock* v4_end = b_.GetInsertBlock();
        b_.CreateBr(l4);
        b_.SetInsertPoint(v6);
        llvm::Value* v6_off = ipv6_l4(t4, k.header == Header::kTcp ? 6 : 17, stop);
        llvm::BasicBlock* v6_end = b_.GetInsertBlock();
        b_.CreateBr(l4);
        b_.SetInsertPoint(l4);
        llvm::PHINode* phi = b_.CreatePHI(b_.getInt64Ty(), 2, "l4.skb_off");
        phi->addIncoming(v4_off, v4_end);
        phi->addIncoming(v6_off, v6_end);
        hoff = e_.offset(phi);
        t4 = e_.offset(t4);
        break;
      }
    }
    for (const auto& [word_off, w] : words_of(k)) {
      llvm::Value* skb_off = b_.CreateAdd(hoff, e_.c64(word_off));
      // offset_valid: the word lies inside the skb (the frame without its outer tag).
      llvm::Value* skb_len = b_.CreateSub(e_.frame_len(), t4);
      e_.exit_if(b_.CreateICmpUGT(b_.CreateAdd(skb_off, e_.c64(4)), skb_len), stop, "pedit.word");
      // Below byte 12 (the MAC addresses) skb and frame offsets agree; beyond, the tag shifts them.
      llvm::Value* shift = k.header == Header::kEth && word_off < 12 ? e_.c64(0) : t4;
      llvm::Value* at = e_.offset(b_.CreateAdd(skb_off, shift));
      llvm::Value* cur = e_.load(at, 4, stop);
      const uint64_t keep = ~w.change & 0xffffffffu;
      llvm::Value* kept = b_.CreateAnd(cur, e_.c64(keep));
      llvm::Value* updated;
      if (k.op == ir::PeditKey::Op::kAdd || k.op == ir::PeditKey::Op::kDecrement)
        updated =
            b_.CreateXor(kept, b_.CreateAnd(b_.CreateAdd(cur, e_.c64(w.val)), e_.c64(w.change)));
      else
        updated = b_.CreateXor(kept, e_.c64(w.val));
      e_.store(at, 4, updated, stop);
    }
  }
  b_.CreateBr(stop);
  b_.SetInsertPoint(stop);
}

}  // namespace

void lower_action_lists(XdpFunction& fn, const std::vector<plan::ActionList>& lists,
                        const std::vector<llvm::BasicBlock*>& entries, llvm::Value* zero,
                        llvm::GlobalVariable* devmap,
                        const std::vector<llvm::GlobalVariable*>& fanouts, uint8_t generation,
                        const PoliceContext* police) {
  llvm::IRBuilder<>& b = fn.builder();
  llvm::Value* saved_data = fn.data();
  llvm::Value* saved_end = fn.data_end();
  auto* slot_type = llvm::ArrayType::get(b.getInt8Ty(), 8);
  llvm::AllocaInst* slot = fn.create_stack_slot(slot_type, "untracked");
  llvm::AllocaInst* resume_slot = fn.create_stack_slot(slot_type, "csum_resume");
  llvm::BasicBlock* drop = fn.create_block("actions.drop");
  ListLowering lowering(fn, zero, slot, drop);
  ActionEmitter e(fn, zero, slot, drop);

  // One copy of the csum code per set of flags, shared by every list: a list stores where it
  // resumes (untracked, so the callers' states look alike and the code is verified once), jumps
  // in, and the shared code switches back to the resume points. The verifier then checks each
  // csum once and each list's remainder once, instead of a csum per list.
  struct SharedCsum {
    llvm::BasicBlock* entry = nullptr;
    std::vector<llvm::BasicBlock*> resumes;
  };
  // Keyed by flags and by how many csums of those flags the list ran before: one path must not
  // enter the same shared code twice, where its untracked resume index would look like a loop.
  std::map<std::pair<uint32_t, int>, SharedCsum> csums;
  detail::CsumSharing sharing;  // no cycle through shared csum code (csum_sharing.h)

  for (size_t i = 0; i < lists.size(); ++i) {
    const plan::ActionList& list = lists[i];
    sharing.start_list();
    b.SetInsertPoint(entries[i]);
    fn.reload_packet_bounds();
    // skbedit mark: skb->mark = (mark & ~mask) | (value & mask) from 0 at ingress; the result is
    // known here, and written first so a driver without metadata punts before any rewrite.
    std::optional<uint32_t> mark;
    for (const auto& step : list.steps)
      if (const auto* s = std::get_if<ir::SkbeditAction>(&step); s && s->mark) {
        const uint32_t mask = s->mark_mask.value_or(0xffffffff);
        mark = (mark.value_or(0) & ~mask) | (*s->mark & mask);
      }
    // A passed frame with mirred copies carries its list's tag to the tc companion
    // (lower_tc_companion.h), which clones it there.
    std::optional<uint32_t> tag;
    if (list.copies_at_tc()) tag = copy_tag(i, generation);
    if (mark || tag) lowering.metadata(mark.value_or(0), tag);
    std::map<uint32_t, int> uses;  // csums of each set of flags so far in this list
    for (const auto& step : list.steps) {
      // Fresh bounds per step: the paths that ended the previous step hold packet pointers with
      // different verified ranges, which would keep the verifier from merging them here.
      fn.reload_packet_bounds();
      if (const auto* v = std::get_if<ir::VlanAction>(&step)) lowering.vlan(*v);
      if (const auto* p = std::get_if<ir::PeditAction>(&step)) lowering.pedit(*p);
      if (const auto* p = std::get_if<ir::PoliceAction>(&step))
        emit_police(e, *p, list.police_instance, *police);
      const auto* c = std::get_if<ir::CsumAction>(&step);
      const std::pair<uint32_t, int> key =
          c ? std::pair{c->flags, uses[c->flags]++} : std::pair{0u, 0};
      if (c && !sharing.share(uint64_t{key.first} << 32 | static_cast<uint32_t>(key.second))) {
        detail::emit_csum(e, c->flags);  // its own copy
      } else if (c) {
        SharedCsum& shared = csums[key];
        if (!shared.entry) shared.entry = fn.create_block("csum.shared");
        const uint64_t resume = shared.resumes.size();
        untracked_u16(b, resume_slot, b.getInt64(resume));
        b.CreateBr(shared.entry);
        shared.resumes.push_back(fn.create_block("csum.resume"));
        b.SetInsertPoint(shared.resumes.back());
      }
    }
    fn.reload_packet_bounds();
    switch (list.verdict) {
      case plan::Terminal::Kind::kDrop: fn.return_action(XdpAction::kDrop); break;
      case plan::Terminal::Kind::kRedirect:
        // An empty devmap slot drops, like mirred to a device that has gone.
        fn.return_value(redirect_map(b, devmap, b.getInt32(list.redirect_slot),
                                     static_cast<uint64_t>(XdpAction::kDrop)));
        break;
      case plan::Terminal::Kind::kFanout:
        // One copy to every device in the list's devmap (empty slots, gone devices, are skipped);
        // the ingress device is not excluded: mirred may send back out of it.
        fn.return_value(redirect_map(b, fanouts[i], b.getInt32(0), kRedirectBroadcast));
        break;
      default: fn.return_action(XdpAction::kPass); break;
    }
  }
  for (auto& [key, shared] : csums) {
    const uint32_t flags = key.first;
    b.SetInsertPoint(shared.entry);
    fn.reload_packet_bounds();
    detail::emit_csum(e, flags);
    // Back to the list that came in (the stored index reads back as an unknown u16).
    llvm::Value* resume = untracked_u16_load(b, resume_slot);
    llvm::SwitchInst* sw = b.CreateSwitch(resume, drop);  // no such caller: not reached
    for (size_t r = 0; r < shared.resumes.size(); ++r)
      sw->addCase(b.getInt64(r), shared.resumes[r]);
  }
  b.SetInsertPoint(drop);
  fn.return_action(XdpAction::kDrop);
  fn.set_packet_bounds(saved_data, saved_end);
}

}  // namespace tc2xdp::codegen
