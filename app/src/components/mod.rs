//! What several pages share: the frame, what islands share, the loading
//! wrapper, the status pages and redirects for who may not see a page, form
//! pieces, button looks, notices, navigation, the framed table, the audit
//! log and its sentences, local times.

pub mod access;
pub mod audit_log;
pub mod audit_sentence;
pub mod backup_health;
pub mod button;
pub mod classes;
pub mod form;
pub mod island;
pub mod layout;
pub mod loaded;
pub mod local_time;
pub mod navigation;
pub mod notice;
pub mod plan;
pub mod progress;
pub mod status;
pub mod table;
pub mod telemetry;
