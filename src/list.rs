//! [`List`]: the arrays of a payload, their usual length kept inline.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use serde::de::{Deserialize, Deserializer, SeqAccess, Visitor};
use serde::{Serialize, Serializer};

/// A JSON array of a payload: up to `N` elements inline, more on the heap.
///
/// Hotmart's arrays have a usual length (one affiliate, two commissions), so
/// a typical delivery parses without a heap allocation. A `List`
/// dereferences to a slice and compares, prints and serialises like a `Vec`:
///
/// ```
/// use hotmart_webhook::{parse, Event, Webhook};
///
/// let body = br#"{"data":{"affiliates":[{"affiliate_code":"Q58388177J","name":"Ana"}],
///   "commissions":[{"value":1.4,"source":"MARKETPLACE"},{"value":5.6,"source":"PRODUCER"}]},
///   "id":"1","event":"PURCHASE_APPROVED","version":"2.0.0"}"#;
/// let Webhook::V2(envelope) = parse(body)? else { unreachable!() };
/// let Event::PurchaseApproved(data) = &envelope.event else { unreachable!() };
/// let commissions = data.commissions.as_deref().unwrap_or_default();
/// assert_eq!(commissions.len(), 2);
/// assert_eq!(data.affiliates.as_ref().unwrap()[0].code(), Some("Q58388177J"));
/// # Ok::<(), hotmart_webhook::ParseError>(())
/// ```
///
/// Unused inline slots hold `T::default()`; the element types are small
/// structs of `Option`s, so they cost a few stores, not an allocation.
#[derive(Clone)]
pub struct List<T, const N: usize>(Repr<T, N>);

#[derive(Clone)]
enum Repr<T, const N: usize> {
    Inline { len: usize, items: [T; N] },
    Heap(Vec<T>),
}

impl<T, const N: usize> List<T, N> {
    /// The elements.
    pub fn as_slice(&self) -> &[T] {
        match &self.0 {
            Repr::Inline { len, items } => &items[..*len],
            Repr::Heap(v) => v,
        }
    }

    /// `true` when the elements are stored on the heap (more than `N`).
    pub fn spilled(&self) -> bool {
        matches!(self.0, Repr::Heap(_))
    }

    /// The elements, in a `Vec`.
    pub fn into_vec(self) -> Vec<T> {
        match self.0 {
            Repr::Inline { len, items } => items.into_iter().take(len).collect(),
            Repr::Heap(v) => v,
        }
    }
}

impl<T: Default, const N: usize> Default for List<T, N> {
    fn default() -> Self {
        List(Repr::Inline {
            len: 0,
            items: std::array::from_fn(|_| T::default()),
        })
    }
}

impl<T: Default, const N: usize> FromIterator<T> for List<T, N> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut iter = iter.into_iter();
        let mut items: [T; N] = std::array::from_fn(|_| T::default());
        for len in 0..N {
            match iter.next() {
                Some(item) => items[len] = item,
                None => return List(Repr::Inline { len, items }),
            }
        }
        match iter.next() {
            None => List(Repr::Inline { len: N, items }),
            Some(next) => {
                let mut v = Vec::with_capacity(N * 2);
                v.extend(items);
                v.push(next);
                v.extend(iter);
                List(Repr::Heap(v))
            }
        }
    }
}

impl<T: Default, const N: usize> From<Vec<T>> for List<T, N> {
    fn from(v: Vec<T>) -> Self {
        if v.len() <= N {
            v.into_iter().collect()
        } else {
            List(Repr::Heap(v))
        }
    }
}

impl<T, const N: usize> Deref for List<T, N> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T, const N: usize> AsRef<[T]> for List<T, N> {
    fn as_ref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<'l, T, const N: usize> IntoIterator for &'l List<T, N> {
    type Item = &'l T;
    type IntoIter = std::slice::Iter<'l, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

impl<T: fmt::Debug, const N: usize> fmt::Debug for List<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl<T: PartialEq, const N: usize> PartialEq for List<T, N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Eq, const N: usize> Eq for List<T, N> {}

impl<T: PartialEq, const N: usize> PartialEq<[T]> for List<T, N> {
    fn eq(&self, other: &[T]) -> bool {
        self.as_slice() == other
    }
}

impl<T: PartialEq, const N: usize> PartialEq<Vec<T>> for List<T, N> {
    fn eq(&self, other: &Vec<T>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Serialize, const N: usize> Serialize for List<T, N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.as_slice())
    }
}

impl<'de, T: Deserialize<'de> + Default, const N: usize> Deserialize<'de> for List<T, N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor<T, const N: usize>(PhantomData<T>);

        impl<'de, T: Deserialize<'de> + Default, const N: usize> Visitor<'de> for ListVisitor<T, N> {
            type Value = List<T, N>;

            // The same words as serde's `Vec`, so errors read the same.
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<List<T, N>, A::Error> {
                let mut items: [T; N] = std::array::from_fn(|_| T::default());
                for len in 0..N {
                    match seq.next_element()? {
                        Some(item) => items[len] = item,
                        None => return Ok(List(Repr::Inline { len, items })),
                    }
                }
                let Some(next) = seq.next_element()? else {
                    return Ok(List(Repr::Inline { len: N, items }));
                };
                let mut v = Vec::with_capacity((N * 2).max(4).max(seq.size_hint().unwrap_or(0)));
                v.extend(items);
                v.push(next);
                while let Some(item) = seq.next_element()? {
                    v.push(item);
                }
                Ok(List(Repr::Heap(v)))
            }
        }

        deserializer.deserialize_seq(ListVisitor(PhantomData))
    }
}

impl<T: crate::owned::IntoOwned, const N: usize> crate::owned::IntoOwned for List<T, N>
where
    T::Owned: Default,
{
    type Owned = List<T::Owned, N>;
    fn into_owned(self) -> Self::Owned {
        match self.0 {
            Repr::Inline { len, items } => items
                .into_iter()
                .take(len)
                .map(crate::owned::IntoOwned::into_owned)
                .collect(),
            Repr::Heap(v) => List(Repr::Heap(
                v.into_iter()
                    .map(crate::owned::IntoOwned::into_owned)
                    .collect(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_up_to_n_then_heap() {
        let two: List<u32, 2> = serde_json::from_str("[1,2]").unwrap();
        assert!(!two.spilled());
        assert_eq!(two, vec![1, 2]);
        let three: List<u32, 2> = serde_json::from_str("[1,2,3]").unwrap();
        assert!(three.spilled());
        assert_eq!(&*three, &[1, 2, 3]);
        let none: List<u32, 2> = serde_json::from_str("[]").unwrap();
        assert!(none.is_empty());
        assert_eq!(format!("{three:?}"), "[1, 2, 3]");
        assert_eq!(serde_json::to_string(&three).unwrap(), "[1,2,3]");
        assert_eq!(
            List::<u32, 2>::from(vec![1, 2, 3, 4]).into_vec(),
            [1, 2, 3, 4]
        );
    }

    #[test]
    fn errors_read_like_a_vec() {
        let list = serde_json::from_str::<List<u32, 2>>("{}").unwrap_err();
        let vec = serde_json::from_str::<Vec<u32>>("{}").unwrap_err();
        assert_eq!(list.to_string(), vec.to_string());
    }
}
