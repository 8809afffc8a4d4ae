/// The schema of the PostgreSQL state store, as its list of migrations.
///
/// The same tables as the SQLite store's (`FerryState.StateSchema`), in one first step, since
/// this store starts at that schema; later steps are appended, never edited once shipped.
/// Applied versions are rows of `ferry_schema_migrations`.
enum PostgresStateSchema {
    struct Migration {
        var version: Int
        var purpose: String
        var sql: String
    }

    static var latestVersion: Int { migrations.last?.version ?? 0 }

    static let migrations: [Migration] = [
        Migration(
            version: 1, purpose: "create the state tables",
            sql: """
                CREATE TABLE runs (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    site TEXT NOT NULL,
                    pipeline TEXT NOT NULL,
                    started_at DOUBLE PRECISION NOT NULL,
                    finished_at DOUBLE PRECISION,
                    status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'dead_lettered', 'cancelled', 'rate_limited')),
                    message TEXT,
                    read_count BIGINT NOT NULL DEFAULT 0,
                    written_count BIGINT NOT NULL DEFAULT 0,
                    unchanged_count BIGINT NOT NULL DEFAULT 0,
                    deleted_count BIGINT NOT NULL DEFAULT 0,
                    rejected_count BIGINT NOT NULL DEFAULT 0
                );
                CREATE INDEX runs_by_pipeline ON runs (site, pipeline, id);

                -- The per-pipeline lock: one row while a run is under way. A holder on another
                -- machine can't be checked by pid, so a lease also expires unless its run renews it.
                CREATE TABLE leases (
                    site TEXT NOT NULL,
                    pipeline TEXT NOT NULL,
                    run_id BIGINT NOT NULL REFERENCES runs (id),
                    holder_pid INTEGER NOT NULL,
                    hostname TEXT NOT NULL,
                    holder_started BIGINT,
                    acquired_at DOUBLE PRECISION NOT NULL,
                    expires_at TIMESTAMPTZ NOT NULL,
                    PRIMARY KEY (site, pipeline)
                );
                CREATE INDEX leases_by_run ON leases (run_id);

                CREATE TABLE checkpoints (
                    site TEXT NOT NULL,
                    pipeline TEXT NOT NULL,
                    stream TEXT NOT NULL,
                    checkpoint TEXT NOT NULL,
                    updated_at DOUBLE PRECISION NOT NULL,
                    PRIMARY KEY (site, pipeline, stream)
                );

                -- Only grows, even across a reset (see StateStore.checkpointSequence).
                CREATE TABLE checkpoint_sequences (
                    site TEXT NOT NULL,
                    pipeline TEXT NOT NULL,
                    stream TEXT NOT NULL,
                    sequence BIGINT NOT NULL,
                    PRIMARY KEY (site, pipeline, stream)
                );

                -- Plugin state, HTTP sessions, OAuth tokens and rate budgets.
                -- Keys compare byte-wise (COLLATE "C"): cheaper in the indexes, and the order SQLite lists them in.
                CREATE TABLE kv (
                    scope TEXT COLLATE "C" NOT NULL,
                    key TEXT COLLATE "C" NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (scope, key)
                );

                CREATE TABLE id_map (
                    scope TEXT COLLATE "C" NOT NULL,
                    source_id TEXT COLLATE "C" NOT NULL,
                    destination_id TEXT NOT NULL,
                    updated_at DOUBLE PRECISION NOT NULL,
                    PRIMARY KEY (scope, source_id)
                );

                CREATE TABLE hash_streams (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    site TEXT NOT NULL,
                    pipeline TEXT NOT NULL,
                    stream TEXT NOT NULL,
                    UNIQUE (site, pipeline, stream)
                );

                -- No foreign key to hash_streams: its per-row check doubled the cost of a batch's
                -- hashes; `reset` deletes a stream's hashes with the stream.
                CREATE TABLE record_hashes (
                    stream_id BIGINT NOT NULL,
                    key TEXT COLLATE "C" NOT NULL,
                    hash BIGINT NOT NULL,
                    PRIMARY KEY (stream_id, key)
                );

                -- Records kept as the exact bytes that failed (not necessarily UTF-8).
                CREATE TABLE dead_letters (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    run_id BIGINT REFERENCES runs (id) ON DELETE SET NULL,
                    site TEXT NOT NULL,
                    pipeline TEXT NOT NULL,
                    stream TEXT NOT NULL,
                    stage TEXT NOT NULL,
                    error TEXT NOT NULL,
                    record BYTEA NOT NULL,
                    created_at DOUBLE PRECISION NOT NULL,
                    replayed_at DOUBLE PRECISION
                );
                CREATE INDEX dead_letters_by_pipeline ON dead_letters (site, pipeline, id);

                CREATE TABLE parked_records (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    site TEXT NOT NULL,
                    pipeline TEXT NOT NULL,
                    stream TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    record BYTEA NOT NULL,
                    attempts INTEGER NOT NULL,
                    parked_at DOUBLE PRECISION NOT NULL
                );
                CREATE INDEX parked_records_by_pipeline ON parked_records (site, pipeline, id);

                CREATE TABLE synced_records (
                    site TEXT NOT NULL,
                    pipeline TEXT NOT NULL,
                    stream TEXT NOT NULL,
                    key TEXT COLLATE "C" NOT NULL,
                    source_record TEXT NOT NULL,
                    written_record TEXT NOT NULL,
                    synced_at DOUBLE PRECISION NOT NULL,
                    PRIMARY KEY (site, pipeline, stream, key)
                );

                CREATE TABLE conflicts (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    site TEXT NOT NULL,
                    pipeline TEXT NOT NULL,
                    stream TEXT NOT NULL,
                    key TEXT NOT NULL,
                    field TEXT NOT NULL,
                    base TEXT,
                    source_value TEXT,
                    destination_value TEXT,
                    seen_at DOUBLE PRECISION NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('open', 'resolved', 'applied', 'superseded')),
                    resolution TEXT,
                    resolved_at DOUBLE PRECISION
                );
                CREATE INDEX conflicts_pending ON conflicts (site, pipeline, stream, key) WHERE status IN ('open', 'resolved');

                -- A JSON array of a run's redacted log lines, for the latest runs only.
                CREATE TABLE run_logs (
                    run_id BIGINT PRIMARY KEY,
                    lines TEXT NOT NULL
                );
                """),
        Migration(
            version: 2, purpose: "add the work queue of serve --worker",
            sql: """
                -- One row per (site, pipeline): when it is next due and which worker holds it.
                -- A worker claims due rows FOR UPDATE SKIP LOCKED and renews lease_expires
                -- (the database's clock) while it runs the unit; an expired lease is claimable.
                CREATE TABLE work_units (
                    site TEXT COLLATE "C" NOT NULL,
                    pipeline TEXT COLLATE "C" NOT NULL,
                    position INTEGER NOT NULL DEFAULT 0,
                    after_pipelines TEXT[] NOT NULL DEFAULT '{}',
                    schedule TEXT,
                    due_at DOUBLE PRECISION,
                    not_before DOUBLE PRECISION,
                    holder TEXT,
                    lease_expires TIMESTAMPTZ,
                    claimed_at DOUBLE PRECISION,
                    last_status TEXT,
                    last_finished DOUBLE PRECISION,
                    PRIMARY KEY (site, pipeline)
                );
                CREATE INDEX work_units_by_due ON work_units (due_at);

                -- The worker processes, with their heartbeat (the database's clock).
                CREATE TABLE workers (
                    id TEXT COLLATE "C" PRIMARY KEY,
                    hostname TEXT NOT NULL,
                    pid BIGINT NOT NULL,
                    holder_started BIGINT,
                    started_at DOUBLE PRECISION NOT NULL,
                    heartbeat_at TIMESTAMPTZ NOT NULL,
                    max_units INTEGER NOT NULL
                );
                """),
        Migration(
            version: 3, purpose: "count created records apart from updated ones",
            sql: """
                -- Of written_count, the records written for the first time (new keys, appends).
                ALTER TABLE runs ADD COLUMN created_count BIGINT NOT NULL DEFAULT 0;
                """),
    ]
}
