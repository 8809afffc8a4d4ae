-- The seed's sync_log and sync_cursors, as views over Ferry's own state: put the state in the
-- warehouse database (FERRY_STATE=postgres://…?schema=ferry, see docs/scale-out.md) and every
-- run, count, error and cursor Ferry keeps is queryable beside the data, always current, with
-- nothing extra to write. Run once, after Ferry created its state schema (its first run):
--
--   psql "$WAREHOUSE_DSN" -v state_schema=ferry -c 'SET search_path TO tekmetric' -f sync_views.sql
--
-- A site named shop_<id> gives shop_id; a pipeline named <entity>_<shop> gives entity_type.

CREATE OR REPLACE VIEW sync_log AS
SELECT
    r.id,
    NULLIF(regexp_replace(r.site, '\D', '', 'g'), '')::bigint AS shop_id,
    regexp_replace(r.pipeline, '_\d+$', '') AS entity_type,
    r.site,
    r.pipeline,
    r.status,
    r.read_count AS records_read,
    r.written_count AS records_written,
    r.created_count AS records_created,
    r.written_count - r.created_count AS records_updated,
    r.unchanged_count AS records_unchanged,
    r.rejected_count AS records_failed,
    to_timestamp(r.started_at) AS started_at,
    to_timestamp(r.finished_at) AS completed_at,
    r.message AS error_message
FROM :"state_schema".runs AS r;

-- Per shop and entity: when it last synced (a run that finished, dead letters or not) and
-- the cursor Ferry keeps, if the pipeline keeps one (windowed reads, as the job boards', keep
-- none: the window is their cursor).
CREATE OR REPLACE VIEW sync_cursors AS
SELECT
    l.shop_id,
    l.entity_type,
    max(l.completed_at) AS last_synced_at,
    (SELECT string_agg(c.checkpoint, ', ')
       FROM :"state_schema".checkpoints AS c
      WHERE c.site = l.site AND c.pipeline = l.pipeline) AS cursor
FROM sync_log AS l
WHERE l.status IN ('succeeded', 'dead_lettered')
GROUP BY l.shop_id, l.entity_type, l.site, l.pipeline;

-- Dead letters (records a run could not write, with the reason), the seed's per-entity errors.
CREATE OR REPLACE VIEW sync_errors AS
SELECT
    d.id,
    NULLIF(regexp_replace(d.site, '\D', '', 'g'), '')::bigint AS shop_id,
    regexp_replace(d.pipeline, '_\d+$', '') AS entity_type,
    d.run_id,
    d.stage,
    d.error,
    to_timestamp(d.created_at) AS created_at,
    d.replayed_at IS NOT NULL AS replayed
FROM :"state_schema".dead_letters AS d;
