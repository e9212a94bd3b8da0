// XDP verdict names, as enum xdp_action spells them.
#include "tc2xdp/reference/interpreter.h"

namespace tc2xdp::reference {

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kAborted: return "XDP_ABORTED";
    case Verdict::kDrop: return "XDP_DROP";
    case Verdict::kPass: return "XDP_PASS";
    case Verdict::kTx: return "XDP_TX";
    case Verdict::kRedirect: return "XDP_REDIRECT";
  }
  return "XDP_?";
}

}  // namespace tc2xdp::reference
