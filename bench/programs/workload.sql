-- The sqlite3 program of hakmem-programs: an in-memory database built, indexed,
-- queried, updated and shrunk, deterministic so every allocator prints the same.
PRAGMA cache_size = -262144;
CREATE TABLE item(id INTEGER PRIMARY KEY, k INTEGER, grp INTEGER, name TEXT, v REAL);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 120000)
INSERT INTO item(k, grp, name, v)
  SELECT (x * 2654435761) % 1000003, x % 97, printf('item-%07d-%s', (x * 7919) % 999983, substr('abcdefghijklmnop', 1 + x % 16)),
         (x % 1000) * 0.25
  FROM c;
CREATE INDEX item_k ON item(k);
CREATE INDEX item_name ON item(name);
CREATE INDEX item_grp_v ON item(grp, v);
SELECT grp, count(*), sum(v), min(name), max(name) FROM item GROUP BY grp ORDER BY sum(v) DESC LIMIT 5;
SELECT count(*) FROM item a JOIN item b ON a.k = b.k AND a.id < b.id;
SELECT count(*), sum(length(name)) FROM item WHERE name LIKE 'item-00%';
SELECT group_concat(name, ',') FROM (SELECT name FROM item WHERE k BETWEEN 5000 AND 9000 ORDER BY name LIMIT 40);
UPDATE item SET name = name || '-' || grp WHERE k % 3 = 0;
DELETE FROM item WHERE k % 5 = 0;
CREATE TABLE agg AS SELECT grp, count(*) AS n, avg(v) AS mean, group_concat(substr(name, 6, 4), '') AS s
  FROM item GROUP BY grp;
SELECT grp, n, round(mean, 4), length(s) FROM agg ORDER BY n DESC, grp LIMIT 10;
SELECT count(DISTINCT substr(name, 1, 9)), count(*), sum(k % 1000) FROM item;
SELECT name FROM item ORDER BY name DESC LIMIT 3;
