#include "codegen/bpf_module.h"

#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Transforms/Utils/ModuleUtils.h>

#include <cstdlib>

#include "codegen/bpf_target.h"
#include "codegen/emit.h"

namespace tc2xdp::codegen {

BpfModule::BpfModule(std::string name, std::string source_text)
    : context_(std::make_unique<llvm::LLVMContext>()),
      module_(std::make_unique<llvm::Module>(name, *context_)),
      builder_(std::make_unique<llvm::IRBuilder<>>(*context_)),
      di_(std::make_unique<llvm::DIBuilder>(*module_)) {
  context_->setDiagnosticHandler(std::make_unique<CollectingDiagnosticHandler>(&diagnostics_));
  module_->setTargetTriple(kBpfTriple);
  if (auto machine = create_bpf_target_machine(); machine.ok()) {
    module_->setDataLayout(machine.value()->createDataLayout());
  }
  // Without debug info LLVM emits no BTF, and libbpf refuses BTF-less `.maps`.
  module_->addModuleFlag(llvm::Module::Warning, "Dwarf Version", 5);
  module_->addModuleFlag(llvm::Module::Warning, "Debug Info Version", llvm::DEBUG_METADATA_VERSION);
  std::optional<llvm::StringRef> source;
  if (!source_text.empty()) source = source_text;
  file_ = di_->createFile(name + ".rules", "", std::nullopt, source);
  unit_ = di_->createCompileUnit(llvm::dwarf::DW_LANG_C11, file_, "tc2xdp", /*isOptimized=*/true,
                                 "", 0);
  types_ = std::make_unique<DebugTypes>(*di_, unit_, file_);
}

BpfModule::~BpfModule() = default;

const MapRef& BpfModule::declare_map(const MapSpec& spec) {
  // The value is all null pointers, as for libbpf's macros: everything is in the BTF.
  const size_t member_count = effective_map_flags(spec) != 0 ? 5 : 4;
  llvm::StructType* type = llvm::StructType::get(
      *context_, std::vector<llvm::Type*>(member_count, builder_->getPtrTy()));
  auto* global = new llvm::GlobalVariable(*module_, type, /*isConstant=*/false,
                                          llvm::GlobalValue::ExternalLinkage,
                                          llvm::Constant::getNullValue(type), spec.name);
  global->setSection(".maps");
  global->setAlignment(llvm::Align(8));
  global->setDSOLocal(true);
  llvm::DIGlobalVariableExpression* gve = di_->createGlobalVariableExpression(
      unit_, spec.name, "", file_, 0, types_->map_definition(spec), /*IsLocalToUnit=*/false);
  global->addDebugInfo(gve);
  used_.push_back(global);
  return maps_.emplace_back(MapRef{global, spec});
}

llvm::GlobalVariable* BpfModule::declare_data(const std::string& section, uint64_t bytes) {
  llvm::ArrayType* type = llvm::ArrayType::get(builder_->getInt64Ty(), (bytes + 7) / 8);
  // External linkage: nothing in the module stores to it, and LLVM must not conclude that it
  // stays zero (the runtime fills it through the map).
  auto* global = new llvm::GlobalVariable(
      *module_, type, /*isConstant=*/false, llvm::GlobalValue::ExternalLinkage,
      llvm::Constant::getNullValue(type), section.substr(section.rfind('.') + 1));
  global->setSection(section);
  global->setAlignment(llvm::Align(8));
  global->setDSOLocal(true);
  used_.push_back(global);
  return global;
}

const MapRef* BpfModule::find_map(std::string_view name) const {
  for (const MapRef& map : maps_) {
    if (map.spec.name == name) return &map;
  }
  return nullptr;
}

llvm::DISubprogram* BpfModule::create_subprogram(const std::string& name) {
  llvm::DISubprogram* program = di_->createFunction(
      file_, name, name, file_, 1, types_->xdp_function_type(), 1, llvm::DINode::FlagPrototyped,
      llvm::DISubprogram::SPFlagDefinition | llvm::DISubprogram::SPFlagOptimized);
  // The kernel rejects a BTF FUNC whose arguments have no names ("Invalid arg#1"); the BPF
  // backend takes them from the subprogram's retained parameter variables.
  di_->createParameterVariable(program, "ctx", 1, file_, 1, types_->xdp_md_pointer(),
                               /*AlwaysPreserve=*/true);
  return program;
}

llvm::Function* BpfModule::create_program(const std::string& name, const char* section,
                                          const char* context_name) {
  llvm::FunctionType* type =
      llvm::FunctionType::get(builder_->getInt32Ty(), {builder_->getPtrTy()}, false);
  llvm::Function* function =
      llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage, name, *module_);
  function->setSection(section);
  function->setDSOLocal(true);
  function->addFnAttr(llvm::Attribute::NoUnwind);
  function->getArg(0)->setName(context_name);
  function->setSubprogram(create_subprogram(name));
  used_.push_back(function);
  return function;
}

