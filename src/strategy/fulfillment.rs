//! Order fulfilment.

use super::*;

pub(super) fn shopper() -> BoxedStrategy<Shopper<'static>> {
    record!(Shopper {
        country: opt(pick(&["Brasil", "Chile"])),
        phone: opt(mixed("\\+?[0-9]{8,13}")),
        document: opt(digits(14)),
        name: opt(person()),
        time_zone: opt(pick(&["America/Sao_Paulo", "America/Santiago"])),
        locale: opt(pick(&["pt_BR", "es_CL", "en_US"])),
        ucode: opt(uuid()),
        email: opt(email()),
        address: opt(address()),
    })
}

pub(super) fn line_item() -> BoxedStrategy<LineItem<'static>> {
    record!(LineItem {
        offer: opt(offer()),
        product: opt(record!(LineItemProduct {
            id: opt(id()),
            name: opt(product_name()),
            format: opt(pick(&["PHYSICAL"])),
            support_email: opt(email()),
            ucode: opt(uuid()),
            seller: opt(record!(Seller {
                name: opt(person()),
                email: opt(email()),
                ucode: opt(uuid()),
                locale: opt(pick(&["pt_BR", "es_CL"])),
            })),
        })),
        quantity: opt(1u32..10),
        variant: opt(record!(Variant {
            name: opt(text()),
            id: opt(id()),
            sku: opt(code()),
            attributes: opt(vec(attribute(), 0..3).prop_map(crate::List::from)),
        })),
        dimension: opt(record!(Dimension {
            depth: opt(amount()),
            width: opt(amount()),
            height: opt(amount()),
            weight: opt(amount()),
        })),
    })
}

/// The `data` of `ORDER_FULFILLMENT`.
pub fn order_fulfillment() -> impl Strategy<Value = OrderFulfillment<'static>> {
    record!(OrderFulfillment {
        purchase: opt(record!(FulfillmentPurchase {
            full_price: opt(money()),
            price: opt(money()),
            approved_date: opt(timestamp()),
            order_date: opt(timestamp()),
            id: opt(id()),
            transaction: opt(transaction()),
            status: opt(open_enum()),
            shopper: opt(shopper()),
        })),
        line_items: opt(vec(line_item(), 0..3).prop_map(crate::List::from)),
        delivery: opt(record!(Delivery {
            shipping_processing_time: opt(0u32..30),
            method_type: opt(pick(&["SHIPPING"])),
            delivery_time: opt(0u32..60),
            destination: opt(address()),
        })),
        shipping: opt(record!(FulfillmentShipping {
            shipping_total_value: opt(money()),
            carrier: opt(carrier()),
            shipping_logistics_time: opt(0u32..30),
            carrier_options: opt(carrier()),
            kind: opt(pick(&["FLAT_RATE", "FREE_SHIPPING", "FIXED_PRICE"])),
            estimate_shipping_cost: opt(money()),
            shipping_markup_price: opt(money()),
        })),
        fulfillment_service: opt(record!(FulfillmentService {
            service_type: opt(pick(&["MANUAL", "PARTNER"])),
            service_name: opt(pick(&["UICLAP", "MONTINK"])),
        })),
        billing: opt(shopper()),
    })
}
