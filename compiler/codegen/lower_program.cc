// Rule-section lowering. Each rule is one block: its mismatch value and one branch, to the next
// rule or to its terminal. Rules that end classification share one epilogue (counters, last
// match, verdict) reached with their constants as phis; the constants are blinded there, so the
// verifier checks the epilogue once rather than once per rule. Continue and goto rules count
// inline, since they go on classifying.
#include "codegen/lower_program.h"

#include <llvm/IR/CFG.h>

#include <cstddef>
#include <map>

#include "codegen/bpf_module.h"
#include "codegen/helpers.h"
#include "codegen/lower_actions.h"
#include "codegen/lower_match.h"
#include "codegen/lower_police.h"
#include "codegen/lower_table.h"
#include "codegen/verifier_hints.h"
#include "codegen/xdp_function.h"
#include "tc2xdp/codegen/compile.h"

namespace tc2xdp::codegen {

namespace {

// How a terminating rule leaves the program (the epilogue's verdict phi).
// kActions: the rule's action list (the redirect phi carries its index) rewrites the frame and
// returns its own verdict.
enum class Exit : uint32_t { kPass = 0, kDrop = 1, kRedirect = 2, kActions = 4 };

class ProgramLowering {
 public:
  ProgramLowering(XdpFunction& fn, const ir::RuleSet& rules, const plan::Plan& plan,
                  const ParsedKey& key, const ProgramMaps& maps, const ProgramLines& lines)
      : fn_(fn),
        b_(fn.builder()),
        rules_(rules),
        plan_(plan),
        key_(key),
        maps_(maps),
        lines_(lines),
        i32_(b_.getInt32Ty()),
        i64_(b_.getInt64Ty()) {}

  void run();

 private:
  // next: the rule after this one; next_mask: the first later rule under another mask or pref;
  // next_pref: the first rule of the next pref (or the miss).
  void emit_rule(size_t index, llvm::BasicBlock* block, llvm::BasicBlock* next,
                 llvm::BasicBlock* next_mask, llvm::BasicBlock* next_pref);
  // A table unit: the probe, then its winner's verdict (the record's kind, as data).
  void emit_table(const plan::Table& table, llvm::BasicBlock* block, llvm::BasicBlock* next);
  void exit_via_epilogue(uint32_t slot, uint32_t last, Exit exit, uint32_t redirect_slot) {
    exit_via_epilogue(b_.getInt32(slot), b_.getInt32(last),
                      b_.getInt32(static_cast<uint32_t>(exit)), b_.getInt32(redirect_slot));
  }
  void exit_via_epilogue(llvm::Value* slot, llvm::Value* last, llvm::Value* exit,
                         llvm::Value* redirect_slot);
  // Counts a goto, then restarts in the chain `chain` (i32) unless the hop bound is exceeded.
  // A non-constant `chain` is an index into `targets` (out of range: a miss).
  void goto_chain(llvm::Value* chain, llvm::Value* last, const std::string& name,
                  const std::vector<uint32_t>& targets = {});
  void build_epilogue();
  void build_miss();
  llvm::BasicBlock* chain_entry(uint32_t chain) const {
    auto it = chain_entries_.find(chain);
    return it == chain_entries_.end() ? miss_ : it->second;  // no such chain: a miss
  }
  // This CPU's counters of stats slot `slot` (i32): packets += 1, bytes += frame length, last hit.
  void bump_counters(llvm::Value* slot);
  void touch_last_hit(llvm::Value* slot);
  // kLastMatchMap[0] = last (i32).
  void record_last(llvm::Value* last);
  // Behind a barrier, so LLVM cannot turn a compare of the result into a compare of the zero.
  llvm::Value* blind32(llvm::Value* v) {
    return b_.CreateTrunc(optimization_barrier(b_, b_.CreateXor(b_.CreateZExt(v, i64_), key_.zero)),
                          i32_);
  }

  XdpFunction& fn_;
  llvm::IRBuilder<>& b_;
  const ir::RuleSet& rules_;
  const plan::Plan& plan_;
  const ParsedKey& key_;
  const ProgramMaps& maps_;
  const ProgramLines& lines_;
  llvm::Type* i32_;
  llvm::Type* i64_;

