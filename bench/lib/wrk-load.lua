-- wrk's script for bench/lib/load.mjs. The requests come from a file (the argument after `--`),
-- one a line: METHOD <tab> PATH <tab> TOKEN <tab> BODY; they are sent in order, wrapping at
-- the end. The response callback counts X-Cache: HIT / MISS; done() prints one JSON line.
sent, hits, misses = 0, 0, 0
local list = {}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    local method, path, token, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    local headers = {}
    if token ~= "" then headers["Authorization"] = "Bearer " .. token end
    if body ~= "" then headers["Content-Type"] = "application/json" else body = nil end
    list[#list + 1] = wrk.format(method, path, headers, body)
  end
end

function request()
  sent = sent + 1
  return list[(sent - 1) % #list + 1]
end

function response(status, headers, body)
  local cache = headers["x-cache"] or headers["X-Cache"]
  if cache == "HIT" then hits = hits + 1 elseif cache == "MISS" then misses = misses + 1 end
end

function done(summary, latency, _)
  local total = { sent = 0, hits = 0, misses = 0 }
  for _, thread in ipairs(threads) do
    for key in pairs(total) do total[key] = total[key] + thread:get(key) end
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"durationUs":%d,"p50":%.3f,"p99":%.3f,"max":%.3f,' ..
    '"errors":%d,"non2xx":%d,"sent":%d,"hits":%d,"misses":%d}\n',
    summary.requests, summary.duration, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    e.connect + e.read + e.write + e.timeout, e.status, total.sent, total.hits, total.misses))
end
