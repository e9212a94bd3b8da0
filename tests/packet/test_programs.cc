#include "test_programs.h"

#include "codegen/bpf_module.h"
#include "codegen/helpers.h"
#include "codegen/map_access.h"
#include "codegen/xdp_function.h"
#include "frames.h"

namespace tc2xdp::testing {

using codegen::BpfModule;
using codegen::BtfType;
using codegen::MapKind;
using codegen::XdpAction;
using codegen::XdpFunction;

Result<codegen::BpfProgram> build_ethertype_counter(const codegen::EmitOptions& options) {
  BpfModule m("ethertype_counter");
  const codegen::MapRef& counts =
      m.declare_map({"eth_counts", MapKind::kPercpuArray, BtfType::u32(), BtfType::u64(), 2});
  XdpFunction fn = m.create_xdp_function("xdp_ethertype");
  llvm::IRBuilder<>& b = fn.builder();

  llvm::BasicBlock* too_short = fn.create_block("too_short");
  llvm::Value* ethertype = fn.load_packet(12, b.getInt16Ty(), too_short, "ethertype");
  llvm::Value* is_ipv4 = b.CreateICmpEQ(ethertype, fn.network_constant(kEthPIp, 2), "is_ipv4");
  codegen::add_to_counter(fn, counts, b.CreateZExt(is_ipv4, b.getInt32Ty()), b.getInt64(1));
  llvm::BasicBlock* ipv4 = fn.create_block("ipv4");
  llvm::BasicBlock* other = fn.create_block("other");
  b.CreateCondBr(is_ipv4, ipv4, other);

  b.SetInsertPoint(ipv4);
  fn.check_packet(b.getInt64(14), 20, too_short);  // a whole option-less IPv4 header
  fn.return_action(XdpAction::kDrop);

  b.SetInsertPoint(other);
  fn.return_action(XdpAction::kPass);

  b.SetInsertPoint(too_short);
  fn.return_action(XdpAction::kAborted);
  return m.finish(options);
}

Result<codegen::BpfProgram> build_unchecked_read() {
  // The embedded "source" puts line 2 next to the offending instruction in the verifier log.
  BpfModule m("unchecked_read", "entry\nrule 7: read ethertype unchecked\n");
  XdpFunction fn = m.create_xdp_function("xdp_unchecked");
  llvm::IRBuilder<>& b = fn.builder();
  fn.set_line(2);
  // No check_packet: a direct read past data with no proof it is below data_end.
  llvm::Value* ethertype = b.CreateLoad(b.getInt16Ty(), fn.packet_pointer(b.getInt64(12)));
  llvm::Value* is_ipv4 = b.CreateICmpEQ(ethertype, fn.network_constant(kEthPIp, 2));
  fn.return_value(b.CreateSelect(is_ipv4, b.getInt32(1), b.getInt32(2)));
  return m.finish();
}

Result<codegen::BpfProgram> build_lpm_redirect() {
  BpfModule m("lpm_redirect");
  const codegen::MapRef& routes = m.declare_map(
      {"routes", MapKind::kLpmTrie, BtfType::lpm_key("ipv4_lpm_key", 4), BtfType::u32(), 64});
  const codegen::MapRef& ports =
      m.declare_map({"ports", MapKind::kDevmap, BtfType::u32(), BtfType::u32(), 8});
  XdpFunction fn = m.create_xdp_function("xdp_lpm_redirect");
  llvm::IRBuilder<>& b = fn.builder();

  llvm::BasicBlock* pass = fn.create_block("pass");
  llvm::Value* ethertype = fn.load_packet(12, b.getInt16Ty(), pass, "ethertype");
  llvm::BasicBlock* ipv4 = fn.create_block("ipv4");
  b.CreateCondBr(b.CreateICmpEQ(ethertype, fn.network_constant(kEthPIp, 2)), ipv4, pass);
  b.SetInsertPoint(ipv4);
  llvm::Value* dst = fn.load_packet(30, b.getInt32Ty(), pass, "ip.dst");  // network order

  // struct { u32 prefixlen; u8 addr[4]; } on the stack: a full-length prefix for the lookup.
  llvm::StructType* key_type = llvm::StructType::get(b.getInt32Ty(), b.getInt32Ty());
  llvm::AllocaInst* key = fn.create_stack_slot(key_type, "lpm_key");
  b.CreateStore(b.getInt32(32), b.CreateStructGEP(key_type, key, 0));
  b.CreateStore(dst, b.CreateStructGEP(key_type, key, 1));
  llvm::Value* port = codegen::map_lookup_elem(b, routes.global, key, "port");
  llvm::BasicBlock* hit = fn.create_block("hit");
  b.CreateCondBr(b.CreateIsNull(port), pass, hit);

  b.SetInsertPoint(hit);
  llvm::Value* index = b.CreateLoad(b.getInt32Ty(), port, "port.index");
  llvm::Value* action = codegen::redirect_map(b, ports.global, index, uint32_t(XdpAction::kPass));
  fn.return_value(action);

  b.SetInsertPoint(pass);
  fn.return_action(XdpAction::kPass);
  return m.finish();
}

}  // namespace tc2xdp::testing
