//! One module per page, nested like the URL.

pub mod account;
pub mod admin;
pub mod analytics;
pub mod applications;
pub mod auth;
pub mod home;
pub mod not_found;
pub mod portal;
pub mod publisher;
