#!/usr/bin/env python3
"""Writes the Zhejiang dataset (config/demo/zhejiang.commands): a second province for the demo, for
matching across cities and for the province-scale end-to-end scenario
(Tests/EndToEndTests/ProvinceMatchingTests.swift).

Usage: deploy/lib/gen_province.py [--seed 2026] [--volunteers 2400] [--out config/demo/zhejiang.commands]

What it writes, as control-protocol request lines (like config/demo/shanxi.commands):
- regions: the province `zj`, its 11 prefecture-level cities `zj/<city>`, and the counties the
  scenario and the county warehouses use (zj/taizhou/wenling, zj/taizhou/linhai, zj/wenzhou/yueqing …);
- warehouses: the provincial depot `zj-prov` (region zj, Xiaoshan, near Hangzhou), one municipal
  warehouse per city and two county warehouses (Wenling, Yueqing), with real approximate coordinates;
- the 21 catalog items of the Shanxi demo;
- stock: 304,000 bottles of water-5l in all (the depot the largest holder), split into seeded lots,
  and seeded amounts of the other items; a minimum level on water in every warehouse (10-20 % of
  what it holds) and a few on tents and rations;
- a roster written out here as request lines (the daemon's demo_volunteers generator only knows the
  Shanxi cities): about 2,400 volunteers with certifications and statuses, and four rescue teams
  whose members are certified for their specialty (team readiness: ready) — water rescue in Ningbo
  and Zhoushan, search and rescue in Hangzhou, medical in Wenzhou.

Deterministic: SplitMix64 (as Sources/ReliefCore/SplitMix64.swift) from the seed, dates counted
from a fixed day (AS_OF), so the same arguments give the same bytes with any Python 3. Every date
in the file is fixed: issued certificates lie before AS_OF, team members' certificates and the
water lots stay valid until 2029 or later, so the scenario test reads the same for years. Load it
with `reliefd --demo on --demo-file config/demo/zhejiang.commands --demo-volunteers 0` (the roster
is in the file; demo_volunteers would add the Shanxi roster, whose regions this dataset lacks).
"""
import argparse
import datetime
import os
import sys

AS_OF = datetime.date(2026, 12, 1)
MASK64 = (1 << 64) - 1


class SplitMix64:
    """The same generator as ReliefCore's SplitMix64: a seed gives the same numbers everywhere."""

    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def int(self, low, high):
        """Uniform whole number in low...high (both included)."""
        return low + self.next() % (high - low + 1)

    def unit(self):
        return (self.next() >> 11) / float(1 << 53)

    def chance(self, p):
        return self.unit() < p

    def pick(self, values):
        return values[self.int(0, len(values) - 1)]


# id, English name, short code (warehouse ids), latitude, longitude of the centre, population (100k)
CITIES = [
    ("hangzhou", "Hangzhou", "hz", 30.27, 120.16, 124),
    ("ningbo", "Ningbo", "nb", 29.87, 121.55, 96),
    ("wenzhou", "Wenzhou", "wz", 28.00, 120.67, 97),
    ("jiaxing", "Jiaxing", "jx", 30.75, 120.76, 56),
    ("huzhou", "Huzhou", "huz", 30.87, 120.09, 34),
    ("shaoxing", "Shaoxing", "sx", 30.00, 120.58, 53),
    ("jinhua", "Jinhua", "jh", 29.08, 119.65, 71),
    ("quzhou", "Quzhou", "qz", 28.94, 118.87, 23),
    ("zhoushan", "Zhoushan", "zs", 30.02, 122.11, 12),
    ("taizhou", "Taizhou", "tz", 28.66, 121.42, 66),
    ("lishui", "Lishui", "ls", 28.45, 119.92, 25),
]
CITY = {city[0]: city for city in CITIES}

