//! Declaration macros for payload structs and open enums.
//!
//! Every payload struct is declared once, with its wire names; the macros add
//! the serde derives, `#[non_exhaustive]`, `skip_serializing_if` on every
//! `Option` (Hotmart omits absent fields rather than sending `null`),
//! tolerant reading of every `Option` (see `problem.rs`), an
//! `into_owned()` that detaches the value from the body and, for the structs
//! declared `in place`, the filling the one-pass parser uses
//! (`event/in_place.rs`), wire names taken from the same attributes.

/// Declares a payload struct. Fields of type `Option<…>` default to `None`
/// when absent or `null` and are omitted when serialised.
///
/// `pub struct Name<'a> in place { … }` also implements
/// [`FillInPlace`](crate::event::in_place::FillInPlace) from the same
/// declaration: every field is read under the names serde reads it by (its
/// own, a `#[serde(rename = "…")]`, and every `#[serde(alias = "…")]`), so
/// the one-pass path cannot miss a field the derived impl reads. A field
/// written `pub f: Option<T> in place` is filled in place (`T` must be
/// declared `in place` too); the others are read by value.
macro_rules! payload {
    (
        $(#[$meta:meta])*
        pub struct $name:ident<'a> in place { $($body:tt)* }
    ) => {
        payload!(@munch [$(#[$meta])*] $name [lt] [in_place] [] [] [] $($body)*);
    };
    (
        $(#[$meta:meta])*
        pub struct $name:ident<'a> { $($body:tt)* }
    ) => {
        payload!(@munch [$(#[$meta])*] $name [lt] [] [] [] [] $($body)*);
    };
    (
        $(#[$meta:meta])*
        pub struct $name:ident { $($body:tt)* }
    ) => {
        payload!(@munch [$(#[$meta])*] $name [] [] [] [] [] $($body)*);
    };
    // One field per step: `$fields` collects the struct's fields as
    // emitted, `$names` their identifiers, `$reads` how the in-place
    // filling reads each (mode, identifier, attributes).
    (@munch [$($meta:tt)*] $name:ident [$($lt:tt)?] [$($ip:tt)?] [$($fields:tt)*] [$($names:ident)*] [$($reads:tt)*]
        $(#[$($fm:tt)*])* pub $f:ident : Option<$t:ty> in place $(, $($rest:tt)*)?
    ) => {
        payload!(@munch [$($meta)*] $name [$($lt)?] [$($ip)?]
            [$($fields)* $(#[$($fm)*])* #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::problem::field")] pub $f: Option<$t>,]
            [$($names)* $f]
            [$($reads)* (nested $f [$([$($fm)*])*])]
            $($($rest)*)?);
    };
    (@munch [$($meta:tt)*] $name:ident [$($lt:tt)?] [$($ip:tt)?] [$($fields:tt)*] [$($names:ident)*] [$($reads:tt)*]
        $(#[$($fm:tt)*])* pub $f:ident : Option<$t:ty> $(, $($rest:tt)*)?
    ) => {
        payload!(@munch [$($meta)*] $name [$($lt)?] [$($ip)?]
            [$($fields)* $(#[$($fm)*])* #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::problem::field")] pub $f: Option<$t>,]
            [$($names)* $f]
            [$($reads)* (value $f [$([$($fm)*])*])]
            $($($rest)*)?);
    };
    (@munch [$($meta:tt)*] $name:ident [$($lt:tt)?] [$($ip:tt)?] [$($fields:tt)*] [$($names:ident)*] [$($reads:tt)*]
        $(#[$($fm:tt)*])* pub $f:ident : $t:ty $(, $($rest:tt)*)?
    ) => {
        payload!(@munch [$($meta)*] $name [$($lt)?] [$($ip)?]
            [$($fields)* $(#[$($fm)*])* pub $f: $t,]
            [$($names)* $f]
            [$($reads)* (value $f [$([$($fm)*])*])]
            $($($rest)*)?);
    };
    (@munch [$($meta:tt)*] $name:ident [lt] [$($ip:tt)?] [$($fields:tt)*] [$($names:ident)*] [$($reads:tt)*]) => {
        #[derive(Clone, Debug, PartialEq, serde::Serialize)]
        $($meta)*
        #[non_exhaustive]
        pub struct $name<'a> { $($fields)* }

        const _: () = {
            // The derived impl, on a private twin, reached only through
            // `MapOnly` so that a JSON array is refused, not read by position.
            #[derive(serde::Deserialize)]
            #[allow(unreachable_pub)]
            $($meta)*
            struct Twin<'a> { $($fields)* }

            impl<'de: 'a, 'a> serde::Deserialize<'de> for $name<'a> {
                fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                    let twin = <Twin<'a> as serde::Deserialize<'de>>::deserialize($crate::macros::MapOnly(deserializer))?;
                    Ok($name { $($names: twin.$names,)* })
                }
            }
        };

        impl $name<'_> {
            /// A copy that owns all its strings, independent of the body.
            pub fn into_owned(self) -> $name<'static> {
                $name { $($names: $crate::owned::IntoOwned::into_owned(self.$names),)* }
            }
        }

        impl<'a> $crate::owned::IntoOwned for $name<'a> {
            type Owned = $name<'static>;
            fn into_owned(self) -> $name<'static> {
                $name::into_owned(self)
            }
        }

        #[cfg(feature = "proptest")]
        impl $crate::strategy::Strings for $name<'_> {
            fn strings<'s>(&'s self, out: &mut Vec<(&'s str, bool)>) {
                $( $crate::strategy::Strings::strings(&self.$names, out); )*
            }
        }

        payload!(@fill [$($ip)?] $name $($reads)*);
    };
    (@munch [$($meta:tt)*] $name:ident [] [] [$($fields:tt)*] [$($names:ident)*] [$($reads:tt)*]) => {
        #[derive(Clone, Debug, PartialEq, serde::Serialize)]
        $($meta)*
        #[non_exhaustive]
        pub struct $name { $($fields)* }

        const _: () = {
            #[derive(serde::Deserialize)]
            #[allow(unreachable_pub)]
            $($meta)*
            struct Twin { $($fields)* }

            impl<'de> serde::Deserialize<'de> for $name {
                fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                    let twin = <Twin as serde::Deserialize<'de>>::deserialize($crate::macros::MapOnly(deserializer))?;
                    Ok($name { $($names: twin.$names,)* })
                }
            }
        };

        impl $crate::owned::IntoOwned for $name {
            type Owned = $name;
            fn into_owned(self) -> $name {
                self
            }
        }

        #[cfg(feature = "proptest")]
        impl $crate::strategy::Strings for $name {
            fn strings<'s>(&'s self, out: &mut Vec<(&'s str, bool)>) {
                $( $crate::strategy::Strings::strings(&self.$names, out); )*
            }
        }
    };
    // The in-place filling, for structs declared `in place`: a key seen
    // twice is an error and an unknown key is skipped, as in the derived impl.
    (@fill [] $name:ident $($reads:tt)*) => {};
    (@fill [in_place] $name:ident $(($mode:ident $f:ident [$($attrs:tt)*]))*) => {
        impl<'de: 'a, 'a> $crate::event::in_place::FillInPlace<'de> for $name<'a> {
            #[cfg(test)]
            const WIRE_NAMES: &'static [&'static [&'static str]] =
                &[$( payload!(@names list $f [] [] $($attrs)*) ),*];

            fn fill<A: serde::de::MapAccess<'de>>(&mut self, mut map: A) -> Result<(), A::Error> {
                // Which fields were read, by their own names.
                #[derive(Default)]
                struct Seen { $($f: bool,)* }
                let mut seen = Seen::default();
                while let Some(key) = map.next_key::<$crate::Text<'de>>()? {
                    match key.as_str() {
                        $( payload!(@names pattern $f [] [] $($attrs)*) => {
                            if seen.$f {
                                return Err(serde::de::Error::duplicate_field(
                                    payload!(@names first $f [] [] $($attrs)*),
                                ));
                            }
                            seen.$f = true;
                            payload!(@read $mode map self.$f);
                        } )*
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
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
        $map.next_value_seed($crate::event::in_place::FillOption(&mut $place))?
    };
    // The wire names of field `$f` from its attributes (one bracketed
    // group each): its `rename` (else its own name), then its aliases; as
    // a `pattern`, a `list`, or the `first` (the name serde reports).
    (@names $how:ident $f:ident [$($rename:literal)?] [$($alias:literal)*] [serde($($inner:tt)*)] $($attrs:tt)*) => {
        payload!(@serde $how $f [$($rename)?] [$($alias)*] [$($inner)*] $($attrs)*)
    };
    (@names $how:ident $f:ident [$($rename:literal)?] [$($alias:literal)*] [$($other:tt)*] $($attrs:tt)*) => {
        payload!(@names $how $f [$($rename)?] [$($alias)*] $($attrs)*)
    };
    (@names pattern $f:ident [] [$($alias:literal)*]) => { stringify!($f) $(| $alias)* };
    (@names pattern $f:ident [$rename:literal] [$($alias:literal)*]) => { $rename $(| $alias)* };
    (@names list $f:ident [] [$($alias:literal)*]) => { &[stringify!($f) $(, $alias)*] };
    (@names list $f:ident [$rename:literal] [$($alias:literal)*]) => { &[$rename $(, $alias)*] };
    (@names first $f:ident [] [$($alias:literal)*]) => { stringify!($f) };
    (@names first $f:ident [$rename:literal] [$($alias:literal)*]) => { $rename };
    // Inside one `#[serde(…)]`, token by token.
    (@serde $how:ident $f:ident [$($old:literal)?] [$($alias:literal)*] [rename = $rename:literal $($inner:tt)*] $($attrs:tt)*) => {
        payload!(@serde $how $f [$rename] [$($alias)*] [$($inner)*] $($attrs)*)
    };
    (@serde $how:ident $f:ident [$($rename:literal)?] [$($alias:literal)*] [alias = $new:literal $($inner:tt)*] $($attrs:tt)*) => {
        payload!(@serde $how $f [$($rename)?] [$($alias)* $new] [$($inner)*] $($attrs)*)
    };
    (@serde $how:ident $f:ident [$($rename:literal)?] [$($alias:literal)*] [$skip:tt $($inner:tt)*] $($attrs:tt)*) => {
        payload!(@serde $how $f [$($rename)?] [$($alias)*] [$($inner)*] $($attrs)*)
    };
    (@serde $how:ident $f:ident [$($rename:literal)?] [$($alias:literal)*] [] $($attrs:tt)*) => {
        payload!(@names $how $f [$($rename)?] [$($alias)*] $($attrs)*)
    };
}

/// Declares an open enum over a Hotmart string value: known values get a
/// variant (with aliases for the spellings Hotmart mixes), anything else is
/// kept in `Other`.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal $(| $alias:literal)* ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        ///
        /// Values this version of the crate does not know are kept in
        /// `Other`, never rejected; serialising writes the first spelling
        /// listed for each variant.
        ///
        /// An open enum grows: a value kept in `Other` today gets its own
        /// variant in a later release, and a match arm on `Other("X")` then
        /// silently stops matching. For a value the crate does not model yet,
        /// match on [`as_str`](Self::as_str) instead.
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name<'a> {
            $( $(#[$vmeta])* $variant, )*
            /// A value this version of the crate does not know, kept as sent.
            Other($crate::Text<'a>),
        }

        impl<'a> $name<'a> {
            /// Classifies a wire value.
            pub fn from_text(text: $crate::Text<'a>) -> Self {
                match text.as_str() {
                    $( $wire $(| $alias)* => Self::$variant, )*
                    _ => Self::Other(text),
                }
            }

            /// The wire spelling.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )*
                    Self::Other(text) => text.as_str(),
                }
            }

            /// `true` for a value this crate does not know.
            pub fn is_other(&self) -> bool {
                matches!(self, Self::Other(_))
            }

            /// Every spelling `from_text` recognises, aliases included.
            #[cfg(feature = "proptest")]
            pub(crate) const SPELLINGS: &'static [&'static str] = &[$( $wire, $($alias,)* )*];

            /// A copy independent of the body.
            pub fn into_owned(self) -> $name<'static> {
                match self {
                    $( Self::$variant => $name::$variant, )*
                    Self::Other(text) => $name::Other(text.into_owned()),
                }
            }
        }

        impl std::fmt::Display for $name<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl<'a> From<&'a str> for $name<'a> {
            fn from(s: &'a str) -> Self {
                Self::from_text($crate::Text::borrowed(s))
            }
        }

        impl serde::Serialize for $name<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de: 'a, 'a> serde::Deserialize<'de> for $name<'a> {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                <$crate::Text<'a> as serde::Deserialize<'de>>::deserialize(deserializer).map(Self::from_text)
            }
        }

        impl<'a> $crate::owned::IntoOwned for $name<'a> {
            type Owned = $name<'static>;
            fn into_owned(self) -> $name<'static> {
                $name::into_owned(self)
            }
        }

        #[cfg(feature = "proptest")]
        impl $crate::strategy::Strings for $name<'_> {
            fn strings<'s>(&'s self, out: &mut Vec<(&'s str, bool)>) {
                if let Self::Other(text) = self {
                    $crate::strategy::Strings::strings(text, out);
                }
            }
        }

        #[cfg(feature = "proptest")]
        impl $crate::strategy::OpenEnum for $name<'static> {
            const SPELLINGS: &'static [&'static str] = $name::SPELLINGS;
            fn from_text(text: $crate::Text<'static>) -> Self {
                $name::from_text(text)
            }
            fn is_other(&self) -> bool {
                $name::is_other(self)
            }
        }
    };
}

/// A deserializer that reads a struct only from a JSON object: serde's
/// derived impls also accept an array and fill the fields by position, which
/// would turn `"data":[]` into an empty payload.
pub(crate) struct MapOnly<D>(pub(crate) D);

impl<'de, D: serde::Deserializer<'de>> serde::Deserializer<'de> for MapOnly<D> {
    type Error = D::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(visitor)
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        // `ObjectVisitor` refuses the array `serde_json` would otherwise read
        // by position; the field names go through (tests read them).
        self.0
            .deserialize_struct(name, fields, ObjectVisitor(visitor))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map
        enum identifier ignored_any
    }
}

/// Passes a map to the derived visitor and names what was expected.
struct ObjectVisitor<V>(V);

impl<'de, V: serde::de::Visitor<'de>> serde::de::Visitor<'de> for ObjectVisitor<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(map)
    }
}
