//! What several pages share: the frame, what islands share, the loading
//! wrapper, the status pages and redirects for who may not see a page, form
//! pieces, button looks, notices, navigation, the framed table and the audit
//! table.

pub mod access;
pub mod audit_table;
pub mod button;
pub mod classes;
pub mod form;
pub mod island;
pub mod layout;
pub mod loaded;
pub mod navigation;
pub mod notice;
pub mod plan;
pub mod progress;
pub mod status;
pub mod table;
