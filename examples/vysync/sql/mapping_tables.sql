-- The seed's Supabase mapping tables (public.sites_mapping, clients_mapping,
-- equipments_mapping, tickets), with the columns Ferry reads and writes and the seed's unique keys.
-- The seed's tables hold more columns (names, addresses, brands, …): Ferry leaves those as
-- they are, since it writes only the columns below (PostgREST inserts the payload's columns
-- and its upserts update only them). Run once in Supabase's SQL editor (or psql) when the
-- tables do not exist yet; an existing seed database already has them.
CREATE TABLE IF NOT EXISTS clients_mapping (
    id SERIAL PRIMARY KEY,
    code TEXT UNIQUE,                       -- the client's code in Yuman (Ferry's key)
    yuman_client_id BIGINT UNIQUE,
    name TEXT,
    address TEXT,
    created_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS sites_mapping (
    id SERIAL PRIMARY KEY,
    vcom_system_key TEXT UNIQUE,            -- the seed's uniq_system_key
    yuman_site_id BIGINT,
    client_map_id INTEGER REFERENCES clients_mapping (id),
    name TEXT,
    ignore_site BOOLEAN NOT NULL DEFAULT FALSE,  -- set by hand: every pipeline skips the site
    project_number_cp TEXT,                 -- set by hand: Yuman's "Project number" while empty there
    aldi_id TEXT,                           -- set by hand: Yuman's "ALDI ID" while empty there
    aldi_store_id TEXT,                     -- set by hand: Yuman's "ALDI Store ID" while empty there
    created_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS equipments_mapping (
    id SERIAL PRIMARY KEY,
    serial_number TEXT UNIQUE,              -- the seed upserts on_conflict=serial_number
    yuman_material_id BIGINT,
    category_id INTEGER,                    -- 11382 SIM, 11441 central, 11103 modules, 11102 inverter, 12404 string
    eq_type TEXT,
    vcom_system_key TEXT,
    name TEXT,
    brand TEXT,
    model TEXT,
    is_obsolete BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS tickets (
    id SERIAL PRIMARY KEY,
    vcom_ticket_id TEXT UNIQUE,             -- the seed upserts on_conflict=vcom_ticket_id
    yuman_workorder_id BIGINT,              -- the work order the ticket is attached to
    vcom_system_key TEXT,
    status TEXT,
    priority TEXT,
    created_at TIMESTAMPTZ DEFAULT NOW()
);
