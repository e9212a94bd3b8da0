// The flower classifier's options: match keys, flags, classid and the action list.
#pragma once

#include "tc2xdp/ir/rule.h"
#include "token_stream.h"

namespace tc2xdp::frontend::tc {

// Parses everything after the word `flower` into `rule` (whose protocol is already set). Keys are
// checked in order, as tc does: a key's prerequisites (protocol, vlan_ethtype, ip_proto) must come
// before it. Throws ParseError.
void parse_flower(TokenStream& ts, ir::Rule& rule);

}  // namespace tc2xdp::frontend::tc