  std::map<uint32_t, llvm::BasicBlock*> chain_entries_;
  llvm::BasicBlock* miss_ = nullptr;
  llvm::BasicBlock* epilogue_ = nullptr;
  llvm::PHINode* exit_slot_ = nullptr;
  llvm::PHINode* exit_last_ = nullptr;
  llvm::PHINode* exit_kind_ = nullptr;
  llvm::PHINode* exit_redirect_ = nullptr;
  llvm::AllocaInst* hops_ = nullptr;
  // One key slot per map for every lookup: a slot per rule would blow the 512-byte stack.
  llvm::AllocaInst* stats_key_ = nullptr;
  llvm::AllocaInst* last_key_ = nullptr;
  TableMaps table_maps_;
};

void ProgramLowering::run() {
  llvm::BasicBlock* start = b_.GetInsertBlock();
  miss_ = fn_.create_block("miss");
  epilogue_ = fn_.create_block("epilogue");
  stats_key_ = fn_.create_stack_slot(i32_, "stats_key");
  last_key_ = fn_.create_stack_slot(i32_, "last_key");
  hops_ = fn_.create_stack_slot(i64_, "hops");

  table_maps_.tuples = maps_.tuples;
  table_maps_.records = maps_.records;
  table_maps_.record_count = std::max<uint32_t>(1, plan_.table_records);
  table_maps_.spares = maps_.spares;
  table_maps_.tree = maps_.tree;
  table_maps_.tree_key = maps_.tree_key;
  table_maps_.tree_entries_at = plan_.tree_nodes;
  table_maps_.tree_words = plan_.tree_nodes + plan_.tree_entries;
  table_maps_.flows = maps_.flows;
  table_maps_.flow_cache = plan_.flow_cache;
  if (!plan_.tables.empty()) {
    table_maps_.key_slot = fn_.create_stack_slot(
        llvm::ArrayType::get(i64_, plan_.table_layout.key_size() / 8), "table_key");
    table_maps_.id_slot = fn_.create_stack_slot(i32_, "record_id");
    if (maps_.tree) table_maps_.tree_node_slot = fn_.create_stack_slot(i32_, "tree_node");
    table_maps_.packed_slot = fn_.create_stack_slot(
        llvm::ArrayType::get(i64_, 2 * plan_.table_layout.words), "packed_key");
  }

  // Blocks first, so gotos can jump to chains emitted later.
  using Unit = plan::ChainUnit;
  std::vector<std::vector<llvm::BasicBlock*>> blocks(plan_.chains.size());
  for (size_t c = 0; c < plan_.chains.size(); ++c) {
    for (const Unit& unit : plan_.chains[c].units)
      blocks[c].push_back(fn_.create_block((unit.kind == Unit::Kind::kTable ? "table" : "rule") +
                                           std::to_string(unit.index + 1)));
    if (!blocks[c].empty()) chain_entries_[plan_.chains[c].chain] = blocks[c].front();
  }
  b_.SetInsertPoint(epilogue_);
  exit_slot_ = b_.CreatePHI(i32_, 0, "exit.slot");
  exit_last_ = b_.CreatePHI(i32_, 0, "exit.last");
  exit_kind_ = b_.CreatePHI(i32_, 0, "exit.kind");
  exit_redirect_ = b_.CreatePHI(i32_, 0, "exit.redirect");

  b_.SetInsertPoint(start);
  b_.CreateStore(b_.getInt64(0), hops_);
  b_.CreateBr(chain_entry(0));

  for (size_t c = 0; c < plan_.chains.size(); ++c) {
    const auto& units = plan_.chains[c].units;
    auto block_at = [&](size_t i) { return i < units.size() ? blocks[c][i] : miss_; };
    for (size_t k = 0; k < units.size(); ++k) {
      if (units[k].kind == Unit::Kind::kTable) {
        emit_table(plan_.tables[units[k].index], blocks[c][k], block_at(k + 1));
        continue;
      }
      const ir::Rule& rule = rules_.rules()[units[k].index];
      // Tables cover whole prefs, so a table unit always ends the inline rule's pref.
      auto inline_rule = [&](size_t i) -> const ir::Rule* {
        return units[i].kind == Unit::Kind::kInlineRule ? &rules_.rules()[units[i].index] : nullptr;
      };
      auto same_pref = [&](size_t i) {
        const ir::Rule* r = inline_rule(i);
        return r && r->pref == rule.pref;
      };
      size_t m = k + 1;
      while (m < units.size() && same_pref(m) &&
             ir::mask_key(*inline_rule(m)) == ir::mask_key(rule))
        ++m;
      size_t p = m;
      while (p < units.size() && same_pref(p)) ++p;
      emit_rule(units[k].index, blocks[c][k], block_at(k + 1), block_at(m), block_at(p));
    }
  }
  fn_.set_line(lines_.epilogue);
  build_epilogue();
  build_miss();
}

void ProgramLowering::emit_rule(size_t index, llvm::BasicBlock* block, llvm::BasicBlock* next,
                                llvm::BasicBlock* next_mask, llvm::BasicBlock* next_pref) {
  const plan::PlannedRule& planned = plan_.rules[index];
  const ir::Rule& rule = rules_.rules()[index];
  fn_.set_line(static_cast<unsigned>(index + 1));
  b_.SetInsertPoint(block);
  llvm::Value* mismatch = lower_mismatch(b_, key_, plan::evaluated_match(rule, planned), planned);
  // fl_classify ignores a skip_sw filter its mask lookup finds and tries the next mask.
  llvm::BasicBlock* hit =
      rule.skip_sw ? next_mask : fn_.create_block("hit" + std::to_string(index + 1));
  b_.CreateCondBr(b_.CreateICmpNE(mismatch, b_.getInt64(0)), next, hit);
  if (rule.skip_sw) return;
  b_.SetInsertPoint(hit);

  const uint32_t slot = planned.stats_slot;
  const uint32_t last = slot + 1;  // kLastMatchMap names rules by stats slot
  const plan::Terminal& terminal = planned.terminal;
  if (terminal.actions) return exit_via_epilogue(slot, last, Exit::kActions, *terminal.actions);
  switch (terminal.kind) {
    case plan::Terminal::Kind::kPass:
    case plan::Terminal::Kind::kPunt: return exit_via_epilogue(slot, last, Exit::kPass, 0);
    case plan::Terminal::Kind::kDrop: return exit_via_epilogue(slot, last, Exit::kDrop, 0);
    case plan::Terminal::Kind::kRedirect:
      return exit_via_epilogue(slot, last, Exit::kRedirect, terminal.redirect_slot);
    case plan::Terminal::Kind::kContinue:
      // TC_ACT_UNSPEC ends this pref's lookup: classification resumes at the next pref.
      bump_counters(b_.getInt32(slot));
      b_.CreateBr(next_pref);
      return;
    case plan::Terminal::Kind::kGotoChain:
      bump_counters(b_.getInt32(slot));
      goto_chain(b_.getInt32(terminal.chain), b_.getInt32(last), std::to_string(index + 1));
      return;
  }
}

void ProgramLowering::exit_via_epilogue(llvm::Value* slot, llvm::Value* last, llvm::Value* exit,
                                        llvm::Value* redirect_slot) {
  llvm::BasicBlock* from = b_.GetInsertBlock();
  exit_slot_->addIncoming(slot, from);
  exit_last_->addIncoming(last, from);
  exit_kind_->addIncoming(exit, from);
  exit_redirect_->addIncoming(redirect_slot, from);
  b_.CreateBr(epilogue_);
}

void ProgramLowering::goto_chain(llvm::Value* chain, llvm::Value* last, const std::string& name,
                                 const std::vector<uint32_t>& targets) {
  // cls_api's reclassify bound: more gotos than max_chain_hops on one packet drop it.
  llvm::Value* hops = b_.CreateAdd(b_.CreateLoad(i64_, hops_), b_.getInt64(1));
  // No per-depth verifier states at chain entries (the barrier keeps the zero out of the compare).
  hops = optimization_barrier(b_, b_.CreateXor(hops, key_.zero));
  b_.CreateStore(hops, hops_);
  llvm::BasicBlock* over = fn_.create_block("hops_exceeded" + name);
  llvm::BasicBlock* jump = fn_.create_block("goto" + name);
  b_.CreateCondBr(b_.CreateICmpUGT(hops, b_.getInt64(plan_.max_chain_hops)), over, jump);
  b_.SetInsertPoint(over);
  record_last(last);
  fn_.return_action(XdpAction::kDrop);
  b_.SetInsertPoint(jump);
  if (auto* constant = llvm::dyn_cast<llvm::ConstantInt>(chain)) {
    b_.CreateBr(chain_entry(static_cast<uint32_t>(constant->getZExtValue())));
    return;
  }
  // Only the targets the plan names: a case for every chain would put cycles in the control flow.
  // A table's record names its target by index in the table's list.
  llvm::SwitchInst* sw = b_.CreateSwitch(chain, miss_);  // no such target: a miss
  for (uint32_t i = 0; i < targets.size(); ++i)
    sw->addCase(b_.getInt32(i), chain_entry(targets[i]));
}

void ProgramLowering::emit_table(const plan::Table& table, llvm::BasicBlock* block,
                                 llvm::BasicBlock* next) {
  fn_.set_line(lines_.epilogue);
  b_.SetInsertPoint(block);
  table_maps_.table_index = static_cast<uint32_t>(&table - plan_.tables.data());
  const TableHit hit = lower_table(fn_, table, plan_.table_layout, key_, table_maps_, next);
  using RK = plan::RecordKind;
  llvm::BasicBlock* terminate = fn_.create_block("table.terminate");
  llvm::BasicBlock* jump = fn_.create_block("table.goto");
  b_.CreateCondBr(b_.CreateICmpEQ(hit.kind, b_.getInt32(static_cast<uint32_t>(RK::kGoto))), jump,
                  terminate);
  b_.SetInsertPoint(terminate);
  // RecordKind's pass, drop and redirect are the epilogue's Exit values.
  static_assert(static_cast<uint32_t>(RK::kPass) == static_cast<uint32_t>(Exit::kPass) &&
                static_cast<uint32_t>(RK::kDrop) == static_cast<uint32_t>(Exit::kDrop) &&
                static_cast<uint32_t>(RK::kRedirect) == static_cast<uint32_t>(Exit::kRedirect) &&
                static_cast<uint32_t>(RK::kActions) == static_cast<uint32_t>(Exit::kActions));
  exit_via_epilogue(hit.slot, hit.last, hit.kind, hit.arg);
  b_.SetInsertPoint(jump);
  bump_counters(hit.slot);
  goto_chain(hit.arg, hit.last, ".table", table.goto_chains);
}

void ProgramLowering::build_epilogue() {
  if (llvm::pred_empty(epilogue_)) {
    epilogue_->eraseFromParent();
    return;
  }
  b_.SetInsertPoint(epilogue_);
  bump_counters(blind32(exit_slot_));
  record_last(blind32(exit_last_));
  llvm::Value* kind = blind32(exit_kind_);
  llvm::BasicBlock* pass = fn_.create_block("exit.pass");
  llvm::BasicBlock* drop = fn_.create_block("exit.drop");
  llvm::BasicBlock* redirect = fn_.create_block("exit.redirect");
  llvm::SwitchInst* sw = b_.CreateSwitch(kind, pass);
  sw->addCase(b_.getInt32(static_cast<uint32_t>(Exit::kDrop)), drop);
  sw->addCase(b_.getInt32(static_cast<uint32_t>(Exit::kRedirect)), redirect);
  b_.SetInsertPoint(pass);
  fn_.return_action(XdpAction::kPass);
  b_.SetInsertPoint(drop);
  fn_.return_action(XdpAction::kDrop);
  b_.SetInsertPoint(redirect);
  // An empty devmap slot drops, like mirred to a device that has gone.
  fn_.return_value(redirect_map(b_, maps_.redirect->global, blind32(exit_redirect_),
                                static_cast<uint64_t>(XdpAction::kDrop)));
  if (plan_.action_lists.empty()) return;
  // After the counters (which count the frame as it arrived), the winner's rewrites.
  llvm::BasicBlock* actions = fn_.create_block("exit.actions");
  sw->addCase(b_.getInt32(static_cast<uint32_t>(Exit::kActions)), actions);
  b_.SetInsertPoint(actions);
  llvm::SwitchInst* lists = b_.CreateSwitch(blind32(exit_redirect_), pass);
  std::vector<llvm::BasicBlock*> entries;
  for (size_t i = 0; i < plan_.action_lists.size(); ++i) {
    entries.push_back(fn_.create_block("actions" + std::to_string(i)));
    lists->addCase(b_.getInt32(static_cast<uint32_t>(i)), entries.back());
  }
  std::vector<llvm::GlobalVariable*> fanouts;
  for (const MapRef* map : maps_.fanouts) fanouts.push_back(map ? map->global : nullptr);
  // A police step runs the deciding rule's own bucket (keyed by its stats slot, which
  // bump_counters left in stats_key_: no register or stack kept for it) unless its list names a
  // shared one.
  PoliceContext police;
  if (maps_.police) police = {maps_.police->global, maps_.police_stats->global, stats_key_};
  lower_action_lists(fn_, plan_.action_lists, entries, key_.zero, maps_.redirect->global, fanouts,
                     copy_generation(plan_), maps_.police ? &police : nullptr);
}

void ProgramLowering::build_miss() {
  b_.SetInsertPoint(miss_);
  record_last(b_.getInt32(0));
  fn_.return_action(XdpAction::kPass);
}

void ProgramLowering::bump_counters(llvm::Value* slot) {
  // First: it borrows the key slot, which must hold `slot` after this (police reads it there).
  touch_last_hit(slot);
  b_.CreateStore(slot, stats_key_);
  // This CPU's element (runtime/stats_map.h). Its key borrows last_key_, which record_last sets
  // before each use.
  llvm::Value* cpu = call_helper(b_, BpfHelper::kGetSmpProcessorId, i32_, {}, "cpu");
  b_.CreateStore(cpu, last_key_);
  llvm::Value* counters = map_lookup_elem(b_, maps_.stats->global, last_key_, "counters");
  llvm::BasicBlock* present = fn_.create_block("count");
  llvm::BasicBlock* done = fn_.create_block("counted");
  // A slot past the map is never planned; the bound is what the verifier needs.
  const uint32_t slots = std::max<uint32_t>(1, plan_.stats_slots);
  b_.CreateCondBr(
      b_.CreateOr(b_.CreateIsNull(counters), b_.CreateICmpUGE(slot, b_.getInt32(slots))), done,
      present);
  b_.SetInsertPoint(present);
  llvm::Value* at =
      b_.CreateGEP(b_.getInt8Ty(), counters,
                   b_.CreateMul(b_.CreateZExt(slot, i64_), b_.getInt64(sizeof(plan::SlotCounts))),
                   "slot_counts");
  auto add = [&](uint32_t offset, llvm::Value* delta) {
    llvm::Value* field = b_.CreateConstGEP1_32(b_.getInt8Ty(), at, offset);
    llvm::Value* old = b_.CreateAlignedLoad(i64_, field, llvm::Align(8));
    b_.CreateAlignedStore(b_.CreateAdd(old, delta), field, llvm::Align(8));
  };
  // Only this CPU writes its element: plain read-modify-write is race-free.
  add(offsetof(plan::SlotCounts, packets), b_.getInt64(1));
  llvm::Value* length = b_.CreateSub(b_.CreatePtrToInt(fn_.data_end(), i64_),
                                     b_.CreatePtrToInt(fn_.data(), i64_), "frame_len");
  add(offsetof(plan::SlotCounts, bytes), length);
  b_.CreateBr(done);
  b_.SetInsertPoint(done);
}

// Last use, as tc reports it, at a tick's resolution (tc keeps jiffies): one u32 shared by all
// CPUs, written only when its unit changed, so a hot rule's line is not bounced per packet.
void ProgramLowering::touch_last_hit(llvm::Value* slot) {
  b_.CreateStore(u32_chunk_key(b_, slot), stats_key_);
  llvm::Value* chunk = map_lookup_elem(b_, maps_.last_hit->global, stats_key_, "last_hits");
  llvm::BasicBlock* present = fn_.create_block("last_hit");
  llvm::BasicBlock* stale = fn_.create_block("last_hit.stale");
  llvm::BasicBlock* done = fn_.create_block("last_hit.done");
  b_.CreateCondBr(b_.CreateIsNull(chunk), done, present);
  b_.SetInsertPoint(present);
  llvm::Value* at = u32_in_chunk(b_, chunk, slot);
  llvm::Value* now = b_.CreateTrunc(
      b_.CreateLShr(ktime_get_coarse_ns(b_), b_.getInt64(plan::kLastHitShift)), i32_);
  llvm::Value* stored = b_.CreateAlignedLoad(i32_, at, llvm::Align(4));
  b_.CreateCondBr(b_.CreateICmpEQ(stored, now), done, stale);
  b_.SetInsertPoint(stale);
  b_.CreateAlignedStore(now, at, llvm::Align(4));
  b_.CreateBr(done);
  b_.SetInsertPoint(done);
}

void ProgramLowering::record_last(llvm::Value* last) {
  b_.CreateStore(b_.getInt32(0), last_key_);
  llvm::Value* value = map_lookup_elem(b_, maps_.last->global, last_key_, "last");
  llvm::BasicBlock* present = fn_.create_block("record");
  llvm::BasicBlock* done = fn_.create_block("recorded");
  b_.CreateCondBr(b_.CreateIsNull(value), done, present);
  b_.SetInsertPoint(present);
  b_.CreateAlignedStore(last, value, llvm::Align(4));
  b_.CreateBr(done);
  b_.SetInsertPoint(done);
}

}  // namespace

void lower_rules(XdpFunction& fn, const ir::RuleSet& rules, const plan::Plan& plan,
                 const ParsedKey& key, const ProgramMaps& maps, const ProgramLines& lines) {
  ProgramLowering(fn, rules, plan, key, maps, lines).run();
}

}  // namespace tc2xdp::codegen
