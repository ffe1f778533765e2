-- Create-and-await of a composite whose child is an existing, finished task given by id:
-- POST /v1/tasks {"type":"wait_for","task":"$CHILD"} with `Prefer: wait=5`; 201 with the
-- wait_for succeeded. The wait_for is created on the node that receives the request; when
-- $CHILD lives on another node, each request costs two cross-node round trips (the create
-- checks the child exists, then the wait_for watches it).
local child = os.getenv("CHILD") or error("set CHILD to the id of a finished task")
scenario_name = os.getenv("SCENARIO") or "wait_for"
expected_status = 201
expected_body = '"state":"succeeded"'
wrk.method = "POST"
wrk.path = "/v1/tasks"
wrk.body = '{"type":"wait_for","task":"' .. child .. '"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Prefer"] = "wait=5"
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")
