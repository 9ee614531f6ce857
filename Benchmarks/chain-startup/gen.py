# Appends N valid, hash-chained journal rows to a reliefd SQLite store whose schema exists
# (start reliefd once on the directory first): a region, a warehouse, an item, then N-3 changes of
# a minimum stock level. The state stays tiny, so a start-up is almost all journal reading: the
# worst case for the added full-chain check, which cannot hide behind a long snapshot decode.
import hashlib, json, sqlite3, sys
path, n = sys.argv[1], int(sys.argv[2])
db = sqlite3.connect(path)
row = db.execute("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
seq, prev = (row[0], row[1]) if row else (0, "0" * 64)
assert seq == 0, "start from an empty journal"
def field(text):
    data = text.encode()
    return str(len(data)).encode() + b":" + data
def body_of(d):
    return json.dumps(d, separators=(",", ":"), ensure_ascii=False)
events = [
    ("region.added", {"id": "sx", "name": "Shanxi", "level": "province"}),
    ("warehouse.added", {"id": "taiyuan-central-depot-01", "name": "Depot A", "region": "sx", "lat": 37.87, "lon": 112.55}),
    ("item.added", {"sku": "water-bottled-5l", "name": "Water 5l", "category": "water", "unit": "bottle", "pack": 1}),
]
t0 = 1_790_000_000_000
batch = []
def emit(kind, body):
    global seq, prev
    seq += 1
    time = t0 + seq
    actor = "uid:1000"
    data = b"\n".join([prev.encode(), str(seq).encode(), str(time).encode(), field(actor), field(kind), field(body)])
    prev = hashlib.sha256(data).hexdigest()
    batch.append((seq, time, actor, kind, body, prev))
    if len(batch) == 50000:
        db.executemany("INSERT INTO journal (seq, time, actor, kind, body, hash) VALUES (?,?,?,?,?,?)", batch)
        db.commit(); batch.clear()
for kind, d in events: emit(kind, body_of(d))
for i in range(n - 3):
    emit("minimum.set", body_of({"warehouse": "taiyuan-central-depot-01", "sku": "water-bottled-5l", "qty": 1 + i % 5000}))
if batch:
    db.executemany("INSERT INTO journal (seq, time, actor, kind, body, hash) VALUES (?,?,?,?,?,?)", batch)
    db.commit()
print(seq, prev)
