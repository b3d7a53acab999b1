#!/usr/bin/env python3
"""Check the calibration arithmetic of scenarios/afghanistan/base.toml without the engine.

For one average day (seasonal factors = their annual mean, 1) it solves, per product, the
static routing problem the engine solves each day: a min-cost flow from supplies (cost =
price at origin) to demands (gain = value to the buyer) over the links (cost = freight +
border charges + holding and spoilage over transit), shipping only what pays. It prints

- delivered trade by partner and direction, x 366 days, against the 2024 targets (cal §3),
- spot supplies used (should be none on a normal day) and normal supply left unused,
- daily tonnes and trucks per crossing,

and, with --close ID[,ID...], the same with those corridors shut (to see the diversion).
Route costs follow the engine's routing (src/sim/engine.rs darc_cost): freight + charges +
(holding + loss_per_day) x value x transit days, with no grace credit. This is a
simplification (no queues, no order backlog, no transit rounding, no start/end-of-window
effects): the engine's daily run is the real test. Needs networkx.

    python3 scripts/check_afghanistan.py [scenarios/afghanistan/base.toml] [--close torkham]
"""

import argparse
import sys
import tomllib
from collections import defaultdict

import networkx as nx

SCALE = 100  # cost resolution: 0.01 USD/t

# 2024 targets, USD bn (cal §3): (direction, partner) -> (low, high); None = total.
TARGETS = {
    ("export", None): (1.8, 1.9),
    ("export", "PK"): (0.46 * 1.85,) * 2,
    ("export", "IN"): (0.28 * 1.85,) * 2,
    ("import", None): (10.6, 10.8),
    ("import", "IR"): (3.143, 3.143),
    ("import", "PK"): (1.61, 1.61),
    ("import", "UZ"): (1.07, 1.07),
    ("import", "CN"): (0.86, 1.07),
    ("import", "KZ"): (0.535, 0.535),
}


def load(path):
    with open(path, "rb") as f:
        return tomllib.load(f)


