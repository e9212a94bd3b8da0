// act_vlan on the outer tag (tcf_vlan_act with skb_vlan_push/skb_vlan_pop). At ingress the outer
// tag lives in skb metadata; in the XDP frame it is the 4 bytes after the MAC addresses, so push
// inserts a tag there, pop removes it and modify rewrites it.
#include "bytes.h"
#include "frame_actions.h"

namespace tc2xdp::reference::detail {

bool apply_vlan(const ir::VlanAction& a, std::vector<uint8_t>& frame, std::string& note) {
  const bool tagged = SkbView::of(frame).outer_tag;
  switch (a.op) {
    case ir::VlanAction::Op::kPush: {
      const uint16_t tci =
          static_cast<uint16_t>((a.id & 0x0fff) | (a.priority.value_or(0) & 7) << 13);
      uint8_t tag[4];
      put_be16(tag, a.protocol);
      put_be16(tag + 2, tci);
      frame.insert(frame.begin() + 12, tag, tag + 4);
      note = "vlan push " + std::to_string(a.id);
      return true;
    }
    case ir::VlanAction::Op::kPop:
      // An untagged frame is left alone (skb_vlan_pop returns 0).
      if (tagged) frame.erase(frame.begin() + 12, frame.begin() + 16);
      note = tagged ? "vlan pop" : "vlan pop: no tag";
      return true;
    case ir::VlanAction::Op::kModify: {
      if (!tagged) {
        note = "vlan modify: no tag";
        return true;
      }
      uint16_t tci = be16(frame.data() + 14);
      tci = static_cast<uint16_t>((tci & ~0x0fff) | (a.id & 0x0fff));
      if (a.priority) tci = static_cast<uint16_t>((tci & ~0xe000) | (*a.priority & 7) << 13);
      put_be16(frame.data() + 12, a.protocol);  // modify also rewrites the TPID
      put_be16(frame.data() + 14, tci);
      note = "vlan modify " + std::to_string(a.id);
      return true;
    }
    case ir::VlanAction::Op::kPopEth:
    case ir::VlanAction::Op::kPushEth: break;
  }
  note = "vlan pop_eth/push_eth is not modelled";
  return false;
}

}  // namespace tc2xdp::reference::detail
