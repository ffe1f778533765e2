-- http task, fire-and-forget: the same POST /v1/tasks as http_await.lua without Prefer; taskloop
-- answers 201 at once, while the outbound request is still to be made.
scenario_name = "http_create"
expected_status = 201
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "outbound.lua")
wrk.method = "POST"
wrk.path = "/v1/tasks"
wrk.body = '{"type":"http","request":{"method":"POST","url":"' .. outbound_target() .. '","body":{"n":1}}}'
wrk.headers["Content-Type"] = "application/json"
