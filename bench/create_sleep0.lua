-- (a) create `sleep 0`: POST /v1/tasks, taskloop answers 201 at once (the task is still running).
scenario_name = "create_sleep0"
expected_status = 201
wrk.method = "POST"
wrk.path = "/v1/tasks"
wrk.body = '{"type":"sleep","delay_ms":0}'
wrk.headers["Content-Type"] = "application/json"
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")
