// tc2xdp trace FILE --pcap IN.pcap [--ifindex N] [--json]: every packet through the compiled
// program (BPF_PROG_TEST_RUN) and through the reference interpreter, side by side; exit 1 on
// disagreement.
#include <iostream>

#include "commands.h"
#include "json_writer.h"
#include "pipeline.h"
#include "tc2xdp/runtime/host_devices.h"
#include "tc2xdp/runtime/pcap_file.h"
#include "tc2xdp/runtime/program_check.h"

namespace tc2xdp::cli {

namespace {

struct TraceArgs {
  std::string rules, pcap;
  uint32_t ifindex = 1;  // lo: BPF_PROG_TEST_RUN's default ingress device
  bool json = false;
  plan::LookupPolicy lookup = plan::LookupPolicy::kCostModel;
};

bool parse_trace_args(const Args& args, TraceArgs& out) {
  for (size_t i = 0; i < args.size(); ++i) {
    const bool has_value = i + 1 < args.size();
    if (args[i] == "--pcap" && has_value) {
      out.pcap = args[++i];
    } else if (args[i] == "--ifindex" && has_value) {
      out.ifindex = static_cast<uint32_t>(std::stoul(args[++i]));
    } else if (args[i] == "--json") {
      out.json = true;
    } else if (args[i] == "--lookup" && has_value) {
      auto policy = parse_lookup_policy(args[++i]);
      if (!policy) return false;
      out.lookup = *policy;
    } else if (out.rules.empty() && args[i][0] != '-') {
      out.rules = args[i];
    } else {
      return false;
    }
  }
  return !out.rules.empty() && !out.pcap.empty();
}

void print_json(size_t number, const runtime::ProgramOutcome& got, const ir::RuleSet& rules,
                const std::string& diff) {
  JsonWriter out;
  out.begin_object();
  out.field("packet", number);
  out.field("verdict", reference::verdict_name(got.verdict));
  const ir::Rule* rule =
      got.rule_index && *got.rule_index < rules.size() ? &rules.rules()[*got.rule_index] : nullptr;
  for (const char* key : {"chain", "pref", "handle"}) {
    out.key(key);
    if (!rule) {
      out.null();
      continue;
    }
    const std::string k = key;
    out.value(k == "chain" ? rule->chain : k == "pref" ? rule->pref : rule->handle);
  }
  // One device out: redirect_ifindex. Every device the frame was sent to, mirred copies included:
  // sends.
  out.key("redirect_ifindex");
  if (got.sends.size() == 1 && !got.sends[0].ingress)
    out.value(got.sends[0].ifindex);
  else
    out.null();
  out.key("sends");
  out.begin_array();
  for (const auto& send : got.sends) {
    out.begin_object();
    out.field("ifindex", send.ifindex);
    out.field("ingress", send.ingress);
    out.end_object();
  }
  out.end_array();
  out.field("output", runtime::to_hex(got.output));
  out.field("agree", diff.empty());
  if (!diff.empty()) out.field("difference", diff);
  out.end_object();
  std::cout << out.str() << "\n";
}

void print_text(size_t number, const runtime::ProgramOutcome& got,
                const reference::Outcome& expected, const ir::RuleSet& rules,
                std::span<const uint8_t> input, const std::string& diff) {
  std::cout << "packet " << number << ": " << reference::verdict_name(got.verdict);
  if (got.rule_index && *got.rule_index < rules.size()) {
    const auto& r = rules.rules()[*got.rule_index];
    std::cout << " by chain " << r.chain << " pref " << r.pref << " handle 0x" << std::hex
              << r.handle << std::dec;
    if (r.origin.line) std::cout << " (" << r.origin.file << ":" << r.origin.line << ")";
  } else {
    std::cout << " (no rule matched)";
  }
  for (const auto& send : got.sends)
    std::cout << (send.ingress ? " -> ingress of ifindex " : " -> ifindex ") << send.ifindex;
  if (expected.punted) std::cout << " [punted to the stack]";
  std::cout << "\n";
  if (got.output.size() == input.size() &&
      !std::equal(got.output.begin(), got.output.end(), input.begin()))
    std::cout << "  output " << runtime::to_hex(got.output) << "\n";
  if (!diff.empty()) {
    std::cout << "  DISAGREEMENT: " << diff << "\n  reference:\n";
    for (size_t at = 0; at < expected.explanation.size();) {
      const size_t end = expected.explanation.find('\n', at);
      std::cout << "    " << expected.explanation.substr(at, end - at) << "\n";
      at = end == std::string::npos ? expected.explanation.size() : end + 1;
    }
  }
}

}  // namespace

int run_trace(const Args& args) {
  TraceArgs a;
  if (!parse_trace_args(args, a)) {
    std::cerr << "usage: tc2xdp trace FILE --pcap IN.pcap [--ifindex N] [--json] [--lookup "
                 "auto|table|tree|tuples|inline]\n";
    return 2;
  }
  auto packets = runtime::read_pcap(a.pcap);
  if (!packets) {
    std::cerr << "tc2xdp: " << packets.error().to_string() << "\n";
    return 1;
  }
  auto compiled = compile_file(a.rules, {}, a.lookup);
  if (!compiled) return 1;
  auto loaded =
      runtime::LoadedProgram::load(compiled->plan, compiled->program, runtime::host_device);
  if (!loaded) {
    std::cerr << "tc2xdp: " << loaded.error().to_string() << "\n";
    return 1;
  }
  if (auto insns = runtime::verified_instructions(loaded->program_fd()))
    std::cerr << "tc2xdp: the verifier processed " << *insns << " instructions\n";
  // Police buckets live on from packet to packet in the program; the reference carries its own
  // the same way, its clock standing still (the trace takes far less than a policer's refill
  // changes, for all but the fastest rates).
  reference::PoliceState police;
  auto options = runtime::reference_options(compiled->plan, compiled->rules, runtime::host_device);
  options.police = &police;
  size_t disagreements = 0;
  for (size_t i = 0; i < packets->size(); ++i) {
    const auto& frame = (*packets)[i].data;
    auto got = loaded->run(frame, a.ifindex);
    if (!got) {
      std::cerr << "tc2xdp: packet " << i + 1 << ": " << got.error().to_string() << "\n";
      return 1;
    }
    auto expected = reference::classify(compiled->rules, frame, a.ifindex, options);
    const std::string diff = runtime::compare_outcomes(*got, expected, compiled->rules);
    disagreements += !diff.empty();
    if (a.json)
      print_json(i + 1, *got, compiled->rules, diff);
    else
      print_text(i + 1, *got, expected, compiled->rules, frame, diff);
  }
  if (!a.json)
    std::cout << packets->size() << " packets, " << disagreements
              << " disagreements with the reference\n";
  return disagreements ? 1 : 0;
}

}  // namespace tc2xdp::cli
