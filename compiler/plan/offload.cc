#include "offload.h"

#include <variant>

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

Terminal reduce_actions(const std::vector<ir::Action>& actions, std::string& redirect_dev,
                        std::string& reason) {
  const auto punt = [&reason](std::string why) {
    reason = std::move(why);
    return Terminal{Terminal::Kind::kPunt};
  };
  for (const auto& action : actions) {
    const auto& control = action.control;
    if (const auto* mirred = std::get_if<ir::MirredAction>(&action.body)) {
      if (mirred->ingress || !mirred->redirect)
        return punt("mirred " + std::string(mirred->ingress ? "ingress" : "egress") + " " +
                    (mirred->redirect ? "redirect" : "mirror") + " is not offloaded yet");
      // Any control but stolen makes mirred clone the packet and go on: a mirror in disguise.
      if (control.kind != ir::ControlKind::kStolen)
        return punt("mirred redirect followed by another action is not offloaded yet");
      redirect_dev = mirred->dev;
      return Terminal{Terminal::Kind::kRedirect};
    }
    if (!std::holds_alternative<ir::GactAction>(action.body))
      return punt(std::string("action ") + ir::action_kind_name(action.body) +
                  " is not offloaded yet");
    switch (control.kind) {
      case ir::ControlKind::kPipe: continue;  // on to the next action
      case ir::ControlKind::kOk: return Terminal{Terminal::Kind::kPass};
      case ir::ControlKind::kDrop: return Terminal{Terminal::Kind::kDrop};
      case ir::ControlKind::kContinue: return Terminal{Terminal::Kind::kContinue};
      case ir::ControlKind::kGotoChain: return Terminal{Terminal::Kind::kGotoChain, control.arg};
      case ir::ControlKind::kReclassify: return punt("reclassify is not offloaded");
      case ir::ControlKind::kStolen: return punt("stolen without redirect is not offloaded");
      case ir::ControlKind::kTrap: return punt("trap is not offloaded");
      case ir::ControlKind::kJump: return punt("jump is not offloaded yet");
    }
  }
  // No action, or pipe off the end: the filter's verdict is pass (TC_ACT_OK / TC_ACT_PIPE).
  return Terminal{Terminal::Kind::kPass};
}

}  // namespace tc2xdp::plan
