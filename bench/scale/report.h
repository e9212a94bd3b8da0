// One row of the scale benchmark, printed as a table line and written as JSON.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace bench {

struct Row {
  std::string set;
  size_t rules = 0;
  size_t trace_hits = 0;  // trace packets some rule matches
  // tc2xdp (NAN: not measured)
  std::string xdp_error;
  double parse_s = NAN, compile_s = NAN;  // tc text -> RuleSet; tc text -> attached
  uint32_t instructions = 0;
  uint64_t map_bytes = 0, map_bytes_declared = 0;  // AttachedProgram's
  double empty_ns = NAN, prog_ns = NAN;
  double empty_pps = NAN, xdp_pps = NAN;
  std::string xdp_packet_check, xdp_live_check;
  // nftables
  std::string nft_error, nft_check;
  double nft_load_s = NAN, nft_pps = NAN;
  // Open vSwitch
  std::string ovs_error, ovs_check;
  double ovs_load_s = NAN, ovs_pps = NAN;
  size_t ovs_flows = 0;

  bool checks_ok() const;
};

void print_row(const Row& row, bool header);
// Errors and failed checks, one line each, under the table.
void print_notes(const std::vector<Row>& rows);
bool write_json(const std::string& path, const std::vector<Row>& rows, size_t packets, int rounds,
                double window_s, uint32_t repeat);

}  // namespace bench
