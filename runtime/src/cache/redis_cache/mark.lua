-- Invalidates a tag (or, with the mark of `invalidate_all`, every entry) of a
-- RedisCache: moves the epoch on and records it as the mark, so every entry
-- begun before now reads as stale, on every instance.
-- KEYS[1]: the cache's epoch counter. KEYS[2]: the mark. ARGV[1]: how long
-- the mark lives, in ms (longer than any entry it can make stale).
local epoch = redis.call('INCR', KEYS[1])
redis.call('SET', KEYS[2], epoch, 'PX', ARGV[1])
return epoch
