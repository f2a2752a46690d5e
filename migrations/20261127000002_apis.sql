-- APIs (the working copy), their edit history, immutable revisions and documentation pages.

CREATE TABLE apis (
    id            TEXT PRIMARY KEY,
    lineage_id    TEXT NOT NULL,            -- shared by every version of one API
    name          TEXT NOT NULL,
    version       TEXT NOT NULL,
    context       TEXT NOT NULL,
    description   TEXT NOT NULL,
    tags          TEXT NOT NULL,            -- JSON array of strings
    owner_id      TEXT NOT NULL REFERENCES users (id),
    state         TEXT NOT NULL,
    visibility    TEXT NOT NULL,
    spec_version  TEXT NOT NULL,
    source_format TEXT NOT NULL,            -- yaml | json
    endpoints     TEXT NOT NULL,            -- JSON
    policies      TEXT NOT NULL,            -- JSON
    operations    BIGINT NOT NULL,
    search_text   TEXT NOT NULL,            -- lower-cased name, description, tags, operation paths and summaries
    edit_version  BIGINT NOT NULL,
    resubscribe_after BIGINT,               -- set by "require re-subscription" on publish
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
-- The large texts of each API live apart, so listing and searching APIs scans narrow rows.
CREATE TABLE api_definitions (
    api_id   TEXT PRIMARY KEY REFERENCES apis (id) ON DELETE CASCADE,
    source   TEXT NOT NULL,                 -- the definition as written (source of truth)
    document TEXT NOT NULL,                 -- bundled document (JSON)
    model    TEXT NOT NULL,                 -- normalized model (JSON)
    warnings TEXT NOT NULL                  -- diagnostics (JSON)
);

CREATE UNIQUE INDEX apis_name_version ON apis (name, version);
-- A context is unique among APIs that are not retired (both databases support partial indexes).
CREATE UNIQUE INDEX apis_live_context ON apis (context) WHERE state <> 'RETIRED';
CREATE INDEX apis_state_updated ON apis (state, updated_at);
CREATE INDEX apis_updated ON apis (updated_at);
CREATE INDEX apis_lineage ON apis (lineage_id);
CREATE INDEX apis_owner ON apis (owner_id);

CREATE TABLE api_tags (
    api_id TEXT NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
    tag    TEXT NOT NULL,
    PRIMARY KEY (api_id, tag)
);
CREATE INDEX api_tags_tag ON api_tags (tag);

-- Every saved working copy, so a conflicting save can be told what changed since it loaded.
CREATE TABLE api_edits (
    api_id       TEXT NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
    edit_version BIGINT NOT NULL,
    snapshot     TEXT NOT NULL,
    edited_by    TEXT NOT NULL,
    edited_at    BIGINT NOT NULL,
    PRIMARY KEY (api_id, edit_version)
);

CREATE TABLE api_revisions (
    api_id     TEXT NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
    number     BIGINT NOT NULL,
    snapshot   TEXT NOT NULL,
    note       TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (api_id, number)
);

CREATE TABLE api_docs (
    api_id     TEXT NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
    slug       TEXT NOT NULL,
    title      TEXT NOT NULL,
    markdown   TEXT NOT NULL,
    position   BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (api_id, slug)
);
