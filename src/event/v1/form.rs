//! How a v1 form value reads from and writes to its wire string.

use std::borrow::Cow;

use super::{
    PaymentMode, ReceiverType, V1PaymentEngine, V1PaymentType, V1Status, V1SubscriptionStatus,
};
use crate::event::purchase::{DocumentType, LegalNature};
use crate::{Amount, Text, Timestamp};

/// A value of a v1 form field: every form value is a string on the wire; the
/// typed ones are parsed from it (an empty typed value means absent).
pub(crate) trait FormValue<'a>: Sized {
    /// What a valid value looks like, for error messages.
    const EXPECTED: &'static str;
    /// Parses the decoded string; `Ok(None)` for an empty typed value.
    fn from_form(text: Text<'a>) -> Result<Option<Self>, ()>;
    /// The wire string.
    fn to_form(&self) -> Cow<'_, str>;
}

impl<'a> FormValue<'a> for Text<'a> {
    const EXPECTED: &'static str = "a string";
    fn from_form(text: Text<'a>) -> Result<Option<Self>, ()> {
        Ok(Some(text))
    }
    fn to_form(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.as_str())
    }
}

macro_rules! form_value_from_str {
    ($($t:ty => $expected:literal),*) => {
        $(impl FormValue<'_> for $t {
            const EXPECTED: &'static str = $expected;
            fn from_form(text: Text<'_>) -> Result<Option<Self>, ()> {
                if text.is_empty() {
                    return Ok(None);
                }
                text.parse().map(Some).map_err(|_| ())
            }
            fn to_form(&self) -> Cow<'_, str> {
                Cow::Owned(self.to_string())
            }
        })*
    };
}

form_value_from_str!(u32 => "a whole number", i64 => "a whole number", Amount => "a decimal number");

impl FormValue<'_> for bool {
    const EXPECTED: &'static str = "`true` or `false`";
    fn from_form(text: Text<'_>) -> Result<Option<Self>, ()> {
        match text.as_str() {
            "" => Ok(None),
            "true" | "1" => Ok(Some(true)),
            "false" | "0" => Ok(Some(false)),
            _ => Err(()),
        }
    }
    fn to_form(&self) -> Cow<'_, str> {
        Cow::Borrowed(if *self { "true" } else { "false" })
    }
}

impl FormValue<'_> for Timestamp {
    const EXPECTED: &'static str = "an ISO-8601 date-time";
    fn from_form(text: Text<'_>) -> Result<Option<Self>, ()> {
        if text.is_empty() {
            return Ok(None);
        }
        Timestamp::parse_str(&text).map(Some).ok_or(())
    }
    fn to_form(&self) -> Cow<'_, str> {
        Cow::Owned(self.to_wire_string())
    }
}

macro_rules! form_value_enum {
    ($($t:ident),*) => {
        $(impl<'a> FormValue<'a> for $t<'a> {
            const EXPECTED: &'static str = "a string";
            fn from_form(text: Text<'a>) -> Result<Option<Self>, ()> {
                Ok((!text.is_empty()).then(|| $t::from_text(text)))
            }
            fn to_form(&self) -> Cow<'_, str> {
                Cow::Borrowed(self.as_str())
            }
        })*
    };
}

form_value_enum!(
    V1Status,
    V1PaymentType,
    V1PaymentEngine,
    V1SubscriptionStatus,
    ReceiverType,
    PaymentMode,
    LegalNature,
    DocumentType
);

/// Why a field of a v1 postback was refused.
pub(crate) struct FieldError {
    pub(crate) field: &'static str,
    pub(crate) message: String,
}
