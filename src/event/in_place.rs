//! Building the largest payload structs where they will stay.
//!
//! serde's derived impls return every struct by value, and each layer on the
//! way (the derived visitor, `serde_json`'s `deserialize_map`, `Option`, the
//! enclosing struct) copies it: the purchase data is 2.7 KB, `purchase` alone
//! about 1 KB. The single pass of [`crate::parse`] fills these structs in
//! place instead, through the visitors below. They accept exactly what the
//! derived impls accept or fail (a duplicate key, a wrong type): on failure
//! the caller reads the body again with the derived impls, whose results and
//! errors are the reference (tested on every fixture).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::Text;
use crate::event::common::{Address, Offer, Plan, Subscriber};
use crate::event::purchase::{Buyer, Payment, Product, Purchase, PurchaseData, Subscription};
use crate::event::subscription::{CanceledSubscription, SubscriptionCancellation};

/// A struct that can be filled from a JSON object in place.
pub(crate) trait FillInPlace<'de>: Default {
    /// Every key this filling reads, for the test that holds them equal to
    /// the derived impl's (renames and aliases included).
    #[cfg(test)]
    const WIRE_NAMES: &'static [&'static str];

    fn fill<A: MapAccess<'de>>(&mut self, map: A) -> Result<(), A::Error>;
}

/// Fills `T` from a JSON object (an array or anything else is an error, as
/// with `MapOnly`).
pub(crate) struct Fill<'p, T>(pub(crate) &'p mut T);

impl<'de, T: FillInPlace<'de>> Visitor<'de> for Fill<'_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.0.fill(map)
    }
}

/// An `Option<T>` field: `null` is `None`, an object fills `Some(T)` in place.
struct FillOption<'p, T>(&'p mut Option<T>);

impl<'de, T: FillInPlace<'de>> DeserializeSeed<'de> for FillOption<'_, T> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de, T: FillInPlace<'de>> Visitor<'de> for FillOption<'_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("option")
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        *self.0 = None;
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        *self.0 = None;
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        let place = self.0.insert(T::default());
        deserializer.deserialize_map(Fill(place))
    }
}

/// Implements [`FillInPlace`]: `value` fields are read as the derived impl
/// reads them, `nested` ones (an `Option` of a [`FillInPlace`] struct) are
/// filled in place. A key seen twice is an error, as in the derived impl.
/// Every field must be listed (checked at compile time), with its wire name.
macro_rules! fill_in_place {
    ($ty:ident { $($i:literal $wire:literal => $mode:ident $field:ident),* $(,)? }) => {
        impl<'de: 'a, 'a> FillInPlace<'de> for $ty<'a> {
            #[cfg(test)]
            const WIRE_NAMES: &'static [&'static str] = &[$($wire),*];

            fn fill<A: MapAccess<'de>>(&mut self, mut map: A) -> Result<(), A::Error> {
                // Fails to compile when the struct gains a field not listed.
                let $ty { $($field: _),* } = self;
                let mut seen = 0u64;
                while let Some(key) = map.next_key::<Text<'de>>()? {
                    match key.as_str() {
                        $( $wire => {
                            if seen & (1 << $i) != 0 {
                                return Err(de::Error::duplicate_field($wire));
                            }
                            seen |= 1 << $i;
                            fill_in_place!(@read $mode map self.$field);
                        } )*
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(())
            }
        }
    };
    (@read value $map:ident $place:expr) => {
        $place = $map.next_value()?
    };
    (@read nested $map:ident $place:expr) => {
        $map.next_value_seed(FillOption(&mut $place))?
    };
}

fill_in_place!(PurchaseData {
    0 "product" => nested product,
    1 "affiliates" => value affiliates,
    2 "buyer" => nested buyer,
    3 "producer" => value producer,
    4 "commissions" => value commissions,
    5 "purchase" => nested purchase,
    6 "subscription" => nested subscription,
    7 "shipping" => value shipping,
});

fill_in_place!(Product {
    0 "id" => value id,
    1 "ucode" => value ucode,
    2 "name" => value name,
    3 "has_co_production" => value has_co_production,
    4 "warranty_date" => value warranty_date,
    5 "support_email" => value support_email,
    6 "is_physical_product" => value is_physical_product,
    7 "content" => value content,
    8 "product_format_id" => value product_format_id,
});

fill_in_place!(Buyer {
    0 "email" => value email,
    1 "ucode" => value ucode,
    2 "name" => value name,
    3 "first_name" => value first_name,
    4 "last_name" => value last_name,
    5 "checkout_phone" => value checkout_phone,
    6 "checkout_phone_code" => value checkout_phone_code,
    7 "document" => value document,
    8 "document_type" => value document_type,
    9 "address" => nested address,
});

fill_in_place!(Address {
    0 "country" => value country,
    1 "country_iso" => value country_iso,
    2 "zipcode" => value zipcode,
    3 "zip_code" => value zip_code,
    4 "state" => value state,
    5 "city" => value city,
    6 "neighborhood" => value neighborhood,
    7 "address" => value address,
    8 "street" => value street,
    9 "number" => value number,
    10 "complement" => value complement,
});

