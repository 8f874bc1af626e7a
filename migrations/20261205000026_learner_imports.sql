-- Learners' files a trainer uploaded, kept until they confirm the preview
-- (or for a day): the preview is a page of its own, read again from here.
CREATE TABLE learner_imports (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    uploaded_by     uuid NOT NULL,
    uploaded_at     timestamptz NOT NULL,
    file_name       text NOT NULL CHECK (length(file_name) <= 255),
    content         text NOT NULL CHECK (length(content) <= 1048576)
);

CREATE INDEX learner_imports_organization_idx ON learner_imports (organization_id, uploaded_at);

-- Invitations of a bulk enrolment are sent by the engine: their token is
-- drawn, and only its hash stored, when the letter goes out (NULL until
-- then), in the learner's language; the courses they are put in once
-- they join.
ALTER TABLE invitations
    ALTER COLUMN token_sha256 DROP NOT NULL,
    ADD COLUMN letter_job uuid REFERENCES jobs (id),
    ADD COLUMN locale text CHECK (locale IN ('en', 'fr')),
    ADD COLUMN courses bigint[] NOT NULL DEFAULT '{}',
    ADD CONSTRAINT invitations_sent_or_queued CHECK (token_sha256 IS NOT NULL OR letter_job IS NOT NULL);

CREATE INDEX invitations_letter_job_idx ON invitations (letter_job) WHERE token_sha256 IS NULL;
