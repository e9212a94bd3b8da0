// The devices of this network namespace, as the planner and the runtime name them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "tc2xdp/plan/plan.h"

namespace tc2xdp::runtime {

// The ifindex of `name` here (indev, mirred egress), or nullopt.
std::optional<uint32_t> host_device(const std::string& name);

// The ifindex XDP transmits on so a frame arrives in `name`'s receive path (mirred ingress): the
// peer of a veth whose peer is in this namespace. nullopt for any other device.
std::optional<uint32_t> host_ingress_peer(const std::string& name);

// Plan options that resolve devices here.
plan::PlanOptions host_plan_options();

}  // namespace tc2xdp::runtime
