//! The purchase family.

use super::*;

/// The `data` of the nine purchase events.
pub fn purchase_data() -> impl Strategy<Value = PurchaseData<'static>> {
    record!(PurchaseData {
        product: opt(product()),
        affiliates: opt(vec(affiliate(), 0..3).prop_map(crate::List::from)),
        buyer: opt(buyer()),
        producer: opt(producer()),
        commissions: opt(vec(commission(), 0..4).prop_map(crate::List::from)),
        purchase: opt(purchase()),
        subscription: option::weighted(0.5, subscription()).boxed(),
        shipping: option::weighted(0.2, shipping()).boxed(),
    })
}

pub(super) fn product() -> BoxedStrategy<Product<'static>> {
    record!(Product {
        id: opt(id()),
        ucode: opt(uuid()),
        name: opt(product_name()),
        has_co_production: opt(any::<bool>()),
        warranty_date: opt(iso_timestamp()),
        support_email: opt(email()),
        is_physical_product: opt(any::<bool>()),
        content: option::weighted(0.3, product_content()).boxed(),
        product_format_id: option::weighted(0.2, any::<i64>()).boxed(),
    })
}

pub(super) fn product_content() -> BoxedStrategy<ProductContent<'static>> {
    record!(ProductContent {
        has_physical_products: opt(any::<bool>()),
        products: opt(vec(bundled_product(), 0..3).prop_map(crate::List::from)),
    })
}

pub(super) fn bundled_product() -> BoxedStrategy<BundledProduct<'static>> {
    record!(BundledProduct {
        id: opt(id()),
        ucode: opt(uuid()),
        name: opt(product_name()),
        is_physical_product: opt(any::<bool>()),
    })
}

pub(super) fn affiliate() -> BoxedStrategy<Affiliate<'static>> {
    let none = Affiliate {
        affiliate_code: Some(owned("")),
        name: Some(owned("")),
    };
    prop_oneof![
        1 => Just(none),
        2 => record!(Affiliate {
            affiliate_code: opt(mixed("[A-Z][0-9]{8}[A-Z]")),
            name: opt(person()),
        }),
    ]
    .boxed()
}

pub(super) fn document_type() -> BoxedStrategy<DocumentType<'static>> {
    prop_oneof![5 => open_enum(), 1 => Just(DocumentType::Other(owned("")))].boxed()
}

pub(super) fn buyer() -> BoxedStrategy<Buyer<'static>> {
    record!(Buyer {
        email: opt(email()),
        ucode: option::weighted(0.2, uuid()).boxed(),
        name: opt(person()),
        first_name: opt(person()),
        last_name: opt(person()),
        checkout_phone: opt(mixed("\\+?[0-9]{8,13}")),
        checkout_phone_code: opt(digits(3)),
        document: opt(digits(14)),
        document_type: opt(document_type()),
        address: opt(address()),
    })
}

pub(super) fn producer() -> BoxedStrategy<Producer<'static>> {
    record!(Producer {
        name: opt(person()),
        document: opt(digits(14)),
        legal_nature: opt(open_enum()),
    })
}

pub(super) fn commission() -> BoxedStrategy<Commission<'static>> {
    record!(Commission {
        value: opt(amount()),
        currency_value: opt(currency()),
        source: opt(open_enum()),
        currency_conversion: option::weighted(0.4, currency_conversion()).boxed(),
    })
}

pub(super) fn currency_conversion() -> BoxedStrategy<CurrencyConversion<'static>> {
    record!(CurrencyConversion {
        converted_value: opt(amount()),
        converted_to_currency: opt(currency()),
        conversion_rate: opt(amount()),
    })
}

pub(super) fn purchase() -> BoxedStrategy<Purchase<'static>> {
    record!(Purchase {
        transaction: opt(prop_oneof![6 => transaction(), 1 => text()]),
        status: opt(open_enum()),
        order_date: opt(timestamp()),
        approved_date: opt(timestamp()),
        price: opt(money()),
        full_price: opt(money()),
        original_offer_price: opt(money()),
        offer: opt(offer()),
        payment: opt(payment()),
        checkout_country: opt(country()),
        order_bump: opt(order_bump()),
        origin: opt(origin()),
        recurrence_number: opt(prop_oneof![4 => 1u32..30, 1 => any::<u32>()]),
        date_next_charge: opt(timestamp()),
        subscription_anticipation_purchase: opt(any::<bool>()),
        invoice_by: opt(open_enum()),
        is_funnel: opt(any::<bool>()),
        business_model: opt(open_enum()),
        event_tickets: opt(any::<Option<i64>>().prop_map(|amount| EventTickets { amount })),
        variants: option::weighted(0.2, variants()).boxed(),
        sck_payment_link: opt(pick(&["sckPaymentLinkTest", "HOTMART_PRODUCT_PAGE"])),
        buyer_ip: option::weighted(0.2, mixed("[0-9]{1,3}(\\.[0-9]{1,3}){3}")).boxed(),
    })
}

pub(super) fn payment() -> BoxedStrategy<Payment<'static>> {
    record!(Payment {
        kind: opt(open_enum()),
        installments_number: opt(prop_oneof![4 => 1u32..=12, 1 => any::<u32>()]),
        billet_url: opt(url()),
        billet_barcode: opt(digits(48)),
        pix_code: opt(text()),
        pix_qrcode: opt(url()),
        pix_expiration_date: opt(timestamp()),
        refusal_reason: opt(text()),
    })
}

pub(super) fn order_bump() -> BoxedStrategy<OrderBump<'static>> {
    record!(OrderBump {
        is_order_bump: opt(any::<bool>()),
        parent_purchase_transaction: opt(transaction()),
    })
}

pub(super) fn origin() -> BoxedStrategy<Origin<'static>> {
    record!(Origin {
        src: opt(text()),
        sck: opt(pick(&["HOTMART_PRODUCT_PAGE", "HOTMART_CHECKOUT"])),
        xcod: opt(text()),
    })
}

pub(super) fn attribute() -> BoxedStrategy<Attribute<'static>> {
    record!(Attribute {
        name: opt(pick(&["Tamanho", "Cor"])),
        value: opt(pick(&["M", "GG", "Azul-marinho"])),
    })
}

pub(super) fn variants() -> BoxedStrategy<Variants<'static>> {
    record!(Variants {
        sku: opt(code()),
        attributes: opt(vec(attribute(), 0..3).prop_map(crate::List::from)),
    })
}

pub(super) fn subscription() -> BoxedStrategy<Subscription<'static>> {
    record!(Subscription {
        status: opt(open_enum()),
        plan: opt(plan()),
        subscriber: opt(subscriber()),
    })
}

pub(super) fn carrier() -> BoxedStrategy<Carrier<'static>> {
    record!(Carrier {
        name: opt(pick(&["CORREIOS", "JADLOG"])),
        service: opt(pick(&["SEDEX", "PAC"])),
        code: opt(code()),
    })
}

pub(super) fn shipping() -> BoxedStrategy<Shipping<'static>> {
    record!(Shipping {
        cost: opt(money()),
        estimated_delivery_days: opt(0u32..60),
        carrier: opt(carrier()),
        fulfillment: opt(pick(&["MANUAL", "UICLAP", "MONTINK"]).prop_map(|service| {
            FulfillmentInfo {
                service: Some(service),
            }
        })),
    })
}
