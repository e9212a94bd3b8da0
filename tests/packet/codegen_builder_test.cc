// Builder behaviour that needs no kernel: LLVM errors become Errors, threads are independent.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "codegen/bpf_module.h"
#include "codegen/xdp_function.h"
#include "test_programs.h"

namespace tc2xdp::testing {
namespace {

TEST(CodegenBuilder, BackendErrorIsReturnedNotFatal) {
  // 1 KiB of stack is beyond BPF's 512 bytes: LLVM's BPF backend reports an error diagnostic,
  // which by default would print and exit(1).
  codegen::BpfModule m("big_stack");
  codegen::XdpFunction fn = m.create_xdp_function("xdp_big_stack");
  llvm::IRBuilder<>& b = fn.builder();
  llvm::AllocaInst* big = fn.create_stack_slot(llvm::ArrayType::get(b.getInt8Ty(), 1024), "big");
  // A volatile whole-object memset keeps SROA from shrinking the slot.
  b.CreateMemSet(big, b.getInt8(1), 1024, llvm::Align(8), /*isVolatile=*/true);
  llvm::Value* last = b.CreateConstGEP2_32(big->getAllocatedType(), big, 0, 1023);
  fn.return_value(b.CreateLoad(b.getInt8Ty(), last, /*isVolatile=*/true));
  Result<codegen::BpfProgram> program = m.finish();
  ASSERT_FALSE(program.ok());
  EXPECT_NE(program.error().detail.find("stack"), std::string::npos) << program.error().to_string();
}

TEST(CodegenBuilder, FinishWithoutFunctionFails) {
  codegen::BpfModule m("empty");
  EXPECT_FALSE(m.finish().ok());
}

TEST(CodegenBuilder, ModulesBuildConcurrently) {
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (size_t i = 0; i < ok.size(); ++i) {
    threads.emplace_back([&ok, i] {
      Result<codegen::BpfProgram> program = build_ethertype_counter();
      ok[i] = program.ok() && !program->object.empty();
    });
  }
  for (std::thread& t : threads) t.join();
  for (int v : ok) EXPECT_TRUE(v);
}

}  // namespace
}  // namespace tc2xdp::testing
