#!/usr/bin/env python3
"""Writes a province-scale drill for deploy/bench drill: a dataset (the Shanxi demo dataset plus
generated warehouses with stock, to WAREHOUSES in all) and a scenario of INJECTS timed injects over
48 hours of drill time on it, with the demo roster of 30,000 generated volunteers and a simulated
duty officer that plans every two hours. Deterministic: the same arguments give the same files.

Usage: drill_scenario.py --out DIR [--seed N] [--warehouses 150] [--injects 10000] [--volunteers 30000]
Writes DIR/province.commands and DIR/province.drill and prints their paths.
"""
import argparse
import os
import random

CITIES = [  # id, name, latitude, longitude
    ("taiyuan", "Taiyuan", 37.87, 112.55), ("datong", "Datong", 40.08, 113.30), ("yangquan", "Yangquan", 37.86, 113.58),
    ("changzhi", "Changzhi", 36.20, 113.12), ("jincheng", "Jincheng", 35.49, 112.85), ("shuozhou", "Shuozhou", 39.33, 112.43),
    ("jinzhong", "Jinzhong", 37.69, 112.75), ("yuncheng", "Yuncheng", 35.03, 111.01), ("xinzhou", "Xinzhou", 38.42, 112.73),
    ("linfen", "Linfen", 36.09, 111.52), ("luliang", "Luliang", 37.52, 111.14),
]
# Items of the demo catalog a relief operation asks for, with a typical need size.
ITEMS = [("water-5l", 4000), ("food-ration", 3000), ("tent-12", 300), ("quilt-cotton", 800), ("blanket", 800),
         ("hygiene-kit", 600), ("first-aid-kit", 200), ("noodles", 1000), ("tarpaulin", 400), ("jerrycan-10l", 500),
         ("purif-tabs", 2000), ("family-kit", 300), ("solar-lamp", 300), ("hp-biscuits", 1500)]
