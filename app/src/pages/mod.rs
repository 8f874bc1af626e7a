pub mod auth;
pub mod error;
pub mod landing;
pub mod not_found;
