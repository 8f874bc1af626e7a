-- What a subscription's services really consume (CPU and memory from
-- metrics-server, storage from the kubelets' volume stats) beside what they
-- reserve (the ResourceQuota's `used`, their requests). NULL where the
-- cluster does not measure it: never guessed from the reservations.
ALTER TABLE subscription_usage RENAME COLUMN cpu_millicores TO cpu_reserved_millicores;
ALTER TABLE subscription_usage RENAME COLUMN memory_mib TO memory_reserved_mib;
ALTER TABLE subscription_usage RENAME COLUMN storage_gib TO storage_reserved_gib;
ALTER TABLE subscription_usage
    ADD COLUMN cpu_used_millicores bigint CHECK (cpu_used_millicores >= 0),
    ADD COLUMN memory_used_mib     bigint CHECK (memory_used_mib >= 0),
    ADD COLUMN storage_used_mib    bigint CHECK (storage_used_mib >= 0);
