// The classification loop: __tcf_classify over the chain's filters (one tcf_proto per pref) and,
// inside one pref, fl_classify over its masks in creation order. Actions may rewrite the frame;
// later filters see the rewritten frame (and its protocol), as in the kernel.
#include <cstdio>

#include "action_exec.h"
#include "tc2xdp/reference/interpreter.h"

namespace tc2xdp::reference {

namespace {

std::string rule_id(const ir::Rule& r) {
  char buf[64];
  snprintf(buf, sizeof buf, "chain %u pref %u handle 0x%x", r.chain, r.pref, r.handle);
  return buf;
}

class Classifier {
 public:
  Classifier(const ir::RuleSet& rules, uint32_t ifindex, const Options& options, Outcome& out)
      : rules_(rules.rules()), ifindex_(ifindex), options_(options), out_(out) {}

  void run() {
    if (dissect(out_.output, ifindex_).runt) {
      line("frame shorter than an Ethernet header: never classified -> XDP_PASS");
      return;
    }
    uint32_t chain = 0;
    int restarts = 0;
    for (;;) {
      const Next next = run_chain(chain);
      if (next.kind == Next::kDone) return;
      // goto chain / reclassify: __tcf_classify's reset, bounded like max_reclassify_loop.
      if (restarts++ >= options_.max_chain_hops) {
        line("loop bound of " + std::to_string(options_.max_chain_hops) +
             " chain restarts exceeded -> XDP_DROP");
        out_.verdict = Verdict::kDrop;
        return;
      }
      chain = next.chain;
    }
  }

 private:
  struct Next {
    enum Kind { kDone, kRestart } kind = kDone;
    uint32_t chain = 0;
  };

  void line(const std::string& s) {
    out_.explanation += s;
    out_.explanation += '\n';
  }

  RuleRef ref(size_t i) const {
    const auto& r = rules_[i];
    return {r.chain, r.pref, r.handle, i};
  }

  // The first rule of [begin, end) that fl_classify selects: masks in order, and a skip_sw filter
  // found under a mask passes the lookup on to the next mask.
  std::optional<size_t> lookup(size_t begin, size_t end, const FlowKey& key) const {
    for (size_t i = begin; i < end; ++i) {
      if (!matches(rules_[i], key, options_)) continue;
      if (!rules_[i].skip_sw) return i;
      const std::string mask = ir::mask_key(rules_[i]);
      while (i + 1 < end && ir::mask_key(rules_[i + 1]) == mask) ++i;
    }
    return std::nullopt;
  }

  Next run_chain(uint32_t chain) {
    line("chain " + std::to_string(chain));
    size_t i = 0;
    while (i < rules_.size() && rules_[i].chain < chain) ++i;
    while (i < rules_.size() && rules_[i].chain == chain) {
      size_t end = i;
      while (end < rules_.size() && rules_[end].chain == chain &&
             rules_[end].pref == rules_[i].pref)
        ++end;
      const ir::Rule& first = rules_[i];
      const FlowKey key = dissect(out_.output, ifindex_);
      if (first.protocol != ir::kEthPAll && first.protocol != key.outer_protocol) {
        char buf[96];
        snprintf(buf, sizeof buf, "  pref %u: protocol 0x%04x is not the frame's 0x%04x, skipped",
                 first.pref, first.protocol, key.outer_protocol);
        line(buf);
        i = end;
        continue;
      }
      const auto hit = lookup(i, end, key);
      if (!hit) {
        line("  pref " + std::to_string(first.pref) + ": no match");
        i = end;
        continue;
      }
      const ir::Rule& rule = rules_[*hit];
      out_.hits.push_back(ref(*hit));
      line("  match " + rule_id(rule) + " (" + describe(key) + ")");
      if (options_.is_punted && options_.is_punted(rule)) {
        line("  punted to the stack -> XDP_PASS");
        return done(*hit, Verdict::kPass, true);
      }
      auto result = detail::run_actions(rule, out_.output, options_, out_.mark);
      for (const auto& n : result.notes) line("    " + n);
      for (auto& copy : result.copies) out_.copies.push_back(std::move(copy));
      if (result.unmodelled) {
        line("  not modelled: handed to the stack -> XDP_PASS");
        return done(*hit, Verdict::kPass, true);
      }
      switch (result.control.kind) {
        case ir::ControlKind::kContinue: i = end; continue;
        case ir::ControlKind::kGotoChain:
          out_.matched = ref(*hit);
          return {Next::kRestart, result.control.arg};
        case ir::ControlKind::kReclassify: out_.matched = ref(*hit); return {Next::kRestart, 0};
        case ir::ControlKind::kDrop: return done(*hit, Verdict::kDrop);
        case ir::ControlKind::kStolen:
        case ir::ControlKind::kTrap:
          if (result.redirect_ifindex) {
            out_.redirect_ifindex = result.redirect_ifindex;
            out_.redirect_ingress = result.redirect_ingress;
            return done(*hit, Verdict::kRedirect);
          }
          return done(*hit, Verdict::kDrop);  // consumed by the action: never delivered
        case ir::ControlKind::kOk:
        case ir::ControlKind::kPipe:
        case ir::ControlKind::kJump: return done(*hit, Verdict::kPass);
      }
    }
    out_.matched.reset();
    line("no rule decided -> XDP_PASS");
    return {};
  }

  Next done(size_t index, Verdict v, bool punted = false) {
    out_.matched = ref(index);
    out_.verdict = v;
    out_.punted = punted;
    line(std::string("-> ") + verdict_name(v));
    return {};
  }

  const std::vector<ir::Rule>& rules_;
  uint32_t ifindex_;
  const Options& options_;
  Outcome& out_;
};

}  // namespace

Outcome classify(const ir::RuleSet& rules, std::span<const uint8_t> frame, uint32_t ingress_ifindex,
                 const Options& options) {
  Outcome out;
  out.output.assign(frame.begin(), frame.end());
  Classifier(rules, ingress_ifindex, options, out).run();
  return out;
}

}  // namespace tc2xdp::reference