# city, id, English name, latitude, longitude: the scenario's counties and a few more on the coast
# and in the hills where relief points are often set up.
COUNTIES = [
    ("taizhou", "wenling", "Wenling", 28.37, 121.37),
    ("taizhou", "linhai", "Linhai", 28.85, 121.14),
    ("taizhou", "yuhuan", "Yuhuan", 28.14, 121.23),
    ("wenzhou", "yueqing", "Yueqing", 28.12, 120.96),
    ("wenzhou", "ruian", "Rui'an", 27.78, 120.63),
    ("ningbo", "xiangshan", "Xiangshan County", 29.48, 121.87),
    ("hangzhou", "chunan", "Chun'an County", 29.61, 119.04),
    ("lishui", "qingyuan", "Qingyuan County", 27.62, 119.06),
]

# Water (bottles of 5 L) per warehouse: 304,000 in all, the provincial depot the largest holder.
WATER = {
    "zj-prov": 80000,
    "hz-01": 36000, "nb-01": 28000, "wz-01": 26000, "jx-01": 16000, "huz-01": 12000, "sx-01": 16000,
    "jh-01": 20000, "qz-01": 10000, "zs-01": 8000, "tz-01": 22000, "ls-01": 10000,
    "wl-01": 12000, "yueq-01": 8000,
}
WATER_TOTAL = 304000

# The catalog of the Shanxi demo (the planning standards name water-5l, food-ration, tent-12, latrine-slab).
ITEMS = """\
item add tent-12 name="Relief tent 12 m2 (family, winterised)" category=shelter unit=tent pack=1
item add tarpaulin name="Tarpaulin 4 x 6 m, reinforced" category=shelter unit=sheet pack=5
item add plastic-sheeting name="Plastic sheeting roll 4 x 50 m" category=shelter unit=roll pack=1
item add folding-bed name="Folding bed, steel frame" category=shelter unit=bed pack=1
item add quilt-cotton name="Cotton quilt 2 kg" category=bedding unit=piece pack=10
item add blanket name="Blanket, wool blend 1.5 x 2 m" category=bedding unit=piece pack=10
item add winter-coat name="Winter coat, adult padded" category=clothing unit=piece pack=10
item add water-5l name="Bottled drinking water 5 L" category=water unit=bottle pack=4 shelf_life=365d
item add jerrycan-10l name="Collapsible jerrycan 10 L" category=water unit=piece pack=20
item add water-tank name="Collapsible water tank 5000 L" category=water unit=tank pack=1
item add purif-tabs name="Water purification tablets (strip of 10)" category=water unit=strip pack=100 shelf_life=1095d
item add noodles name="Instant noodles, carton of 24" category=food unit=carton pack=1 shelf_life=180d
item add food-ration name="Emergency food ration, 1 person-day" category=food unit=ration pack=24 shelf_life=1825d
item add family-kit name="Family kit (household basics for 5)" category=household unit=kit pack=1
item add kitchen-set name="Kitchen set for a family of 5" category=household unit=set pack=1
item add solar-lamp name="Solar lamp with phone charger" category=household unit=piece pack=20
item add hygiene-kit name="Hygiene kit, one family one month" category=hygiene unit=kit pack=10 shelf_life=730d
item add latrine-slab name="Latrine slab, plastic 120 x 80 cm" category=sanitation unit=slab pack=10
item add first-aid-kit name="First-aid kit, family" category=health unit=kit pack=10 shelf_life=1095d
item add mosquito-net name="Mosquito net, long-lasting insecticidal" category=health unit=piece pack=40 shelf_life=1825d
item add hp-biscuits name="High-energy biscuits 500 g" category=food unit=pack pack=30 shelf_life=730d
"""