def solve(sc, closed):
    nodes = {n["id"]: n for n in sc["node"]}
    corr = {c["id"]: c["links"] for c in sc["corridor"]}
    shut = {l for c in closed for l in corr.get(c, [c])}
    products = {p["id"]: p for p in sc["product"]}
    # which supply rows are spot: a second row for the same (product, node)
    seen, spot = set(), set()
    for i, s in enumerate(sc["supply"]):
        key = (s["product"], s["node"])
        if key in seen:
            spot.add(i)
        seen.add(key)
    flows = defaultdict(float)  # (link, forward) -> t/day
    value_on = defaultdict(float)  # (link, forward) -> USD/day at product value
    delivered = defaultdict(float)  # (direction, partner) -> USD/day
    by_product = defaultdict(float)
    spot_used, unused, unmet = [], [], []
    used = defaultdict(float)  # (link, forward) -> t/day taken by higher-priority products
    order = sorted(products, key=lambda k: -products[k].get("priority", 0))
    for pid in order:
        p = products[pid]
        value = p["value_usd_per_t"]
        per = p.get("perishability")
        g = nx.DiGraph()
        for l in sc["link"]:
            if l["id"] in shut:
                continue
            dirs = [True] + ([False] if l.get("both_ways") else [])
            for fwd in dirs:
                u, v = (l["from"], l["to"]) if fwd else (l["to"], l["from"])
                charge = sum(
                    c["usd_per_t"]
                    for c in l.get("charges", [])
                    if c.get("direction", "both") == "both"
                    or (c["direction"] == "forward") == fwd
                )
                t = l["transit_days"]
                cost = l["cost_usd_per_t"] + charge + p.get("holding_cost_per_day", 0) * value * t
                if per:
                    cost += per["loss_per_day"] * value * t
                mid = ("link", l["id"], fwd)
                cap = max(0, int(l["capacity_t_per_day"] - used[(l["id"], fwd)]))
                g.add_edge(u, mid, capacity=cap, weight=round(cost * SCALE))
                g.add_edge(mid, v, weight=0)
        total = 0
        sups = [(i, s) for i, s in enumerate(sc["supply"]) if s["product"] == pid]
        dems = [(j, d) for j, d in enumerate(sc["demand"]) if d["product"] == pid]
        for i, s in sups:
            t = int(round(s["t_per_day"]))
            price = s.get("price_usd_per_t", value)
            g.add_edge("SRC", ("sup", i), capacity=t, weight=round(price * SCALE))
            g.add_edge(("sup", i), s["node"], weight=0)
            total += t
        for j, d in dems:
            val = d.get("value_usd_per_t", value)
            g.add_edge(d["node"], ("dem", j), weight=0)
            g.add_edge(("dem", j), "SNK", capacity=int(round(d["t_per_day"])), weight=-round(val * SCALE))
        g.add_edge("SRC", "SNK", capacity=total, weight=0)
        g.nodes["SRC"]["demand"] = -total
        g.nodes["SNK"]["demand"] = total
        _, flow = nx.network_simplex(g)
        for i, s in sups:
            f = flow["SRC"][("sup", i)]
            country = nodes[s["node"]]["country"]
            if i in spot and f > 0:
                spot_used.append((pid, s["node"], f))
            if i not in spot and f < s["t_per_day"] - 1 and country != "AF":
                unused.append((pid, s["node"], s["t_per_day"] - f))
        for j, d in dems:
            f = flow[("dem", j)]["SNK"]
            if f < d["t_per_day"] - 1:
                unmet.append((pid, d["node"], d["t_per_day"] - f))
        # attribute delivered value to partners: per demand; for imports split by source via path decomposition
        val_of = {j: d.get("value_usd_per_t", value) for j, d in dems}
        for j, d in dems:
            f = flow[("dem", j)]["SNK"]
            c = nodes[d["node"]]["country"]
            if c != "AF":
                delivered[("export", c)] += f * val_of[j]
                by_product[pid] += f * val_of[j]
        # imports: every Afghan demand has one value per product, so value by source = t x value
        af_vals = {val_of[j] for j, d in dems if nodes[d["node"]]["country"] == "AF"}
        for i, s in sups:
            c = nodes[s["node"]]["country"]
            if c != "AF" and af_vals:
                f = flow["SRC"][("sup", i)]
                delivered[("import", c)] += f * max(af_vals)
                by_product[pid] += f * max(af_vals)
        for l in sc["link"]:
            for fwd in (True, False):
                mid = ("link", l["id"], fwd)
                if mid in flow:
                    f = sum(flow[mid].values())
                    flows[(l["id"], fwd)] += f
                    used[(l["id"], fwd)] += f
                    value_on[(l["id"], fwd)] += f * value
    return delivered, by_product, flows, value_on, spot_used, unused, unmet


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", nargs="?", default="scenarios/afghanistan/base.toml")
    ap.add_argument("--close", default="", help="corridor or link ids to shut, comma-separated")
    a = ap.parse_args()
    sc = load(a.scenario)
    closed = [c for c in a.close.split(",") if c]
    delivered, by_product, flows, value_on, spot_used, unused, unmet = solve(sc, closed)
    payload = sc.get("scenario", {}).get("truck_payload_t", 25.0)
    print(f"# {a.scenario}{' with ' + ','.join(closed) + ' shut' if closed else ''}: one average day x 366")
    ok = True
    for direction in ("export", "import"):
        tot = sum(v for (d, _), v in delivered.items() if d == direction) * 366 / 1e9
        print(f"\n{direction}s: {tot:.3f} bn")
        lo, hi = TARGETS[(direction, None)]
        ok &= report(tot, tot, lo, hi, "total")
        for (d, c), v in sorted(delivered.items(), key=lambda kv: -kv[1]):
            if d != direction:
                continue
            bn = v * 366 / 1e9
            if (d, c) in TARGETS:
                lo, hi = TARGETS[(d, c)]
                ok &= report(bn, tot, lo, hi, c)
            else:
                print(f"  {c:4} {bn:7.3f} bn  {100 * bn / tot:5.1f}%  (no official target: E)")
    print("\nby product (bn/yr):", {k: round(v * 366 / 1e9, 3) for k, v in by_product.items()})
    print("spot supply used (t/day):", spot_used or "none")
    print("normal import supply unused (t/day):", [(p, n, round(t)) for p, n, t in unused] or "none")
    print("demand unmet (t/day):", [(p, n, round(t)) for p, n, t in unmet] or "none")
    print("\ncrossings (t/day forward = out of the 'from' node; trucks at", payload, "t):")
    nodes = {n["id"]: n["country"] for n in sc["node"]}
    for l in sc["link"]:
        if "AF" not in (nodes[l["from"]], nodes[l["to"]]) or nodes[l["from"]] == nodes[l["to"]]:
            continue
        f, b = flows.get((l["id"], True), 0.0), flows.get((l["id"], False), 0.0)
        vf, vb = value_on.get((l["id"], True), 0.0), value_on.get((l["id"], False), 0.0)
        print(
            f"  {l['id']:22} out {f:6.0f} t ({vf / 1e6:5.2f} m$)  in {b:6.0f} t ({vb / 1e6:5.2f} m$)"
            f"  = {f / payload:4.0f} + {b / payload:4.0f} loaded trucks/day  (cap {l['capacity_t_per_day']:.0f}/dir)"
        )
    sys.exit(0 if ok else 1)


def report(bn, tot, lo, hi, label):
    # within 15% of the target band (issue 6)
    good = lo * 0.85 <= bn <= hi * 1.15
    print(f"  {label:5} {bn:7.3f} bn  {100 * bn / tot:5.1f}%  target {lo:.3f}-{hi:.3f}  {'ok' if good else 'MISS'}")
    return good


if __name__ == "__main__":
    main()
