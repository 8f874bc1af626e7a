-- Which worker ran a step's latest attempt (`replica-<pid>-<id>-<n>`): the
-- lease says who holds a job only while it runs, and admins asking which
-- replica ran a step (and tests proving that replicas share the queue) need
-- it afterwards.
ALTER TABLE job_steps ADD COLUMN ran_by text;