# Other items: (sku, provincial depot amount, city range low-high, expires within (first, last) days of AS_OF or None).
OTHER_ITEMS = [
    ("tent-12", 6000, (150, 500), None),
    ("tarpaulin", 8000, (300, 1200), None),
    ("plastic-sheeting", 600, (20, 80), None),
    ("folding-bed", 5000, (100, 400), None),
    ("quilt-cotton", 12000, (500, 2500), None),
    ("blanket", 15000, (800, 3000), None),
    ("winter-coat", 3000, (200, 800), None),
    ("jerrycan-10l", 10000, (300, 1200), None),
    ("water-tank", 60, (2, 8), None),
    ("purif-tabs", 60000, (2000, 8000), (900, 1100)),
    ("noodles", 6000, (400, 1200), (250, 400)),
    ("food-ration", 60000, (2000, 6000), (1200, 1700)),
    ("family-kit", 4000, (200, 600), None),
    ("kitchen-set", 2500, (100, 300), None),
    ("solar-lamp", 3000, (200, 500), None),
    ("hygiene-kit", 8000, (400, 1200), (600, 720)),
    ("latrine-slab", 1000, (50, 150), None),
    ("first-aid-kit", 2000, (100, 300), (900, 1100)),
    ("mosquito-net", 5000, (300, 900), (1200, 1700)),
    ("hp-biscuits", 9000, (500, 1500), (500, 700)),
]

DONORS = [
    "Zhejiang Charity Federation", "West Lake Merchants' Relief Association", "Ningbo Port Workers' Union",
    "Wenzhou Chamber of Commerce Relief Fund", "Yiwu Small Commodities Traders' Fund", "Shaoxing Yellow Wine Makers' Charity",
    "Jiaxing Silk Guild Charity Fund", "Zhoushan Fishermen's Mutual Aid Society", "Taizhou Auto Parts Makers' Fund",
    "Huzhou Tea Growers' Association", "Lishui Mountain Villages Foundation", "Quzhou Citrus Cooperative",
]
SUPPLIERS = {
    "water-5l": ["Qiandao Lake Spring Water Co.", "Siming Mountain Water Co.", "Yandang Spring Beverages Co."],
    "tent-12": ["Zhejiang Hengan Tent Manufacturing Co., Ltd."], "tarpaulin": ["Xiaoshan Canvas Works Co."],
    "plastic-sheeting": ["Yuyao Plastics Co."], "folding-bed": ["Yongkang Steel Furniture Co."],
    "quilt-cotton": ["Haining Home Textiles Group"], "blanket": ["Haining Home Textiles Group"],
    "winter-coat": ["Huzhou Garment Works"], "jerrycan-10l": ["Yuyao Plastics Co."], "water-tank": ["Qiantang Water Technology Co."],
    "purif-tabs": ["Qiantang Water Technology Co."], "noodles": ["Jinhua Foods Co., Ltd."], "food-ration": ["Zhejiang Emergency Foods Co."],
    "family-kit": ["Yiwu Emergency Supplies Co., Ltd."], "kitchen-set": ["Yongkang Hardware Co."], "solar-lamp": ["Jinhua Solar Lighting Co."],
    "hygiene-kit": ["Nanhu Daily Chemicals Co."], "latrine-slab": ["Yuyao Plastics Co."], "first-aid-kit": ["Ouhai Medical Supplies Co."],
    "mosquito-net": ["Ouhai Medical Supplies Co."], "hp-biscuits": ["Zhejiang Emergency Foods Co."],
}

