//! `PURCHASE_OUT_OF_SHOPPING_CART`: cart abandonment.

use crate::Text;
use crate::event::common::{Country, Offer, ProductRef};

payload! {
    /// The `data` of `PURCHASE_OUT_OF_SHOPPING_CART`: someone filled in a name
    /// or e-mail at checkout and left without buying (Hotmart checks every
    /// 30 minutes).
    pub struct CartAbandonment<'a> {
        /// Whether the lead came through an affiliate.
        pub affiliate: Option<bool>,
        /// The product (`{id, name}`, no ucode).
        #[serde(borrow)]
        pub product: Option<ProductRef<'a>>,
        /// The lead.
        #[serde(borrow)]
        pub buyer: Option<CartBuyer<'a>>,
        /// The offer.
        #[serde(borrow)]
        pub offer: Option<Offer<'a>>,
        /// Checkout country.
        #[serde(borrow)]
        pub checkout_country: Option<Country<'a>>,
        /// Lead IP (test events only).
        #[serde(borrow)]
        pub buyer_ip: Option<Text<'a>>,
    }
}

payload! {
    /// The lead of a cart abandonment.
    pub struct CartBuyer<'a> {
        /// Name.
        #[serde(borrow)]
        pub name: Option<Text<'a>>,
        /// E-mail.
        #[serde(borrow)]
        pub email: Option<Text<'a>>,
        /// Phone (with the country code for non-Brazilian leads).
        #[serde(borrow)]
        pub phone: Option<Text<'a>>,
    }
}
