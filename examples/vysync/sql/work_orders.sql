-- The seed's Supabase `work_orders` table: one row per Yuman work order the ticket flow
-- touches, written by the `work_orders` pipeline (upserts on `workorder_id`). Run once in
-- Supabase's SQL editor (or psql) when the table does not exist yet, after mapping_tables.sql.
CREATE TABLE IF NOT EXISTS work_orders (
    id SERIAL PRIMARY KEY,
    workorder_id BIGINT UNIQUE,             -- Yuman's id (Ferry's key)
    workorder_number TEXT,
    vcom_system_key TEXT,                   -- the site, by its VCOM key
    yuman_site_id BIGINT,
    status TEXT,                            -- Yuman's (Open, Scheduled, In progress, Closed), or Deleted
    title TEXT,
    description TEXT,
    date_planned DATE,
    technician TEXT,
    vcom_ticket_ids JSONB,                  -- the VCOM tickets attached to it
    wo_history JSONB NOT NULL DEFAULT '[]', -- [{at, change}]: status, planned date and technician changes
    created_at TIMESTAMPTZ DEFAULT NOW()
);
