-- Shared by the outbound scenario scripts (loaded with dofile after they set scenario_name,
-- expected_status and wrk.*). Loads bench/common.lua (counts by status, the RESULT line) and, when
-- the scenario sets check_state = true (create-and-await), also reads each expected answer's task
-- state: done() prints one "STATE succeeded=N other=M" line and one sample answer that was not
-- "succeeded", if any. bench/outbound/run.sh parses both lines.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "../common.lua")

local threads = {}
local common_setup, common_init, common_response, common_done = setup, init, response, done

function setup(thread)
  table.insert(threads, thread)
  common_setup(thread)
end

function init(args)
  common_init(args)
  nsucceeded, nnotsucceeded, notsucceeded_sample = 0, 0, nil
end

function response(status, headers, body)
  common_response(status, headers, body)
  if check_state and status == expected_status then
    if body and body:find('"state":"succeeded"', 1, true) then
      nsucceeded = nsucceeded + 1
    else
      nnotsucceeded = nnotsucceeded + 1
      if notsucceeded_sample == nil then notsucceeded_sample = body and body:sub(1, 400) or "(no body)" end
    end
  end
end

function done(summary, latency, requests)
  common_done(summary, latency, requests)
  if not check_state then return end
  local ok, other, sample = 0, 0, nil
  for _, thread in ipairs(threads) do
    ok = ok + (thread:get("nsucceeded") or 0)
    other = other + (thread:get("nnotsucceeded") or 0)
    sample = sample or thread:get("notsucceeded_sample")
  end
  io.write(string.format("STATE succeeded=%d other=%d\n", ok, other))
  if sample then io.write("not succeeded, e.g.: " .. sample .. "\n") end
end

-- The URL of the trivial HTTP server (bench/EchoServer.java) the http tasks call, from run.sh.
function outbound_target()
  local url = os.getenv("OUTBOUND_TARGET")
  if url == nil or url == "" then
    error("set OUTBOUND_TARGET to the echo server's URL, e.g. http://127.0.0.1:38917/")
  end
  return url
end