SKILLS = ["first-aid", "registration", "distribution", "logistics", "psychological-first-aid", "driver-b"]
KINDS = ["flood", "earthquake", "fire", "landslide", "storm"]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--warehouses", type=int, default=150)
    parser.add_argument("--injects", type=int, default=10000)
    parser.add_argument("--volunteers", type=int, default=30000)
    args = parser.parse_args()
    if not (12 <= args.warehouses <= 5000 and 100 <= args.injects <= 1_000_000 and 0 <= args.volunteers <= 1_000_000):
        parser.error("warehouses 12..5000, injects 100..1000000, volunteers up to 1000000")
    rng = random.Random(args.seed)
    here = os.path.dirname(os.path.abspath(__file__))
    demo = os.path.join(here, "..", "..", "config", "demo", "shanxi.commands")
    os.makedirs(args.out, exist_ok=True)
    dataset = os.path.abspath(os.path.join(args.out, "province.commands"))
    scenario = os.path.abspath(os.path.join(args.out, "province.drill"))

    # The dataset: the demo's regions, items, 12 warehouses and stock, then generated warehouses
    # around the city centres, each with stock of every item.
    with open(demo, encoding="utf-8") as source:
        lines = source.read().splitlines()
    warehouses = [line.split()[2] for line in lines if line.startswith("warehouse add ")]
    extra = args.warehouses - len(warehouses)
    for number in range(extra):
        city, name, lat, lon = CITIES[number % len(CITIES)]
        warehouse = f"gw-{number + 1:04d}"
        lines.append(f'warehouse add {warehouse} name="{name} county depot {number + 1}" region=shanxi/{city} '
                     f"at={lat + rng.uniform(-0.6, 0.6):.4f},{lon + rng.uniform(-0.6, 0.6):.4f}")
        for sku, size in ITEMS:
            lines.append(f"stock receive {warehouse} {sku} {rng.randint(size // 10, size)} lot=G-{number + 1:04d}-{sku} "
                         f'supplier="Provincial reserve contract"')
        warehouses.append(warehouse)
    with open(dataset, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")

    # The scenario: 48 hours; incidents through the first day; needs, changes, donations, people
    # falling out and coming back, road times learnt, needs cancelled — INJECTS lines in all.
    minutes = 48 * 60
    injects = []
    incidents = []
    for number in range(max(10, args.injects // 250)):
        city, name, lat, lon = CITIES[rng.randrange(len(CITIES))]
        incident = f"inc-{number + 1:03d}"
        incidents.append(incident)
        injects.append((rng.randrange(0, 24 * 60), f'incident open {incident} title="{name} {KINDS[number % len(KINDS)]} {number + 1} (exercise)" '
                        f"kind={KINDS[number % len(KINDS)]} at={lat + rng.uniform(-0.4, 0.4):.4f},{lon + rng.uniform(-0.4, 0.4):.4f} "
                        f"region=shanxi/{city} severity={rng.randint(2, 5)} affected={rng.randint(500, 20000)}"))
    opened = {text.split()[2]: minute for minute, text in injects}
    needs = []
    budget = args.injects - len(injects)
    for number in range(budget // 10):
        incident = incidents[rng.randrange(len(incidents))]
        minute = rng.randrange(opened[incident] + 1, minutes - 60)
        ref = f"req{number + 1:05d}"
        if rng.random() < 0.8:
            sku, size = ITEMS[rng.randrange(len(ITEMS))]
            amount = rng.randint(size // 4, size)
            text = f"need add {incident} supply {sku} {amount} priority={rng.randint(1, 4)} by={rng.randint(6, 36)}h ref={ref}"
            needs.append((ref, minute, "qty", amount))
        else:
            amount = rng.randint(1, 6)
            text = (f"need add {incident} volunteers {SKILLS[rng.randrange(len(SKILLS))]} {amount} hours={rng.choice([4, 6, 8])} "
                    f"priority={rng.randint(1, 4)} ref={ref}")
            needs.append((ref, minute, "count", amount))
        injects.append((minute, text))
    cancelled = set()
    # Some changes are dropped below (those after their need's cancellation): aim a little higher,
    # then trim donations and road times to exactly INJECTS.
    while len(injects) < args.injects * 21 // 20:
        roll = rng.random()
        minute = rng.randrange(0, minutes)
        if roll < 0.35:
            warehouse = warehouses[rng.randrange(len(warehouses))]
            sku, size = ITEMS[rng.randrange(len(ITEMS))]
            injects.append((minute, f"stock receive {warehouse} {sku} {rng.randint(size // 20, size // 2)} "
                                    f'lot=DN-{len(injects):06d} donor="Drill donor {len(injects)} (exercise)"'))
        elif roll < 0.6:
            index = rng.randrange(len(needs))
            ref, added, unit, amount = needs[index]
            if ref in cancelled or added >= minutes - 2:
                continue
            # The amount is filled in below, once the need's changes are in time order.
            injects.append((rng.randrange(added + 1, minutes), f"need change {ref} {unit}=?"))
        elif roll < 0.8 and args.volunteers > 0:
            # Volunteers report in before the officer's first plan (T+02:00) sends anyone: a
            # deployed volunteer's status is not theirs to change, and the engine would refuse it.
            volunteer = f"v-{rng.randint(1, args.volunteers):06d}"
            early = rng.randrange(0, 120)
            if rng.random() < 0.6:
                injects.append((early, f'volunteer status {volunteer} unavailable reason="drill: called away"'))
            else:
                injects.append((early, f"volunteer status {volunteer} standby"))
        elif roll < 0.97:
            origin = warehouses[rng.randrange(len(warehouses))]
            city = CITIES[rng.randrange(len(CITIES))][0]
            injects.append((minute, f"travel set {origin} shanxi/{city} {rng.randint(20, 600)}"))
        else:
            ref, added, _, _ = needs[rng.randrange(len(needs))]
            if ref in cancelled or added >= minutes - 2:
                continue
            cancelled.add(ref)
            # Withdrawn a minute after it was raised, before any plan can have sent something to it
            # (a need with goods on the road or people on scene cannot be cancelled).
            injects.append((added + 1, f'need cancel {ref} reason="drill: raised in error"'))
    # A change or cancel of a cancelled need would be refused (and fail the drill): changes come
    # only before a need's cancellation.
    cancel_minute = {text.split()[2]: minute for minute, text in injects if text.startswith("need cancel ")}
    injects = [(minute, text) for minute, text in injects
               if not (text.startswith("need change ") and minute >= cancel_minute.get(text.split()[2], minutes + 1))]
    trimmable = [index for index, (_, text) in enumerate(injects) if text.startswith(("stock receive ", "travel set "))]
    drop = set(rng.sample(trimmable, max(0, len(injects) - args.injects)))
    injects = [inject for index, inject in enumerate(injects) if index not in drop]
    injects.sort(key=lambda item: item[0])
    # Needs grow as assessments come in, change by change in time order — never below what plans
    # may already have committed to them, which the engine would refuse.
    current = {ref: (unit, amount) for ref, _, unit, amount in needs}
    for position, (minute, text) in enumerate(injects):
        if text.startswith("need change ") and text.endswith("=?"):
            ref = text.split()[2]
            unit, amount = current[ref]
            amount += rng.randint(10, 500) if unit == "qty" else 1
            current[ref] = (unit, amount)
            injects[position] = (minute, f"need change {ref} {unit}={amount}")

    header = f"""# Generated by deploy/lib/drill_scenario.py --seed {args.seed} --warehouses {args.warehouses} --injects {args.injects}
scenario "Province-scale drill ({len(injects)} injects, {args.warehouses} warehouses, {args.volunteers} volunteers)"
start 2026-08-01T06:00+08:00
from dataset {dataset} volunteers={args.volunteers} seed=2026
seed {args.seed}
end T+48:00
officer plan every=2h apply_after=15m
officer dispatch after=15m
officer travel matrix speed=40kmh
officer noshow 2%
officer release after=need
"""
    with open(scenario, "w", encoding="utf-8") as out:
        out.write(header)
        for minute, text in injects:
            out.write(f"T+{minute // 60:02d}:{minute % 60:02d} {text}\n")
    print(f"dataset={dataset} scenario={scenario} injects={len(injects)} warehouses={args.warehouses}")


if __name__ == "__main__":
    main()
