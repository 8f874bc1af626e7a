//! What every concept stands on: the PostgreSQL store, the change-announced
//! caches, outgoing mail and how values are written for people.

pub mod change_cache;
pub mod dns;
pub mod format;
pub mod mail;
pub mod notice_letter;
pub mod store;
