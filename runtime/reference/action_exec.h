// Running one filter's action list (tcf_exts_exec / tcf_action_exec).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tc2xdp/reference/interpreter.h"

namespace tc2xdp::reference::detail {

struct ActionResult {
  // The verdict the list returned: kPipe when it ran off its end, kJump for a jump that skipped
  // every action, kOk for an empty list or a faulty jump.
  ir::Control control{ir::ControlKind::kOk};
  std::optional<uint32_t> redirect_ifindex;  // a mirred redirect took the packet
  bool redirect_ingress = false;             // ... into that device's receive path
  std::vector<Copy> copies;                  // mirred copies sent on the way
  bool unmodelled = false;                   // an action the interpreter cannot express
  std::vector<std::string> notes;            // one per action run
};

// `rule`'s actions. `mark` is skb->mark (nullopt: never set, 0 at ingress); skbedit mark updates
// it.
ActionResult run_actions(const ir::Rule& rule, std::vector<uint8_t>& frame, const Options& options,
                         std::optional<uint32_t>& mark);

}  // namespace tc2xdp::reference::detail
