// act_pedit (tcf_pedit_act). tc hands the kernel 32-bit keys: a word offset within a header, the
// bits to keep and the bits to set or add. The IR keeps named fields, so each key is first split
// into the words iproute2 would send, then applied the way the kernel does: SET writes
// (word & keep) ^ val, ADD writes (word & keep) ^ ((word + val) & ~keep) with the word loaded in
// host (little-endian) byte order, so a carry runs toward the next byte in memory.
#include <map>

#include "bytes.h"
#include "frame_actions.h"

namespace tc2xdp::reference::detail {

namespace {

using Header = ir::PeditKey::Header;
using Op = ir::PeditKey::Op;

struct WordKey {
  uint8_t change[4] = {};  // bits the key changes, in memory order (the kernel keeps ~change)
  uint8_t val[4] = {};
};

std::map<uint32_t, WordKey> words_of(const ir::PeditKey& k) {
  uint8_t retain[16];
  for (int j = 0; j < k.width; ++j) {
    const int shift = 8 * (k.width - 1 - j);
    retain[j] = k.retain && k.width <= 4 ? static_cast<uint8_t>(*k.retain >> shift) : 0xff;
  }
  std::map<uint32_t, WordKey> words;
  for (int j = 0; j < k.width; ++j) {
    const uint32_t abs = k.offset + j;
    WordKey& w = words[abs & ~3u];
    const uint8_t change = k.op == Op::kPreserve ? 0 : retain[j];
    w.change[abs & 3] = change;
    // Decrement adds all ones under the retained bits: minus one, carries dropped by the mask.
    w.val[abs & 3] = k.op == Op::kDecrement ? change : static_cast<uint8_t>(k.value[j] & change);
  }
  return words;
}

uint32_t load_le(const uint8_t* p) {
  return p[0] | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}
void store_le(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// ipv6_find_hdr: the offset of `target` behind the IPv6 header's extension chain.
std::optional<size_t> ipv6_find(std::span<const uint8_t> f, const SkbView& v, uint8_t target) {
  auto at = [&](size_t skb_off, size_t len) -> const uint8_t* {
    const size_t fo = v.frame_offset(skb_off);
    return fits(f, fo, len) ? f.data() + fo : nullptr;
  };
  const uint8_t* ip6 = at(kEthHlen, 40);
  if (!ip6) return std::nullopt;
  uint8_t next = ip6[6];
  size_t off = kEthHlen + 40;
  while (next != target) {
    if (next != kIpprotoHop && next != kIpprotoRouting && next != kIpprotoFragment &&
        next != kIpprotoAh && next != kIpprotoDest)
      return std::nullopt;
    const uint8_t* h = at(off, next == kIpprotoFragment ? 8 : 2);
    if (!h) return std::nullopt;
    size_t len;
    if (next == kIpprotoFragment) {
      if (be16(h + 2) & 0xfff8) return std::nullopt;  // a later fragment has no L4 header
      len = 8;
    } else if (next == kIpprotoAh) {
      len = (h[1] + 2u) << 2;
    } else {
      len = (h[1] + 1u) << 3;
    }
    next = h[0];
    off += len;
  }
  return off;
}

// pedit_skb_hdr_offset, in skb-view offsets from the start of the MAC header.
std::optional<size_t> header_offset(Header h, std::span<const uint8_t> f, const SkbView& v) {
  switch (h) {
    case Header::kEth: return 0;
    case Header::kRaw:
    case Header::kIp4:
    case Header::kIp6: return kEthHlen;
    case Header::kTcp:
    case Header::kUdp: {
      // pedit_l4_skb_offset: by skb->protocol, the ethertype behind the outer tag.
      const uint16_t proto = be16(f.data() + v.frame_offset(12));
      if (proto == kEthPIp) {
        const size_t fo = v.frame_offset(kEthHlen);
        if (!fits(f, fo, 20)) return std::nullopt;
        return kEthHlen + (f[fo] & 0x0f) * 4u;
      }
      if (proto == kEthPIpv6) return ipv6_find(f, v, h == Header::kTcp ? kIpprotoTcp : kIpprotoUdp);
      return std::nullopt;
    }
    case Header::kIcmp: return std::nullopt;  // no extended header type for ICMP
  }
  return std::nullopt;
}

}  // namespace

void apply_pedit(const ir::PeditAction& a, std::vector<uint8_t>& frame, std::string& note) {
  int applied = 0;
  for (const auto& k : a.keys) {
    const SkbView view = SkbView::of(frame);
    const auto hoff = header_offset(k.header, frame, view);
    if (!hoff) {
      note = "pedit: header not found, " + std::to_string(applied) + " keys applied";
      return;
    }
    for (const auto& [word_off, w] : words_of(k)) {
      const size_t skb_off = *hoff + word_off;
      if (skb_off + 4 > view.length(frame.size())) {  // offset_valid
        note = "pedit: offset out of bounds, " + std::to_string(applied) + " keys applied";
        return;
      }
      uint8_t* p = frame.data() + view.frame_offset(skb_off);
      const uint32_t keep = ~load_le(w.change);
      const uint32_t val = load_le(w.val);
      const uint32_t cur = load_le(p);
      const bool add = k.op == Op::kAdd || k.op == Op::kDecrement;
      store_le(p, add ? (cur & keep) ^ ((cur + val) & ~keep) : (cur & keep) ^ val);
    }
    ++applied;
  }
  note = "pedit: " + std::to_string(applied) + " keys applied";
}

}  // namespace tc2xdp::reference::detail
