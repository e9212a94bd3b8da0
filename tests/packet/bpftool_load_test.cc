// The emitted object is an ordinary BPF ELF: an independent loader (bpftool) accepts it too.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "root_check.h"
#include "test_programs.h"

namespace tc2xdp::testing {
namespace {

namespace fs = std::filesystem;

// A private bpffs under /tmp, so the test neither needs nor touches /sys/fs/bpf.
class PrivateBpffs {
 public:
  PrivateBpffs() {
    char pattern[] = "/tmp/tc2xdp-bpffs-XXXXXX";
    if (mkdtemp(pattern) == nullptr) return;
    dir_ = pattern;
    mounted_ = mount("bpf", dir_.c_str(), "bpf", 0, nullptr) == 0;
  }
  ~PrivateBpffs() {
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
    if (!dir_.empty()) rmdir(dir_.c_str());
  }
  bool ok() const { return mounted_; }
  const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
  bool mounted_ = false;
};

int run(const std::string& command) {
  const int status = std::system((command + " >/dev/null 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(BpftoolLoad, ObjectLoadsWithBpftool) {
  TC2XDP_REQUIRE_ROOT();
  if (run("bpftool version") != 0) GTEST_SKIP() << "bpftool not installed";
  Result<codegen::BpfProgram> program = build_ethertype_counter();
  ASSERT_TRUE(program.ok()) << program.error().to_string();

  PrivateBpffs bpffs;
  ASSERT_TRUE(bpffs.ok()) << "cannot mount bpffs";
  const fs::path object_file = bpffs.dir().string() + ".o";
  {
    std::ofstream out(object_file, std::ios::binary);
    out.write(reinterpret_cast<const char*>(program->object.data()),
              static_cast<std::streamsize>(program->object.size()));
  }
  const fs::path pin = bpffs.dir() / "prog";
  const int rc = run("bpftool prog load " + object_file.string() + " " + pin.string());
  EXPECT_EQ(rc, 0) << "bpftool prog load " << object_file;
  EXPECT_TRUE(fs::exists(pin));
  EXPECT_EQ(run("bpftool prog show pinned " + pin.string()), 0);
  fs::remove(pin);
  fs::remove(object_file);
}

}  // namespace
}  // namespace tc2xdp::testing
