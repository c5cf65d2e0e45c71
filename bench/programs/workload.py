# The python3 program of hakmem-programs: dicts, lists, strings and JSON,
# deterministic (run with PYTHONHASHSEED=0) so every allocator prints the same.
import json


def build(n):
    rows = []
    for i in range(n):
        rows.append({"id": i, "name": "item-%06d" % ((i * 7919) % 1000003),
                     "tags": ["t%d" % (i % 7), "u%d" % (i % 13)],
                     "score": (i * 37) % 1000 / 8.0, "children": list(range(i % 9))})
    return rows


def main():
    rows = build(50000)
    text = json.dumps(rows)
    back = json.loads(text)
    index = {}
    for r in back:
        for t in r["tags"]:
            index.setdefault(t, []).append(r["id"])
    by_name = {r["name"]: r for r in back}
    words = {}
    for r in back:
        for part in r["name"].split("-"):
            words[part] = words.get(part, 0) + 1
    top = sorted(index.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:5]
    total = sum(r["score"] for r in back)
    nested = [[x * 2 for x in r["children"]] for r in back if r["id"] % 3 == 0]
    joined = ",".join(sorted(by_name)[:1000])
    again = json.loads(json.dumps(index, sort_keys=True))
    print(len(text), len(by_name), len(words), [(k, len(v)) for k, v in top])
    print(total, sum(len(x) for x in nested), len(joined), sum(len(v) for v in again.values()))


main()
