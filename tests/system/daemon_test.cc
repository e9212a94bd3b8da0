// `tc2xdp daemon`: started as a child process on a private socket inside a test namespace, it
// serves the CLI's datapath commands with the output and exit status of the in-process CLI,
// keeps interfaces open (a filter of an existing shape goes in as map writes), notices changes
// made without it, refuses a second daemon and non-root peers, and leaves programs attached
// when it stops.
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <thread>

#include "common/frame_builder.h"
#include "netns.h"
#include "raw_sender.h"
#include "tc2xdp/frontend/tc.h"
#include "tc2xdp/runtime/datapath.h"

namespace tc2xdp {
namespace {

using testing::eventually;
using testing::FrameBuilder;
using testing::NetnsScope;
using testing::RawSender;
using testing::sh;
using testing::TestTopology;

const std::string kCli = std::string(TC2XDP_BUILD_DIR) + "/tc2xdp";
constexpr uid_t kNobody = 65534;

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Whether something accepts connections on the unix socket `path`.
bool connectable(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

struct CliResult {
  int status = -1;
  std::string out, err;
};

// Waits up to five seconds for `pid`; its exit status, or -1 if it did not exit.
int wait_exit(pid_t pid) {
  for (int i = 0; i < 500; ++i) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_FAIL() << "system tests need root";
    topo_.add_veth("dma0", "dmb0");
    char dir[] = "/tmp/t2xdaemon.XXXXXX";  // mkdtemp: mode 0700
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    socket_ = dir_ + "/d.sock";
    daemon_ = start_daemon(dir_ + "/daemon.log");
  }
  void TearDown() override {
    if (daemon_ > 0) {
      kill(daemon_, SIGKILL);
      waitpid(daemon_, nullptr, 0);
    }
    run(false, "-n " + topo_.b() + " detach dmb0");
    std::system(("rm -rf " + dir_).c_str());
  }

  // `tc2xdp -n B daemon --socket SOCKET` in the background, its stderr into `log`; returns
  // once it accepts connections.
  pid_t start_daemon(const std::string& log) {
    const pid_t pid = fork();
    if (pid == 0) {
      const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      dup2(fd, STDERR_FILENO);
      const std::string ns = topo_.b();
      execl(kCli.c_str(), kCli.c_str(), "-n", ns.c_str(), "daemon", "--socket", socket_.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    // Up to ten seconds: a loaded CI machine may be slow to start it.
    bool up = false;
    for (int i = 0; i < 1000 && !(up = connectable(socket_)); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_TRUE(up) << slurp(log);
    return pid;
  }

  // The CLI through the daemon (if one is up) or with TC2XDP_NO_DAEMON=1; `input` is its stdin,
  // `cwd` its working directory.
  CliResult run(bool via_daemon, const std::string& args, const std::string& input = "",
                const std::string& cwd = "/") {
    const std::string in = dir_ + "/in", out = dir_ + "/out", err = dir_ + "/err";
    std::ofstream(in) << input;
    const std::string env = "TC2XDP_SOCKET=" + socket_ + (via_daemon ? "" : " TC2XDP_NO_DAEMON=1");
    const int status = std::system(("cd " + cwd + " && env " + env + " " + kCli + " " + args +
                                    " <" + in + " >" + out + " 2>" + err)
                                       .c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
  }
  CliResult in_b(bool via_daemon, const std::string& args, const std::string& input = "") {
    return run(via_daemon, "-n " + topo_.b() + " " + args, input);
  }

  // The packets counted for `pref`, from `show -s -j` (through the daemon if up); -1 if absent.
  long packets(uint32_t pref) {
    const auto json = in_b(true, "show dmb0 -s -j").out;
    const size_t at = json.find("\"pref\":" + std::to_string(pref) + ",");
    if (at == std::string::npos) return -1;
    const size_t p = json.find("\"packets\":", at);
    return p == std::string::npos ? -1 : std::stol(json.substr(p + 10));
  }

  void send_udp(uint16_t dport, int times) {
    NetnsScope in_a(topo_.a());
    RawSender("dma0").send(FrameBuilder().eth().ipv4().udp({.dport = dport}).pad_to(60).build(),
                           times);
  }

  // 40 rules of one mask: enough that the planner files them in a hash table, so a rule of the
  // same mask is data, not shape.
  std::string table_batch() {
    std::string text;
    for (int i = 0; i < 40; ++i)
      text += "filter add dev dmb0 ingress pref " + std::to_string(100 + i) +
              " protocol ip flower ip_proto udp dst_port " + std::to_string(1000 + i) +
              " action drop\n";
    return text;
  }

  // dmb0's line of `tc2xdp status` (in-process): rule count, mode, program id. Other lines may
  // be other tests' interfaces.
  std::string dmb0_status() {
    const std::string all = run(false, "status").out;
    const size_t at = all.find("dmb0: ");
    return at == std::string::npos ? "" : all.substr(at, all.find('\n', at) - at);
  }

  std::string log() const { return slurp(dir_ + "/daemon.log"); }
  std::string generation() const { return slurp("/run/tc2xdp/dmb0/generation"); }

  // Forks a child that drops to nobody and runs `body`; the child's exit status.
  static int as_nobody(const std::function<int()>& body) {
    const pid_t pid = fork();
    if (pid == 0) {
      if (setgroups(0, nullptr) != 0 || setgid(kNobody) != 0 || setuid(kNobody) != 0) _exit(126);
      _exit(body());
    }
    return wait_exit(pid);
  }

  TestTopology topo_{"t2xdmn"};
  std::string dir_, socket_;
  pid_t daemon_ = -1;
};

TEST_F(DaemonTest, ServesFilterChangesAsMapWritesAndShowsCounters) {
  const std::string add5 =
      "filter add dev dmb0 ingress pref 5 protocol ip flower ip_proto udp dst_port 7 action drop";
  const auto added = in_b(true, add5);
  EXPECT_EQ(added.status, 0) << added.err;
  EXPECT_EQ(added.out + added.err, "");
  EXPECT_NE(log().find(add5 + " -> exit 0 [dmb0: compiled and attached]"), std::string::npos)
      << log();

  send_udp(7, 6);
  EXPECT_TRUE(eventually([&] { return packets(5) == 6; })) << packets(5);
  EXPECT_NE(log().find("show dmb0 -s -j -> exit 0"), std::string::npos) << log();

  // A batch on stdin, then one rule of the batch's mask: written into the live maps.
  const auto batch = in_b(true, "-batch -", table_batch());
  EXPECT_EQ(batch.status, 0) << batch.err;
  EXPECT_NE(log().find("-batch - -> exit 0 [dmb0: compiled and swapped]"), std::string::npos);
  const std::string prog = dmb0_status().substr(dmb0_status().find("prog id"));
  const auto one = in_b(true,
                        "filter add dev dmb0 ingress pref 300 protocol ip flower ip_proto udp "
                        "dst_port 3000 action drop");
  EXPECT_EQ(one.status, 0) << one.err;
  EXPECT_NE(log().find("dst_port 3000 action drop -> exit 0 [dmb0: data-only"), std::string::npos)
      << log();
  EXPECT_NE(dmb0_status().find(prog), std::string::npos);  // same program: no recompile or swap
  send_udp(3000, 4);
  EXPECT_TRUE(eventually([&] { return packets(300) == 4; })) << packets(300);
  EXPECT_EQ(packets(5), 6);
  EXPECT_NE(dmb0_status().find("dmb0: 42 filters (0 punted)"), std::string::npos);

  // A whole rule set: pref 5 stays (with its counters), the rest goes.
  std::ofstream(dir_ + "/set.tc") << add5 << "\n"
                                  << "filter add dev dmb0 ingress pref 6 protocol ip flower "
                                     "ip_proto tcp action pass\n";
  const auto applied = run(true, "-n " + topo_.b() + " apply dmb0 set.tc", "", dir_);
  EXPECT_EQ(applied.status, 0) << applied.err;
  EXPECT_NE(log().find("apply dmb0 set.tc -> exit 0 [dmb0: compiled and swapped]"),
            std::string::npos)
      << log();
  EXPECT_NE(dmb0_status().find("dmb0: 2 filters"), std::string::npos) << dmb0_status();
  EXPECT_EQ(packets(5), 6);
  EXPECT_EQ(packets(300), -1);
}

TEST_F(DaemonTest, OutputAndExitStatusAreTheInProcessCliOnes) {
  ASSERT_EQ(in_b(true, "-batch -", table_batch()).status, 0);
  // One rule filed in place: `show` must print the same from the daemon's live copy as from
  // the state files (rules, journal) in a CLI process.
  ASSERT_EQ(in_b(true,
                 "filter add dev dmb0 ingress pref 300 protocol ip flower ip_proto udp dst_port "
                 "3000 action drop")
                .status,
            0);
  ASSERT_NE(log().find("[dmb0: data-only in place"), std::string::npos) << log();
  send_udp(3000, 2);
  ASSERT_TRUE(eventually([&] { return packets(300) == 2; })) << packets(300);
  const std::string before_rules = in_b(false, "show dmb0").out;
  const std::string before_generation = generation();
  ASSERT_FALSE(before_generation.empty());
  std::ofstream(dir_ + "/bad.tc")
      << "filter add dev dmb0 ingress pref 7 protocol ip flower ip_proto udp action drop\n"
         "# a comment\n"
         "filter add dev dmb0 ingress pref 8 protocol ip flower dst_port 80 action drop\n";
  struct Case {
    std::string args, input, cwd, expect;
    int status;
  };
  const std::vector<Case> cases = {
      {"filter add dev dmb0 ingress pref 9 protocol ip flower dst_port 80 action drop", "", "/",
       "<cmdline>:1:", 1},
      {"-batch bad.tc", "", dir_, "bad.tc:3:", 1},  // a relative path, the client's cwd
      {"-batch -", "filter add dev dmb0 ingress pref 7 protocol ip flower action drop\nbogus\n",
       "/", "<stdin>:2:", 1},
      {"-batch -", "filter del dev dmb0 ingress pref 99\n", "/", "nothing changed", 1},
      // The first add would go in place; the duplicate after it rejects both.
      {"-batch -",
       "filter add dev dmb0 ingress pref 400 protocol ip flower ip_proto udp dst_port 4000 action "
       "drop\n"
       "filter add dev dmb0 ingress pref 100 protocol ip flower ip_proto udp dst_port 1000 action "
       "drop\n",
       "/", "nothing changed", 1},
      {"apply dmb0 bad.tc", "", dir_, "bad.tc:3:", 1},
      {"filter add dev dmb0 ingress pref 100 protocol ip flower ip_proto udp dst_port 1000 action "
       "drop",
       "", "/", "error", 1},  // a duplicate
      {"show nosuchdev0", "", "/", "not managed by tc2xdp", 1},
      {"filter", "", "/", "missing add, replace, change or del", 1},
      {"show", "", "/", "usage: tc2xdp show DEV", 2},
      // (Not the text form with -s: its "last hit N s ago" may tick between the two runs.)
      {"show dmb0 -s -j", "", "/", "\"packets\":2", 0},
      {"show dmb0", "", "/", "pref 300 ", 0},
  };
  for (const auto& c : cases) {
    const std::string args = "-n " + topo_.b() + " " + c.args;
    const size_t served = count(log(), " -> exit ");
    const auto daemon = run(true, args, c.input, c.cwd);
    EXPECT_EQ(count(log(), " -> exit "), served + 1) << c.args << ": not served by the daemon";
    const auto local = run(false, args, c.input, c.cwd);
    EXPECT_EQ(daemon.status, c.status) << c.args << "\n" << daemon.err;
    EXPECT_EQ(daemon.status, local.status) << c.args;
    EXPECT_EQ(daemon.out, local.out) << c.args;
    EXPECT_EQ(daemon.err, local.err) << c.args;
    EXPECT_NE((daemon.out + daemon.err).find(c.expect), std::string::npos) << c.args << "\n"
                                                                           << daemon.err;
  }
  // Located errors keep their token and hint.
  const auto bad = in_b(true, cases[0].args);
  EXPECT_NE(bad.err.find("error: dst_port needs ip_proto tcp, udp or sctp"), std::string::npos);
  EXPECT_NE(bad.err.find("near 'dst_port'"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("hint: "), std::string::npos) << bad.err;
  // Nothing was written by any of them.
  EXPECT_EQ(generation(), before_generation);
  EXPECT_EQ(in_b(false, "show dmb0").out, before_rules);
}

TEST_F(DaemonTest, SeesChangesMadeWithoutIt) {
  ASSERT_EQ(in_b(true, "-batch -", table_batch()).status, 0);
  // The daemon holds dmb0 open, live maps and all, after a change of its own.
  ASSERT_EQ(in_b(true,
                 "filter add dev dmb0 ingress pref 300 protocol ip flower ip_proto udp dst_port "
                 "3000 action drop")
                .status,
            0);
  ASSERT_NE(log().find("[dmb0: data-only"), std::string::npos) << log();
  // A change by a CLI process: a full state write under a new generation token.
  const auto direct = in_b(false,
                           "filter add dev dmb0 ingress pref 301 protocol ip flower ip_proto udp "
                           "dst_port 3001 action drop");
  ASSERT_EQ(direct.status, 0) << direct.err;

  // Then one filed in place by another process holding dmb0 open (a controller linking the
  // runtime, say): the program and the generation stay, only the journal grows. A daemon blind
  // to it would file pref 302 in place over what it believes are free slots, pref 303's among
  // them.
  {
    NetnsScope in_ns_b(topo_.b());  // if_nametoindex("dmb0") must find it
    auto other = runtime::Datapath::open("dmb0");
    ASSERT_TRUE(other.ok()) << other.error().to_string();
    ASSERT_EQ(in_b(true, "show dmb0").status, 0);  // the daemon's copy is current here
    Diagnostics diags;
    const auto delta = frontend::tc::parse_batch(
        "filter add dev dmb0 ingress pref 303 protocol ip flower ip_proto udp dst_port 3003 "
        "action drop\n",
        "other", diags);
    auto report = other->apply(delta, diags);
    ASSERT_TRUE(report.ok()) << report.error().to_string();
    ASSERT_TRUE(report->data_only && report->not_in_place.empty()) << report->not_in_place;
  }
  const auto through = in_b(true,
                            "filter add dev dmb0 ingress pref 302 protocol ip flower ip_proto udp "
                            "dst_port 3002 action drop");
  ASSERT_EQ(through.status, 0) << through.err;
  const std::string shown = in_b(false, "show dmb0").out;
  for (const char* pref : {"pref 300 ", "pref 301 ", "pref 302 ", "pref 303 "})
    EXPECT_NE(shown.find(pref), std::string::npos) << pref << " lost:\n" << shown;
  send_udp(3001, 3);
  send_udp(3002, 4);
  send_udp(3003, 2);
  EXPECT_TRUE(eventually([&] {
    return packets(301) == 3 && packets(302) == 4 && packets(303) == 2;
  })) << packets(301)
      << " " << packets(302) << " " << packets(303);

  // Detached and re-created behind its back: the daemon starts from the new state.
  ASSERT_EQ(in_b(false, "detach dmb0").status, 0);
  const auto fresh = in_b(true,
                          "filter add dev dmb0 ingress pref 5 protocol ip flower ip_proto udp "
                          "action drop");
  ASSERT_EQ(fresh.status, 0) << fresh.err;
  EXPECT_NE(dmb0_status().find("dmb0: 1 filters"), std::string::npos) << dmb0_status();
  EXPECT_NE(log().find("action drop -> exit 0 [dmb0: compiled and attached]"), std::string::npos);
}

TEST_F(DaemonTest, RefusesASecondDaemonAndReplacesAStaleSocket) {
  const auto second = run(true, "-n " + topo_.b() + " daemon --socket " + socket_);
  EXPECT_EQ(second.status, 1);
  EXPECT_NE(second.err.find("another tc2xdp daemon is running there (pid " +
                            std::to_string(daemon_) + ")"),
            std::string::npos)
      << second.err;
  ASSERT_EQ(in_b(true, "status").status, 0);  // the first still serves
  EXPECT_NE(log().find("status -> exit 0"), std::string::npos);

  // Killed without a chance to clean up: its socket file stays, and nobody answers on it.
  kill(daemon_, SIGKILL);
  waitpid(daemon_, nullptr, 0);
  daemon_ = -1;
  struct stat st {};
  ASSERT_EQ(lstat(socket_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  const auto local =
      in_b(true, "filter add dev dmb0 ingress pref 5 protocol ip flower action drop");
  EXPECT_EQ(local.status, 0) << local.err;  // ran in-process

  daemon_ = start_daemon(dir_ + "/daemon2.log");
  EXPECT_EQ(in_b(true, "show dmb0").status, 0);
  EXPECT_NE(slurp(dir_ + "/daemon2.log").find("show dmb0 -> exit 0"), std::string::npos);
}

TEST_F(DaemonTest, RefusesPeersOtherThanRoot) {
  struct stat st {};
  ASSERT_EQ(stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(stat(socket_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // The file modes keep others out...
  const auto path = socket_;
  const int connect_errno = as_nobody([&] {
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    return connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 ? 0 : errno;
  });
  EXPECT_EQ(connect_errno, EACCES);

  // ...and with them loosened, the daemon checks the peer's credentials itself.
  ASSERT_EQ(chmod(dir_.c_str(), 0711), 0);
  ASSERT_EQ(chmod(socket_.c_str(), 0666), 0);
  const std::string out = dir_ + "/nobody.out";
  std::ofstream(out).close();
  ASSERT_EQ(chmod(out.c_str(), 0666), 0);
  const int status = as_nobody([&] {
    const int fd = open(out.c_str(), O_WRONLY | O_TRUNC);
    if (fd < 0) return 125;
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    setenv("TC2XDP_SOCKET", path.c_str(), 1);
    execl(kCli.c_str(), kCli.c_str(), "show", "dmb0", static_cast<char*>(nullptr));
    return 127;
  });
  EXPECT_EQ(status, 1);
  EXPECT_NE(slurp(out).find("serves only root (uid 0); uid 65534"), std::string::npos)
      << slurp(out);
  EXPECT_NE(log().find("refused uid 65534"), std::string::npos) << log();
}

TEST_F(DaemonTest, SigtermRemovesTheSocketAndLeavesProgramsAttached) {
  ASSERT_EQ(
      in_b(true, "filter add dev dmb0 ingress pref 5 protocol ip flower ip_proto udp action drop")
          .status,
      0);
  const std::string status_before = dmb0_status();
  const std::string link_before = sh("ip -n " + topo_.b() + " link show dmb0");
  ASSERT_NE(link_before.find("prog/xdp id"), std::string::npos) << link_before;

  ASSERT_EQ(kill(daemon_, SIGTERM), 0);
  EXPECT_EQ(wait_exit(daemon_), 0);
  daemon_ = -1;
  struct stat st {};
  EXPECT_NE(lstat(socket_.c_str(), &st), 0);  // gone
  EXPECT_NE(log().find("removed; programs stay attached"), std::string::npos) << log();

  // The same program still runs and counts; the CLI carries on without the daemon.
  EXPECT_EQ(sh("ip -n " + topo_.b() + " link show dmb0"), link_before);
  EXPECT_EQ(dmb0_status(), status_before);
  send_udp(53, 5);
  EXPECT_TRUE(eventually([&] { return packets(5) == 5; })) << packets(5);
  const size_t lines = count(log(), "\n");
  EXPECT_EQ(in_b(true, "filter add dev dmb0 ingress pref 6 protocol ip flower action drop").status,
            0);
  EXPECT_EQ(count(log(), "\n"), lines);
}

// Requests that queue while the daemon compiles are one burst: the changes that need a recompile
// are held and compiled together, and each client still gets its own answer.
TEST_F(DaemonTest, ABurstOfChangesIsCompiledOnce) {
  ASSERT_EQ(in_b(true, "-batch -", table_batch()).status, 0);
  // A slow request first (a new rule of another shape: a recompile), then eight clients at
  // once, each adding a rule no table can take (continue), one of them a duplicate.
  std::string script = "cd /; export TC2XDP_SOCKET=" + socket_ + "; " + kCli + " -n " + topo_.b() +
                       " filter add dev dmb0 ingress pref 400 protocol ip flower ip_proto tcp "
                       "action continue >/dev/null 2>&1 & sleep 0.02; ";
  for (int i = 0; i < 8; ++i) {
    const int pref = i == 7 ? 506 : 500 + i;  // the last repeats the one before
    const int port = i == 7 ? 13 : 7 + i;
    const std::string n = std::to_string(i);
    script += "(" + kCli + " -n " + topo_.b() + " filter add dev dmb0 ingress pref " +
              std::to_string(pref) + " protocol ip flower ip_proto tcp src_port " +
              std::to_string(port) + " action continue >" + dir_ + "/o" + n + " 2>" + dir_ + "/e" +
              n + "; echo $? >" + dir_ + "/s" + n + ") & ";
  }
  ASSERT_EQ(std::system((script + "wait").c_str()), 0);
  ASSERT_TRUE(eventually([&] { return count(log(), "filter add dev dmb0") >= 9; })) << log();
  for (int i = 0; i < 6; ++i) {
    const std::string n = std::to_string(i);
    EXPECT_EQ(slurp(dir_ + "/s" + n), "0\n") << slurp(dir_ + "/e" + n);
    EXPECT_EQ(slurp(dir_ + "/e" + n), "");
  }
  // The last two race; whichever comes second is refused, with tc's error, alone.
  const std::string six = slurp(dir_ + "/s6") + slurp(dir_ + "/s7");
  EXPECT_TRUE(six == "0\n1\n" || six == "1\n0\n") << six;
  EXPECT_NE((slurp(dir_ + "/e6") + slurp(dir_ + "/e7")).find("already exists"), std::string::npos);
  // The held changes went in with fewer compiles than requests.
  EXPECT_GE(count(log(), "held for the burst's recompile"), 2u) << log();
  EXPECT_NE(log().find("other request(s) of the burst"), std::string::npos) << log();
  EXPECT_LT(count(log(), "compiled and swapped"), 9u) << log();
  EXPECT_NE(dmb0_status().find("dmb0: 48 filters"), std::string::npos) << dmb0_status();
}

}  // namespace
}  // namespace tc2xdp
