-- wrk script for bench/http_bench.py. Environment:
--   BENCH_USERS  file with one line per user: token acc1_id acc1_number acc2_id acc2_number
--   BENCH_MODE   health | transfer | mix | batch | bare | bare_ledger
--   BENCH_BATCH  transfers per batch request (batch mode)
--   BENCH_RUN    a run id, so Idempotency-Keys never repeat across runs
local users = {}
local mode = os.getenv("BENCH_MODE") or "transfer"
local batch_size = tonumber(os.getenv("BENCH_BATCH") or "100")
local run_id = os.getenv("BENCH_RUN") or "0"
local counter = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  for line in io.lines(os.getenv("BENCH_USERS")) do
    local token, a1, n1, a2, n2 = line:match("(%S+) (%S+) (%S+) (%S+) (%S+)")
    table.insert(users, {token = token, a1 = a1, n1 = n1, a2 = a2, n2 = n2})
  end
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
end

local function headers(user)
  counter = counter + 1
  return {
    ["Authorization"] = "Bearer " .. user.token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = "bench-" .. run_id .. "-" .. (tid or 0) .. "-" .. counter,
  }
end

local function other(user)
  local peer = users[math.random(#users)]
  if peer == user then peer = users[(math.random(#users) % #users) + 1] end
  return peer
end

local function transfer(user)
  local to
  if math.random() < 0.5 then to = user.n2 else to = other(user).n1 end
  if to == user.n1 then to = user.n2 end
  local body = '{"from_account_id":' .. user.a1 .. ',"to_account_number":"' .. to ..
               '","amount":"0.010","description":"bench"}'
  return wrk.format("POST", "/transactions/transfer", headers(user), body)
end

request = function()
  local user = users[math.random(#users)]
  if mode == "health" then
    return wrk.format("GET", "/health")
  elseif mode == "bare_ledger" then
    local body = '{"from_id":' .. user.a1 .. ',"to_number":"' .. other(user).n1 ..
                 '","amount":"0.010"}'
    return wrk.format("POST", "/transfer-ledger", headers(user), body)
  elseif mode == "bare" then
    local peer = other(user)
    local body = '{"from_id":' .. user.a1 .. ',"to_id":' .. peer.a1 .. ',"amount":"0.010"}'
    return wrk.format("POST", "/transfer", headers(user), body)
  elseif mode == "batch" then
    local items = {}
    for i = 1, batch_size do
      items[i] = '{"to_account_number":"' .. other(user).n2 .. '","amount":"0.010"}'
    end
    local body = '{"from_account_id":' .. user.a1 .. ',"transfers":[' ..
                 table.concat(items, ",") .. ']}'
    return wrk.format("POST", "/transactions/batch", headers(user), body)
  elseif mode == "mix" then
    local roll = math.random()
    if roll < 0.15 then
      return wrk.format("GET", "/accounts/" .. user.a1 .. "/balance", headers(user))
    elseif roll < 0.30 then
      return wrk.format("GET", "/transactions/history?limit=10", headers(user))
    end
  end
  return transfer(user)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,' ..
    '"p50_us":%d,"p95_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