# Volunteers ------------------------------------------------------------------------------------
SPECIALTY_SKILLS = {  # as config/catalog/skills.commands
    "water-rescue": ["swiftwater-rescue", "first-aid"], "search-rescue": ["collapsed-structure", "first-aid"],
    "medical": ["first-aid", "cpr"],
}
# The scenario's teams: id, specialty, city, size, extra skills members often have.
TEAMS = [
    ("t-water-rescue-nb", "water-rescue", "ningbo", 8, ["boat-operator", "swimmer", "diver"]),
    ("t-water-rescue-zs", "water-rescue", "zhoushan", 6, ["boat-operator", "swimmer", "diver"]),
    ("t-search-rescue-hz", "search-rescue", "hangzhou", 10, ["rope-rescue", "search-dog", "heavy-equipment"]),
    ("t-medical-wz", "medical", "wenzhou", 8, ["nurse", "doctor", "paramedic", "triage"]),
]
SKILL_POOL = [
    "first-aid", "first-aid", "first-aid", "cpr", "cpr", "driver-b", "driver-b", "driver-b", "driver-c1", "driver-c",
    "logistics", "logistics", "distribution", "registration", "cook", "shelter", "interpreter", "nurse", "doctor",
    "paramedic", "triage", "collapsed-structure", "rope-rescue", "swiftwater-rescue", "boat-operator", "swimmer",
    "water-purification", "water-trucking", "hygiene-promotion", "disinfection", "psychological-first-aid",
    "child-protection", "radio-operator", "satellite-comms", "it-support", "forklift", "electrician", "sign-language",
]
CERTIFIED = {
    "first-aid", "cpr", "nurse", "doctor", "paramedic", "collapsed-structure", "rope-rescue", "search-dog", "heavy-equipment",
    "swiftwater-rescue", "boat-operator", "diver", "water-purification", "disease-surveillance", "disinfection",
    "psychological-first-aid", "counsellor", "radio-operator", "forklift", "driver-b", "driver-c1", "driver-c", "driver-ce",
    "electrician",
}
SURNAMES = ["Chen", "Wang", "Zhang", "Li", "Xu", "Wu", "Zhou", "Jin", "Ye", "Lin", "Ying", "Shen", "Yu", "Fang", "Zhu",
            "Pan", "Huang", "Lu", "Mao", "Qian", "Jiang", "Sun", "Yang", "Hu", "Zheng", "Xie", "Cai", "Shao", "Dong", "He"]
GIVEN = ["Wei", "Fang", "Min", "Jing", "Li", "Qiang", "Lei", "Jun", "Yang", "Yan", "Jie", "Tao", "Ming", "Chao", "Hua",
         "Ping", "Hui", "Haiyan", "Jianhua", "Lina", "Dan", "Bo", "Xin", "Yu", "Hao", "Rui", "Ning", "Jiayi", "Zihan", "Yiting"]
ORG_KINDS = ["Red Cross Volunteer Service Team", "Blue Sky Rescue Team", "Community Volunteer Association",
             "Youth Volunteer League", "Public Welfare Rescue Team", "University Volunteer Corps",
             "Women's Federation Volunteer Team", "Coastal Rescue Volunteers"]
UNAVAILABLE = ["injured", "travelling", "family emergency", "exam period", "illness"]


def issuer(skill):
    if skill in ("first-aid", "cpr", "psychological-first-aid"):
        return "Red Cross Society of China Zhejiang Branch"
    if skill in ("nurse", "doctor", "paramedic", "counsellor", "disinfection", "disease-surveillance"):
        return "Zhejiang Health Commission"
    if skill.startswith("driver-"):
        return "Zhejiang Traffic Police"
    if skill == "radio-operator":
        return "Zhejiang Radio Administration"
    if skill in ("forklift", "electrician"):
        return "Zhejiang Market Supervision Administration"
    return "Zhejiang Emergency Management Training Centre"


def quoted(text):
    return '"%s"' % text if (" " in text or "'" in text or "," in text) else text


def day(offset):
    return (AS_OF + datetime.timedelta(days=offset)).isoformat()


