//! [`RawJson`]: a JSON value kept as its text.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
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
    /// Borrows the text from `serde_json`'s slice and string deserializers;
    /// from any other deserializer (`serde_json::from_reader`, a
    /// `serde_json::Value`, …) it owns a copy.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match capture(deserializer)? {
            Captured::Borrowed(text) => serde_json::from_str::<&'a RawValue>(text)
                .map(RawJson::borrowed)
                .map_err(de::Error::custom),
            Captured::Owned(text) => RawValue::from_string(text)
                .map(RawJson::from)
                .map_err(de::Error::custom),
            Captured::Value(value) => serde_json::value::to_raw_value(&value)
                .map(RawJson::from)
                .map_err(de::Error::custom),
        }
    }
}

/// What [`capture`] took of one value.
pub(crate) enum Captured<'de> {
    /// The value's JSON text, borrowed from a `serde_json` slice or string.
    Borrowed(&'de str),
    /// The value's JSON text, copied (`serde_json::from_reader`, a `Value`).
    Owned(String),
    /// The value itself, from a deserializer that is not `serde_json`'s.
    Value(Value),
}

/// The name through which `serde_json` hands out a value's raw text: the one
/// `serde_json::value::RawValue` asks for (`serde_json`'s `raw_value`
/// feature; any other deserializer treats it as an ordinary newtype).
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

/// Takes one value: its raw text when the deserializer is `serde_json`'s (as
/// `&RawValue` does, without copying from a slice), else the value.
pub(crate) fn capture<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Captured<'de>, D::Error> {
    deserializer.deserialize_newtype_struct(RAW_VALUE_TOKEN, CaptureVisitor)
}

struct CaptureVisitor;

/// The first key of a map: `serde_json`'s raw-value marker, or a real key.
enum FirstKey {
    Raw,
    Key(String),
}

impl<'de> Deserialize<'de> for FirstKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = FirstKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<FirstKey, E> {
                Ok(if key == RAW_VALUE_TOKEN {
                    FirstKey::Raw
                } else {
                    FirstKey::Key(key.to_owned())
                })
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// The raw text that follows `serde_json`'s marker key.
struct RawText;

impl<'de> DeserializeSeed<'de> for RawText {
    type Value = Captured<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Captured<'de>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for RawText {
    type Value = Captured<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("raw JSON text")
    }
    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Captured<'de>, E> {
        Ok(Captured::Borrowed(text))
    }
    fn visit_str<E: de::Error>(self, text: &str) -> Result<Captured<'de>, E> {
        Ok(Captured::Owned(text.to_owned()))
    }
    fn visit_string<E: de::Error>(self, text: String) -> Result<Captured<'de>, E> {
        Ok(Captured::Owned(text))
    }
}

impl<'de> Visitor<'de> for CaptureVisitor {
    type Value = Captured<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Captured<'de>, A::Error> {
        let mut object = serde_json::Map::new();
        match map.next_key::<FirstKey>()? {
            Some(FirstKey::Raw) => return map.next_value_seed(RawText),
            Some(FirstKey::Key(key)) => {
                object.insert(key, map.next_value()?);
            }
            None => {}
        }
        while let Some((key, value)) = map.next_entry::<String, Value>()? {
            object.insert(key, value);
        }
        Ok(Captured::Value(Value::Object(object)))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Captured<'de>, D::Error> {
        Value::deserialize(deserializer).map(Captured::Value)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Captured<'de>, A::Error> {
        let mut elements = Vec::new();
        while let Some(element) = seq.next_element::<Value>()? {
            elements.push(element);
        }
        Ok(Captured::Value(Value::Array(elements)))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Captured<'de>, E> {
        Ok(Captured::Value(Value::Bool(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Captured<'de>, E> {
        Ok(Captured::Value(Value::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Captured<'de>, E> {
        Ok(Captured::Value(Value::from(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Captured<'de>, E> {
        Ok(Captured::Value(Value::from(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Captured<'de>, E> {
        Ok(Captured::Value(Value::from(v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Captured<'de>, E> {
        Ok(Captured::Value(Value::Null))
    }

    fn visit_none<E: de::Error>(self) -> Result<Captured<'de>, E> {
        Ok(Captured::Value(Value::Null))
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Captured<'de>, D::Error> {
        Value::deserialize(deserializer).map(Captured::Value)
    }
}
