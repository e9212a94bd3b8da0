// The XDP entry point under construction: ctx, packet bounds, checked packet loads, verdicts.
#pragma once

#include <llvm/IR/IRBuilder.h>

#include <cstdint>

namespace tc2xdp::codegen {

class BpfModule;

// enum xdp_action
enum class XdpAction : uint32_t { kAborted = 0, kDrop = 1, kPass = 2, kTx = 3, kRedirect = 4 };

// Byte offsets of struct xdp_md's u32 fields.
enum class XdpMdField : uint32_t {
  kData = 0,
  kDataEnd = 4,
  kDataMeta = 8,
  kIngressIfindex = 12,
  kRxQueueIndex = 16,
  kEgressIfindex = 20,
};

class XdpFunction {
 public:
  XdpFunction(BpfModule& module, llvm::Function* function);

  llvm::Function* function() const { return function_; }
  llvm::Value* ctx() const { return ctx_; }
  llvm::Value* data() const { return data_; }          // packet start (pointer)
  llvm::Value* data_end() const { return data_end_; }  // one past the packet's last byte
  llvm::IRBuilder<>& builder() { return b_; }

  llvm::BasicBlock* create_block(const llvm::Twine& name);
  // Stack memory belongs in the entry block (one fixed frame, 512 bytes at most).
  llvm::AllocaInst* create_stack_slot(llvm::Type* type, const llvm::Twine& name = "");

  // Reads a u32 field of xdp_md.
  llvm::Value* load_ctx(XdpMdField field, const llvm::Twine& name = "");

  // Branches to `too_short` unless data + offset + size <= data_end; continues (builder moved)
  // in a new block where [offset, offset + size) may be read. A variable offset must have a
  // verifier-visible bound (e.g. masked or range-checked) below 64 KiB.
  void check_packet(llvm::Value* offset, uint32_t size, llvm::BasicBlock* too_short);
  // data + offset, for use after check_packet.
  llvm::Value* packet_pointer(llvm::Value* offset, const llvm::Twine& name = "");
  // check_packet + load: the value is in network byte order as loaded (no swap); compare it
  // with network_constant(). Loads assume natural alignment, which XDP tolerates on x86 and
  // arm64 (no BPF_F_STRICT_ALIGNMENT); LLVM would otherwise split them into byte loads.
  llvm::Value* load_packet(uint32_t offset, llvm::Type* type, llvm::BasicBlock* too_short,
                           const llvm::Twine& name = "");
  llvm::Value* load_packet(llvm::Value* offset, llvm::Type* type, llvm::BasicBlock* too_short,
                           const llvm::Twine& name = "");

  // A host-order constant as it appears when loaded raw from the packet (little-endian BPF).
  llvm::ConstantInt* network_constant(uint64_t host_value, uint32_t bytes);

  // After bpf_xdp_adjust_head/tail every packet pointer is invalid: reload the bounds.
  void reload_packet_bounds();
  // Reinstates bounds loaded earlier (code emitted after a block that reloaded them must use
  // values that dominate it).
  void set_packet_bounds(llvm::Value* data, llvm::Value* data_end) {
    data_ = data;
    data_end_ = data_end;
  }

  // Attributes following instructions to line `line` of the module's source text.
  void set_line(unsigned line);

  void return_action(XdpAction action);
  void return_value(llvm::Value* action);

 private:
  BpfModule& module_;
  llvm::IRBuilder<>& b_;
  llvm::Function* function_;
  llvm::Value* ctx_;
  llvm::Value* data_ = nullptr;
  llvm::Value* data_end_ = nullptr;
};

}  // namespace tc2xdp::codegen