def split(rng, total, parts, step=100):
    """`total` in `parts` seeded pieces, multiples of `step`, each at least a fifth of an even share."""
    if parts == 1:
        return [total]
    floor = max(step, (total // parts // 5) // step * step)
    pieces = []
    left = total
    for index in range(parts - 1):
        most = left - floor * (parts - 1 - index)
        share = rng.int(floor // step, max(floor // step, most // step // 2)) * step
        pieces.append(share)
        left -= share
    pieces.append(left)
    return pieces


def warehouses():
    """(id, name, region, lat, lon) of every warehouse, the provincial depot first."""
    rows = [("zj-prov", "Zhejiang Provincial Relief Reserve Depot", "zj", 30.20, 120.30)]
    for city_id, name, code, lat, lon, _ in CITIES:
        rows.append(("%s-01" % code, "%s Municipal Relief Warehouse" % name, "zj/" + city_id, lat, lon))
    rows.append(("wl-01", "Wenling County Relief Warehouse", "zj/taizhou/wenling", 28.37, 121.37))
    rows.append(("yueq-01", "Yueqing County Relief Warehouse", "zj/wenzhou/yueqing", 28.12, 120.96))
    return rows


def dataset(rng):
    out = []
    w = out.append
    w("# --- Regions -------------------------------------------------------------------------------")
    w('region add zj name="Zhejiang Province" level=province')
    for city_id, name, _, _, _, _ in CITIES:
        w('region add zj/%s name="%s City" level=city' % (city_id, name))
    w("# Counties and county-level cities of the scenario (Wenling, Linhai, Yueqing) and a few more.")
    for city_id, county_id, name, _, _ in COUNTIES:
        w('region add zj/%s/%s name=%s level=county' % (city_id, county_id, quoted(name)))
    w("")
    w("# --- Warehouses ----------------------------------------------------------------------------")
    w("# The provincial reserve depot sits in Xiaoshan near Hangzhou airport; each city keeps a municipal")
    w("# relief warehouse; Wenling and Yueqing, on the typhoon coast, keep county warehouses.")
    for wid, name, region, lat, lon in warehouses():
        w('warehouse add %s name="%s" region=%s at=%.2f,%.2f' % (wid, name, region, lat, lon))
    w("")
    w("# --- Catalog (the Shanxi demo's relief items) ----------------------------------------------")
    out.extend(ITEMS.strip("\n").split("\n"))
    w("")

    lot_number = [0]

    def lot(kind):
        lot_number[0] += 1
        return "%s-2026-%03d" % (kind, lot_number[0])

    def receive(wid, sku, qty, expires):
        donated = rng.chance(0.45)
        code = lot("D" if donated else "P")
        party = ('donor="%s"' % rng.pick(DONORS)) if donated else ('supplier="%s"' % rng.pick(SUPPLIERS[sku]))
        exp = (" expires=%s" % expires) if expires else ""
        w("stock receive %s %s %d lot=%s%s %s" % (wid, sku, qty, code, exp, party))

    w("# --- Stock --------------------------------------------------------------------------------")
    w("# Water: %d bottles of 5 L in all; every water lot is good until 2028-06 or later." % WATER_TOTAL)
    minimums = []
    for wid, name, region, _, _ in warehouses():
        w("# %s (%s)" % (name, region))
        water = WATER[wid]
        parts = 3 if water >= 30000 else (2 if water >= 12000 else 1)
        for qty in split(rng, water, parts):
            receive(wid, "water-5l", qty, day(rng.int(560, 1000)))
        # Reserve: 10-20 % of the water held, in hundreds.
        minimums.append((wid, "water-5l", water * rng.int(10, 20) // 100 // 100 * 100))
        for sku, depot, (low, high), shelf in OTHER_ITEMS:
            if wid == "zj-prov":
                qty = depot
            elif wid in ("wl-01", "yueq-01"):
                if sku not in ("tent-12", "tarpaulin", "blanket", "food-ration", "hygiene-kit", "first-aid-kit", "family-kit"):
                    continue
                qty = rng.int(low // 2, high // 2) // 10 * 10
            else:
                if not rng.chance(0.6):
                    continue
                qty = rng.int(low, high) // 10 * 10
            if qty <= 0:
                continue
            receive(wid, sku, qty, day(rng.int(*shelf)) if shelf else None)
            if sku in ("tent-12", "food-ration") and wid != "zj-prov" and rng.chance(0.4):
                minimums.append((wid, sku, qty * rng.int(20, 40) // 100 // 10 * 10))
        w("")
    assert sum(WATER.values()) == WATER_TOTAL

    w("# --- Minimum levels -------------------------------------------------------------------------")
    w("# Water reserves in every warehouse (10-20 % of what it holds): a plan that draws below one takes")
    w("# from the reserve. The depot also keeps tents and rations back; some cities keep tents or rations.")
    minimums.append(("zj-prov", "tent-12", 2000))
    minimums.append(("zj-prov", "food-ration", 20000))
    for wid, sku, qty in minimums:
        if qty > 0:
            w("stock min %s %s %d" % (wid, sku, qty))
    return out


def roster(rng, volunteers):
    """Volunteers (with certifications and statuses) and the scenario's teams, as request lines."""
    out = []
    weights = [city[5] for city in CITIES]
    total_weight = sum(weights)

    def random_city():
        roll = rng.int(0, total_weight - 1)
        for index, weight in enumerate(weights):
            if roll < weight:
                return index
            roll -= weight
        return 0

    counties_of = {}
    for city_id, county_id, name, lat, lon in COUNTIES:
        counties_of.setdefault(city_id, []).append((county_id, lat, lon))

    orgs = {}
    for index, (city_id, name, _, _, _, _) in enumerate(CITIES):
        kinds = ORG_KINDS[index % 3:] + ORG_KINDS[:index % 3]
        orgs[city_id] = ["%s %s" % (name, kind) for kind in kinds[:5]]

    # Team members come first (v-000001 …), so the teams are easy to find in listings.
    members = []  # (team index) per volunteer index, for those in a team
    for team_index, (_, _, _, size, _) in enumerate(TEAMS):
        members.extend([team_index] * size)

    def vid(index):
        return "v-%06d" % (index + 1)

    team_members = [[] for _ in TEAMS]
    for index in range(volunteers):
        team_index = members[index] if index < len(members) else None
        if team_index is not None:
            team = TEAMS[team_index]
            city_index = [c[0] for c in CITIES].index(team[2])
        else:
            city_index = random_city()
        city_id, city_name, _, lat0, lon0, _ = CITIES[city_index]
        region = "zj/" + city_id
        if team_index is None and city_id in counties_of and rng.chance(0.2):
            county_id, lat0, lon0 = rng.pick(counties_of[city_id])
            region += "/" + county_id
            spread = 0.12
        else:
            spread = 0.05 if team_index is not None else 0.25
        lat = round(lat0 + (rng.unit() + rng.unit() - 1) * spread, 4)
        lon = round(lon0 + (rng.unit() + rng.unit() - 1) * spread, 4)
        name = "%s %s" % (rng.pick(SURNAMES), rng.pick(GIVEN))
        phone = "100%d" % (10000000 + rng.int(0, 89999999))
        birth = (AS_OF - datetime.timedelta(days=rng.int(20 * 365, 60 * 365))).strftime("%Y%m%d")
        id_number = "100%s%d" % (birth, 1000000 + rng.int(0, 8999999))
        languages = ["zh"]
        if rng.chance(0.4):
            languages.append("wuu")
        if rng.chance(0.2):
            languages.append("en")
        skills = []
        if team_index is not None:
            specialty, extras = TEAMS[team_index][1], TEAMS[team_index][4]
            skills = list(SPECIALTY_SKILLS[specialty])
            if rng.chance(0.6):
                skills.append(rng.pick(extras))
        wanted = max(len(skills), rng.int(1, 4))
        while len(skills) < wanted:
            skill = rng.pick(SKILL_POOL)
            if skill not in skills:
                skills.append(skill)
        levels = ",".join("%s:%d" % (s, rng.int(3, 5) if team_index is not None else rng.int(1, 5)) for s in skills)
        org = rng.pick(orgs[city_id])
        max_hours = rng.pick([8, 10, 12, 12, 12])
        min_rest = rng.pick([8, 8, 10, 12])
        out.append("volunteer add %s name=%s region=%s at=%.4f,%.4f phone=%s id_number=%s languages=%s skills=%s "
                   "max_hours=%d min_rest=%dh org=%s" % (vid(index), quoted(name), region, lat, lon, phone, id_number,
                                                         ",".join(languages), levels, max_hours, min_rest, quoted(org)))
        for skill in skills:
            if skill not in CERTIFIED:
                continue
            if team_index is not None:
                # Team members: certified, issued before AS_OF, valid until 2029 or later.
                expires = rng.int(950, 1800)
            else:
                if not rng.chance(0.8):
                    continue  # never certified
                roll = rng.unit()
                if roll < 0.08:
                    expires = -rng.int(1, 400)       # expired
                elif roll < 0.14:
                    expires = rng.int(3, 30)          # expiring within a month of AS_OF
                else:
                    expires = rng.int(31, 1500)
            issued = min(expires - rng.int(365, 1825), -rng.int(0, 60))
            out.append("volunteer certify %s %s issued=%s expires=%s issuer=%s"
                       % (vid(index), skill, day(issued), day(expires), quoted(issuer(skill))))
        if team_index is not None:
            team_members[team_index].append(vid(index))
        else:
            roll = rng.unit()
            if roll < 0.03:
                # No until-date: the daemon refuses one that is not after its today, and this file is
                # loaded on any day.
                out.append("volunteer status %s unavailable reason=%s" % (vid(index), quoted(rng.pick(UNAVAILABLE))))
            elif roll < 0.08:
                out.append("volunteer status %s standby" % vid(index))
            elif roll < 0.10:
                out.append("volunteer status %s off_duty" % vid(index))

    out.append("")
    out.append("# --- Rescue teams ---------------------------------------------------------------------------")
    out.append("# Water rescue on the Ningbo and Zhoushan coast, search and rescue in Hangzhou, medical in Wenzhou;")
    out.append("# every member holds the specialty's skills, certified until 2029 or later (team readiness: ready).")
    for (tid, specialty, city_id, _, _), ids in zip(TEAMS, team_members):
        city = CITY[city_id]
        title = " ".join(part.capitalize() for part in specialty.split("-"))
        out.append('team add %s name="%s %s Team" specialty=%s region=zj/%s at=%.2f,%.2f leader=%s'
                   % (tid, city[1], title, specialty, city_id, city[3], city[4], ids[0]))
        for member in ids[1:]:
            out.append("team member add %s %s" % (tid, member))
    out.append("# The teams trained together in the provincial typhoon-season exercise (team readiness: last_drill).")
    out.append('drill record zj-typhoon-2026 scenario="Zhejiang typhoon season exercise, Taizhou coast" date=%s teams=%s'
               % (day(-47), ",".join(team[0] for team in TEAMS)))
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_out = os.path.normpath(os.path.join(here, "..", "..", "config", "demo", "zhejiang.commands"))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--volunteers", type=int, default=2400)
    parser.add_argument("--out", default=default_out, help="file to write, or - for stdout")
    args = parser.parse_args()
    team_size = sum(team[3] for team in TEAMS)
    if not (team_size <= args.volunteers <= 1000000):
        parser.error("--volunteers from %d (the teams' members) to 1000000" % team_size)

    rng = SplitMix64(args.seed)
    header = [
        "# reliefd demo dataset: Zhejiang province relief logistics (fictional stock and people, real geography).",
        "#",
        "# GENERATED by deploy/lib/gen_province.py --seed %d --volunteers %d; do not edit by hand, change" % (args.seed, args.volunteers),
        "# the generator and run it again (the same arguments give the same file).",
        "#",
        "# Load it instead of the Shanxi demo into an empty store (the roster is in this file, so no generated one):",
        "#   reliefd --demo on --demo-file config/demo/zhejiang.commands --demo-volunteers 0",
        "#",
        "# Shape: 1 province (zj), 11 prefecture-level cities, %d counties; 1 provincial depot (zj-prov) + 11 city"
        % len(COUNTIES),
        "# warehouses + 2 county warehouses (Wenling, Yueqing); the 21 items of the Shanxi demo; %d bottles of"
        % WATER_TOTAL,
        "# water-5l in all with a minimum level (reserve) on water in every warehouse; %d volunteers with" % args.volunteers,
        "# certifications; 4 rescue teams (water rescue in Ningbo and Zhoushan, search and rescue in Hangzhou,",
        "# medical in Wenzhou). Dates are fixed, counted from %s; team members' certificates and water" % AS_OF.isoformat(),
        "# lots stay valid until 2029 and 2028 or later. Every line is an ordinary control-protocol request.",
        "",
    ]
    lines = header + dataset(rng) + ["", "# --- Volunteers ----------------------------------------------------------------------------"]
    lines += roster(rng, args.volunteers)
    text = "\n".join(lines) + "\n"
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text)
        print(args.out)


if __name__ == "__main__":
    main()
