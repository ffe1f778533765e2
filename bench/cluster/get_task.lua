-- Read one finished task: GET /v1/tasks/$CHILD, 200. Sent to a node that owns it or to one that
-- does not (one cross-node event-bus round trip per request).
local child = os.getenv("CHILD") or error("set CHILD to the id of a finished task")
scenario_name = os.getenv("SCENARIO") or "get"
expected_status = 200
expected_body = '"state":"succeeded"'
wrk.method = "GET"
wrk.path = "/v1/tasks/" .. child
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")
