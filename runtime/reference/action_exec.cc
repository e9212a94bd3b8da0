// tcf_action_exec: actions run in order while they return pipe; any other verdict ends the list.
// `jump N` restarts the list and skips its first N actions (at most 31 times; a jump of 0 or past
// the end is a faulty opcode and ends with ok). Each action's effect is applied to the frame.
#include "action_exec.h"

#include <variant>

#include "frame_actions.h"

namespace tc2xdp::reference::detail {

namespace {

constexpr int kJumpTtl = 32;  // TCA_ACT_MAX_PRIO

struct Step {
  ir::Control control;
  bool stop = false;  // unmodelled: classification ends here
};

Step run_one(const ir::Rule& rule, size_t position, std::vector<uint8_t>& frame,
             const Options& options, ActionResult& out, std::optional<uint32_t>& mark) {
  const ir::Action& a = rule.actions[position];
  std::string note;
  const ir::Control shot{ir::ControlKind::kDrop};
  Step step{a.control};
  if (const auto* g = std::get_if<ir::GactAction>(&a.body)) {
    step.control = g->control;
    note = "gact";
  } else if (const auto* m = std::get_if<ir::MirredAction>(&a.body)) {
    // tcf_mirred_act: the frame itself leaves only when the action's verdict is stolen;
    // otherwise a clone is sent and the frame goes on with that verdict (mirror, or a redirect
    // with another verdict). A device that is gone fails a redirect (drop) and skips a copy.
    const bool steals = a.control.kind == ir::ControlKind::kStolen;
    const std::string what = std::string("mirred ") + (m->ingress ? "ingress " : "egress ") +
                             (m->redirect ? "redirect" : "mirror") + " to " + m->dev;
    auto ifindex = options.resolve_device ? options.resolve_device(m->dev) : std::nullopt;
    if (!ifindex) {
      note = what + ": device unknown (gone)";
      if (m->redirect) step.control = shot;
    } else if (steals) {
      out.redirect_ifindex = *ifindex;
      out.redirect_ingress = m->ingress;
      note = what + " (ifindex " + std::to_string(*ifindex) + ")";
    } else {
      out.copies.push_back({*ifindex, m->ingress, frame});
      note = what + ": a copy (ifindex " + std::to_string(*ifindex) + ")";
    }
  } else if (const auto* v = std::get_if<ir::VlanAction>(&a.body)) {
    if (v->op == ir::VlanAction::Op::kPopEth || v->op == ir::VlanAction::Op::kPushEth) {
      out.unmodelled = true;
      out.notes.push_back("vlan pop_eth/push_eth is not modelled");
      return {a.control, true};
    }
    if (!apply_vlan(*v, frame, note)) step.control = shot;
  } else if (const auto* p = std::get_if<ir::PeditAction>(&a.body)) {
    apply_pedit(*p, frame, note);
  } else if (const auto* c = std::get_if<ir::CsumAction>(&a.body)) {
    if (!apply_csum(*c, frame, note)) step.control = shot;
  } else if (const auto* s = std::get_if<ir::SkbeditAction>(&a.body); s && s->mark) {
    // tcf_skbedit_act: skb->mark &= ~mask; skb->mark |= mark & mask (mask defaults to all ones).
    const uint32_t mask = s->mark_mask.value_or(0xffffffff);
    mark = (mark.value_or(0) & ~mask) | (*s->mark & mask);
    note = "skbedit mark " + std::to_string(*mark) + ", frame unchanged";
  } else if (const auto* p = std::get_if<ir::PoliceAction>(&a.body)) {
    step.control = run_police(*p, a, rule, position, frame, options, note);
  } else if (std::holds_alternative<ir::SkbeditAction>(a.body) ||
             std::holds_alternative<ir::TunnelKeyAction>(a.body)) {
    note = std::string(ir::action_kind_name(a.body)) + ": metadata only, frame unchanged";
  } else {
    // ct: conntrack state.
    out.unmodelled = true;
    out.notes.push_back(std::string(ir::action_kind_name(a.body)) + " is not modelled");
    return {a.control, true};
  }
  out.notes.push_back(note + " -> " + [&] {
    switch (step.control.kind) {
      case ir::ControlKind::kOk: return std::string("ok");
      case ir::ControlKind::kDrop: return std::string("drop");
      case ir::ControlKind::kContinue: return std::string("continue");
      case ir::ControlKind::kPipe: return std::string("pipe");
      case ir::ControlKind::kReclassify: return std::string("reclassify");
      case ir::ControlKind::kStolen: return std::string("stolen");
      case ir::ControlKind::kTrap: return std::string("trap");
      case ir::ControlKind::kGotoChain: return "goto chain " + std::to_string(step.control.arg);
      case ir::ControlKind::kJump: return "jump " + std::to_string(step.control.arg);
    }
    return std::string("?");
  }());
  return step;
}

}  // namespace

ActionResult run_actions(const ir::Rule& rule, std::vector<uint8_t>& frame, const Options& options,
                         std::optional<uint32_t>& mark) {
  const std::vector<ir::Action>& actions = rule.actions;
  ActionResult out;
  const ir::Control ok{ir::ControlKind::kOk};
  int jump_ttl = kJumpTtl;
  size_t skip = 0;
restart:
  for (size_t i = 0; i < actions.size(); ++i) {
    if (skip > 0) {
      --skip;
      continue;
    }
    const Step step = run_one(rule, i, frame, options, out, mark);
    out.control = step.control;
    if (step.stop) return out;
    if (step.control.kind == ir::ControlKind::kJump) {
      const uint32_t n = step.control.arg;
      if (n == 0 || n > actions.size() || --jump_ttl <= 0) {
        out.notes.push_back("faulty jump: ends with ok");
        out.control = ok;
        return out;
      }
      skip = n;
      goto restart;
    }
    if (step.control.kind != ir::ControlKind::kPipe) return out;
  }
  return out;
}

}  // namespace tc2xdp::reference::detail
