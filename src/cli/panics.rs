//! The process's panic hook. A panic inside the parser's `catch_unwind` (feed-rs meeting a
//! hostile document) is already that document's clean error; Rust's default hook would still
//! print "thread panicked at ..." (and a backtrace under `RUST_BACKTRACE`) before it. Those are
//! logged at debug instead. Every other panic is a bug and keeps the default hook's output.

/// Installs the hook; `main` calls it once, before any command runs.
pub fn install() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if crate::parse::panic_is_caught() {
            tracing::debug!(
                panic = %info,
                backtrace = %std::backtrace::Backtrace::capture(),
                "The parser panicked on a document; it fails alone."
            );
            return;
        }
        default(info);
    }));
}