fill_in_place!(Purchase {
    0 "transaction" => value transaction,
    1 "status" => value status,
    2 "order_date" => value order_date,
    3 "approved_date" => value approved_date,
    4 "price" => value price,
    5 "full_price" => value full_price,
    6 "original_offer_price" => value original_offer_price,
    7 "offer" => nested offer,
    8 "payment" => nested payment,
    9 "checkout_country" => value checkout_country,
    10 "order_bump" => value order_bump,
    11 "origin" => value origin,
    12 "recurrence_number" => value recurrence_number,
    13 "date_next_charge" => value date_next_charge,
    14 "subscription_anticipation_purchase" => value subscription_anticipation_purchase,
    15 "invoice_by" => value invoice_by,
    16 "is_funnel" => value is_funnel,
    17 "business_model" => value business_model,
    18 "event_tickets" => value event_tickets,
    19 "variants" => value variants,
    20 "sckPaymentLink" => value sck_payment_link,
    21 "buyer_ip" => value buyer_ip,
});

fill_in_place!(Payment {
    0 "type" => value kind,
    1 "installments_number" => value installments_number,
    2 "billet_url" => value billet_url,
    3 "billet_barcode" => value billet_barcode,
    4 "pix_code" => value pix_code,
    5 "pix_qrcode" => value pix_qrcode,
    6 "pix_expiration_date" => value pix_expiration_date,
    7 "refusal_reason" => value refusal_reason,
});

fill_in_place!(Subscription {
    0 "status" => value status,
    1 "plan" => nested plan,
    2 "subscriber" => nested subscriber,
});

fill_in_place!(Offer {
    0 "code" => value code,
    1 "key" => value key,
    2 "coupon_code" => value coupon_code,
    3 "name" => value name,
    4 "description" => value description,
    5 "price" => value price,
    6 "metadata" => value metadata,
});

fill_in_place!(Plan {
    0 "id" => value id,
    1 "name" => value name,
    2 "offer" => nested offer,
    3 "current" => value current,
});

fill_in_place!(Subscriber {
    0 "code" => value code,
    1 "name" => value name,
    2 "email" => value email,
    3 "phone" => value phone,
});

fill_in_place!(SubscriptionCancellation {
    0 "actual_recurrence_value" => value actual_recurrence_value,
    1 "cancellation_date" => value cancellation_date,
    2 "date_next_charge" => value date_next_charge,
    3 "product" => value product,
    4 "subscriber" => nested subscriber,
    5 "subscription" => nested subscription,
});

