//! What was bought: the product, and the products of a bundle.

use crate::event::BundledProducts;
use crate::event::common::Id;
use crate::{Text, Timestamp};

payload! {
    /// `data.product` of a purchase.
    #[derive(Default)]
    pub struct Product<'a> in place {
        /// Product id (`0` in test events).
        #[serde(borrow)]
        pub id: Option<Id<'a>>,
        /// Product UUID; Hotmart recommends identifying products by it.
        #[serde(borrow)]
        pub ucode: Option<Text<'a>>,
        /// Product name.
        #[serde(borrow)]
        pub name: Option<Text<'a>>,
        /// Whether the product has co-producers.
        pub has_co_production: Option<bool>,
        /// End of the refund window (midnight UTC); present once approved.
        pub warranty_date: Option<Timestamp>,
        /// Support e-mail.
        #[serde(borrow)]
        pub support_email: Option<Text<'a>>,
        /// Whether the product is physical.
        pub is_physical_product: Option<bool>,
        /// The products of a bundle.
        #[serde(borrow)]
        pub content: Option<ProductContent<'a>>,
        /// Undocumented product format code seen in 2026 production traffic.
        pub product_format_id: Option<i64>,
    }
}

payload! {
    /// `product.content`: what a bundle contains.
    pub struct ProductContent<'a> {
        /// Whether any bundled product is physical.
        pub has_physical_products: Option<bool>,
        /// The bundled products.
        #[serde(borrow)]
        pub products: Option<BundledProducts<'a>>,
    }
}

payload! {
    /// One product of a bundle.
    #[derive(Default)]
    pub struct BundledProduct<'a> {
        /// Product id.
        #[serde(borrow)]
        pub id: Option<Id<'a>>,
        /// Product UUID.
        #[serde(borrow)]
        pub ucode: Option<Text<'a>>,
        /// Name.
        #[serde(borrow)]
        pub name: Option<Text<'a>>,
        /// Whether it is physical.
        pub is_physical_product: Option<bool>,
    }
}
