//! Parts shared by several events: ids, products, people, offers, plans.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::{Serialize, Serializer};

use crate::{Money, Text};

/// An identifier Hotmart sends sometimes as a JSON integer and sometimes as a
/// string (`product.id` is `5381714` in purchases, `"4062912"` in
/// `CLUB_MODULE_COMPLETED`, `"00000"` in v1 test postbacks). The form is kept,
/// leading zeros included; [`Id::as_i64`] reads either as a number.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Id<'a> {
    /// Sent as a JSON integer.
    Number(i64),
    /// Sent as a string.
    Text(Text<'a>),
}

impl Id<'_> {
    /// The numeric value, when the id is an integer or a string of digits.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Id::Number(n) => Some(*n),
            Id::Text(t) => t.parse().ok(),
        }
    }

    /// A copy independent of the body.
    pub fn into_owned(self) -> Id<'static> {
        match self {
            Id::Number(n) => Id::Number(n),
            Id::Text(t) => Id::Text(t.into_owned()),
        }
    }
}

impl crate::owned::IntoOwned for Id<'_> {
    type Owned = Id<'static>;
    fn into_owned(self) -> Id<'static> {
        Id::into_owned(self)
    }
}

impl fmt::Debug for Id<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Id::Number(n) => fmt::Debug::fmt(n, f),
            Id::Text(t) => fmt::Debug::fmt(t, f),
        }
    }
}

impl fmt::Display for Id<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Id::Number(n) => fmt::Display::fmt(n, f),
            Id::Text(t) => f.write_str(t),
        }
    }
}

impl PartialEq<i64> for Id<'_> {
    fn eq(&self, other: &i64) -> bool {
        self.as_i64() == Some(*other)
    }
}

impl PartialEq<str> for Id<'_> {
    fn eq(&self, other: &str) -> bool {
        match self {
            Id::Number(n) => other.parse() == Ok(*n),
            Id::Text(t) => t == other,
        }
    }
}

impl PartialEq<&str> for Id<'_> {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

impl Serialize for Id<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Id::Number(n) => serializer.serialize_i64(*n),
            Id::Text(t) => serializer.serialize_str(t),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Id<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(IdVisitor)
    }
}

struct IdVisitor;

impl<'de> Visitor<'de> for IdVisitor {
    type Value = Id<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer or a string id")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Id<'de>, E> {
        Ok(Id::Number(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id<'de>, E> {
        i64::try_from(v)
            .map(Id::Number)
            .map_err(|_| E::invalid_value(de::Unexpected::Other("an out-of-range integer"), &self))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Id<'de>, E> {
        Ok(Id::Text(Text::borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Id<'de>, E> {
        Ok(Id::Text(Text::from(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Id<'de>, E> {
        Ok(Id::Text(Text::from(v)))
    }
}

payload! {
    /// A product as the smaller events name it: `{id, name}` (cart
    /// abandonment, cancellation, switch plan, members-area events).
    pub struct ProductRef<'a> {
        /// Product id (integer, or a string in `CLUB_MODULE_COMPLETED`).
        #[serde(borrow)]
        pub id: Option<Id<'a>>,
        /// Product name.
        #[serde(borrow)]
        pub name: Option<Text<'a>>,
    }
}

payload! {
    /// A person of the members area or of a subscription: `{name, email}`.
    pub struct User<'a> {
        /// Name.
        #[serde(borrow)]
        pub name: Option<Text<'a>>,
        /// E-mail.
        #[serde(borrow)]
        pub email: Option<Text<'a>>,
    }
}

payload! {
    /// A country: `checkout_country` (`{"name":"Brasil","iso":"BR"}`; the
    /// 2022 test template sends `{}`).
    pub struct Country<'a> {
        /// Name in the buyer's language.
        #[serde(borrow)]
        pub name: Option<Text<'a>>,
        /// ISO 3166-1 alpha-2 code.
        #[serde(borrow)]
        pub iso: Option<Text<'a>>,
    }
}

payload! {
    /// An offer (a price point of a product). Purchases name it by `code`,
    /// plan changes by `key`.
    #[derive(Default)]
    pub struct Offer<'a> in place {
        /// Offer code (purchases, cart abandonment, charge-date change).
        #[serde(borrow)]
        pub code: Option<Text<'a>>,
        /// Offer key (`SWITCH_PLAN`'s `plans[].offer`).
        #[serde(borrow)]
        pub key: Option<Text<'a>>,
        /// Coupon used at checkout.
        #[serde(borrow)]
        pub coupon_code: Option<Text<'a>>,
        /// Offer name, when registered.
        #[serde(borrow)]
        pub name: Option<Text<'a>>,
        /// Offer description, when registered.
        #[serde(borrow)]
        pub description: Option<Text<'a>>,
        /// Offer price (`ORDER_FULFILLMENT` line items).
        #[serde(borrow)]
        pub price: Option<Money<'a>>,
        /// Free-form metadata (changelog 2026-07-23; shape not yet published),
        /// kept as raw JSON.
        #[serde(borrow)]
        pub metadata: Option<crate::RawJson<'a>>,
    }
}

payload! {
    /// A subscription plan.
    #[derive(Default)]
    pub struct Plan<'a> in place {
        /// Plan id.
        #[serde(borrow)]
        pub id: Option<Id<'a>>,
        /// Plan name.
        #[serde(borrow)]
        pub name: Option<Text<'a>>,
        /// The plan's offer (`key` in `SWITCH_PLAN`, `code` in the charge-date change).
        #[serde(borrow)]
        pub offer: Option<Offer<'a>> in place,
        /// In `SWITCH_PLAN`'s `plans[]`: `true` for the new plan, `false` for the previous one.
        pub current: Option<bool>,
    }
}

payload! {
    /// Phone numbers of a subscriber (documented and in test events; absent in
    /// every production cancellation seen). Values may be empty strings.
    pub struct SubscriberPhone<'a> {
        /// Area code of the landline.
        #[serde(borrow, rename = "dddPhone")]
        pub ddd_phone: Option<Text<'a>>,
        /// Landline number.
        #[serde(borrow)]
        pub phone: Option<Text<'a>>,
        /// Area code of the mobile.
        #[serde(borrow, rename = "dddCell")]
        pub ddd_cell: Option<Text<'a>>,
        /// Mobile number.
        #[serde(borrow)]
        pub cell: Option<Text<'a>>,
    }
}

