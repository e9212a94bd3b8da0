#include "codegen/lower_match.h"

#include <vector>

#include "codegen/verifier_hints.h"
#include "tc2xdp/plan/match_terms.h"

namespace tc2xdp::codegen {

namespace {

class MismatchBuilder {
 public:
  explicit MismatchBuilder(llvm::IRBuilderBase& b) : b_(b) {}

  // (value & mask) ^ expected: zero iff the masked value is the expected one.
  void masked(llvm::Value* value, uint64_t mask, uint64_t expected, unsigned bits) {
    if (!value) return never();
    value = private_copy(b_, value);
    if (mask != plan::ones(bits)) value = b_.CreateAnd(value, b_.getInt64(mask));
    terms_.push_back(b_.CreateXor(value, b_.getInt64(expected & mask)));
  }
  // min <= value <= max for a host-order value: (d | (max - min - d)) has its sign bit set iff
  // d = value - min is negative or above the width (operands are 16 bits, so no overflow).
  void range(llvm::Value* value, uint64_t min, uint64_t max) {
    if (!value) return never();
    llvm::Value* d = b_.CreateSub(private_copy(b_, value), b_.getInt64(min));
    llvm::Value* over = b_.CreateSub(b_.getInt64(max - min), d);
    terms_.push_back(b_.CreateAnd(b_.CreateOr(d, over), b_.getInt64(uint64_t{1} << 63)));
  }
  // A key the parser does not extract: the rule cannot match (the plan should prevent this).
  void never() { terms_.push_back(b_.getInt64(1)); }

  llvm::Value* build() {
    if (terms_.empty()) return b_.getInt64(0);
    // A balanced OR tree keeps the dependency chains short.
    while (terms_.size() > 1) {
      std::vector<llvm::Value*> next;
      for (size_t i = 0; i + 1 < terms_.size(); i += 2)
        next.push_back(b_.CreateOr(terms_[i], terms_[i + 1]));
      if (terms_.size() % 2) next.push_back(terms_.back());
      terms_ = std::move(next);
    }
    return optimization_barrier(b_, terms_[0]);
  }

 private:
  llvm::IRBuilderBase& b_;
  std::vector<llvm::Value*> terms_;
};

}  // namespace

llvm::Value* lower_mismatch(llvm::IRBuilderBase& b, const ParsedKey& key, const ir::Match& match,
                            const plan::PlannedRule& planned) {
  const plan::MatchTerms terms = plan::match_terms(match, planned);
  MismatchBuilder m(b);
  if (terms.never) m.never();
  for (const plan::Term& t : terms.terms)
    m.masked(key.value(t.component), t.mask, t.value, t.component.bits());
  if (terms.src_port) m.range(key.src_port_host, terms.src_port->min, terms.src_port->max);
  if (terms.dst_port) m.range(key.dst_port_host, terms.dst_port->min, terms.dst_port->max);
  return m.build();
}

}  // namespace tc2xdp::codegen
