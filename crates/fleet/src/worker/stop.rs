//! How a worker is asked to stop, and what a slot sees of it (as
//! mini-redis' `Shutdown`): whether to take another job, and a future
//! that resolves when jobs in flight are to be handed back.

use tokio::sync::watch;

/// How far a worker is asked to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// Keep going.
    Run,
    /// Take no new job; finish those in flight.
    Finish,
    /// Give those in flight back to the queue now.
    HandBack,
}

/// A slot's view of the stop: the worker's [`Stop`], as it changes.
pub(super) struct StopSignal {
    stop: watch::Receiver<Stop>,
}

impl StopSignal {
    /// The slot's view of `stop`.
    pub(super) fn new(stop: watch::Receiver<Stop>) -> Self {
        StopSignal { stop }
    }

    /// Whether a stop was asked for: take no new job.
    pub(super) fn is_stopping(&self) -> bool {
        *self.stop.borrow() != Stop::Run
    }

    /// Resolves once a stop asks for jobs in flight to be handed back;
    /// never, if no one can ask any more.
    pub(super) async fn hand_back_asked(&mut self) {
        if self.stop.wait_for(|s| *s == Stop::HandBack).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
