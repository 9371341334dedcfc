//! SIGINT, SIGTERM and SIGHUP during `host run`: the first stops submitting and cancels
//! what is in flight, so the run can print what finished, its summary and its
//! timeline; a second one ends the process at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

/// How long the tasks in flight get to end after they are cancelled.
pub(super) const GRACE: Duration = Duration::from_secs(2);

/// The signals that stop a run, once installed.
pub(super) struct Interrupt {
    stopping: Arc<AtomicBool>,
    signal: Arc<AtomicUsize>,
    /// When the tasks in flight were cancelled, once they were.
    cancelled_at: Option<Instant>,
}

impl Interrupt {
    /// Installs the handlers. For each signal, the second delivery exits at once with
    /// 128 + its number; the first only sets the flags.
    pub(super) fn install() -> std::io::Result<Self> {
        let stopping = Arc::new(AtomicBool::new(false));
        let signal = Arc::new(AtomicUsize::new(0));
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            let code = 128 + sig;
            signal_hook::flag::register_conditional_shutdown(sig, code, stopping.clone())?;
            signal_hook::flag::register(sig, stopping.clone())?;
            signal_hook::flag::register_usize(
                sig,
                signal.clone(),
                usize::try_from(sig).unwrap_or(0),
            )?;
        }
        Ok(Interrupt {
            stopping,
            signal,
            cancelled_at: None,
        })
    }

    /// The signal that stopped the run, if one came.
    pub(super) fn signal(&self) -> Option<i32> {
        if !self.stopping.load(Ordering::Relaxed) {
            return None;
        }
        i32::try_from(self.signal.load(Ordering::Relaxed)).ok()
    }

    /// Whether the tasks in flight still have to be cancelled (a signal came and
    /// they were not yet); marks them cancelled from now on.
    pub(super) fn should_cancel(&mut self) -> bool {
        if self.signal().is_some() && self.cancelled_at.is_none() {
            self.cancelled_at = Some(Instant::now());
            return true;
        }
        false
    }

    /// Whether the grace period after cancelling has run out.
    pub(super) fn grace_over(&self) -> bool {
        self.cancelled_at.is_some_and(|t| t.elapsed() > GRACE)
    }

    /// The signal's name, for the summary.
    pub(super) fn name(signal: i32) -> &'static str {
        match signal {
            SIGINT => "SIGINT",
            SIGTERM => "SIGTERM",
            SIGHUP => "SIGHUP",
            _ => "a signal",
        }
    }
}
