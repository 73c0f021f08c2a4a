/**
 * The router's request counters, in Lua inside nginx: after each request (log phase) the app's
 * counters in a shared dict grow: answers by status class, bytes sent and a response-time histogram.
 * The core reads them all at once from the status port (`GET /metrics`) every few seconds and works
 * out the differences itself, so nothing here ever resets or ages. The module is written next to
 * nginx.conf by the core (not baked into the router image), so adding it rebuilt no image.
 */
import { createHash } from 'node:crypto';
import { LATENCY_BOUNDS_MS } from '../../../main/contract/metrics';

/** Where nginx finds the module (lua_package_path is /etc/nginx/lua/?.lua). */
export const METRICS_LUA_PATH = '/etc/nginx/lua/deis_metrics.lua';

export const METRICS_LUA = `-- Deis Desktop router metrics (written by the core; see cluster/docker/router/metrics-lua.ts).
local metrics = ngx.shared.deis_metrics
local routes = ngx.shared.deis_routes
local BOUNDS = { ${LATENCY_BOUNDS_MS.join(', ')} }
local M = {}

-- The app of a host name, as the router's own lookup finds it (exact name, else nearest wildcard).
local function app_of(host)
  local value = routes:get("host:" .. host)
  local rest = host
  while not value do
    local dot = rest:find(".", 1, true)
    if not dot then return nil end
    rest = rest:sub(dot + 1)
    value = routes:get("host:*." .. rest)
  end
  return value
end

-- log_by_lua: count the request for its app. Requests the router answered itself for an app
-- (maintenance, nothing ready, whitelist) count too; unknown hosts and the API do not.
function M.record()
  if not metrics then return end
  local app = ngx.ctx.app
  if not app then
    local host = ngx.var.host
    if not host or host == "" then return end
    app = app_of(host)
    if not app then return end
  end
  local class = math.floor((ngx.status or 0) / 100)
  if class < 2 or class > 5 then return end
  local prefix = app .. " "
  metrics:incr(prefix .. class, 1, 0)
  metrics:incr(prefix .. "b", tonumber(ngx.var.bytes_sent) or 0, 0)
  local ms = (tonumber(ngx.var.request_time) or 0) * 1000
  local i = 1
  while BOUNDS[i] and ms > BOUNDS[i] do i = i + 1 end
  metrics:incr(prefix .. "h" .. i, 1, 0)
end

-- GET /metrics: one line per routed app, "app 2xx 3xx 4xx 5xx bytes h1 ... hN". Counters of apps
-- no longer routed are dropped here, so the dict holds at most the routed apps.
function M.dump()
  local apps = {}
  for _, key in ipairs(metrics:get_keys(0)) do
    local app, field = key:match("^(%S+) (%S+)$")
    if app then
      if routes:get("app:" .. app) == nil then
        metrics:delete(key)
      else
        local row = apps[app]
        if not row then
          row = {}
          apps[app] = row
        end
        row[field] = metrics:get(key) or 0
      end
    end
  end
  local out = {}
  for app, row in pairs(apps) do
    local line = { app, row["2"] or 0, row["3"] or 0, row["4"] or 0, row["5"] or 0, row["b"] or 0 }
    for i = 1, #BOUNDS + 1 do line[#line + 1] = row["h" .. i] or 0 end
    out[#out + 1] = table.concat(line, " ")
  end
  ngx.header.content_type = "text/plain"
  ngx.print(table.concat(out, "\\n"), "\\n")
end

return M
`;

/** Names the module's text in nginx.conf, so a changed module is written and loaded like a changed config. */
export const METRICS_LUA_HASH = createHash('sha256').update(METRICS_LUA).digest('hex').slice(0, 12);
