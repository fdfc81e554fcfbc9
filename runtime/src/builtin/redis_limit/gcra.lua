-- GCRA on one key, atomically (a script runs alone on the server).
-- KEYS[1]: the bucket. ARGV[1]: microseconds one request takes to replenish
-- (the emission interval). ARGV[2]: the burst.
-- Time is the server's (TIME), so instances with skewed clocks agree.
-- Returns {allowed (1|0), remaining or retry-after in us, reset in us}.
local emission = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then
  tat = now
end
local tolerance = emission * burst
local new_tat = tat + emission
local allow_at = new_tat - tolerance
if now < allow_at then
  return {0, allow_at - now, tat - now}
end
-- The key lives as long as it matters: until the bucket is full again.
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now) / 1000) + 1)
return {1, math.floor((tolerance - (new_tat - now)) / emission), new_tat - now}
