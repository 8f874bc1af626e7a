pub mod admin;
pub mod auth;
pub mod consent;
pub mod error;
pub mod landing;
pub mod not_found;
pub mod organizations;
pub mod sessions;
