# The python-threads program of hakmem-programs: a threaded service's hand-off. A producer
# thread builds small records (a dict, its strings, a list and a tuple) and puts them on a
# bounded queue.Queue; a consumer thread takes each, folds it into a checksum and drops it.
# Run with PYTHONMALLOC=malloc, every record is malloc'd by one thread and freed by the
# other. Deterministic (PYTHONHASHSEED=0), so every allocator prints the same.
import queue
import threading

RECORDS = 300000
q = queue.Queue(maxsize=1024)
result = {}


def producer():
    for i in range(RECORDS):
        q.put({"id": i, "name": "req-%06d" % ((i * 7919) % 1000003),
               "tags": ["t%d" % (i % 7), "u%d" % (i % 13)], "span": (i, i % 97)})
    q.put(None)


def consumer():
    total, names = 0, 0
    while True:
        r = q.get()
        if r is None:
            break
        total += r["id"] + len(r["tags"]) + r["span"][1]
        names += len(r["name"])
    result["total"], result["names"] = total, names


threads = [threading.Thread(target=producer), threading.Thread(target=consumer)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(result["total"], result["names"])
