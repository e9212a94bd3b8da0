#!/usr/bin/python3
"""Plots bench/results/scale.json (written by scale_bench) as a PNG: live packet rates of every
path per rule set, tc2xdp's added ns/packet, compile time and map memory per rule, with the
targets of issue #6 as dashed lines. Usage: plot_scale.py SCALE.json OUT.png"""
import json
import math
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def value(v):
    return float("nan") if v is None else v


def main(src, out):
    with open(src) as f:
        data = json.load(f)
    rows = data["rows"]
    sets = [r["set"] for r in rows]
    x = range(len(rows))
    fig, axes = plt.subplots(2, 2, figsize=(13, 9))

    ax = axes[0][0]
    paths = [
        ("empty XDP_DROP", lambda r: r["tc2xdp"]["empty_pps"], "#bbbbbb"),
        ("tc2xdp", lambda r: r["tc2xdp"]["program_pps"], "#1f77b4"),
        ("nftables ingress", lambda r: r["nftables"]["pps"], "#ff7f0e"),
        ("OVS userspace", lambda r: r["ovs"]["pps"], "#2ca02c"),
    ]
    width = 0.2
    for i, (label, get, color) in enumerate(paths):
        ys = [value(get(r)) / 1e6 for r in rows]
        xs = [k + (i - 1.5) * width for k in x]
        ax.bar(xs, [0 if math.isnan(y) else y for y in ys], width, label=label, color=color)
        for xx, y in zip(xs, ys):
            if math.isnan(y):
                ax.text(xx, 0.01, "n/a", rotation=90, ha="center", va="bottom", fontsize=7,
                        transform=ax.get_xaxis_transform())
    ax.set_yscale("log")
    ax.set_ylim(1e-5, 1e3)  # down to OVS at 100k; room for the legend above the bars
    ax.set_ylabel("Mpps (live frames on a veth, log)")
    ax.set_title("Packet rate, same trace, same veth")
    ax.set_xticks(list(x), sets, rotation=15)
    ax.legend(fontsize=8, loc="upper center", ncol=2)

    def bars(ax, ys, title, ylabel, targets, log=False):
        ax.bar(list(x), [0 if math.isnan(y) else y for y in ys], color="#1f77b4")
        for k, y in zip(x, ys):
            if math.isnan(y):
                ax.text(k, 0.01, "n/a", ha="center", va="bottom", fontsize=8,
                        transform=ax.get_xaxis_transform())
            else:
                ax.text(k, y, f"{y:.3g}", ha="center", va="bottom", fontsize=8)
        for level, text in targets:
            ax.axhline(level, color="red", linestyle="--", linewidth=1)
            ax.text(len(rows) - 0.5, level, text, color="red", ha="right", va="bottom", fontsize=8)
        if log:
            ax.set_yscale("log")
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        ax.set_xticks(list(x), sets, rotation=15)

    bars(axes[0][1], [value(r["tc2xdp"]["added_ns"]) for r in rows],
         "tc2xdp: ns/packet over an empty XDP program", "ns (BPF_PROG_TEST_RUN, log)",
         [(60, "target at 10k: 60 ns")], log=True)
    bars(axes[1][0], [value(r["tc2xdp"]["compile_to_attached_s"]) for r in rows],
         "tc2xdp: tc text to attached program", "seconds (log)",
         [(1, "target at 10k: 1 s"), (10, "at 100k: 10 s")], log=True)
    bars(axes[1][1], [value(r["tc2xdp"]["map_bytes_per_rule"]) for r in rows],
         "tc2xdp: map memory per rule", "bytes (kernel accounting)", [(128, "target: 128 B")])
    fig.suptitle("tc2xdp scale benchmark (bench/run_scale.sh); n/a: not measured or failed")
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    fig.savefig(out, dpi=100)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
