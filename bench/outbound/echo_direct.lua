-- The ceiling of the http tasks: wrk sends the http task's own request (POST / {"n":1},
-- Content-Type application/json) straight to the same echo server; it answers 200 {"n":1}.
scenario_name = "echo_direct"
expected_status = 200
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "outbound.lua")
wrk.method = "POST"
wrk.path = "/"
wrk.body = '{"n":1}'
wrk.headers["Content-Type"] = "application/json"
