// RuleSet: the order and identity rules of cls_api (tc_new_tfilter, tcf_chain_tp_find,
// tcf_auto_prio) and cls_flower (handle allocation, mask list order, duplicate keys).
#include "tc2xdp/ir/rule.h"

#include <algorithm>
#include <string>

namespace tc2xdp::ir {

namespace {

constexpr uint16_t kEthP8021Q = 0x8100;
constexpr uint16_t kEthP8021AD = 0x88a8;

bool is_vlan_type(uint16_t t) {
  return t == kEthP8021Q || t == kEthP8021AD;
}

void append_bytes(std::string& out, const uint8_t* bytes, size_t n) {
  out.append(reinterpret_cast<const char*>(bytes), n);
}

void append_u32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

// Shared by mask_key and match_key: with_values adds the masked values to the masks.
std::string key_of(const Rule& rule, bool with_values) {
  std::string key;
  auto eth = effective_eth_type(rule);
  key += eth ? 'E' : '-';
  if (eth && with_values) append_u32(key, *eth);
  for (size_t i = 0; i < kFieldCount; ++i) {
    const auto& slot = rule.match.fields[i];
    if (!slot) continue;
    const uint8_t width = field_info(static_cast<Field>(i)).width;
    key += 'F';
    key += static_cast<char>(i);
    append_bytes(key, slot->mask.data(), width);
    if (with_values) {
      MaskedValue canonical = *slot;
      canonical.canonicalize();
      append_bytes(key, canonical.value.data(), width);
    }
  }
  for (const auto* range : {&rule.match.src_port_range, &rule.match.dst_port_range}) {
    key += *range ? 'R' : '-';
    if (*range && with_values) append_u32(key, ((*range)->min << 16) | (*range)->max);
  }
  for (const auto& lse : rule.match.mpls) {
    key += 'M';
    key += static_cast<char>(lse.depth);
    key += static_cast<char>((lse.label ? 1 : 0) | (lse.tc ? 2 : 0) | (lse.bos ? 4 : 0) |
                             (lse.ttl ? 8 : 0));
    if (with_values) {
      append_u32(key, lse.label.value_or(0));
      key += static_cast<char>(lse.tc.value_or(0));
      key += static_cast<char>(lse.bos.value_or(0));
      key += static_cast<char>(lse.ttl.value_or(0));
    }
  }
  if (rule.match.indev) {
    key += 'I';
    if (with_values) key += *rule.match.indev + '\0';
  }
  return key;
}

std::string identity(const Rule& r) {
  return "chain " + std::to_string(r.chain) + " pref " + std::to_string(r.pref) + " handle 0x" +
         [](uint32_t h) {
           char buf[16];
           snprintf(buf, sizeof buf, "%x", h);
           return std::string(buf);
         }(r.handle);
}

}  // namespace

std::optional<uint16_t> effective_eth_type(const Rule& rule) {
  if (rule.protocol == kEthPAll) return std::nullopt;
  if (!is_vlan_type(rule.protocol)) return rule.protocol;
  const MaskedValue* vlan_eth = rule.match.get(Field::kVlanEthType);
  if (!vlan_eth) return std::nullopt;
  const uint16_t inner = static_cast<uint16_t>(vlan_eth->value_u64(2));
  if (!is_vlan_type(inner)) return inner;
  const MaskedValue* cvlan_eth = rule.match.get(Field::kCvlanEthType);
  if (!cvlan_eth) return std::nullopt;
  return static_cast<uint16_t>(cvlan_eth->value_u64(2));
}

std::string mask_key(const Rule& rule) {
  return key_of(rule, false);
}
std::string match_key(const Rule& rule) {
  return key_of(rule, true);
}

bool Rule::same_filter(const Rule& o) const {
  return dev == o.dev && hook == o.hook && parent == o.parent && chain == o.chain &&
         pref == o.pref && protocol == o.protocol && handle == o.handle && match == o.match &&
         actions == o.actions && skip_sw == o.skip_sw && skip_hw == o.skip_hw &&
         verbose == o.verbose && classid == o.classid && hw_tc == o.hw_tc;
}

const std::vector<Rule>& RuleSet::rules() const {
  if (ordered_stale_) {
    ordered_.clear();
    ordered_.reserve(by_order_.size());
    for (const auto& [order, rule] : by_order_) ordered_.push_back(rule);
    ordered_stale_ = false;
  }
  return ordered_;
}

const Rule* RuleSet::find(uint32_t chain, uint32_t pref, uint32_t handle) const {
  auto inst = instances_.find({chain, pref});
  if (inst == instances_.end()) return nullptr;
  auto h = inst->second.by_handle.find(handle);
  if (h == inst->second.by_handle.end()) return nullptr;
  return &by_order_.at(h->second);
}

const Rule* RuleSet::last_inserted() const {
  if (!last_inserted_) return nullptr;
  auto it = by_order_.find(*last_inserted_);
  return it == by_order_.end() ? nullptr : &it->second;
}

std::vector<uint32_t> RuleSet::handles_of(uint32_t chain, uint32_t pref) const {
  std::vector<uint32_t> out;
  auto inst = instances_.find({chain, pref});
  if (inst != instances_.end())
    for (const auto& [handle, order] : inst->second.by_handle) out.push_back(handle);
  return out;
}

bool RuleSet::last_of_instance(uint32_t chain, uint32_t pref, uint32_t handle) const {
  auto inst = instances_.find({chain, pref});
  if (inst == instances_.end()) return false;
  auto h = inst->second.by_handle.find(handle);
  if (h == inst->second.by_handle.end()) return false;
  auto next = std::next(by_order_.find(h->second));
  return next == by_order_.end() || next->first.chain != chain || next->first.pref != pref;
}

// tcf_auto_prio: one below the chain's first (lowest) pref, or 0xC000 in an empty chain.
uint32_t RuleSet::auto_pref(uint32_t chain) const {
  auto first = instances_.lower_bound({chain, 0});
  if (first == instances_.end() || first->first.first != chain) return kAutoPrefBase;
  return first->first.second - 1;
}

void RuleSet::insert(Instance& inst, Rule rule) {
  const std::string mk = mask_key(rule);
  auto [mask, fresh] = inst.masks.try_emplace(mk, MaskUse{next_seq_, 0});
  if (fresh) ++next_seq_;
  ++mask->second.filters;
  OrderKey order{rule.chain, rule.pref, mask->second.seq, next_seq_++};
  inst.by_handle[rule.handle] = order;
  inst.handle_by_match[match_key(rule)] = rule.handle;
  by_order_.emplace(order, std::move(rule));
  last_inserted_ = order;
  ordered_stale_ = true;
}

void RuleSet::erase(Instance& inst, uint32_t handle) {
  auto h = inst.by_handle.find(handle);
  auto node = by_order_.find(h->second);
  const Rule& rule = node->second;
  auto mask = inst.masks.find(mask_key(rule));
  if (--mask->second.filters == 0) inst.masks.erase(mask);
  inst.handle_by_match.erase(match_key(rule));
  by_order_.erase(node);
  inst.by_handle.erase(h);
  ordered_stale_ = true;
}

bool RuleSet::add_or_replace(const Command& cmd, Diagnostics& diags) {
  Rule rule = cmd.rule;
  const auto& loc = rule.origin;
  if (rule.pref == 0) {
    rule.pref = auto_pref(rule.chain);
    if (rule.pref == 0) {
      diags.error(loc, "no automatic pref is left below the chain's lowest pref", "",
                  "give the filter an explicit pref");
      return false;
    }
  }
  auto inst_it = instances_.find({rule.chain, rule.pref});
  if (inst_it != instances_.end() && inst_it->second.protocol != rule.protocol) {
    diags.error(loc,
                "pref " + std::to_string(rule.pref) + " already holds filters of another protocol",
                "protocol", "use another pref, or the protocol of the filters already there");
    return false;
  }
  Instance fresh_instance{rule.protocol, {}, {}, {}};
  Instance& inst = inst_it != instances_.end() ? inst_it->second : fresh_instance;

  const bool replacing = rule.handle != 0 && inst.by_handle.contains(rule.handle);
  if (replacing && cmd.op == CommandOp::kAdd) {
    diags.error(loc, "filter " + identity(rule) + " already exists", "handle",
                "use 'filter replace' to change it, or another handle");
    return false;
  }
  if (rule.handle == 0) {
    uint32_t h = 1;  // lowest free handle >= 1, as flower's idr allocation
    for (const auto& [used, order] : inst.by_handle) {
      if (used != h) break;
      ++h;
    }
    rule.handle = h;
  }
  auto dup = inst.handle_by_match.find(match_key(rule));
  if (dup != inst.handle_by_match.end() && dup->second != rule.handle) {
    const Rule& other = by_order_.at(inst.by_handle.at(dup->second));
    diags.error(loc,
                "a filter with the same match already exists in chain " +
                    std::to_string(rule.chain) + " pref " + std::to_string(rule.pref) +
                    (other.origin.line
                         ? " (" + other.origin.file + ":" + std::to_string(other.origin.line) + ")"
                         : ""),
                "flower",
                "flower keeps one filter per mask and key; merge the two or change a key");
    return false;
  }

  if (replacing) {
    // fl_change keeps a replaced filter's place when the mask is unchanged.
    OrderKey old_order = inst.by_handle.at(rule.handle);
    if (mask_key(by_order_.at(old_order)) == mask_key(rule)) {
      inst.handle_by_match.erase(match_key(by_order_.at(old_order)));
      inst.handle_by_match[match_key(rule)] = rule.handle;
      by_order_.at(old_order) = std::move(rule);
      last_inserted_ = old_order;
      ordered_stale_ = true;
      return true;
    }
    erase(inst, rule.handle);
  }
  if (&inst == &fresh_instance)
    inst_it =
        instances_.emplace(InstanceId{rule.chain, rule.pref}, std::move(fresh_instance)).first;
  insert(inst_it->second, std::move(rule));
  return true;
}

bool RuleSet::change(const Command& cmd, Diagnostics& diags) {
  const Rule& rule = cmd.rule;
  if (rule.pref == 0 || rule.handle == 0 || !find(rule.chain, rule.pref, rule.handle)) {
    diags.error(rule.origin, "filter to change does not exist", "change",
                "name an existing filter by pref and handle, or use 'filter add'");
    return false;
  }
  Command replace = cmd;
  replace.op = CommandOp::kReplace;
  return add_or_replace(replace, diags);
}

bool RuleSet::remove(const Command& cmd, Diagnostics& diags) {
  const Rule& rule = cmd.rule;
  if (rule.pref == 0) {  // no pref: flush the chain
    for (auto it = instances_.lower_bound({rule.chain, 0});
         it != instances_.end() && it->first.first == rule.chain;) {
      while (!it->second.by_handle.empty()) erase(it->second, it->second.by_handle.begin()->first);
      it = instances_.erase(it);
    }
    return true;
  }
  auto inst = instances_.find({rule.chain, rule.pref});
  if (inst == instances_.end()) {
    diags.error(rule.origin,
                "no filter with pref " + std::to_string(rule.pref) + " in chain " +
                    std::to_string(rule.chain),
                "pref", "'tc2xdp show' lists the filters there are");
    return false;
  }
  if (rule.handle == 0) {  // pref without handle: the whole instance
    while (!inst->second.by_handle.empty())
      erase(inst->second, inst->second.by_handle.begin()->first);
  } else {
    if (!inst->second.by_handle.contains(rule.handle)) {
      diags.error(rule.origin, "no filter " + identity(rule), "handle",
                  "'tc2xdp show' lists the filters there are");
      return false;
    }
    erase(inst->second, rule.handle);
  }
  if (inst->second.by_handle.empty()) instances_.erase(inst);
  return true;
}

bool RuleSet::apply(const Command& cmd, Diagnostics& diags) {
  switch (cmd.op) {
    case CommandOp::kAdd:
    case CommandOp::kReplace: return add_or_replace(cmd, diags);
    case CommandOp::kChange: return change(cmd, diags);
    case CommandOp::kDelete: return remove(cmd, diags);
  }
  return false;
}

bool RuleSet::apply_all(const std::vector<Command>& cmds, Diagnostics& diags) {
  RuleSet trial = *this;
  for (const auto& cmd : cmds)
    if (!trial.apply(cmd, diags)) return false;
  *this = std::move(trial);
  return true;
}

}  // namespace tc2xdp::ir
