#include "scale/report.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace bench {

namespace {

std::string num(double v, const char* format) {
  if (std::isnan(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

double ratio(double a, double b) {
  return std::isnan(a) || std::isnan(b) || b == 0 ? NAN : a / b;
}

std::string json_number(double v) {
  if (std::isnan(v) || std::isinf(v)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out + "\"";
}

bool check_ok(const std::string& check) {
  return check.empty() || check == "ok";
}

}  // namespace

bool Row::checks_ok() const {
  return check_ok(xdp_packet_check) && check_ok(xdp_live_check) && check_ok(nft_check) &&
         check_ok(ovs_check);
}

void print_row(const Row& r, bool header) {
  if (header)
    std::printf("%-15s %6s %9s %7s %6s | %8s %8s %8s | %8s %8s %5s | %8s %7s | %8s %7s | %s\n",
                "set", "rules", "compile_s", "insns", "B/rule", "empty_ns", "prog_ns", "added_ns",
                "empty_Mpps", "xdp_Mpps", "xdp%", "nft_Mpps", "xdp/nft", "ovs_Mpps", "xdp/ovs",
                "checks");
  const double added = r.prog_ns - r.empty_ns;
  std::printf(
      "%-15s %6zu %9s %7s %6s | %8s %8s %8s | %10s %8s %5s | %8s %7s | %8s %7s | %s\n",
      r.set.c_str(), r.rules, num(r.compile_s, "%.2f").c_str(),
      r.instructions ? std::to_string(r.instructions).c_str() : "-",
      r.map_bytes ? num(static_cast<double>(r.map_bytes) / r.rules, "%.0f").c_str() : "-",
      num(r.empty_ns, "%.1f").c_str(), num(r.prog_ns, "%.1f").c_str(), num(added, "%.1f").c_str(),
      num(r.empty_pps / 1e6, "%.2f").c_str(), num(r.xdp_pps / 1e6, "%.3f").c_str(),
      num(100 * ratio(r.xdp_pps, r.empty_pps), "%.1f").c_str(),
      num(r.nft_pps / 1e6, "%.4f").c_str(), num(ratio(r.xdp_pps, r.nft_pps), "%.1fx").c_str(),
      num(r.ovs_pps / 1e6, "%.4f").c_str(), num(ratio(r.xdp_pps, r.ovs_pps), "%.1fx").c_str(),
      r.checks_ok() ? "ok" : "FAIL");
  std::fflush(stdout);
}

void print_notes(const std::vector<Row>& rows) {
  for (const auto& r : rows) {
    auto note = [&r](const char* what, const std::string& text) {
      if (!text.empty() && text != "ok")
        std::printf("  %s %s: %s\n", r.set.c_str(), what, text.c_str());
    };
    note("tc2xdp", r.xdp_error);
    note("tc2xdp per-packet check", r.xdp_packet_check);
    note("tc2xdp live counters", r.xdp_live_check);
    note("nftables", r.nft_error);
    note("nftables counters", r.nft_check);
    note("OVS", r.ovs_error);
    note("OVS flow counters", r.ovs_check);
  }
}

bool write_json(const std::string& path, const std::vector<Row>& rows, size_t packets, int rounds,
                double window_s, uint32_t repeat) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  std::ofstream out(path);
  if (!out) {
    std::fprintf(stderr, "%s: cannot write\n", path.c_str());
    return false;
  }
  out << "{\n  \"trace_packets\": " << packets << ",\n  \"rounds\": " << rounds
      << ",\n  \"window_s\": " << window_s << ",\n  \"test_run_repeat\": " << repeat
      << ",\n  \"rows\": [\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    const double per_rule = r.map_bytes ? static_cast<double>(r.map_bytes) / r.rules : NAN;
    out << "    {\"set\": " << json_string(r.set) << ", \"rules\": " << r.rules
        << ", \"trace_hits\": " << r.trace_hits << ",\n"
        << "     \"tc2xdp\": {\"error\": " << json_string(r.xdp_error)
        << ", \"parse_s\": " << json_number(r.parse_s)
        << ", \"compile_to_attached_s\": " << json_number(r.compile_s)
        << ", \"verified_insns\": " << r.instructions << ", \"map_bytes\": " << r.map_bytes
        << ", \"map_bytes_per_rule\": " << json_number(per_rule)
        << ", \"map_bytes_declared\": " << r.map_bytes_declared
        << ", \"empty_ns\": " << json_number(r.empty_ns)
        << ", \"program_ns\": " << json_number(r.prog_ns)
        << ", \"added_ns\": " << json_number(r.prog_ns - r.empty_ns)
        << ", \"empty_pps\": " << json_number(r.empty_pps)
        << ", \"program_pps\": " << json_number(r.xdp_pps)
        << ", \"packet_check\": " << json_string(r.xdp_packet_check)
        << ", \"live_check\": " << json_string(r.xdp_live_check) << "},\n"
        << "     \"nftables\": {\"error\": " << json_string(r.nft_error)
        << ", \"load_s\": " << json_number(r.nft_load_s) << ", \"pps\": " << json_number(r.nft_pps)
        << ", \"check\": " << json_string(r.nft_check) << "},\n"
        << "     \"ovs\": {\"error\": " << json_string(r.ovs_error)
        << ", \"flows\": " << r.ovs_flows << ", \"load_s\": " << json_number(r.ovs_load_s)
        << ", \"pps\": " << json_number(r.ovs_pps) << ", \"check\": " << json_string(r.ovs_check)
        << "}}" << (i + 1 < rows.size() ? "," : "") << "\n";
  }
  out << "  ]\n}\n";
  return static_cast<bool>(out);
}

}  // namespace bench
