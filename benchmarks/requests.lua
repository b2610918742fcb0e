-- wrk script for benchmarks/api.py: each connection sends the paths listed in a file (one per
-- line, in turn, each thread starting at its own offset) until the thread has sent its share
-- of a bounded number of requests, then stops and leaves the file MARKER<thread number> (wrk
-- itself runs until its duration ends or it gets SIGINT, which the caller sends once every
-- thread left its marker); prints the latency percentiles and counts as JSON.
-- Usage: wrk -t2 -c50 -d600s -s benchmarks/requests.lua URL -- PATHS_FILE REQUESTS_PER_THREAD MARKER

local threads = {}
local paths = {}
local sent, answered, limit, marker = 0, 0, 0, nil

function setup(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    table.insert(paths, line)
  end
  limit = tonumber(args[2])
  marker = args[3]
  offset = tonumber(offset) or 0
end

function request()
  sent = sent + 1
  return wrk.format("GET", paths[(offset * limit + sent - 1) % #paths + 1])
end

function response(status, headers, body)
  answered = answered + 1
  if answered == limit then
    io.open(marker .. offset, "w"):close()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.6f, "p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, "bad_status": %d, ' ..
    '"socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    latency:percentile(99) / 1e3, errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
