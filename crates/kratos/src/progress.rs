//! Progress of long computations, reported to whoever drives them: a terminal's progress bars,
//! a log, or nothing.

/// Receives the progress of a long computation, one stage of countable steps at a time.
/// Implementations are shared across threads (t-SNE reports from its worker).
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use kratos::Progress;
///
/// /// Counts the steps reported.
/// struct Counter(AtomicU64);
///
/// impl Progress for Counter {
///     fn start(&self, _stage: &str, _total: u64) {}
///     fn advance(&self, steps: u64) {
///         self.0.fetch_add(steps, Ordering::Relaxed);
///     }
///     fn finish(&self) {}
/// }
/// let counter = Counter(AtomicU64::new(0));
/// counter.advance(3);
/// assert_eq!(counter.0.load(Ordering::Relaxed), 3);
/// ```
pub trait Progress: Sync {
    /// A stage of `total` steps starts (0 when its steps cannot be counted).
    fn start(&self, stage: &str, total: u64);
    /// What the current stage is working on (a method, a pair of classes).
    fn detail(&self, _text: &str) {}
    /// `steps` more steps of the current stage are done.
    fn advance(&self, steps: u64);
    /// The current stage is over.
    fn finish(&self);
    /// A note for the user, e.g. that a map shows a sample of the cells.
    fn note(&self, _text: &str) {}
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _stage: &str, _total: u64) {}
    fn advance(&self, _steps: u64) {}
    fn finish(&self) {}
}
