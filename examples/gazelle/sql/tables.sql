-- The Supabase tables the seed wrote to (public.gazelle_*), as its README created them:
-- a surrogate id, the Gazelle id in external_id (the upsert key), foreign keys from
-- children to their parents by external id. Ferry writes into them; it creates nothing.
-- Run once in Supabase's SQL editor (or psql) before the first `ferry run`.
CREATE TABLE IF NOT EXISTS gazelle_clients (
    id SERIAL PRIMARY KEY,
    external_id TEXT UNIQUE NOT NULL,
    company_name TEXT NOT NULL,
    first_name TEXT,
    last_name TEXT,
    status TEXT DEFAULT 'active',
    tags TEXT[],
    email TEXT,
    phone TEXT,
    city TEXT,
    postal_code TEXT,
    personal_notes TEXT,
    preference_notes TEXT,
    locale TEXT,
    created_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS gazelle_contacts (
    id SERIAL PRIMARY KEY,
    external_id TEXT UNIQUE NOT NULL,
    client_external_id TEXT NOT NULL REFERENCES gazelle_clients (external_id),
    first_name TEXT,
    last_name TEXT,
    title TEXT,
    email TEXT,
    phone TEXT,
    street TEXT,
    city TEXT,
    postal_code TEXT,
    region TEXT
);

CREATE TABLE IF NOT EXISTS gazelle_pianos (
    id SERIAL PRIMARY KEY,
    external_id TEXT UNIQUE NOT NULL,
    client_external_id TEXT REFERENCES gazelle_clients (external_id),
    make TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    serial_number TEXT,
    type TEXT NOT NULL DEFAULT 'upright',
    year INTEGER,
    location TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS gazelle_appointments (
    id SERIAL PRIMARY KEY,
    external_id TEXT UNIQUE NOT NULL,
    client_external_id TEXT REFERENCES gazelle_clients (external_id),
    piano_id TEXT REFERENCES gazelle_pianos (external_id),
    title TEXT,
    appointment_date DATE,
    appointment_time TIME,
    duration INTEGER,
    status TEXT DEFAULT 'scheduled',
    technicien TEXT,
    notes TEXT,
    created_at TIMESTAMPTZ
);

CREATE TABLE IF NOT EXISTS gazelle_timeline_entries (
    id SERIAL PRIMARY KEY,
    external_id TEXT UNIQUE NOT NULL,
    client_id TEXT,
    piano_id TEXT,
    invoice_id TEXT,
    estimate_id TEXT,
    user_id TEXT,
    occurred_at TIMESTAMPTZ,
    entry_type TEXT,
    title TEXT,
    description TEXT
);
