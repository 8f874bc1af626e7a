//! `sqlx::migrate!` embeds `migrations/` when this crate compiles, but
//! cargo does not know that a migration added or changed should compile it
//! again (sqlx's own advice): without this, a binary built before would
//! still run the old list, and report the new migration as applied nowhere.

fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
