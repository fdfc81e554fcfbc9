//! [`Payments`], the simulated payment service: a singleton the checkout
//! gets by DI, charging a card for an order's total. It declines the way a
//! card processor's test mode does, deterministically: the test card
//! [`DECLINED_CARD`], and any charge over a configured limit. An optional
//! latency stands in for the network round trip.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The card number that is always declined (card processors' test-mode
/// convention: `4000 0000 0000 0002` is "card declined").
pub(crate) const DECLINED_CARD: &str = "4000000000000002";

/// A card that is always accepted (unless over the limit).
#[cfg(test)]
pub(crate) const GOOD_CARD: &str = "4242424242424242";

/// The simulated payment service.
#[derive(Debug)]
pub(crate) struct Payments {
    /// Charges above this many cents are declined.
    limit_cents: Option<i64>,
    /// How long a charge takes to answer.
    latency: Duration,
    /// Charges accepted so far, for their references.
    accepted: AtomicU64,
}

/// Why a charge was declined, for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Declined(pub(crate) &'static str);

impl Payments {
    /// Accepts every card but [`DECLINED_CARD`], at once, with no limit.
    pub(crate) fn simulated() -> Self {
        Payments {
            limit_cents: None,
            latency: Duration::ZERO,
            accepted: AtomicU64::new(0),
        }
    }

    /// Declines charges over `cents`.
    pub(crate) fn limit_cents(mut self, cents: i64) -> Self {
        self.limit_cents = Some(cents);
        self
    }

    /// Answers each charge after `latency`.
    pub(crate) fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Charges `amount_cents` to `card` for order `order`: the charge's
    /// reference, or why it was declined.
    pub(crate) async fn charge(
        &self,
        order: i64,
        amount_cents: i64,
        card: &str,
    ) -> Result<String, Declined> {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        if card == DECLINED_CARD {
            return Err(Declined("card declined"));
        }
        if self.limit_cents.is_some_and(|limit| amount_cents > limit) {
            return Err(Declined("amount over the card's limit"));
        }
        let n = self.accepted.fetch_add(1, Ordering::Relaxed) + 1;
        Ok(format!("ch_{n:08}_order_{order}"))
    }
}
