// Parser lowering: the flow dissector as the reference interpreter specifies it
// (runtime/reference/dissector.cc, after __skb_flow_dissect with cls_flower's flags). Its loop
// becomes stages sharing one header budget (MAX_FLOW_DISSECT_HDRS):
//   link: VLAN tags and HSR/PRP, a loop; PPPoE, IPv4, IPv6, ARP or MPLS leave it, else done
//   ipv4 / ipv6: the network header; ipv4 fragments end here
//   transport: IPv6 extension headers, tcp flags, ICMP, ports, a loop; MPLS-in-IP on to mpls
//   mpls: one label stack entry per step, to the bottom of the stack
// The loops are real BPF loops, not 16 unrolled copies each: LLVM's time, most of a shape
// change's latency, scales with the code. The verifier walks them pass by pass, and inside a loop
// it stores few states to prune against, so every path that goes around must reach the head in
// the same state, or the paths multiply per pass: see again().
// State lives in entry-block stack slots (SROA makes it SSA). Header offsets are blinded and
// bounded when read (see verifier_hints.h), so the verifier checks each stage once rather than
// once per header layout that leads there.
#include "codegen/lower_parser.h"

#include "codegen/verifier_hints.h"
#include "codegen/xdp_function.h"

namespace tc2xdp::codegen {

namespace {

using ir::Field;

constexpr int kMaxHeaders = 15;          // MAX_FLOW_DISSECT_HDRS: "again"s allowed per frame
constexpr uint64_t kMaxOffset = 0x7fff;  // keeps pointer offsets below MAX_PACKET_OFF

constexpr uint16_t kEthIp = 0x0800, kEthIpv6 = 0x86dd, kEthArp = 0x0806, kEthRarp = 0x8035;
constexpr uint16_t kEthVlan = 0x8100, kEthQinQ = 0x88a8, kEthMplsUc = 0x8847, kEthMplsMc = 0x8848;
constexpr uint16_t kEthPppSes = 0x8864, kEthHsr = 0x892f, kEthPrp = 0x88fb;
constexpr uint16_t kEth8023 = 0x0001, kEth8022 = 0x0004;  // eth_type_trans for length fields
constexpr uint8_t kProtoHop = 0, kProtoIcmp = 1, kProtoIpip = 4, kProtoTcp = 6, kProtoUdp = 17,
                  kProtoDccp = 33, kProtoIpv6 = 41, kProtoRouting = 43, kProtoFragment = 44,
                  kProtoGre = 47, kProtoEsp = 50, kProtoAh = 51, kProtoIcmpv6 = 58, kProtoDest = 60,
                  kProtoSctp = 132, kProtoUdplite = 136, kProtoMpls = 137;

class Parser {
 public:
  Parser(XdpFunction& fn, const plan::ParsePlan& parse, bool walk)
      : fn_(fn),
        b_(fn.builder()),
        parse_(parse),
        walk_(walk),
        i8_(b_.getInt8Ty()),
        i16_(b_.getInt16Ty()),
        i64_(b_.getInt64Ty()) {}

  ParsedKey run();

 private:
  // --- state and field slots
  llvm::AllocaInst* slot(llvm::Type* type, const llvm::Twine& name) {
    llvm::AllocaInst* s = fn_.create_stack_slot(type, name);
    b_.CreateStore(llvm::Constant::getNullValue(type), s);
    return s;
  }
  bool wants(Field f) const { return parse_.fields.test(static_cast<size_t>(f)); }
  void set(Field f, llvm::Value* v, int word = 0) {
    if (auto* s = fields_[static_cast<size_t>(f)][word]) store(s, v);
  }
  void store(llvm::AllocaInst* s, llvm::Value* v) {
    b_.CreateStore(b_.CreateZExtOrTrunc(v, s->getAllocatedType()), s);
  }
  llvm::Value* get(llvm::AllocaInst* s) { return b_.CreateLoad(s->getAllocatedType(), s); }
  void mark(uint64_t bits) { b_.CreateStore(b_.CreateOr(get(present_), bits), present_); }
  llvm::Value* blind(llvm::Value* v) {
    return b_.CreateXor(v, b_.CreateZExtOrTrunc(zero_, v->getType()));
  }

