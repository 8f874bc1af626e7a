-- What a subscription's namespace uses, as the reconciler last read it from
-- its ResourceQuota's status: shown beside the plan's limits.
CREATE TABLE subscription_usage (
    subscription_id uuid PRIMARY KEY REFERENCES subscriptions (id) ON DELETE CASCADE,
    cpu_millicores  bigint NOT NULL CHECK (cpu_millicores >= 0),
    memory_mib      bigint NOT NULL CHECK (memory_mib >= 0),
    storage_gib     bigint NOT NULL CHECK (storage_gib >= 0),
    observed_at     timestamptz NOT NULL
);
