#include "codegen/lower_tc_companion.h"

#include <functional>

#include "codegen/bpf_module.h"
#include "codegen/helpers.h"

namespace tc2xdp::codegen {

namespace {

// struct __sk_buff offsets (include/uapi/linux/bpf.h).
constexpr uint32_t kSkbMark = 8, kSkbData = 76, kSkbDataMeta = 140;
constexpr uint64_t kCloneIngress = 1;  // BPF_F_INGRESS
// TC_ACT_UNSPEC (TCX_NEXT): the companion is transparent; tc's own filters still run after it.
constexpr int32_t kTcxNext = -1;
constexpr uint32_t kTcActShot = 2;  // TC_ACT_SHOT

}  // namespace

std::string copies_map_name(size_t action_list) {
  return "t2x_cp_" + std::to_string(action_list);
}

// From the action lists alone: edits in place never change them, so the loaded program's
// generation is that of any plan it follows.
uint8_t copy_generation(const plan::Plan& plan) {
  std::string lists;
  for (const plan::ActionList& list : plan.action_lists) {
    lists += std::to_string(static_cast<int>(list.verdict)) + ':';
    for (const auto& step : list.steps) lists += plan::describe_step(step) + ';';
    for (const auto& send : list.sends) lists += plan::describe_target(send) + ';';
    lists += list.consumed_at_tc ? "consumed\n" : "\n";
  }
  return static_cast<uint8_t>(std::hash<std::string>{}(lists));
}

void lower_tc_companion(BpfModule& module, const plan::Plan& plan,
                        const std::vector<const MapRef*>& copy_maps) {
  llvm::IRBuilder<>& b = module.builder();
  llvm::Function* fn = module.create_tc_function(kTcCompanionProgramName);
  llvm::Value* skb = fn->getArg(0);
  llvm::AllocaInst* key = b.CreateAlloca(b.getInt32Ty(), nullptr, "slot");
  const auto block = [&](const llvm::Twine& name) {
    return llvm::BasicBlock::Create(b.getContext(), name, fn);
  };
  const auto ctx_pointer = [&](uint32_t offset, const char* name) {
    llvm::Value* raw = b.CreateAlignedLoad(
        b.getInt32Ty(), b.CreateConstGEP1_32(b.getInt8Ty(), skb, offset), llvm::Align(4));
    return b.CreateIntToPtr(b.CreateZExt(raw, b.getInt64Ty()), b.getPtrTy(), name);
  };
  llvm::Value* meta = ctx_pointer(kSkbDataMeta, "data_meta");
  llvm::Value* data = ctx_pointer(kSkbData, "data");
  llvm::BasicBlock* done = block("done");
  llvm::BasicBlock* has_meta = block("has_meta");
  llvm::BasicBlock* mark_only = block("mark_only");
  llvm::BasicBlock* tagged = block("tagged");
  const auto set_mark = [&](uint32_t offset) {
    llvm::Value* mark = b.CreateAlignedLoad(
        b.getInt32Ty(), b.CreateConstGEP1_32(b.getInt8Ty(), meta, offset), llvm::Align(4), "mark");
    b.CreateAlignedStore(mark, b.CreateConstGEP1_32(b.getInt8Ty(), skb, kSkbMark), llvm::Align(4));
  };
  // The program's metadata area: a mark alone (4 bytes), or a copy tag and then the mark (8).
  // The mark becomes skb->mark, as tc's skbedit would have left it.
  b.CreateCondBr(b.CreateICmpUGT(b.CreateConstGEP1_32(b.getInt8Ty(), meta, 4), data), done,
                 has_meta);
  b.SetInsertPoint(has_meta);
  b.CreateCondBr(b.CreateICmpUGT(b.CreateConstGEP1_32(b.getInt8Ty(), meta, 8), data), mark_only,
                 tagged);
  b.SetInsertPoint(mark_only);
  set_mark(0);
  b.CreateBr(done);
  b.SetInsertPoint(tagged);
  llvm::Value* tag = b.CreateAlignedLoad(b.getInt32Ty(), meta, llvm::Align(4), "tag");
  set_mark(4);
  llvm::SwitchInst* by_list = b.CreateSwitch(tag, done);
  const uint8_t generation = copy_generation(plan);
  for (size_t i = 0; i < plan.action_lists.size(); ++i) {
    if (!copy_maps[i]) continue;
    llvm::BasicBlock* list = block("list" + std::to_string(i));
    by_list->addCase(b.getInt32(copy_tag(i, generation)), list);
    b.SetInsertPoint(list);
    for (uint32_t slot = 0; slot < plan.action_lists[i].sends.size(); ++slot) {
      // An empty slot (a device that is gone) sends nothing, as mirred skips it.
      llvm::BasicBlock* found = block("found");
      llvm::BasicBlock* send = block("send");
      llvm::BasicBlock* next = block("next");
      b.CreateAlignedStore(b.getInt32(slot), key, llvm::Align(4));
      llvm::Value* entry = map_lookup_elem(b, copy_maps[i]->global, key, "entry");
      b.CreateCondBr(b.CreateIsNull(entry), next, found);
      b.SetInsertPoint(found);
      llvm::Value* value = b.CreateAlignedLoad(b.getInt64Ty(), entry, llvm::Align(8), "target");
      llvm::Value* ifindex = b.CreateTrunc(value, b.getInt32Ty(), "ifindex");
      b.CreateCondBr(b.CreateICmpEQ(ifindex, b.getInt32(0)), next, send);
      b.SetInsertPoint(send);
      llvm::Value* flags = b.CreateAnd(b.CreateLShr(value, 32), b.getInt64(kCloneIngress));
      call_helper(b, BpfHelper::kCloneRedirect, b.getInt64Ty(),
                  {skb, b.CreateZExt(ifindex, b.getInt64Ty()), flags}, "cloned");
      b.CreateBr(next);
      b.SetInsertPoint(next);
    }
    // The frame itself was redirected (or dropped after its copies): only the copies go on.
    if (plan.action_lists[i].consumed_at_tc)
      b.CreateRet(b.getInt32(kTcActShot));
    else
      b.CreateBr(done);
  }
  b.SetInsertPoint(done);
  b.CreateRet(b.getInt32(static_cast<uint32_t>(kTcxNext)));
}

}  // namespace tc2xdp::codegen
