#include "tc2xdp/ir/action.h"

#include <type_traits>

namespace tc2xdp::ir {

const char* action_kind_name(const ActionBody& body) {
  return std::visit(
      [](const auto& a) -> const char* {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, GactAction>) return "gact";
        if constexpr (std::is_same_v<T, MirredAction>) return "mirred";
        if constexpr (std::is_same_v<T, VlanAction>) return "vlan";
        if constexpr (std::is_same_v<T, PeditAction>) return "pedit";
        if constexpr (std::is_same_v<T, CsumAction>) return "csum";
        if constexpr (std::is_same_v<T, TunnelKeyAction>) return "tunnel_key";
        if constexpr (std::is_same_v<T, PoliceAction>) return "police";
        if constexpr (std::is_same_v<T, SkbeditAction>) return "skbedit";
        if constexpr (std::is_same_v<T, CtAction>) return "ct";
        return "?";
      },
      body);
}

}  // namespace tc2xdp::ir
