#include "tc2xdp/runtime/bpf_object.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "tc2xdp/codegen/compile.h"
#include "tc2xdp/runtime/libbpf_log.h"
#include "tc2xdp/runtime/map_io.h"

namespace tc2xdp::runtime {
namespace {

std::string join(const std::vector<std::string>& messages) {
  std::string text;
  for (const std::string& m : messages) text += m;
  return text;
}

// libbpf prints the kernel's BTF log between these markers before "BTF is optional, ignoring".
std::string btf_load_log(const LibbpfLogCapture& capture) {
  const std::string& text = capture.text();
  const size_t begin = text.find("-- BEGIN BTF LOAD LOG ---");
  const size_t end = text.find("-- END BTF LOAD LOG --");
  if (begin == std::string::npos || end == std::string::npos || end < begin) {
    return join(capture.warnings());
  }
  return text.substr(begin, end - begin);
}

}  // namespace

std::string tail_lines(std::string_view log, size_t lines) {
  while (!log.empty() && (log.back() == '\n' || log.back() == '\0')) log.remove_suffix(1);
  if (lines == 0) return {};
  size_t start = log.size();  // the newline before the earliest line kept so far
  for (size_t kept = 0; kept < lines; ++kept) {
    const size_t newline = start == 0 ? std::string_view::npos : log.rfind('\n', start - 1);
    if (newline == std::string_view::npos) return std::string(log);  // all of it fits
    start = newline;
  }
  return "...\n" + std::string(log.substr(start + 1));
}

Result<BpfObject> BpfObject::load(std::span<const uint8_t> elf, const LoadOptions& options) {
  LibbpfLogCapture capture;
  LIBBPF_OPTS(bpf_object_open_opts, open_options, .object_name = options.object_name.c_str());
  bpf_object* raw = bpf_object__open_mem(elf.data(), elf.size(), &open_options);
  if (raw == nullptr) {
    const int error = errno;
    return Error{"bpf_object__open_mem", error, join(capture.warnings())};
  }
  BpfObject object(raw);
  // Global data (codegen's declare_data) is edited in place by the runtime, through mmap.
  bpf_map* map = nullptr;
  bpf_object__for_each_map(map, raw) {
    if (std::string_view(bpf_map__name(map)).starts_with(".bss."))
      bpf_map__set_map_flags(map, bpf_map__map_flags(map) | BPF_F_MMAPABLE);
    // The counters have an element per CPU: a plan made for fewer CPUs must still count on all.
    if (bpf_map__name(map) == std::string_view(codegen::kStatsMap)) {
      auto cpus = possible_cpus();
      if (!cpus) return cpus.error();
      if (bpf_map__max_entries(map) < static_cast<uint32_t>(*cpus))
        bpf_map__set_max_entries(map, static_cast<uint32_t>(*cpus));
    }
  }
  for (const auto& [name, fd] : options.reuse_maps) {
    bpf_map* map = bpf_object__find_map_by_name(raw, name.c_str());
    if (map == nullptr) return Error{"bpf_map__reuse_fd", ENOENT, "no map '" + name + "'"};
    if (const int err = bpf_map__reuse_fd(map, fd))
      return Error{"bpf_map__reuse_fd", -err, "map '" + name + "' changed shape"};
  }

  // One buffer for all programs: they load one after another and we report the failing one.
  // Not zeroed: 16 MiB of memset and page faults cost milliseconds per load, and the kernel
  // writes a terminated string; untouched pages are never faulted in.
  std::unique_ptr<char[]> log(new char[options.log_size]);
  log[0] = '\0';
  bpf_program* program = nullptr;
  bpf_object__for_each_program(program, raw) {
    bpf_program__set_log_buf(program, log.get(), options.log_size);
    bpf_program__set_log_level(program, options.log_level);
  }
  const int result = bpf_object__load(raw);
  object.verifier_log_.assign(log.get(), strnlen(log.get(), options.log_size));
  if (result != 0) {
    const int error = -result;
    std::string detail;
    if (!object.verifier_log_.empty()) {
      detail = "verifier log (tail):\n" + tail_lines(object.verifier_log_, options.log_tail_lines);
    } else {
      detail = tail_lines(join(capture.warnings()), options.log_tail_lines);
    }
    return Error{"bpf_object__load", error, std::move(detail)};
  }
  if (options.require_btf) {
    const btf* types = bpf_object__btf(raw);
    if (types == nullptr || btf__fd(types) < 0) {
      return Error{"bpf_object__load", EINVAL,
                   "the kernel refused the object's BTF:\n" +
                       tail_lines(btf_load_log(capture), options.log_tail_lines)};
    }
  }
  return object;
}

BpfObject::BpfObject(BpfObject&& other) noexcept
    : object_(std::exchange(other.object_, nullptr)),
      verifier_log_(std::move(other.verifier_log_)) {}

BpfObject& BpfObject::operator=(BpfObject&& other) noexcept {
  if (this != &other) {
    bpf_object__close(object_);
    object_ = std::exchange(other.object_, nullptr);
    verifier_log_ = std::move(other.verifier_log_);
  }
  return *this;
}

BpfObject::~BpfObject() {
  bpf_object__close(object_);
}

Result<int> BpfObject::program_fd(std::string_view name) const {
  bpf_program* program = nullptr;
  if (name.empty()) {
    program = bpf_object__next_program(object_, nullptr);
  } else {
    program = bpf_object__find_program_by_name(object_, std::string(name).c_str());
  }
  if (program == nullptr) {
    return Error{"bpf_object__find_program_by_name", ENOENT,
                 "no program '" + std::string(name) + "'"};
  }
  const int fd = bpf_program__fd(program);
  if (fd < 0) return Error{"bpf_program__fd", -fd, "program not loaded"};
  return fd;
}

Result<int> BpfObject::map_fd(std::string_view name) const {
  const int fd = bpf_object__find_map_fd_by_name(object_, std::string(name).c_str());
  if (fd < 0)
    return Error{"bpf_object__find_map_fd_by_name", ENOENT, "no map '" + std::string(name) + "'"};
  return fd;
}

Result<uint32_t> verified_instructions(int prog_fd) {
  bpf_prog_info info{};
  uint32_t length = sizeof(info);
  if (bpf_obj_get_info_by_fd(prog_fd, &info, &length) != 0) {
    return Error{"bpf_obj_get_info_by_fd", errno, ""};
  }
  return info.verified_insns;
}

}  // namespace tc2xdp::runtime
