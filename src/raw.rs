//! [`RawJson`]: a JSON value kept as its text.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// A JSON value kept unparsed, as the exact text of the body: the `data` of
/// an event this crate does not model, and parts whose shape Hotmart has not
/// published. Parse it later with `serde_json::from_str(raw.get())`.
///
/// Two `RawJson` are equal when their texts are equal byte for byte.
#[derive(Clone)]
pub struct RawJson<'a>(Cow<'a, RawValue>);

impl<'a> RawJson<'a> {
    /// Borrows a raw value.
    pub fn borrowed(raw: &'a RawValue) -> Self {
        RawJson(Cow::Borrowed(raw))
    }

    /// The JSON text.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// The raw value.
    pub fn as_raw_value(&self) -> &RawValue {
        &self.0
    }

    /// `true` when the text points into the body it was parsed from.
    pub fn is_borrowed(&self) -> bool {
        matches!(self.0, Cow::Borrowed(_))
    }

    /// A copy independent of the body.
    pub fn into_owned(self) -> RawJson<'static> {
        RawJson(Cow::Owned(self.0.into_owned()))
    }
}

impl From<Box<RawValue>> for RawJson<'_> {
    fn from(raw: Box<RawValue>) -> Self {
        RawJson(Cow::Owned(raw))
    }
}

impl crate::owned::IntoOwned for RawJson<'_> {
    type Owned = RawJson<'static>;
    fn into_owned(self) -> RawJson<'static> {
        RawJson::into_owned(self)
    }
}

impl PartialEq for RawJson<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl Eq for RawJson<'_> {}

impl fmt::Debug for RawJson<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.get())
    }
}

impl Serialize for RawJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for RawJson<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        <&'a RawValue>::deserialize(deserializer).map(RawJson::borrowed)
    }
}
