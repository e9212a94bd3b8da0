// A BPF ELF object opened from memory and loaded into the kernel (RAII over bpf_object).
//
//   Result<BpfObject> obj = BpfObject::load(program.object);
//   if (!obj) { std::cerr << obj.error().to_string(); ... }  // verifier log tail in detail
//   int prog = *obj->program_fd();
//   int stats = *obj->map_fd("stats");
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tc2xdp/diagnostic.h"

struct bpf_object;

namespace tc2xdp::runtime {

struct LoadOptions {
  std::string object_name = "tc2xdp";
  uint32_t log_size = 16u << 20;  // verifier log buffer; the kernel fails with ENOSPC if short
  uint32_t log_level = 0;         // 0: log only on failure (libbpf retries at 1); 1, 2; 4 = stats
  size_t log_tail_lines = 40;     // how much of the log a load error carries
  // libbpf silently drops BTF the kernel refuses (maps then lose their key/value types, and
  // verifier logs their source lines). tc2xdp emits the BTF, so a refusal is a bug: fail.
  bool require_btf = true;
  // Maps to take over from a previous program (by map name -> fd), so their contents (counters)
  // survive a recompile. The shapes must match; libbpf refuses otherwise.
  std::vector<std::pair<std::string, int>> reuse_maps;
};

class BpfObject {
 public:
  // Opens `elf` with bpf_object__open_mem and loads every program and map. On failure the
  // Error carries the operation, errno and the tail of the verifier log (or libbpf's messages).
  static Result<BpfObject> load(std::span<const uint8_t> elf, const LoadOptions& options = {});

  BpfObject(BpfObject&& other) noexcept;
  BpfObject& operator=(BpfObject&& other) noexcept;
  ~BpfObject();

  // The fd of program `name` (its function name), or of the first program if `name` is empty.
  Result<int> program_fd(std::string_view name = {}) const;
  Result<int> map_fd(std::string_view name) const;
  // The verifier log of the last program loaded (non-empty only with log_level > 0).
  const std::string& verifier_log() const { return verifier_log_; }

  bpf_object* get() const { return object_; }

 private:
  explicit BpfObject(bpf_object* object) : object_(object) {}

  bpf_object* object_ = nullptr;
  std::string verifier_log_;
};

// The last `lines` non-empty lines of a verifier log, prefixed with "...\n" when cut.
std::string tail_lines(std::string_view log, size_t lines);

// Instructions the verifier processed for a loaded program (bpf_prog_info.verified_insns).
Result<uint32_t> verified_instructions(int prog_fd);

}  // namespace tc2xdp::runtime
