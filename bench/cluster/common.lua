-- Shared by the cluster wrk scripts (as ../common.lua is by the single-node ones), plus a check of
-- the answer's body: every wrk thread counts responses by status class and the expected-status
-- answers whose body lacks `expected_body` (e.g. a wait_for answered 201 but not finished);
-- done() prints them and one machine-readable RESULT line that bench/cluster/run.sh parses.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  n2xx, n429, n4xx, n5xx, nother, nexpected, nbadbody = 0, 0, 0, 0, 0, 0, 0
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    n2xx = n2xx + 1
    if status == expected_status then
      nexpected = nexpected + 1
      if expected_body and not string.find(body, expected_body, 1, true) then nbadbody = nbadbody + 1 end
    end
  elseif status == 429 then
    n429 = n429 + 1
  elseif status >= 400 and status < 500 then
    n4xx = n4xx + 1
  elseif status >= 500 then
    n5xx = n5xx + 1
  else
    nother = nother + 1
  end
end

function done(summary, latency, requests)
  local t = { n2xx = 0, n429 = 0, n4xx = 0, n5xx = 0, nother = 0, nexpected = 0, nbadbody = 0 }
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do
      t[k] = t[k] + (thread:get(k) or 0)
    end
  end
  local secs = summary.duration / 1e6
  local non2xx = t.n429 + t.n4xx + t.n5xx + t.nother
  local e = summary.errors
  local sockerr = e.connect + e.read + e.write + e.timeout
  io.write(string.format("scenario: %s (expected status %d with %s in the body)\n", scenario_name, expected_status,
    expected_body or "anything"))
  io.write(string.format("responses: 2xx=%d (of which %d=%d, %d without the expected body) non-2xx=%d [429=%d other-4xx=%d 5xx=%d other=%d]\n",
    t.n2xx, expected_status, t.nexpected, t.nbadbody, non2xx, t.n429, t.n4xx, t.n5xx, t.nother))
  io.write(string.format("socket errors: connect=%d read=%d write=%d timeout=%d\n",
    e.connect, e.read, e.write, e.timeout))
  io.write(string.format(
    "RESULT scenario=%s requests=%d duration_s=%.2f rps=%.1f good_rps=%.1f non2xx=%d badbody=%d sockerr=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
    scenario_name, summary.requests, secs, summary.requests / secs, (t.nexpected - t.nbadbody) / secs, non2xx,
    t.nbadbody, sockerr, latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
