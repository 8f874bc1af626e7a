pub mod layout;
pub mod progress;
pub mod status;
