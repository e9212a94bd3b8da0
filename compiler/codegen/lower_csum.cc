// act_csum as the reference implements it (runtime/reference/csum_action.cc): every checksum the
// flags name is recomputed from scratch over the lengths the IP header states, so a frame whose
// checksum was wrong before leaves with a correct one, exactly as tcf_csum does. Sums are kept in
// the "memory order" convention of csum_partial (16-bit words loaded little-endian); payloads are
// summed with bpf_csum_diff in constant chunks, each behind its own bounds check, and the running
// position, length and sum are blinded between chunks so the verifier sees one state per chunk
// size instead of one per combination of earlier chunks.
#include <vector>

#include "codegen/action_emitter.h"
#include "codegen/helpers.h"

namespace tc2xdp::codegen::detail {

namespace {

constexpr uint32_t kIpv4Hdr = 1, kIcmp = 2, kIgmp = 4, kTcp = 8, kUdp = 16, kUdplite = 32;
// Walk limits where the reference's are unbounded (docs/semantics.md): outer VLAN tags, IPv6
// extension headers, hop-by-hop options before a jumbo option, 512-byte chunks of payload.
constexpr int kTagLimit = 6, kExtLimit = 5, kOptionLimit = 4, kBigChunks = 8;

class CsumLowering {
 public:
  CsumLowering(ActionEmitter& e, uint32_t flags)
      : e_(e), b_(e.b()), flags_(flags), done_(e.block("csum.done")) {}

  void run();

 private:
  void ipv4();
  void ipv6();
  // tcf_csum_skb_nextlayer: the IP payload (ipl bytes from nh) must be in the frame and hold jhl
  // bytes of L4 header behind ihl bytes of IP headers; otherwise drop. Returns the L4 offset.
  llvm::Value* next_layer(llvm::Value* ihl, llvm::Value* ipl, uint64_t jhl);
  // A one's complement partial sum (i64) of `len` bytes at frame offset `start`, plus `seed`.
  llvm::Value* sum_region(llvm::Value* start, llvm::Value* len, llvm::Value* seed);
  llvm::Value* fold16(llvm::Value* sum);  // ~fold(sum), 16 bits, as stored (raw little-endian)
  llvm::Value* fold32(llvm::Value* sum);
  llvm::Value* pseudo_v4(llvm::Value* proto, llvm::Value* len);
  llvm::Value* pseudo_v6(uint8_t proto, llvm::Value* len);
  // The L4 updates; each ends by branching to done_ (or drop) and leaves the builder nowhere.
  void simple(llvm::Value* ihl, llvm::Value* ipl, bool v6);
  void tcp(llvm::Value* ihl, llvm::Value* ipl, bool v6);
  void udp(llvm::Value* ihl, llvm::Value* ipl, bool v6, bool lite);
  llvm::Value* add(llvm::Value* a, llvm::Value* b) { return b_.CreateAdd(a, b); }
  llvm::Value* c(uint64_t v) { return e_.c64(v); }

