//! Detaching parsed values from the body they borrow from.

use crate::Text;

/// Converts a value that may borrow from a webhook body into one that owns
/// everything (`'static`), for queues and spawned tasks.
pub(crate) trait IntoOwned {
    /// The `'static` counterpart.
    type Owned: 'static;
    /// Copies whatever is still borrowed.
    fn into_owned(self) -> Self::Owned;
}

impl IntoOwned for Text<'_> {
    type Owned = Text<'static>;
    fn into_owned(self) -> Text<'static> {
        Text::into_owned(self)
    }
}

impl<T: IntoOwned> IntoOwned for Option<T> {
    type Owned = Option<T::Owned>;
    fn into_owned(self) -> Self::Owned {
        self.map(IntoOwned::into_owned)
    }
}

impl<T: IntoOwned> IntoOwned for Vec<T> {
    type Owned = Vec<T::Owned>;
    fn into_owned(self) -> Self::Owned {
        self.into_iter().map(IntoOwned::into_owned).collect()
    }
}

macro_rules! owned_is_self {
    ($($t:ty),*) => {
        $(impl IntoOwned for $t {
            type Owned = $t;
            fn into_owned(self) -> $t {
                self
            }
        })*
    };
}

owned_is_self!(
    bool,
    u8,
    u16,
    u32,
    u64,
    i32,
    i64,
    crate::Amount,
    crate::Timestamp
);
