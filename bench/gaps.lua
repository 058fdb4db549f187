-- wrk -s bench/gaps.lua URL [-- MS]: prints every gap of more than MS (default 3) milliseconds between
-- two responses on one wrk thread, with the moment the gap ended in milliseconds of CLOCK_MONOTONIC:
-- the clock `perf sched record -k CLOCK_MONOTONIC` stamps its events with, so that bench/gap-cpu.py can
-- say what the machine's cores ran during each gap. (wrk's LuaJIT has the FFI this needs.)
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } timespec;
int clock_gettime(int clock, timespec *ts);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("timespec")
local threshold = 3
local last

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

function init(args)
  threshold = tonumber(args[1]) or threshold
end

function response(status, headers, body)
  local t = now_ms()
  if last and t - last > threshold then
    io.write(string.format("gap %.1f ms at %.1f\n", t - last, t))
  end
  last = t
end
