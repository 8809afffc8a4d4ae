/// The schema of the state database, as the list of its migrations.
///
/// Append new steps; never edit one that has shipped.
enum StateSchema {
    static let migrations: [SQLiteMigration] = [
        SQLiteMigration(
            version: 1, purpose: "create the state tables",
            sql: """
                CREATE TABLE runs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    site TEXT NOT NULL,
                    pipeline TEXT NOT NULL,
                    started_at REAL NOT NULL,
                    finished_at REAL,
                    status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'dead_lettered', 'cancelled', 'rate_limited')),
                    message TEXT,
                    read_count INTEGER NOT NULL DEFAULT 0,
                    written_count INTEGER NOT NULL DEFAULT 0,
                    unchanged_count INTEGER NOT NULL DEFAULT 0,
                    deleted_count INTEGER NOT NULL DEFAULT 0,
                    rejected_count INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX runs_by_pipeline ON runs (site, pipeline, id);

                -- The per-pipeline lock: one row while a run is under way.
                CREATE TABLE leases (
                    site TEXT NOT NULL,
                    pipeline TEXT NOT NULL,
                    run_id INTEGER NOT NULL REFERENCES runs (id),
                    holder_pid INTEGER NOT NULL,
                    hostname TEXT NOT NULL,
                    holder_started INTEGER,
                    acquired_at REAL NOT NULL,
                    PRIMARY KEY (site, pipeline)
                ) WITHOUT ROWID;

                CREATE TABLE checkpoints (
                    site TEXT NOT NULL,
                    pipeline TEXT NOT NULL,
                    stream TEXT NOT NULL,
                    checkpoint TEXT NOT NULL,
                    updated_at REAL NOT NULL,
                    PRIMARY KEY (site, pipeline, stream)
                ) WITHOUT ROWID;

                CREATE TABLE kv (
                    scope TEXT NOT NULL,
                    key TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (scope, key)
                ) WITHOUT ROWID;

                CREATE TABLE id_map (
                    scope TEXT NOT NULL,
                    source_id TEXT NOT NULL,
                    destination_id TEXT NOT NULL,
                    updated_at REAL NOT NULL,
                    PRIMARY KEY (scope, source_id)
                ) WITHOUT ROWID;

                -- Streams that have record hashes, so that millions of hash rows carry a
                -- small integer instead of repeating (site, pipeline, stream).
                CREATE TABLE hash_streams (
                    id INTEGER PRIMARY KEY,
                    site TEXT NOT NULL,
                    pipeline TEXT NOT NULL,
                    stream TEXT NOT NULL,
                    UNIQUE (site, pipeline, stream)
                );

                CREATE TABLE record_hashes (
                    stream_id INTEGER NOT NULL REFERENCES hash_streams (id) ON DELETE CASCADE,
                    key TEXT NOT NULL,
                    hash INTEGER NOT NULL,
                    PRIMARY KEY (stream_id, key)
                ) WITHOUT ROWID;

                CREATE TABLE dead_letters (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    run_id INTEGER REFERENCES runs (id) ON DELETE SET NULL,
                    site TEXT NOT NULL,
                    pipeline TEXT NOT NULL,
                    stream TEXT NOT NULL,
                    stage TEXT NOT NULL,
                    error TEXT NOT NULL,
                    record TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    replayed_at REAL
                );
                CREATE INDEX dead_letters_by_pipeline ON dead_letters (site, pipeline, id);
                """),
        SQLiteMigration(
            version: 2, purpose: "number the checkpoints",
            sql: """
                -- How many checkpoints each stream has committed. Kept apart from the
                -- checkpoints so that a reset does not restart the count: a destination that
                -- stores checkpoints with its rows must never look ahead of a reset.
                CREATE TABLE checkpoint_sequences (
                    site TEXT NOT NULL,
                    pipeline TEXT NOT NULL,
                    stream TEXT NOT NULL,
                    sequence INTEGER NOT NULL,
                    PRIMARY KEY (site, pipeline, stream)
                ) WITHOUT ROWID;
                INSERT INTO checkpoint_sequences (site, pipeline, stream, sequence)
                    SELECT site, pipeline, stream, 1 FROM checkpoints;
                """),
        SQLiteMigration(
            version: 3, purpose: "park records that wait for a mapping",
            sql: """
                CREATE TABLE parked_records (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    site TEXT NOT NULL,
                    pipeline TEXT NOT NULL,
                    stream TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    record TEXT NOT NULL,
                    attempts INTEGER NOT NULL,
                    parked_at REAL NOT NULL
                );
                CREATE INDEX parked_records_by_pipeline ON parked_records (site, pipeline, id);
                """),
        SQLiteMigration(
            version: 4, purpose: "remember synced versions and conflicts",
            sql: """
                -- Two-way sync: per record, what the source sent and what Ferry wrote at the last sync.
                CREATE TABLE synced_records (
                    site TEXT NOT NULL,
                    pipeline TEXT NOT NULL,
                    stream TEXT NOT NULL,
                    key TEXT NOT NULL,
                    source_record TEXT NOT NULL,
                    written_record TEXT NOT NULL,
                    synced_at REAL NOT NULL,
                    PRIMARY KEY (site, pipeline, stream, key)
                ) WITHOUT ROWID;

                -- Fields both sides changed that no policy decided; values are JSON texts, NULL for missing.
                CREATE TABLE conflicts (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    site TEXT NOT NULL,
                    pipeline TEXT NOT NULL,
                    stream TEXT NOT NULL,
                    key TEXT NOT NULL,
                    field TEXT NOT NULL,
                    base TEXT,
                    source_value TEXT,
                    destination_value TEXT,
                    seen_at REAL NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('open', 'resolved', 'applied', 'superseded')),
                    resolution TEXT,
                    resolved_at REAL
                );
                CREATE INDEX conflicts_pending ON conflicts (site, pipeline, stream, key) WHERE status IN ('open', 'resolved');
                """),
        SQLiteMigration(
            version: 5, purpose: "keep the log lines of runs",
            sql: """
                -- A JSON array of a run's redacted log lines, for the latest runs only.
                CREATE TABLE run_logs (
                    run_id INTEGER PRIMARY KEY,
                    lines TEXT NOT NULL
                );
                """),
        SQLiteMigration(
            version: 6, purpose: "count created records apart from updated ones",
            sql: """
                -- Of written_count, the records written for the first time (new keys, appends).
                ALTER TABLE runs ADD COLUMN created_count INTEGER NOT NULL DEFAULT 0;
                """),
    ]
}
