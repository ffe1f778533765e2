-- eventbus task, create-and-await: POST /v1/tasks with `Prefer: wait=5`; taskloop answers 201
-- once bench/outbound/Consumer.java (another JVM, same Hazelcast cluster) replied on
-- OUTBOUND_ADDRESS (default bench.echo). Each answer's state is checked (STATE line).
scenario_name = "eventbus_await"
expected_status = 201
check_state = true
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "outbound.lua")
local address = os.getenv("OUTBOUND_ADDRESS")
if address == nil or address == "" then address = "bench.echo" end
wrk.method = "POST"
wrk.path = "/v1/tasks"
wrk.body = '{"type":"eventbus","address":"' .. address .. '","body":{"n":1}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Prefer"] = "wait=5"
