// The action list of a filter (`action KIND ARGS [CONTROL] [index N] ...`) and the pieces every
// action kind shares: control verbs and the trailing index.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "tc2xdp/ir/action.h"
#include "token_stream.h"

namespace tc2xdp::frontend::tc {

inline constexpr size_t kMaxActions = 32;  // TCA_ACT_MAX_PRIO

// Parses actions starting at the current token (the first kind or gact verb, after `action`).
// Stops at the end, at `classid`/`flowid` (flower keys tc allows after actions) or at a new
// command word. Throws ParseError.
void parse_action_list(TokenStream& ts, std::vector<ir::Action>& out);

// True when `word` is a control verb (action_a2n: continue drop shot pass ok reclassify pipe goto
// jump trap, abbreviations allowed).
bool is_control_word(std::string_view word);
// The verb `word` names (abbreviations as action_a2n allows), without its argument.
std::optional<ir::ControlKind> control_kind_of(std::string_view word);
// Parses one control verb with its goto chain/jump argument.
ir::Control parse_control(TokenStream& ts);
// parse_action_control_dflt: a control verb if one follows, else `dflt`.
ir::Control parse_control_or(TokenStream& ts, ir::Control dflt);
// The optional trailing `index N` (decimal).
void parse_optional_index(TokenStream& ts, ir::Action& action);
uint32_t parse_index_value(TokenStream& ts, const Token& key);

std::string format_control(const ir::Control& c);
std::string format_index(const ir::Action& a);  // " index N" or ""

// One parser per action family; each starts at the kind word (or gact verb) and fills `out`.
ir::Action parse_gact(TokenStream& ts);
ir::Action parse_mirred(TokenStream& ts);
ir::Action parse_vlan(TokenStream& ts);
ir::Action parse_pedit(TokenStream& ts);
ir::Action parse_csum(TokenStream& ts);
ir::Action parse_tunnel_key(TokenStream& ts);
ir::Action parse_police(TokenStream& ts);
ir::Action parse_skbedit(TokenStream& ts);
ir::Action parse_ct(TokenStream& ts);

// Printers: "kind args control [index N]" without the leading "action ".
std::string print_gact(const ir::GactAction& g, const ir::Action& a);
std::string print_mirred(const ir::MirredAction& m, const ir::Action& a);
std::string print_vlan(const ir::VlanAction& v, const ir::Action& a);
std::string print_pedit(const ir::PeditAction& p, const ir::Action& a);
std::string print_csum(const ir::CsumAction& c, const ir::Action& a);
std::string print_tunnel_key(const ir::TunnelKeyAction& t, const ir::Action& a);
std::string print_police(const ir::PoliceAction& p, const ir::Action& a);
std::string print_skbedit(const ir::SkbeditAction& s, const ir::Action& a);
std::string print_ct(const ir::CtAction& c, const ir::Action& a);

}  // namespace tc2xdp::frontend::tc
