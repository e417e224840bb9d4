-- wrk script: an authenticated GET. The bearer token comes from SW_BENCH_TOKEN, so the
-- token never appears on a command line. Used by bench/http_bench.sh.
local token = os.getenv("SW_BENCH_TOKEN")
if token == nil or token == "" then
  error("auth_get.lua: set SW_BENCH_TOKEN to an access token")
end
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Accept"] = "application/json"
