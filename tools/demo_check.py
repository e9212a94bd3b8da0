#!/usr/bin/python3
"""Compares `tc2xdp show -s -j` counters with what the demo sent; exit 1 on any difference."""
import json
import sys

sent = {int(k): v for k, v in json.loads(sys.argv[1]).items()}
shown = json.loads(sys.argv[2])
redirected = int(sys.argv[3])
ok = True
print(f"{'pref':>5} {'action':<10} {'sent':>5} {'counted':>8}")
for rule in shown:
    pref = rule["pref"]
    counted = rule["options"]["actions"][0]["stats"]["packets"]
    kind = rule["options"]["actions"][0]["kind"]
    expected = sent.get(pref, 0)
    mark = "" if counted == expected else "   <-- MISMATCH"
    ok &= counted == expected
    print(f"{pref:>5} {kind:<10} {expected:>5} {counted:>8}{mark}")
want = sent.get(50, 0)
print(f"redirected frames that reached the collector namespace: {redirected} (sent {want})")
ok &= redirected == want
print("demo: every counter equals what was sent" if ok else "demo: MISMATCH")
sys.exit(0 if ok else 1)
