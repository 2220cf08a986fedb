//! Walking the strings of a parsed value: which borrow from the body.

use super::*;

/// Every string a parsed value holds, with whether it borrows from the body.
pub(crate) trait Strings {
    fn strings<'s>(&'s self, out: &mut Vec<(&'s str, bool)>);
}

impl Strings for Text<'_> {
    fn strings<'s>(&'s self, out: &mut Vec<(&'s str, bool)>) {
        out.push((self.as_str(), self.is_borrowed()));
    }
}

impl Strings for RawJson<'_> {
    fn strings<'s>(&'s self, out: &mut Vec<(&'s str, bool)>) {
        out.push((self.get(), self.is_borrowed()));
    }
}

impl Strings for Id<'_> {
    fn strings<'s>(&'s self, out: &mut Vec<(&'s str, bool)>) {
        if let Id::Text(text) = self {
            text.strings(out);
        }
    }
}

impl Strings for Money<'_> {
    fn strings<'s>(&'s self, out: &mut Vec<(&'s str, bool)>) {
        self.currency_value.strings(out);
    }
}

impl<T: Strings> Strings for Option<T> {
    fn strings<'s>(&'s self, out: &mut Vec<(&'s str, bool)>) {
        if let Some(value) = self {
            value.strings(out);
        }
    }
}

impl<T: Strings> Strings for Vec<T> {
    fn strings<'s>(&'s self, out: &mut Vec<(&'s str, bool)>) {
        for value in self {
            value.strings(out);
        }
    }
}

impl<T: Strings, const N: usize> Strings for crate::List<T, N> {
    fn strings<'s>(&'s self, out: &mut Vec<(&'s str, bool)>) {
        for value in self.iter() {
            value.strings(out);
        }
    }
}

macro_rules! no_strings {
    ($($t:ty),*) => {
        $(impl Strings for $t {
            fn strings<'s>(&'s self, _: &mut Vec<(&'s str, bool)>) {}
        })*
    };
}

no_strings!(bool, u32, i64, Amount, Timestamp);

/// Every string held by a parsed webhook (ids, names, e-mails, unknown enum
/// values, unknown event names, the raw JSON of unknown data, the v1
/// `extra` fields), each with `true` when it borrows from the body
/// ([`Text::is_borrowed`], [`RawJson::is_borrowed`]).
///
/// A test of the zero-copy promise: a string whose wire form needed no JSON
/// escape and no percent-decoding must borrow.
///
/// ```
/// use hotmart_webhook::{parse, strategy};
///
/// let body = br#"{"id":"e1","event":"CLUB_FIRST_ACCESS","version":"2.0.0",
///   "data":{"user":{"name":"Jo\u00e3o","email":"joao@example.com"}}}"#;
/// let webhook = parse(body)?;
/// let strings = strategy::strings(&webhook);
/// assert!(strings.contains(&("joao@example.com", true)));
/// assert!(strings.contains(&("João", false)));
/// # Ok::<(), hotmart_webhook::ParseError>(())
/// ```
pub fn strings<'w>(webhook: &'w Webhook<'_>) -> Vec<(&'w str, bool)> {
    let mut out = Vec::new();
    match webhook {
        Webhook::V2(envelope) => {
            envelope.id.strings(&mut out);
            envelope.version.strings(&mut out);
            envelope.event.visit_strings(&mut out);
        }
        Webhook::V1Purchase(p) => p.visit_strings(&mut out),
        Webhook::V1CartAbandonment(c) => c.strings(&mut out),
        Webhook::V1SubscriptionCancellation(c) => c.strings(&mut out),
        Webhook::V1SwitchPlan(s) => s.strings(&mut out),
    }
    out
}
