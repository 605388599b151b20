-- wrk script: each request signs in as one of the shoppers whose access tokens are in
-- tokens.txt (one a line), in turn, and asks for a page of their job board.
local tokens = {}
for line in io.lines(os.getenv("TOKENS") or "tokens.txt") do
  tokens[#tokens + 1] = line
end
local i = 0
request = function()
  i = i + 1
  local token = tokens[(i % #tokens) + 1]
  local sort = (i % 2 == 0) and "distance" or "date"
  return wrk.format("GET", "/api/v1/me/jobs?sort=" .. sort, { ["Authorization"] = "Bearer " .. token })
end
done = function(summary, latency, requests)
  io.write(string.format("requests %d, errors %d (status %d)\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout,
    summary.errors.status))
  for _, p in ipairs({ 50, 90, 99, 99.9 }) do
    io.write(string.format("p%s %.2f ms\n", p, latency:percentile(p) / 1000))
  end
end