  // --- packet access
  // The current header offset, untracked by the verifier (see untracked_u16) and bounded for it.
  // Offsets never reach kMaxOffset (16 link headers, a 60-byte IPv4 header or 15 IPv6 options
  // headers of at most 2 KiB stay below 31 KiB), so the mask changes nothing at run time.
  llvm::Value* cursor() {
    return b_.CreateAnd(untracked_u16(b_, scratch_, get(off_)), b_.getInt64(kMaxOffset));
  }
  // data + offset, if `size` bytes from there are in the frame; otherwise goes to `fail`.
  llvm::Value* header(llvm::Value* offset, uint32_t size, llvm::BasicBlock* fail) {
    llvm::Value* p = b_.CreateGEP(i8_, fn_.data(), offset, "hdr");
    llvm::Value* end = b_.CreateConstGEP1_32(i8_, p, size, "hdr_end");
    when(b_.CreateICmpULE(end, fn_.data_end()), fail, "fits");
    return p;
  }
  llvm::Value* load(llvm::Value* p, uint32_t offset, llvm::Type* type) {
    return b_.CreateLoad(type, b_.CreateConstGEP1_32(i8_, p, offset));
  }
  llvm::Value* load8(llvm::Value* p, uint32_t off) { return load(p, off, i8_); }
  llvm::Value* load16(llvm::Value* p, uint32_t off) { return load(p, off, i16_); }  // raw
  llvm::Value* load32(llvm::Value* p, uint32_t off) { return load(p, off, b_.getInt32Ty()); }
  llvm::Value* load64(llvm::Value* p, uint32_t off) { return load(p, off, i64_); }
  llvm::Value* load_mac(llvm::Value* p, uint32_t off) {  // 6 bytes as one little-endian word
    llvm::Value* low = b_.CreateZExt(load32(p, off), i64_);
    return b_.CreateOr(low, b_.CreateShl(b_.CreateZExt(load16(p, off + 4), i64_), 32));
  }
  void advance(llvm::Value* from, llvm::Value* by) { store(off_, b_.CreateAdd(from, by)); }
  void advance(llvm::Value* from, uint64_t by) { advance(from, b_.getInt64(by)); }

  // --- control flow
  void when(llvm::Value* cond, llvm::BasicBlock* otherwise, const llvm::Twine& name) {
    llvm::BasicBlock* then = fn_.create_block(name);
    b_.CreateCondBr(cond, then, otherwise);
    b_.SetInsertPoint(then);
  }
  llvm::ConstantInt* eth(uint16_t ethertype) { return b_.getInt16(le_of_host(ethertype, 2)); }
  void set_proto(uint16_t ethertype) { b_.CreateStore(eth(ethertype), proto_); }
  // The budget: ++hdrs <= 15 continues at `next`, otherwise dissection ends. The budget is
  // blinded, so the stages after it are verified once, not once per header count.
  //
  // A loop's back edge (`trips` given) also:
  // - counts its passes in `trips`, a value the verifier tracks exactly: each pass is a new state
  //   to it, where the blinded budget alone would look like the same state again ("infinite
  //   loop detected"). The budget ends a loop first; the pass bound restates it.
  // - hides what the pass may have changed (`carried`, all 16-bit values) from the verifier, so
  //   every path around the loop (which header, which VLAN depth) reaches the head in one and
  //   the same state, and it prunes all but one of them. Not by blind(): a path may have
  //   learned the run-time zero's value (LLVM splits on it), untracked_u16 cannot be learned.
  void again(llvm::BasicBlock* next, llvm::AllocaInst* trips = nullptr,
             std::initializer_list<llvm::AllocaInst*> carried = {}) {
    llvm::Value* used = b_.CreateAdd(blind(get(hdrs_)), b_.getInt64(1));
    store(hdrs_, used);
    llvm::Value* go_on = b_.CreateICmpULE(used, b_.getInt64(kMaxHeaders));
    if (trips) {
      llvm::Value* pass = b_.CreateAdd(get(trips), b_.getInt64(1));
      store(trips, pass);
      go_on = b_.CreateAnd(go_on, b_.CreateICmpULE(pass, b_.getInt64(kMaxHeaders)));
      for (llvm::AllocaInst* s : carried) {
        if (s) store(s, untracked_u16(b_, scratch_, b_.CreateZExt(get(s), i64_)));
      }
    }
    b_.CreateCondBr(go_on, next, done_);
  }
  // A link pass may change these (off_ by 4 or 6, VLAN fields by depth).
  void link_again(llvm::BasicBlock* head, llvm::AllocaInst* trips) {
    auto field = [&](Field f) { return fields_[static_cast<size_t>(f)][0]; };
    again(head, trips,
          {off_, vlan_depth_, vlan_tpid_, cvlan_tpid_, field(Field::kVlanId),
           field(Field::kVlanPrio), field(Field::kVlanEthType), field(Field::kCvlanId),
           field(Field::kCvlanPrio), field(Field::kCvlanEthType)});
  }

