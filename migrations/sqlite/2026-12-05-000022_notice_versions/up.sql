-- Versions of the privacy notice published after the first (consent::NOTICE_VERSION, which
-- every account accepted on joining): what changed in words, when it takes effect (everyone is
-- mailed before), and the purposes it adds (comma-separated consent purposes), which apply only
-- to people who accepted it or a later version.
CREATE TABLE notice_versions (
    version TEXT PRIMARY KEY,
    published_at TIMESTAMP NOT NULL,
    effective_at TIMESTAMP NOT NULL,
    changes TEXT NOT NULL,
    adds TEXT NOT NULL DEFAULT '',
    published_by BIGINT NOT NULL
);
-- Who accepted which published version, and when.
CREATE TABLE notice_acceptances (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    version TEXT NOT NULL REFERENCES notice_versions (version),
    accepted_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, version)
);
