#include "offload.h"

#include <algorithm>
#include <bit>
#include <map>
#include <variant>

#include "police_plan.h"

namespace tc2xdp::plan {

std::string unsupported_match_reason(const ir::Match& match) {
  for (size_t i = 0; i < ir::kFieldCount; ++i) {
    if (!match.fields[i]) continue;
    const auto& info = ir::field_info(static_cast<ir::Field>(i));
    if (info.layer == ir::Layer::kTunnel)
      return std::string(info.name) + " needs tunnel metadata, which XDP does not see";
    if (info.layer == ir::Layer::kConntrack)
      return std::string(info.name) + " needs conntrack state, which XDP does not see";
  }
  return {};
}

namespace {

constexpr uint32_t kCsumSctp = 64;  // TCA_CSUM_UPDATE_FLAG_SCTP

// Empty if the program can perform `body` as a frame rewrite step; otherwise why not.
std::string unsupported_step_reason(const ir::ActionBody& body) {
  if (const auto* v = std::get_if<ir::VlanAction>(&body)) {
    if (v->op == ir::VlanAction::Op::kPopEth || v->op == ir::VlanAction::Op::kPushEth)
      return "vlan pop_eth/push_eth is not offloaded";
    return {};
  }
  if (std::holds_alternative<ir::PeditAction>(body)) return {};
  if (const auto* c = std::get_if<ir::CsumAction>(&body)) {
    if (c->flags & kCsumSctp) return "csum sctp (CRC32c over the payload) is not offloaded";
    return {};
  }
  if (const auto* s = std::get_if<ir::SkbeditAction>(&body)) {
    // Only the mark has a carrier at XDP (the metadata area); the rest is skb state.
    if (s->priority) return "skbedit priority sets skb->priority, which XDP cannot";
    if (s->queue_mapping) return "skbedit queue_mapping selects a TX queue, which XDP cannot";
    if (s->ptype) return "skbedit ptype sets skb->pkt_type, which XDP cannot";
    if (s->inherit_dsfield) return "skbedit inheritdsfield sets skb->priority, which XDP cannot";
    return {};
  }
  return std::string("action ") + ir::action_kind_name(body) + " is not offloaded yet";
}

// Why copies mirred made cannot be offloaded when the frame then goes on to continue or goto.
std::string mirred_copy_reason(const std::vector<ir::Action>& actions) {
  std::string what = "a mirred copy";
  for (const auto& a : actions)
    if (const auto* m = std::get_if<ir::MirredAction>(&a.body)) {
      what = std::string("mirred ") + (m->ingress ? "ingress " : "egress ") +
             (m->redirect ? "redirect" : "mirror") + " to " + m->dev;
      break;
    }
  return what +
         " followed by continue or goto is not offloaded (later filters could rewrite "
         "the frame after its copy left)";
}

}  // namespace

// mirred sends a copy and goes on with its control, unless that control is stolen: then the frame
// itself leaves (tcf_mirred_act clones only when the packet goes on). XDP sends copies by one
// broadcast at the end, so every copy must carry the frame the verdict leaves with: no rewrite may
// follow the first copy. When the frame itself is passed, the copies are made at tc ingress from
// the passed frame (ActionList::copies_at_tc).
Reduction reduce_actions(const std::vector<ir::Action>& actions) {
  Reduction out;
  const auto punt = [&out](std::string why) {
    out.reason = std::move(why);
    out.terminal = Terminal{Terminal::Kind::kPunt};
    out.steps.clear();
    out.sends.clear();
    return out;
  };
  // The frame leaves through `sends` only (copies, and the redirect's target if any).
  const auto fan_out = [&out] {
    out.terminal = Terminal{Terminal::Kind::kFanout};
    return out;
  };
  for (const auto& action : actions) {
    const auto& control = action.control;
    if (const auto* mirred = std::get_if<ir::MirredAction>(&action.body)) {
      const DeviceTarget target{mirred->dev, mirred->ingress};
      if (control.kind == ir::ControlKind::kStolen) {
        if (out.sends.empty()) {
          out.redirect = target;
          out.terminal = Terminal{Terminal::Kind::kRedirect};
          return out;
        }
        out.sends.push_back(target);
        return fan_out();
      }
      out.sends.push_back(target);  // a copy; the frame goes on with `control`
    } else if (const auto* police = std::get_if<ir::PoliceAction>(&action.body)) {
      // Its verdict is decided per packet: the list branches on it (police_plan.h).
      if (auto why = police_punt_reason(*police, out.steps, !out.sends.empty()); !why.empty())
        return punt(why);
      out.steps.push_back(police_step(*police));
      if (police_pipes(*police)) continue;
      out.terminal = Terminal{police_end(*police)};
      return out;
    } else if (!std::holds_alternative<ir::GactAction>(action.body)) {
      if (auto why = unsupported_step_reason(action.body); !why.empty()) return punt(why);
      if (std::holds_alternative<ir::SkbeditAction>(action.body) && police_may_pass(out.steps))
        return punt(kMarkAfterPolice);
      if (!out.sends.empty())
        return punt(std::string(ir::action_kind_name(action.body)) +
                    " after a mirred copy is not offloaded (one broadcast sends the same frame to "
                    "every port)");
      out.steps.push_back(action.body);
    }
    const bool rewrites = !out.steps.empty();
    if (has_police(out.steps) &&
        (control.kind == ir::ControlKind::kContinue || control.kind == ir::ControlKind::kGotoChain))
      return punt(
          "police followed by continue or goto is not offloaded: the policer decides in "
          "the action code, after classification");
    const bool copies = !out.sends.empty();
    switch (control.kind) {
      case ir::ControlKind::kPipe: continue;  // on to the next action
      case ir::ControlKind::kOk:  // copies are sent at tc ingress, from the passed frame
        if (copies && police_may_pass(out.steps)) return punt(kPoliceBeforeTcCopies);
        out.terminal = Terminal{Terminal::Kind::kPass};
        return out;
      case ir::ControlKind::kDrop:
        if (copies) return fan_out();   // the copies leave, the frame itself is dropped
        keep_policed_steps(out.steps);  // a dropped frame's rewrites are never seen
        out.terminal = Terminal{Terminal::Kind::kDrop};
        return out;
      case ir::ControlKind::kContinue:
        if (copies) break;
        if (rewrites)
          return punt(std::string(ir::action_kind_name(out.steps.back())) +
                      " followed by continue is not offloaded (later filters would need the "
                      "rewritten frame parsed again)");
        out.terminal = Terminal{Terminal::Kind::kContinue};
        return out;
      case ir::ControlKind::kGotoChain:
        if (copies) break;
        if (rewrites)
          return punt(std::string(ir::action_kind_name(out.steps.back())) +
                      " followed by goto chain is not offloaded (the target chain would need the "
                      "rewritten frame parsed again)");
        out.terminal = Terminal{Terminal::Kind::kGotoChain, control.arg};
        return out;
      case ir::ControlKind::kReclassify: return punt("reclassify is not offloaded");
      case ir::ControlKind::kStolen: return punt("stolen without redirect is not offloaded");
      case ir::ControlKind::kTrap: return punt("trap is not offloaded");
      case ir::ControlKind::kJump: return punt("jump is not offloaded yet");
    }
    return punt(mirred_copy_reason(actions));
  }
  // No action, or pipe off the end: the filter's verdict is pass (TC_ACT_OK / TC_ACT_PIPE).
  if (!out.sends.empty() && police_may_pass(out.steps)) return punt(kPoliceBeforeTcCopies);
  out.terminal = Terminal{Terminal::Kind::kPass};
  return out;
}

uint64_t estimated_action_insns(const ActionList& list, const std::vector<ActionList>& existing) {
  constexpr uint32_t kCsumL4 = 2 | 4 | 8 | 16 | 32;  // icmp igmp tcp udp udplite
  // The shared csum code is per set of flags and per use within a list (lower_actions.cc).
  const auto uses = [](const ActionList& l, uint32_t flags) {
    return std::count_if(l.steps.begin(), l.steps.end(), [&](const ir::ActionBody& step) {
      const auto* c = std::get_if<ir::CsumAction>(&step);
      return c && c->flags == flags;
    });
  };
  const auto has_csum = [&](uint32_t flags, long use) {
    return std::any_of(existing.begin(), existing.end(),
                       [&](const ActionList& other) { return uses(other, flags) > use; });
  };
  uint64_t insns = 200;
  std::vector<std::pair<uint32_t, long>> new_csums;
  std::map<uint32_t, long> seen;
  for (const auto& step : list.steps) {
    if (const auto* p = std::get_if<ir::PeditAction>(&step)) {
      for (const auto& k : p->keys)
        insns += k.header == ir::PeditKey::Header::kTcp || k.header == ir::PeditKey::Header::kUdp
                     ? 2500
                     : 100;
    } else if (const auto* c = std::get_if<ir::CsumAction>(&step)) {
      insns += 300;  // the jump into the shared code and the way back
      const std::pair<uint32_t, long> key{c->flags, seen[c->flags]++};
      if (!has_csum(key.first, key.second) &&
          std::find(new_csums.begin(), new_csums.end(), key) == new_csums.end()) {
        new_csums.push_back(key);
        insns += 7000 + 3500 * static_cast<uint64_t>(std::popcount(c->flags & kCsumL4));
      }
    } else if (std::holds_alternative<ir::PoliceAction>(step)) {
      insns += kPoliceStepInsns;
    } else {
      insns += 150;  // vlan, skbedit mark
    }
  }
  return insns;
}

}  // namespace tc2xdp::plan
