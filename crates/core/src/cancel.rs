//! Cooperative cancellation of CPU work.
//!
//! A [`Cancel`] is handed to every long computation. The computation calls
//! [`Cancel::check`] between phases and every few thousand items; once the caller has given up
//! (the HTTP request timed out, the client went away) or the deadline has passed, `check`
//! returns [`Error::Cancelled`] and the work stops there instead of running to the end on a
//! thread nobody waits for.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// A stop signal: raised by [`Cancel::cancel`] or by passing the deadline. Cheap to clone;
/// clones share the signal.
#[derive(Debug, Clone, Default)]
pub struct Cancel {
    flag: Arc<AtomicBool>,
    deadline: Option<Instant>,
}

impl Cancel {
    /// A signal that is raised only by [`Cancel::cancel`] (the CLI's batch jobs).
    pub fn never() -> Cancel {
        Cancel::default()
    }

    /// A signal that is also raised `after` from now.
    pub fn after(after: Duration) -> Cancel {
        Cancel {
            flag: Arc::default(),
            deadline: Instant::now().checked_add(after),
        }
    }

    /// Raises the signal.
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::Relaxed);
    }

    /// Whether the work should stop.
    pub fn is_cancelled(&self) -> bool {
        if self.flag.load(Ordering::Relaxed) {
            return true;
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            self.flag.store(true, Ordering::Relaxed);
            return true;
        }
        false
    }

    /// `Err(Error::Cancelled)` once the work should stop.
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            Err(Error::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// Raises a [`Cancel`] when dropped: held by the waiting side, so that a caller who stops
/// waiting (a timed-out or dropped request future) stops the work too.
#[derive(Debug)]
pub struct CancelOnDrop(pub Cancel);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clone_sees_the_cancel_and_a_dropped_guard_cancels() {
        let c = Cancel::never();
        assert!(c.check().is_ok());
        let guard = CancelOnDrop(c.clone());
        drop(guard);
        assert!(matches!(c.check(), Err(Error::Cancelled)));
    }

    #[test]
    fn the_deadline_raises_the_signal() {
        let c = Cancel::after(Duration::ZERO);
        assert!(c.is_cancelled());
        assert!(!Cancel::after(Duration::from_secs(3600)).is_cancelled());
    }
}
