//! The server's black-box tests. They are modules of one test binary, not
//! one binary each: every binary links the whole portal (hundreds of MB in a
//! debug build), so one link instead of sixteen keeps CI's disk and time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

mod admin;
mod api;
mod api_conformance;
mod backups;
mod command_line;
mod crash_recovery;
mod csrf;
mod devices;
mod identity;
mod jobs;
mod kratos_mail;
mod learner_imports;
mod notices;
mod organization_pages;
mod organizations;
mod own_domains;
mod portal;
mod provisioning;
mod real_backend_faults;
mod reconcile;
mod replicas;
mod shop_modules;
mod signin;
mod telemetry;
mod tenancy;
mod tenancy_matrix;
mod tenant_admin;
mod tenant_sso;
mod throttle;
mod training;
mod verified_addresses;
