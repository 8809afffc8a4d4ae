/// The OpenAPI 3.1 description of `ferry serve`'s HTTP API, served at `/openapi.yaml`.
///
/// It lives in the binary, not in a resource bundle, so an installed `ferry` (which
/// has no bundle beside it) serves it too. `ServeAPITests` holds it and the routes
/// together: every documented operation is served, every route is documented, and
/// every status an operation answered in the tests is listed.
enum OpenAPIDocument {
    static let yaml = #"""
        openapi: 3.1.0
        info:
          title: Ferry serve API
          version: "1"
          description: |
            The HTTP API of `ferry serve`. Every operation but `GET /healthz` needs
            `Authorization: Bearer <FERRY_API_TOKEN>`. With no token set the API answers 403 to
            everything but `/healthz`; a missing or wrong token gets 401. Errors are
            `{"error": "<one line>"}`. Times are ISO 8601 in UTC. The default site is `""`.
        servers:
          - url: http://127.0.0.1:8080
        security:
          - bearer: []
        components:
          securitySchemes:
            bearer: { type: http, scheme: bearer }
            basic: { type: http, scheme: basic, description: "The dashboard only: any user name, the token as password." }
          responses:
            Error:
              description: What went wrong, in one line.
              content:
                application/json:
                  schema: { $ref: "#/components/schemas/Error" }
          schemas:
            Error:
              type: object
              required: [error]
              properties: { error: { type: string } }
            WorkUnit:
              type: object
              properties:
                site: { type: string }
                pipeline: { type: string }
                due: { type: string, format: date-time }
                lag_seconds: { type: integer }
                holder: { type: string }
                lease_expired: { type: boolean }
                last_status: { type: string }
            Run:
              type: object
              required: [id, site, pipeline, status, started]
              properties:
                id: { type: integer }
                site: { type: string }
                pipeline: { type: string }
                status: { type: string, enum: [running, succeeded, failed, dead_lettered, cancelled, rate_limited, interrupted] }
                started: { type: string, format: date-time }
                finished: { type: [string, "null"], format: date-time }
                message: { type: [string, "null"] }
                read: { type: integer }
                written: { type: integer }
                created: { type: integer, description: "Of written, records written for the first time (new keys; every appended record)." }
                unchanged: { type: integer }
                deleted: { type: integer }
                dead_letters: { type: integer }
            Accepted:
              type: object
              required: [accepted, busy]
              properties:
                accepted: { type: array, items: { $ref: "#/components/schemas/SitePipeline" } }
                busy: { type: array, items: { $ref: "#/components/schemas/SitePipeline" } }
            SitePipeline:
              type: object
              properties: { site: { type: string }, pipeline: { type: string } }
        paths:
          /healthz:
            get:
              summary: Liveness; needs no token.
              security: []
              responses:
                "200":
                  description: The process answers.
                  content: { application/json: { schema: { type: object, properties: { status: { const: ok } } } } }
          /readyz:
            get:
              summary: Readiness; 503 once stopping.
              responses:
                "200": { description: Serving, content: { application/json: { schema: { type: object } } } }
                "401": { $ref: "#/components/responses/Error" }
                "403": { $ref: "#/components/responses/Error" }
                "503": { description: Stopping, content: { application/json: { schema: { type: object } } } }
          /metrics:
            get:
              summary: Prometheus metrics (text format 0.0.4).
              responses:
                "200": { description: Metrics, content: { text/plain: { schema: { type: string } } } }
                "401": { $ref: "#/components/responses/Error" }
                "403": { $ref: "#/components/responses/Error" }
          /openapi.yaml:
            get:
              summary: This document.
              responses:
                "200": { description: The document, content: { application/yaml: { schema: { type: string } } } }
                "401": { $ref: "#/components/responses/Error" }
                "403": { $ref: "#/components/responses/Error" }
          /v1/pipelines:
            get:
              summary: Every pipeline served, with its schedule, next run and last run.
              responses:
                "200":
                  description: The pipelines, in the order they run.
                  content:
                    application/json:
                      schema:
                        type: object
                        properties:
                          pipelines:
                            type: array
                            items:
                              type: object
                              properties:
                                site: { type: string }
                                pipeline: { type: string }
                                schedule: { type: [string, "null"], description: "With its zone: CRON_TZ=Europe/Helsinki 0 6 * * *" }
                                next_run: { type: [string, "null"], format: date-time }
                                full_schedule: { type: [string, "null"], description: "When it runs in full (full_schedule), with its zone." }
                                next_full_run: { type: [string, "null"], format: date-time }
                                running: { type: boolean }
                                last_run: { oneOf: [{ $ref: "#/components/schemas/Run" }, { type: "null" }] }
                                last_result:
                                  description: How the latest run this process started ended, including busy (another process held the lease) and skipped (a dependency failed).
                                  oneOf:
                                    - type: object
                                      properties: { status: { type: string }, message: { type: [string, "null"] } }
                                    - type: "null"
                "401": { $ref: "#/components/responses/Error" }
                "403": { $ref: "#/components/responses/Error" }
          /v1/pipelines/{pipeline}/runs:
            post:
              summary: Run a pipeline now (every site that runs it, or one site).
              parameters:
                - { name: pipeline, in: path, required: true, schema: { type: string } }
              requestBody:
                content:
                  application/json:
                    schema:
                      type: object
                      additionalProperties: false
                      properties:
                        site: { type: string }
                        full: { type: boolean, description: Ignore stored cursors. }
                        since: { type: string, description: "A date or ISO 8601 date-time; the checkpoint is left alone." }
                        until: { type: string }
                        limit: { type: integer, minimum: 1 }
                        days_back: { type: integer, minimum: 0, description: "Read from midnight UTC this many days ago (sets since)." }
                        record_id: { oneOf: [{ type: string }, { type: integer }], description: "Sync only this source record, by primary key (the stream must read single records); the checkpoint is left alone." }
                        record_ids: { type: array, minItems: 1, maxItems: 1000, items: { oneOf: [{ type: string }, { type: integer }] } }
                        filters:
                          type: object
                          minProperties: 1
                          maxProperties: 100
                          additionalProperties: { oneOf: [{ type: string }, { type: number }, { type: boolean }] }
                          description: "Sync only the source records whose fields have these values ({\"Nummer\": \"11400-BE\"}, all must hold): the checkpoint is left alone, nothing is deleted."
              responses:
                "202": { description: Queued, content: { application/json: { schema: { $ref: "#/components/schemas/Accepted" } } } }
                "400": { $ref: "#/components/responses/Error" }
                "401": { $ref: "#/components/responses/Error" }
                "403": { $ref: "#/components/responses/Error" }
                "404": { $ref: "#/components/responses/Error" }
                "409": { description: Already running, content: { application/json: { schema: { $ref: "#/components/schemas/Accepted" } } } }
          /v1/runs:
            get:
              summary: The latest runs, newest first.
              parameters:
                - { name: site, in: query, schema: { type: string } }
                - { name: pipeline, in: query, schema: { type: string } }
                - { name: limit, in: query, schema: { type: integer, default: 50, maximum: 1000 } }
              responses:
                "200":
                  description: Runs.
                  content:
                    application/json:
                      schema: { type: object, properties: { runs: { type: array, items: { $ref: "#/components/schemas/Run" } } } }
                "401": { $ref: "#/components/responses/Error" }
                "403": { $ref: "#/components/responses/Error" }
          /v1/runs/{run}/log:
            get:
              summary: The log lines of a run (kept in the state store for the latest 500 runs, whichever process ran them).
              parameters:
                - { name: run, in: path, required: true, schema: { type: integer } }
              responses:
                "200":
                  description: The lines, redacted.
                  content:
                    application/json:
                      schema: { type: object, properties: { run: { type: integer }, lines: { type: array, items: { type: string } } } }
                "400": { $ref: "#/components/responses/Error" }
                "401": { $ref: "#/components/responses/Error" }
                "403": { $ref: "#/components/responses/Error" }
                "404": { $ref: "#/components/responses/Error" }
          /v1/dead-letters:
            get:
              summary: Dead letters of a site, secrets masked.
              parameters:
                - { name: site, in: query, schema: { type: string, default: "" } }
                - { name: pipeline, in: query, schema: { type: string } }
                - { name: all, in: query, description: Include replayed ones., schema: { type: boolean } }
                - { name: limit, in: query, schema: { type: integer, default: 100 } }
              responses:
                "200":
                  description: Dead letters.
                  content:
                    application/json:
                      schema:
                        type: object
                        properties:
                          dead_letters:
                            type: array
                            items:
                              type: object
                              properties:
                                id: { type: integer }
                                site: { type: string }
                                pipeline: { type: string }
                                stream: { type: string }
                                stage: { type: string }
                                error: { type: string }
                                record: { type: string }
                                created: { type: string, format: date-time }
                                replayed: { type: [string, "null"], format: date-time }
                "401": { $ref: "#/components/responses/Error" }
                "403": { $ref: "#/components/responses/Error" }
          /v1/dead-letters/replay:
            post:
              summary: Send a pipeline's open dead letters (or the ones named) through it again.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [pipeline]
                      properties:
                        pipeline: { type: string }
                        site: { type: string }
                        ids: { type: array, items: { type: integer } }
              responses:
                "202": { description: Queued, content: { application/json: { schema: { $ref: "#/components/schemas/Accepted" } } } }
                "400": { $ref: "#/components/responses/Error" }
                "401": { $ref: "#/components/responses/Error" }
                "403": { $ref: "#/components/responses/Error" }
                "404": { $ref: "#/components/responses/Error" }
                "409": { description: The pipeline is running, content: { application/json: { schema: { $ref: "#/components/schemas/Accepted" } } } }
          /v1/dead-letters/discard:
            post:
              summary: Delete dead letters that can never succeed.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [ids]
                      properties:
                        site: { type: string }
                        ids: { type: array, items: { type: integer }, minItems: 1 }
              responses:
                "200":
                  description: How many were deleted.
                  content: { application/json: { schema: { type: object, properties: { discarded: { type: integer } } } } }
                "400": { $ref: "#/components/responses/Error" }
                "401": { $ref: "#/components/responses/Error" }
                "403": { $ref: "#/components/responses/Error" }
          /v1/workers:
            get:
              summary: The serve --worker fleet sharing this (PostgreSQL) state, what each worker holds, and the units' lag.
              responses:
                "200":
                  description: Workers and units (empty lists when no worker ever ran, or the state is SQLite).
                  content:
                    application/json:
                      schema:
                        type: object
                        properties:
                          workers:
                            type: array
                            items:
                              type: object
                              properties:
                                id: { type: string }
                                host: { type: string }
                                pid: { type: integer }
                                started: { type: string, format: date-time }
                                heartbeat_seconds_ago: { type: number }
                                max_units: { type: integer }
                                stale: { type: boolean, description: Its heartbeat is older than the lease (killed, frozen, cut off). }
                                holds: { type: array, items: { $ref: "#/components/schemas/WorkUnit" } }
                          units_waiting: { type: integer, description: Units due that no live worker holds. }
                          max_lag_seconds: { type: integer }
                          units: { type: array, items: { $ref: "#/components/schemas/WorkUnit" } }
                "401": { $ref: "#/components/responses/Error" }
          /v1/reload:
            post:
              summary: Read the configuration again, as SIGHUP does.
              responses:
                "200": { description: Reloaded, content: { application/json: { schema: { type: object } } } }
                "401": { $ref: "#/components/responses/Error" }
                "403": { $ref: "#/components/responses/Error" }
                "422": { description: Refused; the running configuration stays, content: { application/json: { schema: { $ref: "#/components/schemas/Error" } } } }
          /dashboard:
            get:
              summary: The dashboard, an HTML page; a browser may give the token as a Basic password.
              security: [{ bearer: [] }, { basic: [] }]
              responses:
                "200": { description: The page, content: { text/html: { schema: { type: string } } } }
                "401": { $ref: "#/components/responses/Error" }
                "403": { $ref: "#/components/responses/Error" }
          /dashboard/replay:
            post:
              summary: The dashboard's replay button (a form; refused when another site sent it).
              security: [{ bearer: [] }, { basic: [] }]
              requestBody:
                content:
                  application/x-www-form-urlencoded:
                    schema: { type: object, required: [pipeline], properties: { site: { type: string }, pipeline: { type: string } } }
              responses:
                "303": { description: Back to the dashboard }
                "400": { $ref: "#/components/responses/Error" }
                "401": { $ref: "#/components/responses/Error" }
                "403": { $ref: "#/components/responses/Error" }
          /dashboard/discard:
            post:
              summary: The dashboard's discard button (a form; refused when another site sent it).
              security: [{ bearer: [] }, { basic: [] }]
              requestBody:
                content:
                  application/x-www-form-urlencoded:
                    schema: { type: object, required: [id], properties: { site: { type: string }, id: { type: integer } } }
              responses:
                "303": { description: Back to the dashboard }
                "400": { $ref: "#/components/responses/Error" }
                "401": { $ref: "#/components/responses/Error" }
                "403": { $ref: "#/components/responses/Error" }
        """#
}
