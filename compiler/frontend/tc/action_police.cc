// police (tc/m_police.c): a token-bucket (bytes or packets) policer. A bare verb or the first
// verb of `conform-exceed EXCEED[/CONFORM]` is the exceed action (default reclassify); the
// conform action defaults to ok. Action::control mirrors PoliceAction::conform.
#include <bit>

#include "action_parser.h"
#include "numbers.h"
#include "tc2xdp/ir/police_params.h"

namespace tc2xdp::frontend::tc {

namespace {

using ir::ControlKind;

// action_a2n for the slash form; goto and jump get no argument there, so chain/count 0.
ir::Control slash_verb(TokenStream& ts, const Token& tok, std::string_view word) {
  if (auto kind = control_kind_of(word)) return {*kind, 0};
  ts.fail(tok, "invalid police verb '" + std::string(word) + "'",
          "use ok, pass, drop, continue, pipe, reclassify or trap");
}

// parse_action_control_slash: "EXCEED/CONFORM" in one word, or "EXCEED [/ CONFORM]" as words.
void conform_exceed(TokenStream& ts, const Token& key, ir::PoliceAction& p) {
  if (ts.at_end()) ts.argument(key, "EXCEED[/CONFORM]");
  const Token& first = ts.peek();
  const size_t slash = first.text.find('/');
  if (slash != std::string::npos) {
    ts.next();
    p.exceed = slash_verb(ts, first, std::string_view(first.text).substr(0, slash));
    p.conform = slash_verb(ts, first, std::string_view(first.text).substr(slash + 1));
    return;
  }
  p.exceed = parse_control(ts);
  if (ts.peek_is("/")) {
    const Token& sep = ts.next();
    if (ts.at_end()) ts.argument(sep, "CONFORM verb");
    p.conform = parse_control(ts);
  }
}

// get_size64_and_cell: the "/CELL" of "SIZE/CELL", a power of two below 2^32, as its log2.
std::optional<uint8_t> cell_log(TokenStream& ts, const Token& word) {
  const size_t slash = word.text.find('/');
  if (slash == std::string::npos) return std::nullopt;
  const auto cell = parse_unsigned(std::string_view(word.text).substr(slash + 1), 0, 0x7fffffff);
  if (cell && std::has_single_bit(*cell)) return static_cast<uint8_t>(std::countr_zero(*cell));
  ts.fail(word, "invalid burst cell in '" + word.text + "'", "a power of two, as in 10k/8");
}

}  // namespace

ir::Action parse_police(TokenStream& ts) {
  const Token& kind = ts.next();
  if (ts.at_end()) ts.argument(kind, "rate, mtu or pkts_rate");
  ir::PoliceAction p;
  ir::Action a;
  bool any = false;
  const Token* rate_word = nullptr;
  const Token* peak_word = nullptr;
  const Token* pkts_word = nullptr;
  const Token* burst_word = nullptr;
  bool pkts_burst_set = false;
  auto size_arg = [&](const Token& k, uint64_t max) {
    const Token& n = ts.argument(k, "SIZE");
    auto v = parse_size(std::string_view(n.text).substr(0, n.text.find('/')));  // drop "/CELL"
    if (!v || *v > max)
      ts.fail(n, "invalid " + k.text + " '" + n.text + "'",
              "a size such as 1500, 10k or 1m (bytes)");
    return *v;
  };
  auto rate_arg = [&](const Token& k) {
    const Token& n = ts.argument(k, "RATE");
    auto v = parse_rate(n.text);
    if (!v)
      ts.fail(n, "invalid " + k.text + " '" + n.text + "'",
              "a rate such as 100kbit, 10mbit or 1gbit");
    return *v;
  };
  while (!ts.at_end()) {
    const Token& k = ts.peek();
    const std::string& w = k.text;
    if (matches(w, "index")) {
      ts.next();
      a.index = parse_index_value(ts, k);
    } else if (matches(w, "burst") || w == "buffer" || w == "maxburst") {
      ts.next();
      if (ts.at_end()) ts.argument(k, "SIZE");
      const Token& n = ts.peek();
      p.burst_bytes = static_cast<uint32_t>(size_arg(k, 0xffffffff));
      p.burst_cell_log = cell_log(ts, n);
      burst_word = &n;
    } else if (w == "mtu" || w == "minburst") {
      ts.next();
      p.mtu = static_cast<uint32_t>(size_arg(k, 0xffffffff));
    } else if (w == "rate") {
      rate_word = &ts.next();
      p.rate_bytes_per_sec = rate_arg(k);
    } else if (matches(w, "peakrate")) {
      peak_word = &ts.next();
      p.peakrate_bytes_per_sec = rate_arg(k);
    } else if (matches(w, "reclassify") || matches(w, "drop") || matches(w, "shot") ||
               matches(w, "continue") || matches(w, "pass") || matches(w, "ok") ||
               matches(w, "pipe") || matches(w, "goto")) {
      p.exceed = parse_control(ts);
    } else if (w == "conform-exceed") {
      ts.next();
      conform_exceed(ts, k, p);
    } else if (matches(w, "pkts_rate")) {
      pkts_word = &ts.next();
      const Token& n = ts.argument(k, "PPS");
      auto v = parse_unsigned(n.text, 10, UINT64_MAX);
      if (!v) ts.fail(n, "invalid pkts_rate '" + n.text + "'", "packets per second, decimal");
      p.pkts_rate = *v;
    } else if (matches(w, "pkts_burst")) {
      ts.next();
      const Token& n = ts.argument(k, "PACKETS");
      auto v = parse_unsigned(n.text, 10, UINT64_MAX);
      if (!v) ts.fail(n, "invalid pkts_burst '" + n.text + "'", "a packet count, decimal");
      p.pkts_burst = *v;
      pkts_burst_set = true;
    } else if (w == "avrate" || w == "mpu" || matches(w, "overhead") || matches(w, "linklayer")) {
      ts.fail(k, "police " + w + " is not supported by tc2xdp", "remove it");
    } else {
      break;
    }
    any = true;
  }
  if (!any) ts.fail(kind, "police needs a rate", "write 'police rate 1mbit burst 10k'");
  if (!p.rate_bytes_per_sec && !p.mtu && !p.pkts_rate)
    ts.fail(kind, "police needs rate, mtu or pkts_rate", "write 'police rate 1mbit burst 10k'");
  if (rate_word && (!burst_word || !p.burst_bytes))
    ts.fail(*rate_word, "police rate needs burst", "add 'burst 10k'");
  // m_police.c: a burst that takes 2^32 psched ticks or more at the rate does not fit tc_police.
  if (rate_word && ir::psched_xmit_ticks(p.rate_bytes_per_sec, p.burst_bytes) == UINT32_MAX)
    ts.fail(*burst_word, "police burst out of range",
            "at most about 274 seconds' worth of the rate (a higher rate or a smaller burst)");
  if (pkts_word && !pkts_burst_set)
    ts.fail(*pkts_word, "police pkts_rate needs pkts_burst", "add 'pkts_burst 100'");
  if (pkts_word && rate_word)
    ts.fail(*pkts_word, "police rate and pkts_rate can't be used together",
            "use one policer per action");
  if (peak_word && (!rate_word || !p.mtu))
    ts.fail(*peak_word, "police peakrate needs rate and mtu", "add 'rate R burst B mtu M'");
  a.control = p.conform;
  a.body = p;
  return a;
}

std::string print_police(const ir::PoliceAction& p, const ir::Action& a) {
  std::string s = "police";
  if (p.rate_bytes_per_sec) s += " rate " + format_rate(p.rate_bytes_per_sec);
  if (p.burst_bytes) {
    s += " burst " + format_size(p.burst_bytes);
    if (p.burst_cell_log) s += "/" + std::to_string(1u << *p.burst_cell_log);
  }
  if (p.mtu) s += " mtu " + format_size(p.mtu);
  if (p.peakrate_bytes_per_sec) s += " peakrate " + format_rate(p.peakrate_bytes_per_sec);
  if (p.pkts_rate) s += " pkts_rate " + std::to_string(p.pkts_rate);
  if (p.pkts_burst) s += " pkts_burst " + std::to_string(p.pkts_burst);
  s += " conform-exceed " + format_control(p.exceed) + " / " + format_control(p.conform);
  return s + format_index(a);
}

}  // namespace tc2xdp::frontend::tc