  ActionEmitter& e_;
  llvm::IRBuilder<>& b_;
  uint32_t flags_;
  llvm::BasicBlock* done_;
  llvm::Value* nh_ = nullptr;  // frame offset of the IP header
};

llvm::Value* CsumLowering::fold32(llvm::Value* s) {
  for (int i = 0; i < 2; ++i) s = add(b_.CreateAnd(s, c(0xffffffff)), b_.CreateLShr(s, c(32)));
  return s;
}

llvm::Value* CsumLowering::fold16(llvm::Value* s) {
  s = fold32(s);
  for (int i = 0; i < 3; ++i) s = add(b_.CreateAnd(s, c(0xffff)), b_.CreateLShr(s, c(16)));
  return b_.CreateAnd(b_.CreateNot(s), c(0xffff));
}

llvm::Value* CsumLowering::sum_region(llvm::Value* start, llvm::Value* len, llvm::Value* seed) {
  llvm::Value* pos = start;
  llvm::Value* rem = len;
  llvm::Value* sum = seed;
  llvm::BasicBlock* drop = e_.drop();
  auto chunk = [&](uint32_t size) {
    pos = e_.offset(pos);
    rem = e_.bounded(rem);
    sum = e_.blind(fold32(sum));
    llvm::BasicBlock* from = b_.GetInsertBlock();
    llvm::BasicBlock* take = e_.block("sum.chunk");
    llvm::BasicBlock* join = e_.block("sum.next");
    b_.CreateCondBr(b_.CreateICmpUGE(rem, c(size)), take, join);
    b_.SetInsertPoint(take);
    llvm::Value* taken;
    if (size >= 4) {
      taken = csum_partial(b_, e_.checked(pos, size, drop), size, sum);
      taken = b_.CreateAnd(taken, c(0xffffffff));
    } else {
      taken = add(sum, e_.load(pos, size, drop));  // a last odd byte is the low byte
    }
    llvm::Value* pos_after = add(pos, c(size));
    llvm::Value* rem_after = b_.CreateSub(rem, c(size));
    llvm::BasicBlock* took = b_.GetInsertBlock();
    b_.CreateBr(join);
    b_.SetInsertPoint(join);
    auto merge = [&](llvm::Value* a, llvm::Value* skipped, const char* name) {
      llvm::PHINode* phi = b_.CreatePHI(b_.getInt64Ty(), 2, name);
      phi->addIncoming(a, took);
      phi->addIncoming(skipped, from);
      return phi;
    };
    llvm::Value* new_pos = merge(pos_after, pos, "sum.pos");
    llvm::Value* new_rem = merge(rem_after, rem, "sum.rem");
    sum = merge(taken, sum, "sum");
    pos = new_pos;
    rem = new_rem;
  };
  for (int i = 0; i < kBigChunks; ++i) chunk(512);
  for (uint32_t size = 256; size >= 1; size /= 2) chunk(size);
  return sum;
}

llvm::Value* CsumLowering::pseudo_v4(llvm::Value* proto, llvm::Value* len) {
  llvm::BasicBlock* drop = e_.drop();
  llvm::Value* s = add(e_.load(add(nh_, c(12)), 4, drop), e_.load(add(nh_, c(16)), 4, drop));
  // {0, proto, len >> 8, len & 0xff} loaded little-endian.
  llvm::Value* tail =
      b_.CreateOr(b_.CreateShl(proto, c(8)),
                  b_.CreateShl(b_.CreateOr(b_.CreateLShr(b_.CreateAnd(len, c(0xff00)), c(8)),
                                           b_.CreateShl(b_.CreateAnd(len, c(0xff)), c(8))),
                               c(16)));
  return add(s, tail);
}

llvm::Value* CsumLowering::pseudo_v6(uint8_t proto, llvm::Value* len) {
  llvm::BasicBlock* drop = e_.drop();
  llvm::Value* s = c(0);
  for (uint64_t off = 8; off < 40; off += 4) s = add(s, e_.load(add(nh_, c(off)), 4, drop));
  // The 32-bit length big-endian, then {0, 0, 0, proto}, each loaded little-endian.
  llvm::Value* len_be = b_.CreateZExt(
      b_.CreateUnaryIntrinsic(llvm::Intrinsic::bswap, b_.CreateTrunc(len, b_.getInt32Ty())),
      b_.getInt64Ty());
  return add(add(s, len_be), c(static_cast<uint64_t>(proto) << 24));
}

llvm::Value* CsumLowering::next_layer(llvm::Value* ihl, llvm::Value* ipl, uint64_t jhl) {
  llvm::Value* frame_fits = b_.CreateICmpULE(add(nh_, ipl), e_.frame_len());
  llvm::Value* holds = b_.CreateICmpUGE(ipl, add(ihl, c(jhl)));
  e_.exit_if(b_.CreateNot(b_.CreateAnd(frame_fits, holds)), e_.drop(), "csum.l4");
  return e_.offset(add(nh_, ihl));
}

void CsumLowering::simple(llvm::Value* ihl, llvm::Value* ipl, bool v6) {
  llvm::BasicBlock* drop = e_.drop();
  llvm::Value* h = next_layer(ihl, ipl, 8);
  llvm::Value* len = e_.bounded(b_.CreateSub(ipl, ihl));
  e_.store(add(h, c(2)), 2, c(0), drop);
  llvm::Value* seed = v6 ? pseudo_v6(58, len) : c(0);
  llvm::Value* sum = sum_region(h, len, seed);
  e_.store(add(e_.offset(h), c(2)), 2, fold16(sum), drop);
  b_.CreateBr(done_);
}

void CsumLowering::tcp(llvm::Value* ihl, llvm::Value* ipl, bool v6) {
  llvm::BasicBlock* drop = e_.drop();
  llvm::Value* h = next_layer(ihl, ipl, 20);
  llvm::Value* len = e_.bounded(b_.CreateSub(ipl, ihl));
  e_.store(add(h, c(16)), 2, c(0), drop);
  llvm::Value* seed = v6 ? pseudo_v6(6, len) : pseudo_v4(c(6), len);
  llvm::Value* sum = sum_region(h, len, seed);
  e_.store(add(e_.offset(h), c(16)), 2, fold16(sum), drop);  // a zero result stays zero
  b_.CreateBr(done_);
}

void CsumLowering::udp(llvm::Value* ihl, llvm::Value* ipl, bool v6, bool lite) {
  llvm::BasicBlock* drop = e_.drop();
  llvm::Value* h = next_layer(ihl, ipl, 8);
  llvm::Value* ul = e_.be16(add(h, c(4)), drop);
  // IPv4 UDP without a checksum keeps none; IPv6 always gets one.
  if (!v6 && !lite) e_.exit_if(b_.CreateICmpEQ(e_.load(add(h, c(6)), 2, drop), c(0)), done_);
  e_.store(add(h, c(6)), 2, c(0), drop);
  llvm::Value* payload = b_.CreateSub(ipl, ihl);
  llvm::Value* covered;
  if (lite) {
    // 0: everything; 8..payload: that much; otherwise left with a zero checksum.
    llvm::Value* bad =
        b_.CreateAnd(b_.CreateICmpNE(ul, c(0)),
                     b_.CreateOr(b_.CreateICmpULT(ul, c(8)), b_.CreateICmpUGT(ul, payload)));
    e_.exit_if(bad, done_);
    covered = b_.CreateSelect(b_.CreateICmpEQ(ul, c(0)), payload, ul);
  } else {
    e_.exit_if(b_.CreateICmpNE(ul, payload), done_);  // likewise
    covered = ul;
  }
  covered = e_.bounded(covered);
  llvm::Value* seed;
  if (v6) {
    seed = pseudo_v6(lite ? 136 : 17, ul);
  } else {
    seed = pseudo_v4(e_.u8(add(nh_, c(9)), drop), ul);
  }
  llvm::Value* folded = fold16(sum_region(h, covered, seed));
  // CSUM_MANGLED_0: a zero result is sent as 0xffff.
  folded = b_.CreateSelect(b_.CreateICmpEQ(folded, c(0)), c(0xffff), folded);
  e_.store(add(e_.offset(h), c(6)), 2, folded, drop);
  b_.CreateBr(done_);
}

void CsumLowering::ipv4() {
  llvm::BasicBlock* drop = e_.drop();
  e_.load(add(nh_, c(16)), 4, drop);  // 20 bytes of header, else drop
  llvm::Value* ihl = b_.CreateShl(b_.CreateAnd(e_.u8(nh_, drop), c(0x0f)), c(2));
  e_.exit_if(b_.CreateICmpULT(ihl, c(20)), drop, "csum.ihl");
  llvm::Value* ipl = e_.be16(add(nh_, c(2)), drop);
  llvm::Value* frag = b_.CreateAnd(e_.be16(add(nh_, c(6)), drop), c(0x1fff));
  llvm::Value* proto = e_.u8(add(nh_, c(9)), drop);
  proto = b_.CreateSelect(b_.CreateICmpNE(frag, c(0)), c(0), proto);  // later fragments: no L4
  ihl = e_.bounded(ihl);
  ipl = e_.bounded(ipl);
  // L4 first, then the header checksum (it covers nothing the L4 update writes).
  llvm::BasicBlock* l4_done = e_.block("csum.v4.l4done");
  llvm::BasicBlock* saved_done = done_;
  done_ = l4_done;
  llvm::SwitchInst* sw = b_.CreateSwitch(proto, l4_done);
  auto add_case = [&](uint8_t value, uint32_t flag, auto&& emit) {
    if (!(flags_ & flag)) return;
    llvm::BasicBlock* bb = e_.block("csum.v4.proto");
    sw->addCase(b_.getInt64(value), bb);
    b_.SetInsertPoint(bb);
    emit();
  };
  add_case(1, kIcmp, [&] { simple(ihl, ipl, false); });
  add_case(2, kIgmp, [&] { simple(ihl, ipl, false); });
  add_case(6, kTcp, [&] { tcp(ihl, ipl, false); });
  add_case(17, kUdp, [&] { udp(ihl, ipl, false, false); });
  add_case(136, kUdplite, [&] { udp(ihl, ipl, false, true); });
  done_ = saved_done;
  b_.SetInsertPoint(l4_done);
  if (flags_ & kIpv4Hdr) {
    // The options must be in the frame too (ihl bytes).
    llvm::Value* h = e_.offset(nh_);
    llvm::Value* len = e_.bounded(ihl);
    e_.exit_if(b_.CreateICmpUGT(add(h, len), e_.frame_len()), drop, "csum.iph");
    e_.store(add(h, c(10)), 2, c(0), drop);
    llvm::Value* sum = sum_region(h, len, c(0));
    e_.store(add(e_.offset(h), c(10)), 2, fold16(sum), drop);
  }
  b_.CreateBr(done_);
}

void CsumLowering::ipv6() {
  llvm::BasicBlock* drop = e_.drop();
  e_.load(add(nh_, c(36)), 4, drop);  // 40 bytes of header, else drop
  llvm::Value* pl = e_.be16(add(nh_, c(4)), drop);
  llvm::Value* next = e_.u8(add(nh_, c(6)), drop);
  llvm::Value* hl = c(40);
  // Each L4 update is emitted once, behind the walk: every stage that reaches that protocol
  // branches to it with its header length and payload length (one copy verified, not eight).
  struct L4 {
    uint8_t proto;
    uint32_t flag;
    llvm::BasicBlock* block = nullptr;
    llvm::PHINode* hl = nullptr;
    llvm::PHINode* ipl = nullptr;
  };
  std::vector<L4> l4s;
  for (auto [proto, flag] :
       {std::pair<uint8_t, uint32_t>{58, kIcmp}, {6, kTcp}, {17, kUdp}, {136, kUdplite}}) {
    if (!(flags_ & flag)) continue;
    L4 l4{proto, flag};
    l4.block = e_.block("csum.v6.l4");
    llvm::IRBuilder<>::InsertPointGuard guard(b_);
    b_.SetInsertPoint(l4.block);
    l4.hl = b_.CreatePHI(b_.getInt64Ty(), kExtLimit, "csum.v6.hl");
    l4.ipl = b_.CreatePHI(b_.getInt64Ty(), kExtLimit, "csum.v6.ipl");
    l4s.push_back(l4);
  }
  for (int i = 0; i < kExtLimit; ++i) {
    next = e_.bounded(next);
    hl = e_.offset(hl);
    pl = e_.blind(pl);  // a jumbo length may exceed 16 bits
    llvm::Value* ipl = add(pl, c(40));
    llvm::BasicBlock* ext = e_.block("csum.v6.ext");
    llvm::SwitchInst* sw = b_.CreateSwitch(next, done_);  // fragment, other payloads: nothing
    for (uint64_t t : {0, 43, 60}) sw->addCase(b_.getInt64(t), ext);
    for (L4& l4 : l4s) {
      sw->addCase(b_.getInt64(l4.proto), l4.block);
      l4.hl->addIncoming(hl, b_.GetInsertBlock());
      l4.ipl->addIncoming(ipl, b_.GetInsertBlock());
    }
    b_.SetInsertPoint(ext);
    llvm::Value* x = e_.offset(add(nh_, hl));
    llvm::Value* xl = b_.CreateShl(add(e_.u8(add(x, c(1)), drop), c(1)), c(3));
    e_.exit_if(b_.CreateICmpUGT(add(x, xl), e_.frame_len()), drop, "csum.v6.xl");
    // tcf_csum_ipv6_hopopts: a jumbo payload option replaces the payload length.
    llvm::BasicBlock* after = e_.block("csum.v6.after");
    llvm::BasicBlock* hop = e_.block("csum.v6.hop");
    llvm::BasicBlock* from = b_.GetInsertBlock();
    b_.CreateCondBr(b_.CreateICmpEQ(next, c(0)), hop, after);
    b_.SetInsertPoint(hop);
    std::vector<std::pair<llvm::Value*, llvm::BasicBlock*>> pls{{pl, from}};
    llvm::Value* off = c(2);
    llvm::Value* left = b_.CreateSub(xl, c(2));
    for (int k = 0; k < kOptionLimit; ++k) {
      off = e_.offset(off);
      left = e_.bounded(left);
      pls.emplace_back(pl, b_.GetInsertBlock());
      e_.exit_if(b_.CreateICmpULE(left, c(1)), after, "csum.opt");
      llvm::Value* opt = e_.offset(add(x, off));
      llvm::Value* type = e_.u8(opt, drop);
      llvm::BasicBlock* pad1 = e_.block("csum.opt.pad1");
      llvm::BasicBlock* sized = e_.block("csum.opt.sized");
      llvm::BasicBlock* next_opt = e_.block("csum.opt.next");
      b_.CreateCondBr(b_.CreateICmpEQ(type, c(0)), pad1, sized);
      b_.SetInsertPoint(sized);
      llvm::Value* optlen = add(e_.u8(add(opt, c(1)), drop), c(2));
      llvm::BasicBlock* jumbo = e_.block("csum.opt.jumbo");
      llvm::BasicBlock* other = e_.block("csum.opt.other");
      b_.CreateCondBr(b_.CreateICmpEQ(type, c(0xc2)), jumbo, other);
      b_.SetInsertPoint(jumbo);
      llvm::Value* bad =
          b_.CreateOr(b_.CreateOr(b_.CreateICmpNE(optlen, c(6)), b_.CreateICmpULT(left, c(6))),
                      b_.CreateICmpNE(b_.CreateAnd(off, c(3)), c(2)));
      e_.exit_if(bad, drop, "csum.opt.jumbo_ok");
      llvm::Value* jumbo_pl = e_.be32(add(opt, c(2)), drop);
      pls.emplace_back(jumbo_pl, b_.GetInsertBlock());
      b_.CreateBr(after);
      b_.SetInsertPoint(other);
      pls.emplace_back(pl, b_.GetInsertBlock());
      e_.exit_if(b_.CreateICmpUGT(optlen, left), after, "csum.opt.fits");
      llvm::BasicBlock* other_end = b_.GetInsertBlock();
      b_.CreateBr(next_opt);
      b_.SetInsertPoint(pad1);
      b_.CreateBr(next_opt);
      b_.SetInsertPoint(next_opt);
      llvm::PHINode* step = b_.CreatePHI(b_.getInt64Ty(), 2, "csum.optlen");
      step->addIncoming(c(1), pad1);
      step->addIncoming(optlen, other_end);
      off = add(off, step);
      left = b_.CreateSub(left, step);
    }
    pls.emplace_back(pl, b_.GetInsertBlock());
    b_.CreateBr(after);  // more options than kOptionLimit: no jumbo found
    b_.SetInsertPoint(after);
    llvm::PHINode* new_pl = b_.CreatePHI(b_.getInt64Ty(), pls.size(), "csum.v6.pl");
    for (auto& [v, bb] : pls) new_pl->addIncoming(v, bb);
    llvm::Value* new_next = e_.u8(x, drop);
    hl = add(hl, xl);
    e_.exit_if(b_.CreateICmpUGE(add(nh_, hl), e_.frame_len()), done_, "csum.v6.chain");
    pl = new_pl;
    next = new_next;
  }
  b_.CreateBr(done_);  // a chain longer than kExtLimit: nothing done
  for (L4& l4 : l4s) {
    b_.SetInsertPoint(l4.block);
    llvm::Value* hl4 = e_.offset(l4.hl);
    llvm::Value* ipl4 = e_.blind(l4.ipl);
    if (l4.proto == 58) simple(hl4, ipl4, true);
    if (l4.proto == 6) tcp(hl4, ipl4, true);
    if (l4.proto == 17) udp(hl4, ipl4, true, false);
    if (l4.proto == 136) udp(hl4, ipl4, true, true);
  }
}

void CsumLowering::run() {
  llvm::BasicBlock* none = done_;
  // Through every VLAN tag to the IP header (a truncated tag: nothing to do).
  llvm::Value* off = c(12);
  llvm::Value* proto = e_.be16(off, none);
  for (int i = 0; i < kTagLimit; ++i) {
    llvm::BasicBlock* tag = e_.block("csum.tag");
    llvm::BasicBlock* ip = e_.block("csum.ip");
    llvm::Value* is_tag =
        b_.CreateOr(b_.CreateICmpEQ(proto, c(0x8100)), b_.CreateICmpEQ(proto, c(0x88a8)));
    llvm::BasicBlock* from = b_.GetInsertBlock();
    b_.CreateCondBr(is_tag, tag, ip);
    b_.SetInsertPoint(tag);
    llvm::Value* next_off = add(off, c(4));
    llvm::Value* next_proto = e_.be16(next_off, none);
    llvm::BasicBlock* tag_end = b_.GetInsertBlock();
    b_.CreateBr(ip);
    b_.SetInsertPoint(ip);
    llvm::PHINode* o = b_.CreatePHI(b_.getInt64Ty(), 2, "csum.ethtype_off");
    o->addIncoming(off, from);
    o->addIncoming(next_off, tag_end);
    llvm::PHINode* p = b_.CreatePHI(b_.getInt64Ty(), 2, "csum.ethtype");
    p->addIncoming(proto, from);
    p->addIncoming(next_proto, tag_end);
    off = e_.offset(o);
    proto = e_.bounded(p);
  }
  nh_ = e_.offset(add(off, c(2)));
  llvm::BasicBlock* v4 = e_.block("csum.v4");
  llvm::BasicBlock* v6 = e_.block("csum.v6");
  llvm::SwitchInst* sw = b_.CreateSwitch(proto, done_);  // not IP (or too many tags): nothing
  sw->addCase(b_.getInt64(0x0800), v4);
  sw->addCase(b_.getInt64(0x86dd), v6);
  b_.SetInsertPoint(v4);
  ipv4();
  b_.SetInsertPoint(v6);
  ipv6();
  b_.SetInsertPoint(done_);
}

}  // namespace

void emit_csum(ActionEmitter& e, uint32_t flags) {
  CsumLowering(e, flags).run();
}

}  // namespace tc2xdp::codegen::detail