XdpFunction BpfModule::create_xdp_function(const std::string& name) {
  llvm::Function* function = create_program(name, "xdp", "ctx");
  function_name_ = name;
  return XdpFunction(*this, function);
}

llvm::Function* BpfModule::create_tc_function(const std::string& name) {
  llvm::Function* function = create_program(name, "tc", "skb");
  builder_->SetInsertPoint(llvm::BasicBlock::Create(*context_, "entry", function));
  builder_->SetCurrentDebugLocation(
      llvm::DILocation::get(*context_, 1, 0, function->getSubprogram()));
  return function;
}

Result<BpfProgram> BpfModule::finish(const EmitOptions& options) {
  if (finished_) return Error{"BpfModule::finish", 0, "called twice"};
  finished_ = true;
  if (function_name_.empty()) {
    return Error{"BpfModule::finish", 0, "the module has no XDP function"};
  }

  // char license[] SEC("license") = "GPL";
  llvm::Constant* text = llvm::ConstantDataArray::getString(*context_, license_);
  auto* license = new llvm::GlobalVariable(*module_, text->getType(), true,
                                           llvm::GlobalValue::ExternalLinkage, text, "_license");
  license->setSection("license");
  license->setAlignment(llvm::Align(1));
  used_.push_back(license);
  llvm::appendToCompilerUsed(*module_, used_);
  di_->finalize();

  std::string problems;
  llvm::raw_string_ostream os(problems);
  if (llvm::verifyModule(*module_, &os)) {
    if (const char* path = std::getenv("TC2XDP_DUMP_BAD_IR")) {  // debugging codegen
      std::error_code ec;
      llvm::raw_fd_ostream out(path, ec);
      if (!ec) module_->print(out, nullptr);
    }
    return Error{"llvm::verifyModule", 0, "codegen built invalid IR: " + os.str()};
  }

  Result<std::unique_ptr<llvm::TargetMachine>> machine = create_bpf_target_machine();
  if (!machine.ok()) return machine.error();
  if (options.optimize) optimize_module(*module_, **machine);
  if (Status s = check_llvm_errors("LLVM optimisation"); !s.ok()) return s.error();

  BpfProgram program;
  program.function_name = function_name_;
  for (const MapRef& map : maps_) program.maps.push_back(map.spec);
  if (options.want_llvm_ir) program.llvm_ir = print_ir(*module_);
  if (options.want_assembly) {
    Result<std::string> assembly = emit_machine_code(*module_, **machine, EmitKind::kAssembly);
    if (!assembly.ok()) return assembly.error();
    program.assembly = std::move(*assembly);
    if (Status s = check_llvm_errors("BPF code generation"); !s.ok()) return s.error();
  }
  Result<std::string> object = emit_machine_code(*module_, **machine, EmitKind::kObject);
  if (!object.ok()) return object.error();
  if (Status s = check_llvm_errors("BPF code generation"); !s.ok()) return s.error();
  program.object.assign(object->begin(), object->end());
  program.warnings = diagnostics_.warnings;
  return program;
}

Status BpfModule::check_llvm_errors(const char* stage) {
  if (diagnostics_.errors.empty()) return Ok{};
  std::string detail;
  for (const std::string& e : diagnostics_.errors) detail += e + "\n";
  return Error{stage, 0, detail};
}

}  // namespace tc2xdp::codegen
