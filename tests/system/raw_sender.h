// Sends raw Ethernet frames out of an interface of the calling thread's network namespace.
#pragma once

#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace tc2xdp::testing {

class RawSender {
 public:
  explicit RawSender(const std::string& ifname) {
    fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    ifindex_ = if_nametoindex(ifname.c_str());
    if (fd_ < 0 || ifindex_ == 0) throw std::runtime_error("raw socket on " + ifname);
  }
  ~RawSender() { close(fd_); }
  RawSender(const RawSender&) = delete;
  RawSender& operator=(const RawSender&) = delete;

  void send(const std::vector<uint8_t>& frame, int times = 1) {
    sockaddr_ll to{};
    to.sll_family = AF_PACKET;
    to.sll_ifindex = static_cast<int>(ifindex_);
    to.sll_halen = ETH_ALEN;
    for (int i = 0; i < times; ++i) {
      if (sendto(fd_, frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) !=
          static_cast<ssize_t>(frame.size()))
        throw std::runtime_error("sendto failed");
    }
  }

 private:
  int fd_ = -1;
  unsigned ifindex_ = 0;
};

// Polls `done` until it holds or two seconds pass: veth delivers to the peer asynchronously.
inline bool eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 200; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

}  // namespace tc2xdp::testing
