-- The reference: bench/create_await.lua (create-and-await of `sleep 0`) with each answer's state
-- checked too, so the three create-and-await scenarios are measured and verified alike.
scenario_name = "sleep0_await"
expected_status = 201
check_state = true
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "../create_await.lua")
scenario_name = "sleep0_await"
check_state = true
dofile(dir .. "outbound.lua")
