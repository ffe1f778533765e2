-- (c) gather of 10 inline `sleep 0`: POST /v1/gather, taskloop answers 200 when all 10 finished.
scenario_name = "gather10"
expected_status = 200
wrk.method = "POST"
wrk.path = "/v1/gather"
local child = '{"type":"sleep","delay_ms":0}'
local children = {}
for i = 1, 10 do children[i] = child end
wrk.body = '{"tasks":[' .. table.concat(children, ",") .. ']}'
wrk.headers["Content-Type"] = "application/json"
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")