fill_in_place!(CanceledSubscription {
    0 "id" => value id,
    1 "plan" => nested plan,
});

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field of the derived impls is filled here too: a JSON object
    /// with every field of a struct (as serialised from a full value) reads
    /// back equal through both paths.
    fn same_as_derived<'de, T>(json: &'de str)
    where
        T: FillInPlace<'de> + serde::Deserialize<'de> + PartialEq + fmt::Debug,
    {
        let derived: T = serde_json::from_str(json).unwrap();
        let mut filled = T::default();
        serde_json::Deserializer::from_str(json)
            .deserialize_map(Fill(&mut filled))
            .unwrap();
        assert_eq!(filled, derived, "{json}");
    }

    #[test]
    fn in_place_reads_every_field_the_derived_impl_reads() {
        // A `Purchase` with every field present, from the fixtures' shapes.
        let purchase = r#"{"transaction":"HP1","status":"APPROVED","order_date":1,"approved_date":2,
            "price":{"value":1.5,"currency_value":"BRL"},"full_price":{"value":2},
            "original_offer_price":{"value":3,"currency_value":"USD"},"offer":{"code":"x","coupon_code":"y"},
            "payment":{"type":"PIX","installments_number":1,"billet_url":"u","billet_barcode":"b","pix_code":"p",
              "pix_qrcode":"q","pix_expiration_date":3,"refusal_reason":"r"},
            "checkout_country":{"name":"Brasil","iso":"BR"},"order_bump":{"is_order_bump":true,"parent_purchase_transaction":"HP0"},
            "origin":{"src":"s","sck":"k","xcod":"x"},"recurrence_number":2,"date_next_charge":4,
            "subscription_anticipation_purchase":false,"invoice_by":"HOTMART","is_funnel":false,"business_model":"I",
            "event_tickets":{"amount":1},"variants":{"sku":"S","attributes":[{"name":"n","value":"v"}]},
            "sckPaymentLink":"l","buyer_ip":"1.2.3.4","unknown":[1,{"a":null}]}"#;
        same_as_derived::<Purchase<'_>>(&purchase.replace('\n', ""));
        let buyer = r#"{"email":"e","ucode":"u","name":"n","first_name":"f","last_name":"l","checkout_phone":"1",
            "checkout_phone_code":"2","document":"3","document_type":"CPF","address":{"country":"Brasil",
            "country_iso":"BR","zipcode":"1","zip_code":"2","state":"s","city":"c","neighborhood":"n",
            "address":"a","street":"t","number":"9","complement":"c"}}"#;
        same_as_derived::<Buyer<'_>>(&buyer.replace('\n', ""));
        let product = r#"{"id":1,"ucode":"u","name":"n","has_co_production":true,"warranty_date":"2025-05-23T00:00:00Z",
            "support_email":"s","is_physical_product":false,"content":{"has_physical_products":true,
            "products":[{"id":2,"ucode":"v","name":"m","is_physical_product":true}]},"product_format_id":8}"#;
        same_as_derived::<Product<'_>>(&product.replace('\n', ""));
        same_as_derived::<Subscription<'_>>(
            r#"{"status":"ACTIVE","plan":{"id":1,"name":"p","current":true,"offer":{"code":"c","key":"k",
              "coupon_code":"d","name":"n","description":"e","price":{"value":1},"metadata":{"a":[1]}}},
              "subscriber":{"code":"c","name":"n","email":"e","phone":{"dddPhone":"1","phone":"2",
              "dddCell":"3","cell":"4"}}}"#
                .replace('\n', "")
                .as_str(),
        );
        same_as_derived::<SubscriptionCancellation<'_>>(
            r#"{"actual_recurrence_value":64.9,"cancellation_date":1,"date_next_charge":2,
              "product":{"id":3,"name":"p"},"subscriber":{"code":"c","email":"e"},
              "subscription":{"id":4,"plan":{"id":5,"name":"q"}}}"#
                .replace('\n', "")
                .as_str(),
        );
        let data = format!(
            r#"{{"product":{product},"affiliates":[{{"affiliate_code":"","name":""}}],"buyer":{buyer},
            "producer":{{"name":"p"}},"commissions":[{{"value":1}}],"purchase":{purchase},
            "subscription":{{"status":"ACTIVE"}},"shipping":{{"cost":{{"value":0}}}}}}"#
        );
        same_as_derived::<PurchaseData<'_>>(&data.replace('\n', ""));
        // null and absent fields are None.
        same_as_derived::<PurchaseData<'_>>(r#"{"buyer":null,"purchase":{"payment":null}}"#);
    }

    /// The keys the derived impl of `T` reads: serde hands them (renames
    /// and aliases included) to `deserialize_struct`.
    fn derived_names<'de, T: serde::Deserialize<'de>>() -> Vec<&'static str> {
        struct Names(std::cell::Cell<&'static [&'static str]>);
        impl<'de> serde::Deserializer<'de> for &Names {
            type Error = serde::de::value::Error;
            fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
                Err(de::Error::custom("not a struct"))
            }
            fn deserialize_struct<V: Visitor<'de>>(
                self,
                _: &'static str,
                fields: &'static [&'static str],
                _: V,
            ) -> Result<V::Value, Self::Error> {
                self.0.set(fields);
                Err(de::Error::custom("names taken"))
            }
            serde::forward_to_deserialize_any! {
                bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
                byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map
                enum identifier ignored_any
            }
        }
        let names = Names(std::cell::Cell::new(&[]));
        let _ = T::deserialize(&names);
        let mut names = names.0.get().to_vec();
        names.sort_unstable();
        names
    }

    fn in_place_names<'de, T: FillInPlace<'de>>() -> Vec<&'static str> {
        let mut names = T::WIRE_NAMES.to_vec();
        names.sort_unstable();
        names
    }

    /// One source of truth for the keys: a `rename` or `alias` added to a
    /// struct, and not to its in-place filling, fails here.
    #[test]
    fn the_in_place_keys_are_the_derived_impls_keys() {
        macro_rules! same_keys {
            ($($ty:ident),*) => {$(
                let derived = derived_names::<$ty<'_>>();
                assert!(!derived.is_empty(), "{}", stringify!($ty));
                assert_eq!(in_place_names::<$ty<'_>>(), derived, "{}", stringify!($ty));
            )*};
        }
        same_keys!(
            PurchaseData,
            Product,
            Buyer,
            Address,
            Purchase,
            Payment,
            Subscription,
            Offer,
            Plan,
            Subscriber,
            SubscriptionCancellation,
            CanceledSubscription
        );
    }

    #[test]
    fn what_the_derived_impl_refuses_is_refused() {
        for bad in [
            r#"{"purchase":[]}"#,
            r#"{"purchase":{"transaction":"a","transaction":"b"}}"#,
            r#"{"buyer":{"address":["x"]}}"#,
            r#"{"product":1}"#,
            r#"[]"#,
        ] {
            assert!(
                serde_json::from_str::<PurchaseData<'_>>(bad).is_err(),
                "{bad}"
            );
            let mut filled = PurchaseData::default();
            let result = serde_json::Deserializer::from_str(bad).deserialize_map(Fill(&mut filled));
            assert!(result.is_err(), "{bad}");
        }
    }
}
