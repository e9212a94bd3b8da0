#include "tc2xdp/runtime/host_devices.h"

#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include "tc2xdp/runtime/map_io.h"

namespace tc2xdp::runtime {

std::optional<uint32_t> host_device(const std::string& name) {
  const unsigned index = if_nametoindex(name.c_str());
  return index ? std::optional<uint32_t>(index) : std::nullopt;
}

std::optional<uint32_t> host_ingress_peer(const std::string& name) {
  std::unique_ptr<nl_sock, decltype(&nl_socket_free)> sock(nl_socket_alloc(), nl_socket_free);
  if (!sock || nl_connect(sock.get(), NETLINK_ROUTE) < 0) return std::nullopt;
  rtnl_link* raw = nullptr;
  if (rtnl_link_get_kernel(sock.get(), 0, name.c_str(), &raw) < 0 || !raw) return std::nullopt;
  std::unique_ptr<rtnl_link, decltype(&rtnl_link_put)> link(raw, rtnl_link_put);
  const char* type = rtnl_link_get_type(link.get());
  if (!type || std::strcmp(type, "veth") != 0) return std::nullopt;
  // IFLA_LINK_NETNSID is present only when the peer lives in another namespace, where its
  // ifindex (IFLA_LINK) means another device.
  int32_t netnsid = 0;
  if (rtnl_link_get_link_netnsid(link.get(), &netnsid) == 0) return std::nullopt;
  const int peer = rtnl_link_get_link(link.get());
  return peer > 0 ? std::optional<uint32_t>(static_cast<uint32_t>(peer)) : std::nullopt;
}

plan::PlanOptions host_plan_options() {
  plan::PlanOptions options;
  options.resolve_device = host_device;
  options.resolve_ingress = host_ingress_peer;
  options.flow_cache_entries = plan::kDefaultFlowCacheEntries;
  if (const char* e = std::getenv("TC2XDP_FLOW_CACHE"))  // entries per CPU; 0: no cache
    options.flow_cache_entries = static_cast<uint32_t>(std::strtoul(e, nullptr, 10));
  options.cpus = static_cast<uint32_t>(possible_cpus().value_or(1));
  return options;
}

}  // namespace tc2xdp::runtime
