-- The catalog: the three offers and their plans with quotas.
-- Names are stored in both portal languages because admins edit them.

CREATE TABLE offers (
    kind        text PRIMARY KEY CHECK (kind IN ('ecommerce', 'training', 'iot')),
    position    integer NOT NULL,
    name_en     text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 80),
    name_fr     text NOT NULL CHECK (length(name_fr) BETWEEN 1 AND 80),
    summary_en  text NOT NULL,
    summary_fr  text NOT NULL
);

CREATE TABLE plans (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    offer_kind            text NOT NULL REFERENCES offers (kind),
    code                  text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    position              integer NOT NULL,
    name_en               text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 80),
    name_fr               text NOT NULL CHECK (length(name_fr) BETWEEN 1 AND 80),
    monthly_price_cents   bigint NOT NULL CHECK (monthly_price_cents >= 0),
    cpu_millicores        integer NOT NULL CHECK (cpu_millicores >= 0),
    memory_mib            integer NOT NULL CHECK (memory_mib >= 0),
    storage_gib           integer NOT NULL CHECK (storage_gib >= 0),
    seats                 integer CHECK (seats >= 0),
    devices               integer CHECK (devices >= 0),
    backup_retention_days integer NOT NULL CHECK (backup_retention_days >= 0),
    openstack_vcpus       integer NOT NULL CHECK (openstack_vcpus >= 0),
    openstack_ram_mib     integer NOT NULL CHECK (openstack_ram_mib >= 0),
    openstack_instances   integer NOT NULL CHECK (openstack_instances >= 0),
    requires_approval     boolean NOT NULL DEFAULT false,
    retired_at            timestamptz,
    -- optimistic concurrency for admin edits
    version               bigint NOT NULL DEFAULT 1,
    created_at            timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX plans_offer_kind_idx ON plans (offer_kind, position);

INSERT INTO offers (kind, position, name_en, name_fr, summary_en, summary_fr) VALUES
('ecommerce', 1, 'E-commerce', 'E-commerce',
 'Your online shop on Odoo with Bibind''s modules, hosted in France, backed up and kept up to date.',
 'Votre boutique en ligne sur Odoo avec les modules Bibind, hébergée en France, sauvegardée et tenue à jour.'),
('training', 2, 'Training', 'Formation',
 'Odoo eLearning for your courses: your learners sign in once and reach their lessons.',
 'Odoo eLearning pour vos formations : vos apprenants se connectent une fois et accèdent à leurs cours.'),
('iot', 3, 'IoT', 'IoT',
 'A private MQTT space for your devices, with ingestion and isolation per organization.',
 'Un espace MQTT privé pour vos objets connectés, avec ingestion et isolation par organisation.');

INSERT INTO plans (offer_kind, code, position, name_en, name_fr, monthly_price_cents,
                   cpu_millicores, memory_mib, storage_gib, seats, devices, backup_retention_days,
                   openstack_vcpus, openstack_ram_mib, openstack_instances, requires_approval) VALUES
('ecommerce', 'shop-starter',  1, 'Starter',  'Démarrage',  4900,  1000,  2048,  20, 5,    NULL,  7, 0, 0,     0, false),
('ecommerce', 'shop-business', 2, 'Business', 'Business',  14900, 2000,  4096,  100, 25,  NULL, 30, 2, 4096,  1, false),
('ecommerce', 'shop-scale',    3, 'Scale',    'Croissance', 39900, 8000, 16384, 500, 100, NULL, 90, 8, 16384, 4, true),
('training',  'learn-class',   1, 'Class',    'Classe',     2900,  1000,  2048,  10, 30,   NULL,  7, 0, 0,     0, false),
('training',  'learn-campus',  2, 'Campus',   'Campus',     9900,  2000,  4096,  50, 250,  NULL, 30, 0, 0,     0, false),
('training',  'learn-academy', 3, 'Academy',  'Académie',  29900, 4000,  8192, 200, 2000, NULL, 90, 2, 4096,  1, true),
('iot',       'iot-lab',       1, 'Lab',      'Labo',       1900,   500,  1024,   5, NULL, 50,    7, 0, 0,     0, false),
('iot',       'iot-fleet',     2, 'Fleet',    'Flotte',     7900,  2000,  4096,  50, NULL, 1000, 30, 0, 0,     0, false),
('iot',       'iot-industry',  3, 'Industry', 'Industrie', 24900, 8000, 16384, 500, NULL, 20000, 90, 4, 8192, 2, true);
