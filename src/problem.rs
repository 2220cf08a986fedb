//! Tolerant reading: a field whose value has an unexpected type reads as
//! absent, and the parse records a [`Problem`] instead of failing.
//!
//! Every optional field of a payload struct is read through [`field`]. Outside
//! a tolerant parse it is the plain `Option<T>` reading. Inside one (the
//! second pass of [`parse`](crate::parse), over the body's bytes) it takes the
//! value's raw text, reads `T` from it, and on failure notes the byte offset
//! and the (redacted) reason, and gives `None`. The path of each problem is
//! found afterwards, from its offset, by walking the body: nothing is paid
//! for it when every field reads.

use std::cell::{Cell, RefCell};
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::Text;

/// A field that did not read as its type, read as absent instead.
///
/// [`Webhook::problems`](crate::Webhook::problems) lists them. Like a
/// [`ParseError`](crate::ParseError), a problem never quotes a value of the
/// payload: strings and numbers in its message are replaced by `…`.
///
/// ```
/// use hotmart_webhook::parse;
///
/// let body = br#"{"id":"e1","event":"PURCHASE_APPROVED","version":"2.0.0",
///   "data":{"product":{"id":7,"has_co_production":"no"}}}"#;
/// let webhook = parse(body)?;
/// let [problem] = webhook.problems() else { panic!() };
/// assert_eq!(problem.path(), "data.product.has_co_production");
/// assert_eq!(problem.expected(), "a boolean");
/// assert_eq!(&body[problem.offset()..problem.offset() + 4], b"\"no\"");
/// assert!(!problem.to_string().contains("no\""));
/// # Ok::<(), hotmart_webhook::ParseError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Problem {
    path: String,
    message: String,
    offset: usize,
}

impl Problem {
    pub(crate) fn new(path: impl Into<String>, message: impl Into<String>, offset: usize) -> Self {
        Problem {
            path: path.into(),
            message: message.into(),
            offset,
        }
    }

    /// The path of the field: `data.product.has_co_production`,
    /// `data.commissions[1]`, or a v1 form field such as `price`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What went wrong, redacted: `invalid type: string …, expected a
    /// boolean`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// What the field should have held (`a boolean`, `a JSON object`), or
    /// the whole message when it does not say.
    pub fn expected(&self) -> &str {
        match self.message.rfind(", expected ") {
            Some(i) => &self.message[i + ", expected ".len()..],
            None => match self.message.strip_prefix("invalid value, expected ") {
                Some(expected) => expected,
                None => &self.message,
            },
        }
    }

    /// The byte offset of the value in the body.
    pub fn offset(&self) -> usize {
        self.offset
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} (byte {})", self.path, self.message, self.offset)
    }
}

impl fmt::Debug for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Problem")
            .field("path", &self.path)
            .field("message", &self.message)
            .field("offset", &self.offset)
            .finish()
    }
}

impl crate::owned::IntoOwned for Problem {
    type Owned = Problem;
    fn into_owned(self) -> Problem {
        self
    }
}

#[cfg(feature = "proptest")]
impl crate::strategy::Strings for Problem {
    fn strings<'s>(&'s self, _: &mut Vec<(&'s str, bool)>) {}
}

/// The body of the tolerant parse under way on this thread, and what it
/// found: `(offset, message)` pairs.
struct Collecting {
    start: usize,
    len: usize,
    found: Vec<(usize, String)>,
}

thread_local! {
    static COLLECTING: RefCell<Option<Collecting>> = const { RefCell::new(None) };
    /// Whether `COLLECTING` is set: one load, read by every optional field
    /// on the fast path.
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
}

/// Runs `read` tolerantly over `body`: fields that fail read as absent.
/// Gives what `read` gave and the problems, with their paths.
pub(crate) fn tolerantly<R>(body: &[u8], read: impl FnOnce() -> R) -> (R, Vec<Problem>) {
    /// Restores the state of an enclosing parse, even if `read` panics.
    struct Restore(Option<Collecting>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let outer = self.0.take();
            ACTIVE.with(|a| a.set(outer.is_some()));
            COLLECTING.with(|c| *c.borrow_mut() = outer);
        }
    }
    let outer = COLLECTING.with(|c| {
        c.borrow_mut().replace(Collecting {
            start: body.as_ptr() as usize,
            len: body.len(),
            found: Vec::new(),
        })
    });
    ACTIVE.with(|a| a.set(true));
    let restore = Restore(outer);
    let result = read();
    let found = COLLECTING
        .with(|c| {
            c.borrow_mut()
                .as_mut()
                .map(|c| std::mem::take(&mut c.found))
        })
        .unwrap_or_default();
    drop(restore);
    let mut problems: Vec<Problem> = found
        .into_iter()
        .map(|(offset, message)| Problem::new(path_at(body, offset), message, offset))
        .collect();
    problems.sort_by_key(Problem::offset);
    (result, problems)
}

/// How many problems the tolerant parse under way has noted, for
/// [`rewind`].
pub(crate) fn mark() -> usize {
    COLLECTING.with(|c| c.borrow().as_ref().map_or(0, |c| c.found.len()))
}

/// Forgets the problems noted since `mark`: those of a reading abandoned
/// for another.
pub(crate) fn rewind(mark: usize) {
    COLLECTING.with(|c| {
        if let Some(collecting) = c.borrow_mut().as_mut() {
            collecting.found.truncate(mark);
        }
    });
}

