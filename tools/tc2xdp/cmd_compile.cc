// tc2xdp compile FILE [-o OUT] [--emit obj|llvm|asm|plan] [--lookup auto|table|tree|tuples|inline]
#include <fstream>
#include <iostream>

#include "commands.h"
#include "pipeline.h"

namespace tc2xdp::cli {

namespace {

int usage() {
  std::cerr << "usage: tc2xdp compile FILE [-o OUT] [--emit obj|llvm|asm|plan]"
               " [--lookup auto|table|tree|tuples|inline]\n"
               "  obj (the default) writes FILE's name with .o unless -o is given; the other\n"
               "  forms go to stdout unless -o is given. -o - is stdout.\n"
               "  --lookup: the planner's choice between hash tables and inline compares\n"
               "  (auto: its cost model; table: every run of rules that can be a table).\n";
  return 2;
}

std::string default_object_path(const std::string& input) {
  if (input == "-") return "rules.o";
  const auto slash = input.find_last_of('/');
  std::string base = slash == std::string::npos ? input : input.substr(slash + 1);
  const auto dot = base.find_last_of('.');
  return (dot == std::string::npos || dot == 0 ? base : base.substr(0, dot)) + ".o";
}

bool write_output(const std::string& path, const void* data, size_t size) {
  if (path == "-") {
    std::cout.write(static_cast<const char*>(data), size);
    return static_cast<bool>(std::cout.flush());
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(static_cast<const char*>(data), size);
  if (!out.flush()) {
    std::cerr << "tc2xdp: cannot write " << path << "\n";
    return false;
  }
  return true;
}

}  // namespace

int run_compile(const Args& args) {
  std::string input, output, emit = "obj";
  plan::LookupPolicy lookup = plan::LookupPolicy::kCostModel;
  for (size_t i = 0; i < args.size(); ++i) {
    if ((args[i] == "-o" || args[i] == "--emit" || args[i] == "--lookup") && i + 1 >= args.size())
      return usage();
    if (args[i] == "-o") {
      output = args[++i];
    } else if (args[i] == "--emit") {
      emit = args[++i];
    } else if (args[i] == "--lookup") {
      auto policy = parse_lookup_policy(args[++i]);
      if (!policy) return usage();
      lookup = *policy;
    } else if (input.empty()) {
      input = args[i];
    } else {
      return usage();
    }
  }
  if (input.empty() || (emit != "obj" && emit != "llvm" && emit != "asm" && emit != "plan"))
    return usage();
  codegen::EmitOptions options;
  options.want_llvm_ir = emit == "llvm";
  options.want_assembly = emit == "asm";
  auto compiled = compile_file(input, options, lookup);
  if (!compiled) return 1;
  if (emit == "obj") {
    if (output.empty()) output = default_object_path(input);
    const auto& object = compiled->program.object;
    return write_output(output, object.data(), object.size()) ? 0 : 1;
  }
  const std::string text = emit == "llvm"  ? compiled->program.llvm_ir
                           : emit == "asm" ? compiled->program.assembly
                                           : plan::describe(compiled->plan, compiled->rules);
  return write_output(output.empty() ? "-" : output, text.data(), text.size()) ? 0 : 1;
}

}  // namespace tc2xdp::cli
