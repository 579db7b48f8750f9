//! Fuzz target: see `check_opml` in fuzz/properties.rs for what must hold.
#![no_main]

include!("../properties.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| check_opml(data));
