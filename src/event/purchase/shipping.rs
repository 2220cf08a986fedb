//! Freight and fulfilment, for physical products.

use crate::{Money, Text};

payload! {
    /// `data.shipping` of a purchase of a physical product.
    pub struct Shipping<'a> {
        /// Freight cost (0 = free).
        #[serde(borrow)]
        pub cost: Option<Money<'a>>,
        /// Estimated delivery in days.
        pub estimated_delivery_days: Option<u32>,
        /// Carrier.
        #[serde(borrow)]
        pub carrier: Option<Carrier<'a>>,
        /// Who fulfils the order.
        #[serde(borrow)]
        pub fulfillment: Option<FulfillmentInfo<'a>>,
    }
}

payload! {
    /// A carrier: `{name: "CORREIOS", service: "SEDEX"}` or `{name, code}`.
    pub struct Carrier<'a> {
        /// Name.
        #[serde(borrow)]
        pub name: Option<Text<'a>>,
        /// Service (`SEDEX`, `PAC`).
        #[serde(borrow)]
        pub service: Option<Text<'a>>,
        /// Code.
        #[serde(borrow)]
        pub code: Option<Text<'a>>,
    }
}

payload! {
    /// `shipping.fulfillment`.
    pub struct FulfillmentInfo<'a> {
        /// `MANUAL` or a print-on-demand partner (`UICLAP`, `MONTINK`).
        #[serde(borrow)]
        pub service: Option<Text<'a>>,
    }
}