fn active() -> bool {
    ACTIVE.with(Cell::get)
}

/// Notes a problem at `at`, a slice of the body being read. Gives `false`
/// outside a tolerant parse, or when `at` is not inside the body.
pub(crate) fn note(at: &str, message: String) -> bool {
    COLLECTING.with(|c| {
        let mut c = c.borrow_mut();
        let Some(collecting) = c.as_mut() else {
            return false;
        };
        let Some(offset) = (at.as_ptr() as usize)
            .checked_sub(collecting.start)
            .filter(|&o| o <= collecting.len)
        else {
            return false;
        };
        collecting.found.push((offset, message));
        true
    })
}

/// Reads an optional field: `null` or absent is `None`; inside a tolerant
/// parse, a value that is not a `T` is `None` too, and noted.
pub(crate) fn field<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    if !active() {
        return Option::<T>::deserialize(deserializer);
    }
    let raw = <&'de RawValue>::deserialize(deserializer)?;
    Ok(read_or_note(raw))
}

/// Reads `T` from `raw`, or notes why not and gives `None`.
pub(crate) fn read_or_note<'de, T: Deserialize<'de>>(raw: &'de RawValue) -> Option<T> {
    let text = raw.get();
    let mut de = serde_json::Deserializer::from_str(text);
    let read = Option::<T>::deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    match read {
        Ok(value) => value,
        Err(err) => {
            let mut message = crate::error::redact(&err.to_string());
            if let Some(i) = message.rfind(" at line ") {
                message.truncate(i);
            }
            note(text, message);
            None
        }
    }
}

/// The path of the value starting at byte `offset` of the JSON (or form)
/// `body`: `data.product.id`, `data.commissions[1]`. Empty when no value
/// starts there.
fn path_at(body: &[u8], offset: usize) -> String {
    let mut path = String::new();
    if let Ok(text) = std::str::from_utf8(body) {
        let value = text.trim_start();
        if value.starts_with(['{', '[']) {
            walk(value, text.as_ptr() as usize, offset, &mut path);
        }
    }
    path
}

/// Descends from the value `text` (a slice of the body starting at address
/// `base`) towards `offset`, appending each step to `path`.
fn walk(text: &str, base: usize, offset: usize, path: &mut String) {
    if text.as_ptr() as usize - base == offset {
        return;
    }
    let Ok(children) = serde_json::from_str::<Children<'_>>(text) else {
        return;
    };
    for (step, child) in children.0 {
        let child_at = child.get().as_ptr() as usize - base;
        if child_at <= offset && offset < child_at + child.get().len() {
            match step {
                Step::Key(key) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(&key);
                }
                Step::Index(i) => {
                    path.push_str(&format!("[{i}]"));
                }
            }
            walk(child.get(), base, offset, path);
            return;
        }
    }
}

enum Step<'a> {
    Key(Text<'a>),
    Index(usize),
}

/// The members of an object or the elements of an array, raw.
struct Children<'a>(Vec<(Step<'a>, &'a RawValue)>);

impl<'de> Deserialize<'de> for Children<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ChildrenVisitor;
        impl<'de> Visitor<'de> for ChildrenVisitor {
            type Value = Children<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object or an array")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Children<'de>, A::Error> {
                let mut out = Vec::new();
                while let Some((key, value)) = map.next_entry::<Text<'de>, &'de RawValue>()? {
                    out.push((Step::Key(key), value));
                }
                Ok(Children(out))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Children<'de>, A::Error> {
                let mut out = Vec::new();
                while let Some(value) = seq.next_element::<&'de RawValue>()? {
                    out.push((Step::Index(out.len()), value));
                }
                Ok(Children(out))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Children<'de>, E> {
                Ok(Children(Vec::new()))
            }
        }
        deserializer.deserialize_any(ChildrenVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_found_from_offsets() {
        let body = br#" {"data":{"a":[1,{"b":"x"}],"c":true},"id":"1"}"#;
        let text = std::str::from_utf8(body).unwrap();
        let at = |needle: &str| text.find(needle).unwrap();
        assert_eq!(path_at(body, at(r#""x""#)), "data.a[1].b");
        assert_eq!(path_at(body, at("true")), "data.c");
        assert_eq!(path_at(body, at("[1,")), "data.a");
        assert_eq!(path_at(body, at("1,")), "data.a[0]");
        assert_eq!(path_at(body, at(r#""1""#)), "id");
        assert_eq!(path_at(body, 1), "");
    }

    #[test]
    fn outside_a_tolerant_parse_a_bad_field_is_an_error() {
        let mut de = serde_json::Deserializer::from_str(r#""x""#);
        assert!(field::<_, bool>(&mut de).is_err());
    }

    #[test]
    fn inside_a_tolerant_parse_a_bad_field_is_none_and_noted() {
        let body = br#"{"flag":"x"}"#;
        let (value, problems) = tolerantly(body, || {
            let text = std::str::from_utf8(body).unwrap();
            let mut de = serde_json::Deserializer::from_str(&text[8..11]);
            field::<_, bool>(&mut de).unwrap()
        });
        assert_eq!(value, None);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path(), "flag");
        assert_eq!(problems[0].offset(), 8);
        assert_eq!(problems[0].expected(), "a boolean");
        assert!(!active());
    }
}
