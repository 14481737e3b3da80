-- wrk script for bench/run.py. Mode by environment:
--   BENCH_MODE=get   the URL given to wrk (BENCH_COOKIE optional)
--   BENCH_MODE=list  a random line of the file BENCH_URLS per request (pre-collected by walking
--                    the list's own 下一页 links, so valid for page=N and keyset cursors alike)
--   BENCH_MODE=post  POST /crm/customers/<random id in BENCH_CID_MIN..MAX>/contacts with the
--                    session's CSRF token (BENCH_CSRF) and a fresh random _idem per request
-- done() prints one machine-readable line: JSON {...}
local mode = os.getenv("BENCH_MODE") or "get"
local cookie = os.getenv("BENCH_COOKIE")
local headers = {}
if cookie and cookie ~= "" then headers["Cookie"] = cookie end
local urls = {}
local counter = 0

if mode == "list" then
  for line in io.lines(os.getenv("BENCH_URLS")) do
    if line ~= "" then urls[#urls + 1] = line end
  end
end

local cid_min = tonumber(os.getenv("BENCH_CID_MIN") or "2")
local cid_max = tonumber(os.getenv("BENCH_CID_MAX") or "2")
local csrf = os.getenv("BENCH_CSRF") or ""
local date = os.getenv("BENCH_DATE") or "2000-01-01"
-- 张经理 / 上门拜访，介绍新产品 & 报价，客户反馈良好
local fixed = "&kind=visit&contact_date=" .. date ..
  "&person=%E5%BC%A0%E7%BB%8F%E7%90%86" ..
  "&summary=%E4%B8%8A%E9%97%A8%E6%8B%9C%E8%AE%BF%EF%BC%8C%E4%BB%8B%E7%BB%8D%E6%96%B0%E4%BA%A7%E5%93%81+%26+%E6%8A%A5%E4%BB%B7%EF%BC%8C%E5%AE%A2%E6%88%B7%E5%8F%8D%E9%A6%88%E8%89%AF%E5%A5%BD"
local post_headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
if cookie and cookie ~= "" then post_headers["Cookie"] = cookie end

local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  threads[#threads + 1] = thread
end

function init(args)
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
end

function request()
  if mode == "list" then
    return wrk.format("GET", urls[math.random(#urls)], headers)
  elseif mode == "post" then
    counter = counter + 1
    local idem = string.format("%08x%08x%08x%08x", math.random(0, 0x7fffffff), math.random(0, 0x7fffffff),
                               (tid or 0) * 0x10000 + (counter % 0x10000), math.random(0, 0x7fffffff))
    local path = "/crm/customers/" .. math.random(cid_min, cid_max) .. "/contacts"
    return wrk.format("POST", path, post_headers, "_csrf=" .. csrf .. "&_idem=" .. idem .. fixed)
  end
  return wrk.format(nil, nil, headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"mean_us":%.1f,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
