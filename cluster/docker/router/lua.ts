/**
 * The router's balancer, in Lua inside nginx (the way ingress-nginx avoids reloads): the processes
 * of each app live in a shared dictionary the core updates over a local endpoint, so replacing
 * processes never reloads nginx and never closes a client's keep-alive connection. The dictionary
 * is also written to a file and read back when nginx starts, so a restarted router (dockerd
 * restart) routes as before without the core. In-flight requests are counted per process, so the
 * core knows when a process taken out of rotation has finished its last request.
 */
/** Written by nginx workers (user www-data), read back by the master when nginx starts. */
export const BACKENDS_FILE = '/var/lib/deis-router/backends.txt';

export const ROUTER_LUA = `-- Deis Desktop router balancer (written by the core; see cluster/docker/router/lua.ts).
local balancer = require("ngx.balancer")
local backends = ngx.shared.deis_backends
local inflight = ngx.shared.deis_inflight
local FILE = "${BACKENDS_FILE}"
local M = {}
local turn = {}

local function parse_line(line)
  return line:match("^(%S+)%s*(.-)%s*$")
end

local function peers_of(app)
  local v = backends:get(app)
  if not v or v == "" then return nil end
  local list = {}
  for p in v:gmatch("%S+") do list[#list + 1] = p end
  return list
end

-- init_by_lua: routes as they were before nginx (re)started.
function M.load()
  local f = io.open(FILE, "r")
  if not f then return end
  for line in f:lines() do
    local app, list = parse_line(line)
    if app then backends:set(app, list) end
  end
  f:close()
end

-- access_by_lua: 503 page when the app has no ready process.
function M.check(app)
  if not peers_of(app) then return ngx.exec("@unavailable") end
end

-- balancer_by_lua: round robin; a retry (connection failed) goes to another process.
function M.balance()
  local app = ngx.var.deis_app
  local peers = peers_of(app)
  if not peers then return ngx.exit(503) end
  local ctx = ngx.ctx
  if not ctx.tried then
    ctx.tried = {}
    if #peers > 1 then balancer.set_more_tries(math.min(#peers - 1, 3)) end
  end
  local n = (turn[app] or 0) + 1
  turn[app] = n
  local peer = peers[(n % #peers) + 1]
  for i = 1, #peers do
    if not ctx.tried[peer] then break end
    peer = peers[((n + i) % #peers) + 1]
  end
  ctx.tried[peer] = true
  if ctx.peer then inflight:incr(ctx.peer, -1, 0) end
  inflight:incr(peer, 1, 0)
  ctx.peer = peer
  local host, port = peer:match("^(.+):(%d+)$")
  local ok, err = balancer.set_current_peer(host, tonumber(port))
  if not ok then ngx.log(ngx.ERR, "deis: cannot use ", peer, ": ", err) end
end

-- log_by_lua: the request left its process.
function M.done()
  local peer = ngx.ctx.peer
  if peer then inflight:incr(peer, -1, 0) end
end

-- PUT /backends with one "app ip:port ..." line per app: replaces every app's processes.
function M.update()
  ngx.req.read_body()
  local body = ngx.req.get_body_data() or ""
  local seen = {}
  for line in body:gmatch("[^\\n]+") do
    local app, list = parse_line(line)
    if app then
      backends:set(app, list)
      seen[app] = true
    end
  end
  for _, app in ipairs(backends:get_keys(0)) do
    if not seen[app] then backends:delete(app) end
  end
  local f = io.open(FILE .. ".tmp", "w")
  if f then
    f:write(body)
    f:close()
    os.rename(FILE .. ".tmp", FILE)
  end
  ngx.say("ok")
end

-- GET /inflight?peers=a,b: requests still being served by these processes.
function M.count()
  local total = 0
  for p in (ngx.var.arg_peers or ""):gmatch("[^,]+") do total = total + (inflight:get(p) or 0) end
  ngx.say(total)
end

return M
`;