  void ethernet();
  void link_stage();
  void vlan_tag(llvm::BasicBlock* head, llvm::AllocaInst* trips);
  void pppoe();
  void hsr(llvm::BasicBlock* head, llvm::AllocaInst* trips);
  void ipv4();
  void ipv6();
  void arp();
  void transport_stage();
  void ports();
  void mpls_stage();
  ParsedKey finish();

  XdpFunction& fn_;
  llvm::IRBuilder<>& b_;
  const plan::ParsePlan& parse_;
  const bool walk_;  // dissect past Ethernet at all (some rule keys on more than MACs)
  llvm::Type* i8_;
  llvm::Type* i16_;
  llvm::Type* i64_;
  llvm::Value* zero_ = nullptr;
  llvm::AllocaInst* scratch_ = nullptr;  // for untracked_u16

  llvm::BasicBlock* done_ = nullptr;
  llvm::BasicBlock* ipv4_ = nullptr;
  llvm::BasicBlock* ipv6_ = nullptr;
  llvm::BasicBlock* arp_ = nullptr;
  llvm::BasicBlock* transport_ = nullptr;
  llvm::BasicBlock* mpls_ = nullptr;

  llvm::AllocaInst* present_ = nullptr;
  llvm::AllocaInst* outer_proto_ = nullptr;  // i16 raw
  llvm::AllocaInst* proto_ = nullptr;        // i16 raw: the protocol being dissected
  llvm::AllocaInst* off_ = nullptr;          // i64: its offset
  llvm::AllocaInst* hdrs_ = nullptr;         // i64: "again"s so far
  llvm::AllocaInst* vlan_depth_ = nullptr;   // i64
  llvm::AllocaInst* ip_proto_ = nullptr;     // i8
  llvm::AllocaInst* ip_flags_ = nullptr;     // i8
  llvm::AllocaInst* vlan_tpid_ = nullptr;    // i16 raw
  llvm::AllocaInst* cvlan_tpid_ = nullptr;
  std::array<std::array<llvm::AllocaInst*, 2>, ir::kFieldCount> fields_{};
  llvm::AllocaInst* src_port_host_ = nullptr;
  llvm::AllocaInst* dst_port_host_ = nullptr;
  std::array<llvm::AllocaInst*, ir::kMaxMplsDepth> lses_{};
};

ParsedKey Parser::run() {
  done_ = fn_.create_block("parsed");
  present_ = slot(i64_, "present");
  outer_proto_ = slot(i16_, "outer_proto");
  proto_ = slot(i16_, "proto");
  off_ = slot(i64_, "off");
  hdrs_ = slot(i64_, "hdrs");
  vlan_depth_ = slot(i64_, "vlan_depth");
  ip_proto_ = slot(i8_, "ip_proto");
  ip_flags_ = slot(i8_, "ip_flags");
  vlan_tpid_ = slot(i16_, "vlan_tpid");
  cvlan_tpid_ = slot(i16_, "cvlan_tpid");
  for (size_t i = 0; i < ir::kFieldCount; ++i) {
    if (!parse_.fields.test(i)) continue;
    const auto& info = ir::field_info(static_cast<Field>(i));
    for (int word = 0; word < (info.width > 8 ? 2 : 1); ++word)
      fields_[i][word] = slot(i64_, info.name);
  }
  if (parse_.src_port_range) src_port_host_ = slot(i64_, "src_port_host");
  if (parse_.dst_port_range) dst_port_host_ = slot(i64_, "dst_port_host");
  for (int d = 0; d < std::min<int>(parse_.mpls_depth, ir::kMaxMplsDepth); ++d)
    lses_[d] = slot(i64_, "lse");
  scratch_ = fn_.create_stack_slot(llvm::ArrayType::get(i8_, 8), "untracked");
  scratch_->setAlignment(llvm::Align(8));
  zero_ = opaque_zero(fn_);
  ethernet();
  return finish();
}

void Parser::ethernet() {
  // A runt is never classified: no presence bit, so no rule matches.
  llvm::Value* data = fn_.data();
  when(b_.CreateICmpULE(b_.CreateConstGEP1_32(i8_, data, 14), fn_.data_end()), done_, "eth");
  mark(kPresentEthernet);
  set(Field::kDstMac, load_mac(data, 0));
  set(Field::kSrcMac, load_mac(data, 6));
  // skb->protocol as eth_type_trans sets it: a length field is 802.3 (raw IPX) or 802.2.
  llvm::Value* type = load16(data, 12);
  b_.CreateStore(type, outer_proto_);
  b_.CreateStore(type, proto_);
  llvm::BasicBlock* known = fn_.create_block("ethertype");
  llvm::BasicBlock* length = fn_.create_block("length_field");
  llvm::Value* host = b_.CreateUnaryIntrinsic(llvm::Intrinsic::bswap, type);
  b_.CreateCondBr(b_.CreateICmpUGE(host, b_.getInt16(0x0600)), known, length);
  b_.SetInsertPoint(length);
  set_proto(kEth8022);
  llvm::BasicBlock* raw_ipx = fn_.create_block("raw_ipx");
  llvm::Value* llc_end = b_.CreateConstGEP1_32(i8_, data, 16);
  when(b_.CreateICmpULE(llc_end, fn_.data_end()), known, "llc");
  b_.CreateCondBr(b_.CreateICmpEQ(load16(data, 14), b_.getInt16(0xffff)), raw_ipx, known);
  b_.SetInsertPoint(raw_ipx);
  set_proto(kEth8023);
  b_.CreateBr(known);
  b_.SetInsertPoint(known);
  b_.CreateStore(get(proto_), outer_proto_);
  if (!walk_) {
    b_.CreateBr(done_);
    return;
  }
  store(off_, b_.getInt64(14));
  ipv4_ = fn_.create_block("ipv4");
  ipv6_ = fn_.create_block("ipv6");
  arp_ = fn_.create_block("arp");
  transport_ = fn_.create_block("transport");
  mpls_ = fn_.create_block("mpls");
  link_stage();
  b_.SetInsertPoint(ipv4_);
  ipv4();
  b_.SetInsertPoint(ipv6_);
  ipv6();
  b_.SetInsertPoint(arp_);
  arp();
  b_.SetInsertPoint(transport_);
  transport_stage();
  b_.SetInsertPoint(mpls_);
  mpls_stage();
}

// Up to 16 passes (15 "again"s) over VLAN tags and HSR/PRP headers; PPPoE ends the loop.
void Parser::link_stage() {
  llvm::AllocaInst* trips = slot(i64_, "link_passes");
  llvm::BasicBlock* pass = fn_.create_block("link");
  b_.CreateBr(pass);
  b_.SetInsertPoint(pass);
  llvm::BasicBlock* vlan = fn_.create_block("vlan");
  llvm::BasicBlock* pppoe_block = fn_.create_block("pppoe");
  llvm::BasicBlock* hsr_block = fn_.create_block("hsr");
  llvm::SwitchInst* sw = b_.CreateSwitch(get(proto_), done_);
  sw->addCase(eth(kEthVlan), vlan);
  sw->addCase(eth(kEthQinQ), vlan);
  sw->addCase(eth(kEthPppSes), pppoe_block);
  sw->addCase(eth(kEthHsr), hsr_block);
  sw->addCase(eth(kEthPrp), hsr_block);
  for (auto [type, stage] : {std::pair{kEthIp, ipv4_},
                             {kEthIpv6, ipv6_},
                             {kEthArp, arp_},
                             {kEthRarp, arp_},
                             {kEthMplsUc, mpls_},
                             {kEthMplsMc, mpls_}}) {
    sw->addCase(eth(type), stage);
  }
  b_.SetInsertPoint(vlan);
  vlan_tag(pass, trips);
  b_.SetInsertPoint(pppoe_block);
  pppoe();
  b_.SetInsertPoint(hsr_block);
  hsr(pass, trips);
}

// The first tag fills vlan_*, the second cvlan_*; later tags are walked, not recorded.
void Parser::vlan_tag(llvm::BasicBlock* head, llvm::AllocaInst* trips) {
  llvm::Value* tpid = get(proto_);
  llvm::Value* o = cursor();
  llvm::Value* p = header(o, 4, done_);
  llvm::Value* tci = load16(p, 0);  // raw: byte 0 = PCP|DEI|VID[11:8], byte 1 = VID[7:0]
  llvm::Value* inner = load16(p, 2);
  llvm::Value* depth = blind(get(vlan_depth_));
  llvm::BasicBlock* outer = fn_.create_block("vlan.outer");
  llvm::BasicBlock* second = fn_.create_block("vlan.inner");
  llvm::BasicBlock* recorded = fn_.create_block("vlan.recorded");
  llvm::SwitchInst* sw = b_.CreateSwitch(depth, recorded);
  sw->addCase(b_.getInt64(0), outer);
  sw->addCase(b_.getInt64(1), second);
  auto record = [&](llvm::BasicBlock* block, Field id, Field prio, Field type,
                    llvm::AllocaInst* tpid_slot) {
    b_.SetInsertPoint(block);
    set(id, b_.CreateAnd(tci, b_.getInt16(0xff0f)));  // VID, in the catalogue's byte order
    set(prio, b_.CreateAnd(b_.CreateLShr(tci, 5), b_.getInt16(7)));
    set(type, inner);
    b_.CreateStore(tpid, tpid_slot);
    b_.CreateBr(recorded);
  };
  record(outer, Field::kVlanId, Field::kVlanPrio, Field::kVlanEthType, vlan_tpid_);
  record(second, Field::kCvlanId, Field::kCvlanPrio, Field::kCvlanEthType, cvlan_tpid_);
  b_.SetInsertPoint(recorded);
  store(vlan_depth_, b_.CreateAdd(depth, b_.getInt64(1)));
  b_.CreateStore(inner, proto_);
  advance(o, 4);
  link_again(head, trips);
}

// PPPoE session: version 1, type 1, code 0; IP, IPv6 and MPLS payloads are dissected further,
// straight from here (the next link pass would only dispatch on the protocol set here).
void Parser::pppoe() {
  llvm::Value* o = cursor();
  llvm::Value* p = header(o, 8, done_);
  llvm::Value* ok = b_.CreateAnd(b_.CreateICmpEQ(load8(p, 0), b_.getInt8(0x11)),
                                 b_.CreateICmpEQ(load8(p, 1), b_.getInt8(0)));
  when(ok, done_, "pppoe.ok");
  llvm::Value* ppp = load16(p, 6);
  advance(o, 8);
  llvm::SwitchInst* sw = b_.CreateSwitch(ppp, done_);  // other payloads: out_good
  for (auto [ppp_proto, ethertype, stage] :
       {std::tuple<uint16_t, uint16_t, llvm::BasicBlock*>{0x0021, kEthIp, ipv4_},
        {0x0057, kEthIpv6, ipv6_},
        {0x0281, kEthMplsUc, mpls_},
        {0x0283, kEthMplsMc, mpls_}}) {
    llvm::BasicBlock* block = fn_.create_block("pppoe.proto");
    sw->addCase(b_.getInt16(le_of_host(ppp_proto, 2)), block);
    b_.SetInsertPoint(block);
    set_proto(ethertype);
    again(stage);
  }
}

void Parser::hsr(llvm::BasicBlock* head, llvm::AllocaInst* trips) {
  llvm::Value* o = cursor();
  llvm::Value* p = header(o, 6, done_);
  b_.CreateStore(load16(p, 4), proto_);
  advance(o, 6);
  link_again(head, trips);
}

void Parser::ipv4() {
  llvm::Value* o = cursor();
  llvm::Value* p = header(o, 20, done_);
  llvm::Value* ihl = b_.CreateZExt(b_.CreateAnd(load8(p, 0), b_.getInt8(0x0f)), i64_, "ihl");
  when(b_.CreateICmpUGE(ihl, b_.getInt64(5)), done_, "ipv4.ok");
  b_.CreateStore(load8(p, 9), ip_proto_);
  set(Field::kIpv4Src, load32(p, 12));
  set(Field::kIpv4Dst, load32(p, 16));
  mark(kPresentIpv4Addrs);
  set(Field::kIpTos, load8(p, 1));  // the reference keys tos/ttl of fragments too
  set(Field::kIpTtl, load8(p, 8));
  // frag_off raw: MF|offset is host 0x3fff (raw 0xff3f), the offset alone host 0x1fff (0xff1f).
  llvm::Value* frag = load16(p, 6);
  llvm::Value* is_fragment = b_.CreateICmpNE(b_.CreateAnd(frag, 0xff3f), b_.getInt16(0));
  llvm::Value* first = b_.CreateICmpEQ(b_.CreateAnd(frag, 0xff1f), b_.getInt16(0));
  llvm::Value* flags =
      b_.CreateSelect(first, b_.getInt8(ir::kIpFlagIsFragment | ir::kIpFlagFirstFrag),
                      b_.getInt8(ir::kIpFlagIsFragment));
  b_.CreateStore(b_.CreateSelect(is_fragment, flags, b_.getInt8(0)), ip_flags_);
  advance(o, b_.CreateShl(ihl, 2));
  // Any fragment ends dissection: cls_flower does not ask for FLOW_DISSECTOR_F_PARSE_1ST_FRAG.
  b_.CreateCondBr(is_fragment, done_, transport_);
}

void Parser::ipv6() {
  llvm::Value* o = cursor();
  llvm::Value* p = header(o, 40, done_);
  b_.CreateStore(load8(p, 6), ip_proto_);
  if (wants(Field::kIpTos)) {
    // Traffic class: low nibble of byte 0, high nibble of byte 1.
    llvm::Value* w = b_.CreateZExt(load16(p, 0), b_.getInt32Ty());
    set(Field::kIpTos, b_.CreateOr(b_.CreateShl(b_.CreateAnd(w, 0x0f), 4),
                                   b_.CreateAnd(b_.CreateLShr(w, 12), 0x0f)));
  }
  set(Field::kIpTtl, load8(p, 7));
  if (wants(Field::kIpv6Src)) {
    set(Field::kIpv6Src, load64(p, 8), 0);
    set(Field::kIpv6Src, load64(p, 16), 1);
  }
  if (wants(Field::kIpv6Dst)) {
    set(Field::kIpv6Dst, load64(p, 24), 0);
    set(Field::kIpv6Dst, load64(p, 32), 1);
  }
  mark(kPresentIpv6Addrs);
  advance(o, 40);
  b_.CreateBr(transport_);
}

// Ethernet/IPv4 requests and replies only; anything else leaves the ARP keys zero.
void Parser::arp() {
  if (!parse_.arp) {
    b_.CreateBr(done_);
    return;
  }
  llvm::Value* o = cursor();
  llvm::Value* p = header(o, 28, done_);
  llvm::Value* op = load16(p, 6);
  llvm::Value* ok = b_.CreateICmpEQ(load16(p, 0), b_.getInt16(le_of_host(1, 2)));
  ok = b_.CreateAnd(ok, b_.CreateICmpEQ(load16(p, 2), eth(kEthIp)));
  ok = b_.CreateAnd(ok, b_.CreateICmpEQ(load8(p, 4), b_.getInt8(6)));
  ok = b_.CreateAnd(ok, b_.CreateICmpEQ(load8(p, 5), b_.getInt8(4)));
  ok = b_.CreateAnd(ok, b_.CreateOr(b_.CreateICmpEQ(op, b_.getInt16(le_of_host(1, 2))),
                                    b_.CreateICmpEQ(op, b_.getInt16(le_of_host(2, 2)))));
  when(ok, done_, "arp.ok");
  set(Field::kArpOp, load8(p, 7));  // the opcode's low byte
  set(Field::kArpSha, load_mac(p, 8));
  set(Field::kArpSip, load32(p, 14));
  set(Field::kArpTha, load_mac(p, 18));
  set(Field::kArpTip, load32(p, 24));
  b_.CreateBr(done_);
}

// Up to 16 passes over the IP protocol: options headers repeat (budget permitting); everything
// else ends here, after the ports are (re)read for the protocol reached.
void Parser::transport_stage() {
  const bool tcp_flags = wants(Field::kTcpFlags);
  const bool icmp = wants(Field::kIcmpType) || wants(Field::kIcmpCode);
  // transport_ (entered from ipv4 and ipv6) is the loop's preheader: the pass count starts there.
  llvm::AllocaInst* trips = slot(i64_, "transport_passes");
  llvm::BasicBlock* pass = fn_.create_block("transport.pass");
  b_.CreateBr(pass);
  // After the protocol step: read the ports, then go where the step said.
  llvm::BasicBlock* port_step = fn_.create_block("ports");
  b_.SetInsertPoint(port_step);
  enum Then : uint32_t { kDone, kIpProtoAgain, kProtoAgain };
  llvm::PHINode* then = b_.CreatePHI(b_.getInt32Ty(), 4, "then");
  b_.SetInsertPoint(pass);
  auto go = [&](Then t) {
    then->addIncoming(b_.getInt32(t), b_.GetInsertBlock());
    b_.CreateBr(port_step);
  };
  llvm::Value* ip_proto = get(ip_proto_);
  llvm::BasicBlock* plain = fn_.create_block("l4.plain");
  llvm::SwitchInst* sw = b_.CreateSwitch(ip_proto, plain);
  auto add = [&](std::initializer_list<uint8_t> protos, const char* name) {
    llvm::BasicBlock* block = fn_.create_block(name);
    for (uint8_t p : protos) sw->addCase(b_.getInt8(p), block);
    b_.SetInsertPoint(block);
  };
  add({kProtoGre, kProtoIpip, kProtoIpv6}, "l4.encap");  // STOP_BEFORE_ENCAP
  go(kDone);
  add({kProtoHop, kProtoRouting, kProtoDest}, "l4.opts");
  {
    llvm::Value* is_ipv6 = b_.CreateICmpEQ(get(proto_), eth(kEthIpv6));
    llvm::BasicBlock* not_v6 = fn_.create_block("l4.opts.v4");
    llvm::BasicBlock* bad = fn_.create_block("l4.opts.bad");
    when(is_ipv6, not_v6, "l4.opts.v6");
    llvm::Value* o = cursor();
    llvm::Value* p = header(o, 2, bad);
    b_.CreateStore(load8(p, 0), ip_proto_);
    advance(o, b_.CreateShl(b_.CreateAdd(b_.CreateZExt(load8(p, 1), i64_), b_.getInt64(1)), 3));
    go(kIpProtoAgain);
    b_.SetInsertPoint(not_v6);
    go(kDone);
    b_.SetInsertPoint(bad);
    go(kDone);
  }
  add({kProtoFragment}, "l4.frag");
  {
    llvm::BasicBlock* not_v6 = fn_.create_block("l4.frag.v4");
    llvm::BasicBlock* bad = fn_.create_block("l4.frag.bad");
    when(b_.CreateICmpEQ(get(proto_), eth(kEthIpv6)), not_v6, "l4.frag.v6");
    llvm::Value* o = cursor();
    llvm::Value* p = header(o, 8, bad);
    // Fragment offset: host 0xfff8 of bytes 2..3, raw 0xf8ff.
    llvm::Value* first =
        b_.CreateICmpEQ(b_.CreateAnd(load16(p, 2), b_.getInt16(0xf8ff)), b_.getInt16(0));
    llvm::Value* flags = b_.CreateSelect(first, b_.getInt8(ir::kIpFlagFirstFrag), b_.getInt8(0));
    flags = b_.CreateOr(b_.CreateOr(get(ip_flags_), flags), b_.getInt8(ir::kIpFlagIsFragment));
    b_.CreateStore(flags, ip_flags_);
    b_.CreateStore(load8(p, 0), ip_proto_);
    advance(o, 8);
    b_.CreateBr(done_);  // a fragment: no ports
    b_.SetInsertPoint(not_v6);
    go(kDone);
    b_.SetInsertPoint(bad);
    go(kDone);
  }
  add({kProtoMpls}, "l4.mpls");
  set_proto(kEthMplsUc);
  go(kProtoAgain);
  add({kProtoTcp}, "l4.tcp");
  if (tcp_flags) {
    // Keyed only for a whole header whose data offset is at least 5 words.
    llvm::BasicBlock* skip = fn_.create_block("tcp.noflags");
    llvm::Value* o = cursor();
    llvm::Value* p = header(o, 20, skip);
    llvm::Value* word = load16(p, 12);
    when(b_.CreateICmpUGE(b_.CreateAnd(word, 0xf0), b_.getInt16(0x50)), skip, "tcp.flags");
    set(Field::kTcpFlags, b_.CreateAnd(word, 0xff0f));
    b_.CreateBr(skip);
    b_.SetInsertPoint(skip);
  }
  go(kDone);
  add({kProtoIcmp, kProtoIcmpv6}, "l4.icmp");
  if (icmp) {
    llvm::BasicBlock* skip = fn_.create_block("icmp.short");
    llvm::Value* o = cursor();
    llvm::Value* p = header(o, 8, skip);  // a whole struct icmphdr
    set(Field::kIcmpType, load8(p, 0));
    set(Field::kIcmpCode, load8(p, 1));
    b_.CreateBr(skip);
    b_.SetInsertPoint(skip);
  }
  go(kDone);
  b_.SetInsertPoint(plain);
  go(kDone);

  b_.SetInsertPoint(port_step);
  ports();
  llvm::SwitchInst* after = b_.CreateSwitch(then, done_);
  after->addCase(b_.getInt32(kIpProtoAgain), fn_.create_block("l4.again"));
  after->addCase(b_.getInt32(kProtoAgain), fn_.create_block("l4.mpls_again"));
  b_.SetInsertPoint(after->getSuccessor(1));
  again(pass, trips);
  b_.SetInsertPoint(after->getSuccessor(2));
  again(mpls_);
}

// proto_ports_offset: where the protocol keeps its port pair; zero ports when unreadable.
void Parser::ports() {
  const bool any =
      wants(Field::kSrcPort) || wants(Field::kDstPort) || src_port_host_ || dst_port_host_;
  if (!any) return;
  auto put = [&](llvm::Value* src, llvm::Value* dst) {
    set(Field::kSrcPort, src);
    set(Field::kDstPort, dst);
    if (src_port_host_) store(src_port_host_, b_.CreateUnaryIntrinsic(llvm::Intrinsic::bswap, src));
    if (dst_port_host_) store(dst_port_host_, b_.CreateUnaryIntrinsic(llvm::Intrinsic::bswap, dst));
  };
  llvm::BasicBlock* none = fn_.create_block("ports.none");
  llvm::BasicBlock* at0 = fn_.create_block("ports.at0");
  llvm::BasicBlock* at4 = fn_.create_block("ports.at4");
  llvm::BasicBlock* read = fn_.create_block("ports.read");
  llvm::BasicBlock* done = fn_.create_block("ports.done");
  llvm::SwitchInst* sw = b_.CreateSwitch(get(ip_proto_), none);
  for (uint8_t p : {kProtoTcp, kProtoUdp, kProtoDccp, kProtoEsp, kProtoSctp, kProtoUdplite})
    sw->addCase(b_.getInt8(p), at0);
  sw->addCase(b_.getInt8(kProtoAh), at4);
  b_.SetInsertPoint(at0);
  b_.CreateBr(read);
  b_.SetInsertPoint(at4);
  b_.CreateBr(read);
  b_.SetInsertPoint(read);
  llvm::PHINode* poff = b_.CreatePHI(i64_, 2, "poff");
  poff->addIncoming(b_.getInt64(0), at0);
  poff->addIncoming(b_.getInt64(4), at4);
  llvm::Value* o = cursor();
  llvm::Value* p = header(b_.CreateAdd(o, poff), 4, none);
  put(load16(p, 0), load16(p, 2));
  b_.CreateBr(done);
  b_.SetInsertPoint(none);
  put(b_.getInt16(0), b_.getInt16(0));
  b_.CreateBr(done);
  b_.SetInsertPoint(done);
}

// One label stack entry per pass, at most FLOW_DIS_MPLS_MAX; only as deep as some rule looks.
void Parser::mpls_stage() {
  for (int d = 0; d < ir::kMaxMplsDepth && lses_[d]; ++d) {
    llvm::Value* o = cursor();
    llvm::Value* p = header(o, 4, done_);
    store(lses_[d], load32(p, 0));
    mark(present_mpls_bit(d + 1));
    advance(o, 4);
    // Bottom of stack: bit 0 of byte 2.
    when(b_.CreateICmpEQ(b_.CreateAnd(load8(p, 2), b_.getInt8(1)), b_.getInt8(0)), done_,
         "mpls.more");
    llvm::BasicBlock* next = fn_.create_block("mpls");
    again(next);
    b_.SetInsertPoint(next);
  }
  b_.CreateBr(done_);
}

ParsedKey Parser::finish() {
  b_.SetInsertPoint(done_);
  auto read = [&](llvm::AllocaInst* s) -> llvm::Value* {
    return s ? blind(b_.CreateZExt(get(s), i64_)) : nullptr;
  };
  ParsedKey key;
  key.zero = zero_;
  key.present = read(present_);
  key.outer_proto = read(outer_proto_);
  key.n_proto = read(proto_);
  key.vlan_tpid = read(vlan_tpid_);
  key.cvlan_tpid = read(cvlan_tpid_);
  for (size_t i = 0; i < ir::kFieldCount; ++i) {
    key.fields[i][0] = read(fields_[i][0]);
    key.fields[i][1] = read(fields_[i][1]);
  }
  // ip_proto and ip_flags live in the dissector state; the key takes them at the end.
  if (wants(Field::kIpProto)) key.fields[static_cast<size_t>(Field::kIpProto)][0] = read(ip_proto_);
  if (wants(Field::kIpFlags)) key.fields[static_cast<size_t>(Field::kIpFlags)][0] = read(ip_flags_);
  key.src_port_host = read(src_port_host_);
  key.dst_port_host = read(dst_port_host_);
  for (int d = 0; d < ir::kMaxMplsDepth; ++d) key.mpls[d] = read(lses_[d]);
  if (parse_.indev) {
    key.ingress_ifindex = blind(b_.CreateZExt(fn_.load_ctx(XdpMdField::kIngressIfindex), i64_));
  }
  return key;
}

}  // namespace

bool needs_walk(const plan::Plan& plan) {
  for (const plan::PlannedRule& rule : plan.rules) {
    if (rule.n_proto || rule.protocol == kEthVlan || rule.protocol == kEthQinQ) return true;
  }
  const plan::ParsePlan& p = plan.parse;
  auto fields = p.fields;
  fields.reset(static_cast<size_t>(Field::kDstMac));
  fields.reset(static_cast<size_t>(Field::kSrcMac));
  return fields.any() || p.src_port_range || p.dst_port_range || p.mpls || p.vlan || p.arp ||
         p.ipv4 || p.ipv6 || p.l4;
}

ParsedKey lower_parser(XdpFunction& fn, const plan::ParsePlan& parse, bool walk) {
  return Parser(fn, parse, walk).run();
}

}  // namespace tc2xdp::codegen
