-- An interpreter's work: every table, string and closure from the allocator (lua's own
-- allocator is realloc and free). Trees built and dropped, strings made and joined, a
-- symbol table filled, sorted and emptied.
local function tree(d)
  if d == 0 then return {} end
  return {tree(d - 1), tree(d - 1)}
end
local function check(t)
  if not t[1] then return 1 end
  return 1 + check(t[1]) + check(t[2])
end
local total = 0
local long = tree(12)
for d = 4, 14, 2 do
  local n = 1 << (16 - d)
  for _ = 1, n do total = total + check(tree(d)) end
end
print("trees", total, check(long))

local words, sum = {}, 0
for i = 1, 20000 do
  local w = string.format("w%x_%d", (i * 2654435761) % 65521, i % 97)
  words[w] = (words[w] or 0) + 1
  sum = sum + #w
end
local keys = {}
for k in pairs(words) do keys[#keys + 1] = k end
table.sort(keys)
print("symbols", #keys, sum, keys[1], keys[#keys])

local parts, lines = {}, 0
for i = 1, 20000 do
  local row = {}
  for j = 1, 8 do row[j] = tostring(i * j) end
  parts[#parts + 1] = table.concat(row, ",")
  if #parts == 1000 then
    local s = table.concat(parts, "\n")
    lines = lines + select(2, s:gsub("\n", "\n")) + 1
    parts = {}
  end
end
print("rows", lines)

local acc = 0
for i = 1, 100000 do
  local f = function(x) return x + i end
  local t = {i, i + 1, f}
  acc = (acc + t[3](t[1]) + #tostring(t[2])) % 1000000007
end
print("closures", acc)
