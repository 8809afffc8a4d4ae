-- The Tekmetric warehouse tables, as the seed's migrations (002–010, 014) shaped them:
-- a warehouse UUID per row, the Tekmetric id as tm_id, and one row per (shop_id, tm_id),
-- which is what Ferry's upserts conflict on. Run once before the first `ferry run`:
--   psql "$WAREHOUSE_DSN" -c 'CREATE SCHEMA IF NOT EXISTS tekmetric' \
--        -c 'SET search_path TO tekmetric' -f examples/tekmetric/schema.sql
-- Ferry would create missing tables from the first record's values; declaring them keeps
-- money as bigint cents, hours and percentages as numeric, and dates as timestamptz even
-- when the first record has a null there.

CREATE TABLE IF NOT EXISTS repair_orders (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    shop_id bigint NOT NULL,
    tm_id bigint NOT NULL,
    ro_number bigint,
    status_id integer,
    status_code text,
    status_name text,
    label text,
    customer_tm_id bigint,
    vehicle_tm_id bigint,
    service_writer_tm_id bigint,
    -- The warehouse UUIDs of the rows the Tekmetric ids name, filled by the warehouse
    -- connection's `references` (null while that customer, vehicle or employee is not synced).
    customer_id uuid,
    vehicle_id uuid,
    service_writer_id uuid,
    created_date timestamptz,
    updated_date timestamptz,
    posted_date timestamptz,
    completed_date timestamptz,
    amount_paid_cents bigint,
    balance_due_cents bigint,
    authorized_total_cents bigint,
    authorized_parts_cents bigint,
    authorized_labor_cents bigint,
    authorized_sublet_cents bigint,
    authorized_fees_cents bigint,
    authorized_labor_hours numeric(10, 2),
    potential_total_cents bigint,
    total_profit_cents bigint,
    labor_profit_cents bigint,
    parts_profit_cents bigint,
    gp_percent numeric(7, 2),
    labor_gp_percent numeric(7, 2),
    job_count integer,
    UNIQUE (shop_id, tm_id)
);

CREATE TABLE IF NOT EXISTS jobs (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    shop_id bigint NOT NULL,
    tm_id bigint NOT NULL,
    ro_tm_id bigint NOT NULL,
    repair_order_id uuid REFERENCES repair_orders (id) ON DELETE CASCADE,
    name text,
    authorized boolean,
    declined boolean,
    total_cents bigint,
    subtotal_cents bigint,
    discount_cents bigint,
    tax_cents bigint,
    parts_price_cents bigint,
    parts_cost_cents bigint,
    labor_price_cents bigint,
    labor_hours numeric(10, 2),
    sublet_price_cents bigint,
    fee_price_cents bigint,
    gp_percent numeric(7, 2),
    sort_order integer,
    UNIQUE (shop_id, tm_id)
);

CREATE TABLE IF NOT EXISTS job_parts (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    shop_id bigint NOT NULL,
    tm_id bigint NOT NULL,
    job_tm_id bigint NOT NULL,
    ro_tm_id bigint NOT NULL,
    job_id uuid REFERENCES jobs (id) ON DELETE CASCADE,
    name text,
    part_number text,
    quantity numeric(10, 2),
    retail_cents bigint,
    cost_cents bigint,
    core_charge_cents bigint,
    vendor_name text,
    total_retail_cents bigint,
    profit_cents bigint,
    UNIQUE (shop_id, tm_id)
);

CREATE TABLE IF NOT EXISTS job_labor (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    shop_id bigint NOT NULL,
    tm_id bigint NOT NULL,
    job_tm_id bigint NOT NULL,
    ro_tm_id bigint NOT NULL,
    job_id uuid REFERENCES jobs (id) ON DELETE CASCADE,
    name text,
    hours numeric(10, 2),
    rate_cents bigint,
    total_cents bigint,
    labor_cost_cents bigint,
    technician_tm_id bigint,
    technician_id uuid,
    UNIQUE (shop_id, tm_id)
);

CREATE TABLE IF NOT EXISTS job_sublets (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    shop_id bigint NOT NULL,
    tm_id bigint NOT NULL,
    job_tm_id bigint NOT NULL,
    ro_tm_id bigint NOT NULL,
    job_id uuid REFERENCES jobs (id) ON DELETE CASCADE,
    name text,
    retail_cents bigint,
    cost_cents bigint,
    UNIQUE (shop_id, tm_id)
);

CREATE TABLE IF NOT EXISTS job_fees (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    shop_id bigint NOT NULL,
    tm_id bigint NOT NULL,
    job_tm_id bigint NOT NULL,
    ro_tm_id bigint NOT NULL,
    job_id uuid REFERENCES jobs (id) ON DELETE CASCADE,
    name text,
    total_cents bigint,
    UNIQUE (shop_id, tm_id)
);

CREATE TABLE IF NOT EXISTS employees (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    shop_id bigint NOT NULL,
    tm_id bigint NOT NULL,
    first_name text,
    last_name text,
    email text,
    role_code text,
    role_name text,
    hourly_rate_cents bigint,
    salary_cents bigint,
    pay_type text,
    can_perform_work boolean,
    disabled boolean,
    UNIQUE (shop_id, tm_id)
);

CREATE TABLE IF NOT EXISTS customers (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    shop_id bigint NOT NULL,
    tm_id bigint NOT NULL,
    first_name text,
    last_name text,
    company_name text,
    email text,
    phone text,
    customer_type text,
    ok_for_marketing boolean,
    UNIQUE (shop_id, tm_id)
);

CREATE TABLE IF NOT EXISTS vehicles (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    shop_id bigint NOT NULL,
    tm_id bigint NOT NULL,
    customer_tm_id bigint,
    year integer,
    make text,
    model text,
    vin text,
    license_plate text,
    UNIQUE (shop_id, tm_id)
);

-- The seed's store_raw (TM_STORE_RAW=true): each repair order as fetched, the latest copy.
CREATE TABLE IF NOT EXISTS tm_raw_payloads (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    shop_id bigint NOT NULL,
    entity_type text NOT NULL,
    tm_id bigint NOT NULL,
    payload jsonb NOT NULL,
    fetched_at timestamptz NOT NULL,
    UNIQUE (shop_id, entity_type, tm_id)
);
