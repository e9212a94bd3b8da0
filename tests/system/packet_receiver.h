// Receivers in the calling thread's namespace: a packet socket on one device (the frames it sees,
// with the VLAN tag the stack took off them, PACKET_AUXDATA), and a UDP socket.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace tc2xdp::testing {

class PacketReceiver {
 public:
  explicit PacketReceiver(const char* dev, int timeout_ms = 2000) {
    fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    const int on = 1;
    setsockopt(fd_, SOL_PACKET, PACKET_AUXDATA, &on, sizeof on);
    timeval timeout{timeout_ms / 1000, timeout_ms % 1000 * 1000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_ll at{};
    at.sll_family = AF_PACKET;
    at.sll_protocol = htons(ETH_P_ALL);
    at.sll_ifindex = static_cast<int>(if_nametoindex(dev));
    if (bind(fd_, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0) ADD_FAILURE() << "bind";
  }
  ~PacketReceiver() { close(fd_); }
  struct Frame {
    std::vector<uint8_t> bytes;
    std::optional<uint16_t> vlan_tci, vlan_tpid;
    uint8_t pkttype = 0;  // PACKET_HOST, PACKET_OUTGOING, ...: the direction it was seen in
  };
  // The next frame received for UDP port `dport`, if one comes within the timeout.
  std::optional<Frame> next_udp(uint16_t dport) {
    for (int i = 0; i < 50; ++i) {
      uint8_t buf[2048];
      alignas(tpacket_auxdata) char control[CMSG_SPACE(sizeof(tpacket_auxdata))];
      iovec iov{buf, sizeof buf};
      sockaddr_ll from{};
      msghdr msg{};
      msg.msg_name = &from;
      msg.msg_namelen = sizeof from;
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      const ssize_t n = recvmsg(fd_, &msg, 0);
      if (n <= 0) return std::nullopt;
      Frame f{std::vector<uint8_t>(buf, buf + n), {}, {}, from.sll_pkttype};
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA) continue;
        tpacket_auxdata aux;
        std::memcpy(&aux, CMSG_DATA(c), sizeof aux);
        if (aux.tp_status & TP_STATUS_VLAN_VALID) f.vlan_tci = aux.tp_vlan_tci;
        if (aux.tp_status & TP_STATUS_VLAN_TPID_VALID) f.vlan_tpid = aux.tp_vlan_tpid;
      }
      if (n >= 42 && buf[12] == 0x08 && buf[13] == 0x00 && buf[23] == 17 &&
          (buf[36] << 8 | buf[37]) == dport)
        return f;
    }
    return std::nullopt;
  }
  // Every frame for `dport` until the timeout passes without one.
  std::vector<Frame> all_udp(uint16_t dport) {
    std::vector<Frame> out;
    while (auto f = next_udp(dport)) out.push_back(std::move(*f));
    return out;
  }

 private:
  int fd_ = -1;
};

// A UDP socket in the calling thread's namespace, optionally bound to one device.
class UdpReceiver {
 public:
  UdpReceiver(const char* ip, uint16_t port, const char* dev = nullptr) {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (dev) setsockopt(fd_, SOL_SOCKET, SO_BINDTODEVICE, dev, strlen(dev));
    timeval timeout{2, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_port = htons(port);
    inet_pton(AF_INET, ip, &at.sin_addr);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0) ADD_FAILURE() << "bind";
  }
  ~UdpReceiver() { close(fd_); }
  // The next datagram's payload, or empty after the timeout.
  std::string receive() {
    char buf[2048];
    const ssize_t n = recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, n) : std::string();
  }

 private:
  int fd_ = -1;
};

}  // namespace tc2xdp::testing
