/**
 * The router's logic, in Lua inside nginx (the way ingress-nginx avoids reloads). Two tables in
 * shared memory say what to do with a request: the routes (host name → app, and per app the
 * maintenance flag and whitelist) and the backends (app → its ready processes). The core replaces
 * them over a local endpoint, so no change of processes, domains or settings ever reloads nginx,
 * and no client's keep-alive connection is ever closed by a change. Both tables are also written to
 * files and read back when nginx starts, so a restarted router (a dockerd restart) routes as before
 * without the core. In-flight requests are counted per process, so the core knows when a process
 * taken out of rotation has answered its last request.
 */

/** Written by nginx workers (user www-data), read back by the master when nginx starts. */
export const STATE_DIR = '/var/lib/deis-router';

export const ROUTER_LUA = `-- Deis Desktop router (written by the core; see cluster/docker/router/lua.ts).
local balancer = require("ngx.balancer")
local routes = ngx.shared.deis_routes
local backends = ngx.shared.deis_backends
local inflight = ngx.shared.deis_inflight
local certs = ngx.shared.deis_certs
local flags = ngx.shared.deis_flags
local DIR = "${STATE_DIR}"
local M = {}
local turn = {}

-- A table's text: one "key value..." line per entry.
local function parse_line(line)
  return line:match("^(%S+)%s*(.-)%s*$")
end

local function replace(dict, body)
  local seen = {}
  for line in body:gmatch("[^\\n]+") do
    local key, value = parse_line(line)
    if key then
      dict:set(key, value)
      seen[key] = true
    end
  end
  for _, key in ipairs(dict:get_keys(0)) do
    if not seen[key] then dict:delete(key) end
  end
end

local function read(name)
  local f = io.open(DIR .. "/" .. name, "r")
  if not f then return "" end
  local body = f:read("*a")
  f:close()
  return body
end

local function write(name, body)
  local f = io.open(DIR .. "/" .. name .. ".tmp", "w")
  if not f then return end
  f:write(body)
  f:close()
  os.rename(DIR .. "/" .. name .. ".tmp", DIR .. "/" .. name)
end

-- init_by_lua: the tables as they were before nginx (re)started.
function M.load()
  replace(routes, read("routes.txt"))
  replace(backends, read("backends.txt"))
  if certs then replace(certs, read("certs.txt")) end
end

-- Parsed lists are kept per worker until the table's text for the app changes.
local parsed = {}
local function peers_of(app)
  local v = backends:get(app)
  if not v or v == "" then return nil end
  local cached = parsed[app]
  if cached and cached.text == v then return cached.list end
  local list = {}
  for p in v:gmatch("%S+") do list[#list + 1] = p end
  parsed[app] = { text = v, list = list }
  return list
end

-- Addresses as byte lists (4 for IPv4, 16 for IPv6), to compare network prefixes.
local function v4(ip)
  local a, b, c, d = ip:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  if not a then return nil end
  return { tonumber(a), tonumber(b), tonumber(c), tonumber(d) }
end

local function v6(ip)
  if not ip:find(":", 1, true) then return nil end
  local function groups_of(s)
    local t = {}
    if s == "" then return t end
    for g in s:gmatch("[^:]+") do t[#t + 1] = tonumber(g, 16) or -1 end
    return t
  end
  local groups
  local head, tail = ip:match("^(.-)::(.*)$")
  if head then
    local h, t = groups_of(head), groups_of(tail)
    groups = h
    for _ = 1, 8 - #h - #t do groups[#groups + 1] = 0 end
    for _, g in ipairs(t) do groups[#groups + 1] = g end
  else
    groups = groups_of(ip)
  end
  if #groups ~= 8 then return nil end
  local bytes = {}
  for _, g in ipairs(groups) do
    if g < 0 then return nil end
    bytes[#bytes + 1] = math.floor(g / 256)
    bytes[#bytes + 1] = g % 256
  end
  return bytes
end

local function in_network(addr, network)
  local net, bits = network:match("^(.-)/(%d+)$")
  net = net or network
  local a = v4(addr) or v6(addr)
  local n = v4(net) or v6(net)
  if not a or not n or #a ~= #n then return false end
  bits = tonumber(bits) or #a * 8
  for i = 1, #a do
    local take = math.min(8, math.max(0, bits - (i - 1) * 8))
    if take == 0 then return true end
    local unit = 2 ^ (8 - take)
    if math.floor(a[i] / unit) ~= math.floor(n[i] / unit) then return false end
  end
  return true
end

local function allowed(addr, list)
  for network in list:gmatch("[^,]+") do
    if in_network(addr, network) then return true end
  end
  return false
end

-- A table's entry for a host name: the exact name, else the nearest "*.suffix" wildcard.
local function nearest(dict, host)
  local value = dict:get("host:" .. host)
  local rest = host
  while not value do
    local dot = rest:find(".", 1, true)
    if not dot then return nil end
    rest = rest:sub(dot + 1)
    value = dict:get("host:*." .. rest)
  end
  return value
end

-- The app a host name belongs to.
local function app_of(host)
  return nearest(routes, host)
end

-- access_by_lua: 404 unknown host, 403 outside the whitelist, 301 to HTTPS for tls:enable,
-- 503 maintenance or nothing ready.
-- (In @leaving, with leaving = true: the same checks, on a request whose connection will close.)
function M.route(leaving)
  -- A router about to quit: every answer closes its connection (the request goes on in @leaving, where
  -- keep-alive is off), so clients move to the next router before this one closes idle connections.
  if not leaving and flags and flags:get("leaving") then return ngx.exec("@leaving") end
  local app = app_of(ngx.var.host)
  if not app then return ngx.exec("@unknown") end
  local maintenance, whitelist, https_only =
    (routes:get("app:" .. app) or "0 - 0"):match("^(%d) (%S+) ?(%d?)$")
  if whitelist and whitelist ~= "-" and not allowed(ngx.var.remote_addr, whitelist) then
    return ngx.exit(ngx.HTTP_FORBIDDEN)
  end
  if https_only == "1" then
    if ngx.var.scheme == "http" then
      local port = routes:get("tls:port") or "443"
      local suffix = (port == "443" or port == "0") and "" or (":" .. port)
      return ngx.redirect("https://" .. ngx.var.host .. suffix .. ngx.var.request_uri, 301)
    end
    -- HSTS binds every port of the name, so only routers on the standard ports send it.
    ngx.ctx.hsts = routes:get("tls:hsts") == "1"
  end
  if maintenance == "1" then return ngx.exec("@maintenance") end
  if not peers_of(app) then return ngx.exec("@unavailable") end
  ngx.ctx.app = app
end

-- balancer_by_lua: round robin; a retry (connection failed) goes to another process.
function M.balance()
  local ctx = ngx.ctx
  local peers = peers_of(ctx.app or "")
  if not peers then return ngx.exit(503) end
  if not ctx.tried then
    ctx.tried = {}
    if #peers > 1 then balancer.set_more_tries(math.min(#peers - 1, 3)) end
  end
  local n = (turn[ctx.app] or 0) + 1
  turn[ctx.app] = n
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

-- header_filter_by_lua: Strict-Transport-Security for apps that are HTTPS only (see route).
function M.headers()
  if ngx.ctx.hsts then ngx.header["Strict-Transport-Security"] = "max-age=15552000" end
end

-- log_by_lua: the request left its process.
function M.done()
  local peer = ngx.ctx.peer
  if peer then inflight:incr(peer, -1, 0) end
end

-- ssl_certificate_by_lua: the certificate of the name the client asked for (SNI): the exact
-- name, else the nearest "*.suffix" wildcard; an unknown name keeps the fallback certificate.
-- Parsed certificates are kept per worker until the table's text for them changes.
local ssl = require("ngx.ssl")
local parsed_certs, parsed_count = {}, 0

function M.certificate()
  local name = ssl.server_name()
  if not name then return end
  local id = nearest(certs, name:lower())
  if not id then return end
  local cached = parsed_certs[id]
  if not cached then
    local b64 = certs:get("pem:" .. id)
    local pem = b64 and ngx.decode_base64(b64)
    if not pem then return end
    local chain, err = ssl.parse_pem_cert(pem)
    local key, kerr = ssl.parse_pem_priv_key(pem)
    if not chain or not key then
      ngx.log(ngx.ERR, "deis: certificate ", id, " unusable: ", err or kerr)
      return
    end
    cached = { chain = chain, key = key }
    -- Ids name contents, so an entry is never stale; replaced certificates only take room.
    if parsed_count >= 1000 then parsed_certs, parsed_count = {}, 0 end
    parsed_certs[id] = cached
    parsed_count = parsed_count + 1
  end
  ssl.clear_certs()
  local ok, err = ssl.set_cert(cached.chain)
  if ok then ok, err = ssl.set_priv_key(cached.key) end
  if not ok then ngx.log(ngx.ERR, "deis: cannot serve certificate ", id, ": ", err) end
end

-- PUT /routes, /backends and /certs: replace a whole table.
local tables = { routes = routes, backends = backends, certs = certs }
function M.update(name)
  ngx.req.read_body()
  local body = ngx.req.get_body_data()
  if not body then
    -- A body larger than the buffer went to a file.
    local file = ngx.req.get_body_file()
    local f = file and io.open(file, "r")
    body = f and f:read("*a") or ""
    if f then f:close() end
  end
  replace(tables[name], body)
  write(name .. ".txt", body)
  ngx.say("ok")
end

-- PUT /leaving: this router is about to quit (see M.route). Not written to a file: a router that
-- starts again is not leaving.
function M.leave()
  if flags then flags:set("leaving", true) end
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
