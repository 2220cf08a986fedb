//! The processor used when no forward URL is set: it logs what arrived.

use hotmart_webhook::Webhook;

use super::Processor;

/// Logs each delivery (key, event, transaction: never buyer data) and
/// succeeds. With it, "processed" means "logged"; set `HOTMART_FORWARD_URL`
/// to hand deliveries to your app.
#[derive(Clone, Debug, Default)]
pub struct LogProcessor;

impl Processor for LogProcessor {
    type Error = std::convert::Infallible;

    async fn process(&self, key: &str, webhook: &Webhook<'_>) -> Result<(), Self::Error> {
        tracing::info!(
            platform = "HOTMART",
            key,
            event = webhook.event_name(),
            transaction = webhook.transaction().unwrap_or("-"),
            "delivery processed (logged only: no forward URL)"
        );
        Ok(())
    }
}