payload! {
    /// A subscriber: `code` (8 characters, one per buyer per product), and in
    /// some events `name`, `email`, `phone`.
    #[derive(Default)]
    pub struct Subscriber<'a> in place {
        /// Subscriber code, e.g. `"IY8BW62L"`.
        #[serde(borrow)]
        pub code: Option<Text<'a>>,
        /// Name.
        #[serde(borrow)]
        pub name: Option<Text<'a>>,
        /// E-mail.
        #[serde(borrow)]
        pub email: Option<Text<'a>>,
        /// Phones.
        #[serde(borrow)]
        pub phone: Option<SubscriberPhone<'a>>,
    }
}

payload! {
    /// A postal address. Each key is present only when known; purchase events
    /// use `zipcode`, `ORDER_FULFILLMENT` uses `zip_code`.
    #[derive(Default)]
    pub struct Address<'a> in place {
        /// Country name.
        #[serde(borrow)]
        pub country: Option<Text<'a>>,
        /// ISO 3166-1 alpha-2 country code.
        #[serde(borrow)]
        pub country_iso: Option<Text<'a>>,
        /// Postal code (purchase events).
        #[serde(borrow)]
        pub zipcode: Option<Text<'a>>,
        /// Postal code (`ORDER_FULFILLMENT`).
        #[serde(borrow)]
        pub zip_code: Option<Text<'a>>,
        /// State.
        #[serde(borrow)]
        pub state: Option<Text<'a>>,
        /// City.
        #[serde(borrow)]
        pub city: Option<Text<'a>>,
        /// Neighbourhood.
        #[serde(borrow)]
        pub neighborhood: Option<Text<'a>>,
        /// Street.
        #[serde(borrow)]
        pub address: Option<Text<'a>>,
        /// Street (the documentation's name for it).
        #[serde(borrow)]
        pub street: Option<Text<'a>>,
        /// House number.
        #[serde(borrow)]
        pub number: Option<Text<'a>>,
        /// Complement.
        #[serde(borrow)]
        pub complement: Option<Text<'a>>,
    }
}

impl Address<'_> {
    /// The postal code, whichever key carried it.
    pub fn postal_code(&self) -> Option<&str> {
        self.zipcode.as_deref().or(self.zip_code.as_deref())
    }
}
