-- Stores one entry of a RedisCache, unless it is stale on arrival.
-- KEYS[1]: the entry. KEYS[2]: the cache's epoch counter. KEYS[3]: the mark
-- of `invalidate_all`. ARGV[1]: the prefix of the tags' marks. ARGV[2]: the
-- TTL in ms. ARGV[3]: the epoch read before the value was computed (-1: the
-- current one). ARGV[4]: the value. ARGV[5..]: its tags.
-- Returns 1 when stored, 0 when a mark newer than that epoch says the data
-- the value was computed from changed meanwhile (see read.lua for the layout).
local function mark(key)
  local v = redis.pcall('GET', key)
  if type(v) ~= 'string' then
    return 0
  end
  return tonumber(v) or 0
end
local born = tonumber(ARGV[3])
if born < 0 then
  born = mark(KEYS[2])
end
if mark(KEYS[3]) > born then
  return 0
end
local header = {born}
for i = 5, #ARGV do
  if mark(ARGV[1] .. ARGV[i]) > born then
    return 0
  end
  header[#header + 1] = ARGV[i]
end
redis.call('SET', KEYS[1], cjson.encode(header) .. '\n' .. ARGV[4], 'PX', ARGV[2])
return 1
