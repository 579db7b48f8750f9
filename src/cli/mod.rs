//! stub

pub mod classify;
