// tc2xdp attach DEV FILE [--mode native|generic|hw] [--flow-cache N] | attach DEV --pass-through
// tc2xdp apply DEV FILE [--mode ...] [--flow-cache N]        tc2xdp detach DEV
#include <cstdint>
#include <cstdlib>
#include <iostream>

#include "commands.h"
#include "datapath_cli.h"
#include "rules_input.h"
#include "tc2xdp/runtime/datapath.h"

namespace tc2xdp::cli {

namespace {

struct AttachArgs {
  std::string dev, file;
  runtime::ApplyOptions options;
  bool pass_through = false;
};

bool parse_attach_args(const Args& args, AttachArgs& out) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--mode") {
      if (i + 1 >= args.size() || !parse_mode(args[++i], out.options)) return false;
    } else if (args[i] == "--flow-cache") {
      // Entries per CPU, kept with the interface; 0: none.
      if (i + 1 >= args.size()) return false;
      const std::string& n = args[++i];
      char* end = nullptr;
      const unsigned long entries = std::strtoul(n.c_str(), &end, 10);
      if (n.empty() || *end != '\0' || entries > UINT32_MAX) return false;
      out.options.flow_cache_entries = static_cast<uint32_t>(entries);
    } else if (args[i] == "--pass-through") {
      out.pass_through = true;
    } else if (out.dev.empty()) {
      out.dev = args[i];
    } else if (out.file.empty()) {
      out.file = args[i];
    } else {
      return false;
    }
  }
  return !out.dev.empty() && (out.pass_through != !out.file.empty());
}

int apply_file(const AttachArgs& a, bool must_be_new) {
  if (must_be_new && runtime::Datapath::open(a.dev).ok()) {
    std::cerr << "tc2xdp: " << a.dev << " is already managed; 'tc2xdp apply " << a.dev
              << " FILE' replaces its rules\n";
    return 1;
  }
  ir::RuleSet rules;
  if (!a.pass_through) {
    auto loaded = load_rule_file(a.file);
    if (!loaded) return 1;
    rules = std::move(*loaded);
  }
  return apply_rules(a.dev, rules, a.options);
}

}  // namespace

int run_attach(const Args& args) {
  AttachArgs a;
  if (!parse_attach_args(args, a)) {
    std::cerr << "usage: tc2xdp attach DEV FILE [--mode native|generic|hw] [--flow-cache N]\n"
                 "       tc2xdp attach DEV --pass-through   (lets a veth receive redirected "
                 "frames)\n";
    return 2;
  }
  return apply_file(a, true);
}

int run_apply(const Args& args) {
  AttachArgs a;
  if (!parse_attach_args(args, a) || a.pass_through) {
    std::cerr << "usage: tc2xdp apply DEV FILE [--mode native|generic|hw] [--flow-cache N]\n";
    return 2;
  }
  return apply_file(a, false);
}

int run_detach(const Args& args) {
  if (args.size() != 1) {
    std::cerr << "usage: tc2xdp detach DEV\n";
    return 2;
  }
  if (auto s = runtime::Datapath::detach(args[0]); !s) {
    std::cerr << "tc2xdp: " << s.error().to_string() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace tc2xdp::cli
