-- Reads one entry of a RedisCache and decides whether it is still fresh.
-- KEYS[1]: the entry. KEYS[2]: the cache's epoch counter. KEYS[3]: the mark
-- of `invalidate_all`. ARGV[1]: the prefix of the tags' marks.
-- An entry is `<header>\n<value>`: the header a JSON array of the epoch at
-- which the value began being computed, then its tags. It is fresh while no
-- mark (of `invalidate_all` or of one of its tags) is newer than that epoch.
-- Anything else under the key (another type, no header) is a miss.
-- Returns {1, epoch, value} for a fresh entry, else {0, epoch}: the current
-- epoch, which the caller records before computing the value.
local function mark(key)
  local v = redis.pcall('GET', key)
  if type(v) ~= 'string' then
    return 0
  end
  return tonumber(v) or 0
end
local epoch = mark(KEYS[2])
local raw = redis.pcall('GET', KEYS[1])
if type(raw) ~= 'string' then
  return {0, epoch}
end
local nl = string.find(raw, '\n', 1, true)
if not nl then
  return {0, epoch}
end
local ok, header = pcall(cjson.decode, string.sub(raw, 1, nl - 1))
if not ok or type(header) ~= 'table' or type(header[1]) ~= 'number' then
  return {0, epoch}
end
local born = header[1]
if mark(KEYS[3]) > born then
  return {0, epoch}
end
for i = 2, #header do
  if type(header[i]) ~= 'string' or mark(ARGV[1] .. header[i]) > born then
    return {0, epoch}
  end
end
return {1, epoch, string.sub(raw, nl + 1)}
