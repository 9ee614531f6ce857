#!/usr/bin/env python3
"""A province's year of donations as reliefd requests, for `deploy/bench disclose`.

    deploy/lib/donations_dataset.py --donations N [--seed S] > donations.commands

One province with 30 cities, 150 warehouses, 20 items and 40 incidents; N donations (one in ten
anonymous) of goods and money, three lots each received with donation=; per lot: a transfer of a
tenth to another warehouse (one lot in ten), an allocation of 400 to an incident (one lot in two),
dispatched and then delivered (nine in ten of those), 50 issued to a shelter, 5 damaged (one in
twenty); one donation in ten spends money on a purchased lot. Ids are those the daemon gives in
order (N-000001, AL-000001, D-000001), so the requests can be fed pipelined. Standard library only.
"""
import argparse
import random


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--donations", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    out = []
    out.append("region add sx name=Shanxi level=province")
    for c in range(30):
        out.append(f"region add sx/c{c:02d} name=\"City {c:02d}\" level=city")
    warehouses = []
    for w in range(150):
        city = w % 30
        warehouses.append(f"w-{w:03d}")
        out.append(f"warehouse add w-{w:03d} name=\"Depot {w:03d}\" region=sx/c{city:02d} at={35.5 + rng.random() * 4:.4f},{111 + rng.random() * 3:.4f}")
    items = [f"i-{i:02d}" for i in range(20)]
    for sku in items:
        out.append(f"item add {sku} name=\"Relief item {sku}\" category=relief unit=piece")
    incidents = []
    for n in range(40):
        incidents.append(f"inc-{n:02d}")
        out.append(f"incident open inc-{n:02d} title=\"Incident {n:02d}\" kind=flood at={35.5 + rng.random() * 4:.4f},{111 + rng.random() * 3:.4f} "
                   f"region=sx/c{n % 30:02d} severity=3 affected=5000")
    need = 0
    allocation = 0
    lot = 0
    for d in range(1, args.donations + 1):
        receipt = f"D-{d:06d}"
        skus = rng.sample(items, 3)
        anonymous = " anonymous=yes" if d % 10 == 0 else ""
        goods = ",".join(f"{sku}:1000" for sku in skus)
        out.append(f"donation add donor=\"Donor {d}\"{anonymous} goods={goods} money={rng.randint(100, 100000)}")
        out.append(f"donation money {receipt} {rng.randint(1000, 50000)}")
        for sku in skus:
            lot += 1
            code = f"G-{lot:06d}"
            home = rng.choice(warehouses)
            out.append(f"stock receive {home} {sku} 1000 lot={code} donation={receipt}")
            if lot % 10 == 0:
                other = rng.choice([w for w in warehouses if w != home])
                out.append(f"stock transfer {home} {other} {sku} 100 lot={code}")
            if lot % 2 == 0:
                need += 1
                allocation += 1
                out.append(f"need add {rng.choice(incidents)} supply {sku} 400")
                out.append(f"allocation reserve N-{need:06d} {home} {code} 400")
                out.append(f"allocation dispatch AL-{allocation:06d}")
                if lot % 20 != 0:
                    out.append(f"allocation deliver AL-{allocation:06d}")
            out.append(f"stock issue {home} {sku} 50 lot={code} to=\"Shelter {lot % 97}\"")
            if lot % 20 == 1:
                out.append(f"stock adjust {home} {code} delta=-5 reason=damaged")
        if d % 10 == 5:
            bought = f"P-{d:06d}"
            out.append(f"stock receive {rng.choice(warehouses)} {rng.choice(items)} 200 lot={bought} supplier=\"Relief Works\"")
            out.append(f"donation spend {receipt} 500 purpose=\"200 relief items\" lots={bought}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
