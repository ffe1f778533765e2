-- (b) create-and-await: POST /v1/tasks with `Prefer: wait=5`; taskloop answers 201 once the sleep finished.
scenario_name = "create_await"
expected_status = 201
wrk.method = "POST"
wrk.path = "/v1/tasks"
wrk.body = '{"type":"sleep","delay_ms":0}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Prefer"] = "wait=5"
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")
