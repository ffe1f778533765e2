-- http task, create-and-await: POST /v1/tasks with `Prefer: wait=5`; taskloop answers 201 once
-- its POST {"n":1} to OUTBOUND_TARGET (bench/EchoServer.java) came back, so every answer is
-- a whole task. Each answer's state is checked (STATE line).
scenario_name = "http_await"
expected_status = 201
check_state = true
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "outbound.lua")
wrk.method = "POST"
wrk.path = "/v1/tasks"
wrk.body = '{"type":"http","request":{"method":"POST","url":"' .. outbound_target() .. '","body":{"n":1}}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Prefer"] = "wait=5"
