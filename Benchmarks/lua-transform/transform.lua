-- The 10 steps of ferry-bench's expression chain (Benchmarks/FerryBench/TransformBenchmark.swift),
-- as a Lua transform function would write them (Fluent Bit's filter_lua style): the Gazelle
-- company-name fallback and validation, the date/time split, nodes[0], sums over jobs, rounding,
-- a value map, a regex-like replace and a select. Lua numbers are doubles: no exact decimals.

local function trim(s)
  if type(s) ~= "string" then return nil end
  return (s:match("^%s*(.-)%s*$"))
end

local function empty(s) return s == nil or s == "" end

local statuses = { A = "active", I = "inactive" }

function identity(r) return r end

function transform(r)
  local name = trim(r.companyName)
  if empty(name) then
    local c = r.contact or {}
    name = trim((trim(c.firstName) or "") .. " " .. (trim(c.lastName) or ""))
  end
  if empty(name) then return nil, "company name missing" end
  local date, time = nil, nil
  if type(r.start) == "string" then date, time = r.start:match("^(%d%d%d%d%-%d%d%-%d%d)T(%d%d:%d%d:%d%d)") end
  local piano = r.pianos and r.pianos.nodes and r.pianos.nodes[1] and r.pianos.nodes[1].piano
  local total, hours = 0, 0
  for _, job in ipairs(r.jobs or {}) do
    total = total + (job.total or 0)
    for _, labor in ipairs(job.labor or {}) do hours = hours + (labor.hours or 0) end
  end
  local margin, gross = r.margin, nil
  if type(margin) == "number" and margin == margin then gross = math.floor(margin * 10000 + 0.5) / 100 end
  return {
    id = r.id, company_name = name, appointment_date = date, appointment_time = time,
    piano_id = piano and piano.id, total_cents = total, gross_profit_pct = gross,
    labor_cost_cents = math.floor(r.hourlyRate * hours + 0.5),
    status = statuses[r.status] or "unknown",
    phone = ((r.phone or ""):gsub("[^0-9+]", "")),
  }
end
