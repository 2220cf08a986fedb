//! Cart abandonment.

use super::*;

/// A cart-abandonment lead (2.0.0 `buyer`, v1 `buyerVO`).
pub fn cart_buyer() -> impl Strategy<Value = CartBuyer<'static>> {
    record!(CartBuyer {
        name: opt(person()),
        email: opt(email()),
        phone: opt(mixed("\\+?[0-9]{8,13}")),
    })
}

/// The `data` of `PURCHASE_OUT_OF_SHOPPING_CART`.
pub fn cart_abandonment() -> impl Strategy<Value = CartAbandonment<'static>> {
    record!(CartAbandonment {
        affiliate: opt(any::<bool>()),
        product: opt(product_ref()),
        buyer: opt(cart_buyer()),
        offer: opt(offer()),
        checkout_country: opt(country()),
        buyer_ip: option::weighted(0.2, mixed("[0-9]{1,3}(\\.[0-9]{1,3}){3}")).boxed(),
    })
}
