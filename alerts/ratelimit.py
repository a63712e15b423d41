"""A token bucket per channel in Redis, shared by every worker, for the campaign (bulk) lane.

The bucket holds one second's worth of tokens. `take` grants what is there (maybe fewer than
asked) and, when it grants nothing, says how long to wait: the dispatcher waits, it never fails a
message because of the limit. Redis keeps the clock (TIME) so workers on different hosts agree.
"""

import logging
import threading

import redis

from . import conf

logger = logging.getLogger(__name__)

_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local granted = math.min(want, math.floor(tokens))
tokens = tokens - granted
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], 3600)
local wait = 0
if granted == 0 then wait = (1 - tokens) / rate end
return {granted, tostring(wait)}
"""

_lock = threading.Lock()
_clients: dict[str, redis.Redis] = {}


def client_for(url: str) -> redis.Redis:
    with _lock:
        if url not in _clients:
            _clients[url] = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        return _clients[url]


def take(channel: str, want: int) -> tuple[int, float]:
    """Take up to `want` tokens for a channel. Returns (granted, seconds to wait if none)."""
    rate = conf.rate_per_second(channel)
    url = conf.redis_url()
    if rate <= 0 or not url:
        # Embedded (no Redis) or limit switched off.
        return want, 0.0
    try:
        granted, wait = client_for(url).eval(
            _SCRIPT, 1, f"alerts:bucket:{channel}", rate, max(1.0, rate), want
        )
    except redis.RedisError:
        logger.warning("alerts rate limiter unavailable: channel=%s", channel)
        return 0, 1.0
    return int(granted), float(wait)


def once_per(key: str, seconds: float) -> bool:
    """True for the first caller in each window (used to avoid a flood of dispatcher kicks)."""
    url = conf.redis_url()
    if not url:
        return True
    try:
        return bool(client_for(url).set(f"alerts:once:{key}", "1", nx=True, px=int(seconds * 1000)))
    except redis.RedisError:
        return True
