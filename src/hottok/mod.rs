//! [`Hottok`]: the account secret Hotmart sends with every delivery, and its
//! constant-time verification.
//!
//! Hotmart signs nothing. The only proof that a request comes from Hotmart is
//! the account's *hottok*, sent in the [`HOTTOK_HEADER`] (`X-HOTMART-HOTTOK`)
//! by v2.0.0 deliveries and as the `hottok` body field by v1 deliveries.
//!
//! [`Hottok::matches`] documents what the constant-time comparison hides.

pub(crate) mod find;
mod mask;

pub use mask::mask_hottok;

use std::env::{self, VarError};
use std::error::Error;
use std::fmt;
use std::str::FromStr;

use http::HeaderName;
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::{Zeroize, Zeroizing};

/// The header that carries the hottok: `x-hotmart-hottok`.
///
/// Hotmart's documentation spells it `X-HOTMART-HOTTOK`; header names are
/// case-insensitive and [`http::HeaderMap`] normalises them to lower case, so
/// a lookup with this constant finds every spelling.
pub const HOTTOK_HEADER: HeaderName = HeaderName::from_static("x-hotmart-hottok");

/// The environment variable read by [`Hottok::from_env`]:
/// `HOTMART_WEBHOOK_SECRET`.
pub const SECRET_ENV_VAR: &str = "HOTMART_WEBHOOK_SECRET";

/// The optional environment variable holding the previous hottok during a
/// change-over, also accepted by [`Hottok::from_env`]:
/// `HOTMART_WEBHOOK_SECRET_PREVIOUS`.
pub const PREVIOUS_SECRET_ENV_VAR: &str = "HOTMART_WEBHOOK_SECRET_PREVIOUS";

/// The longest hottok accepted, in bytes: 128.
///
/// Observed Hotmart tokens are 36 to 66 characters long. Candidates longer
/// than this are refused without a comparison.
pub const MAX_HOTTOK_LEN: usize = 128;

const WORDS: usize = MAX_HOTTOK_LEN / 8;
const _: () = assert!(MAX_HOTTOK_LEN % 8 == 0);

/// A token zero-padded to [`MAX_HOTTOK_LEN`] bytes, held as little-endian
/// words, with its length. Zeroized when dropped.
#[derive(Clone)]
struct Padded {
    words: [u64; WORDS],
    len: u64,
}

impl Padded {
    /// Pads `bytes` (at most [`MAX_HOTTOK_LEN`]): the words are read straight
    /// from the slice, and those past its end stay zero. Branches on the
    /// length of `bytes` only.
    fn new(bytes: &[u8]) -> Padded {
        debug_assert!(bytes.len() <= MAX_HOTTOK_LEN);
        let mut padded = Padded {
            words: [0; WORDS],
            len: bytes.len() as u64,
        };
        let chunks = bytes.chunks_exact(8);
        let tail = chunks.remainder();
        let full = chunks.len();
        for (word, chunk) in padded.words.iter_mut().zip(chunks) {
            let mut eight = [0u8; 8];
            eight.copy_from_slice(chunk);
            *word = u64::from_le_bytes(eight);
        }
        for (k, b) in tail.iter().enumerate() {
            padded.words[full] |= u64::from(*b) << (8 * k);
        }
        padded
    }

    /// Equal lengths and equal padded words, in constant time: every word
    /// is compared, whatever the lengths.
    fn ct_eq(&self, other: &Padded) -> Choice {
        self.words[..].ct_eq(&other.words[..]) & self.len.ct_eq(&other.len)
    }
}

impl Drop for Padded {
    fn drop(&mut self) {
        self.words.zeroize();
        self.len.zeroize();
    }
}

/// One accepted token: checked, then padded.
fn token(secret: &str) -> Result<Padded, InvalidHottok> {
    let bytes = secret.as_bytes();
    if bytes.is_empty() {
        return Err(InvalidHottok(Invalid::Empty));
    }
    if bytes.len() > MAX_HOTTOK_LEN {
        return Err(InvalidHottok(Invalid::TooLong(bytes.len())));
    }
    if let Some(position) = bytes.iter().position(|b| !is_visible_ascii(*b)) {
        return Err(InvalidHottok(Invalid::NotVisibleAscii(position)));
    }
    Ok(Padded::new(bytes))
}

/// `true` for the bytes a hottok may contain: visible ASCII, `0x21..=0x7E`.
pub(crate) fn is_visible_ascii(b: u8) -> bool {
    (0x21..=0x7E).contains(&b)
}

/// Which of the accepted tokens a candidate matched: see
/// [`Hottok::verify`] and [`Verified::token`](crate::Verified::token).
///
/// During a change-over, once no delivery has matched
/// [`Previous`](MatchedToken::Previous) for longer than Hotmart retries (a
/// few days), the previous token can be dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatchedToken {
    /// The token given to [`Hottok::new`] (or [`SECRET_ENV_VAR`]).
    Current,
    /// The token given to [`Hottok::with_previous`] (or
    /// [`PREVIOUS_SECRET_ENV_VAR`]).
    Previous,
}

/// The hottok (or, during a change-over, the hottoks) that a receiver accepts.
///
/// Build it once at start-up with [`Hottok::new`], [`str::parse`] or
/// [`Hottok::from_env`] and give it to
/// [`VerifyHottokLayer`](crate::VerifyHottokLayer). A `Hottok` is never empty,
/// so no layer can be built that accepts a missing or empty header.
///
/// It has no `Display`, no `PartialEq` and no `Serialize`, and its `Debug`
/// output is `Hottok(<redacted>)`, so it cannot leak through a log line or a
/// careless comparison. Its bytes are zeroized when it is dropped (they sit
/// in one heap allocation that is never moved; the strings it was built from
/// are the caller's to clear). [`Hottok::matches`] says what its comparison
/// hides from timing.
///
/// ```
/// use hotmart_webhook::Hottok;
///
/// let hottok = Hottok::new("ysewXlAZI1abcdefghijklmnopqrst518471")?;
/// assert!(hottok.matches(b"ysewXlAZI1abcdefghijklmnopqrst518471"));
/// assert!(!hottok.matches(b"ysewXlAZI1abcdefghijklmnopqrst518472"));
/// assert_eq!(format!("{hottok:?}"), "Hottok(<redacted>)");
///
/// // A trailing newline from an env file is an error, not silently trimmed.
/// assert!(Hottok::new("ysewXlAZI1abcdefghijklmnopqrst518471\n").is_err());
/// # Ok::<(), hotmart_webhook::InvalidHottok>(())
/// ```
#[derive(Clone)]
pub struct Hottok {
    tokens: Box<Tokens>,
}

#[derive(Clone)]
struct Tokens {
    current: Padded,
    previous: Option<Padded>,
}

impl Hottok {
    /// A `Hottok` accepting exactly `secret`.
    ///
    /// Refuses, with an [`InvalidHottok`] that never contains the secret:
    /// an empty string, a string longer than [`MAX_HOTTOK_LEN`] (128) bytes,
    /// and any byte outside visible ASCII (`0x21..=0x7E`), so that a space, a
    /// tab or the line break of an env file is a clear error at start-up
    /// instead of a receiver that rejects every delivery.
    ///
    /// ```
    /// use hotmart_webhook::Hottok;
    ///
    /// let hottok = Hottok::new("5M9CA6Nvtq1234567890abcdefghij13df093f-77b2-49f9-9ad4-03049ccfccb6")?;
    /// assert_eq!(hottok.token_count(), 1);
    ///
    /// let err = Hottok::new(" padded ").unwrap_err();
    /// assert!(err.to_string().contains("visible ASCII"));
    /// assert!(Hottok::new("").is_err());
    /// # Ok::<(), hotmart_webhook::InvalidHottok>(())
    /// ```
    pub fn new(secret: &str) -> Result<Hottok, InvalidHottok> {
        Ok(Hottok {
            tokens: Box::new(Tokens {
                current: token(secret)?,
                previous: None,
            }),
        })
    }

    /// Also accepts `previous`, for a change-over: while Hotmart may still
    /// send the old token, both are accepted. Same rules as [`Hottok::new`];
    /// called twice, the second previous token replaces the first.
    ///
    /// ```
    /// use hotmart_webhook::{Hottok, MatchedToken};
    ///
    /// let hottok = Hottok::new("new-token-0123456789")?.with_previous("old-token-0123456789")?;
    /// assert_eq!(hottok.verify(b"new-token-0123456789"), Some(MatchedToken::Current));
    /// assert_eq!(hottok.verify(b"old-token-0123456789"), Some(MatchedToken::Previous));
    /// assert!(!hottok.matches(b"any-other-token-0123"));
    /// # Ok::<(), hotmart_webhook::InvalidHottok>(())
    /// ```
    pub fn with_previous(mut self, previous: &str) -> Result<Hottok, InvalidHottok> {
        self.tokens.previous = Some(token(previous)?);
        Ok(self)
    }

    /// Reads the hottok from [`SECRET_ENV_VAR`] (`HOTMART_WEBHOOK_SECRET`),
    /// and a previous one from [`PREVIOUS_SECRET_ENV_VAR`]
    /// (`HOTMART_WEBHOOK_SECRET_PREVIOUS`) when that is set.
    ///
    /// The first variable is required. The second is optional; set to the
    /// empty string it counts as unset (so clearing it in an env file after a
    /// change-over works); any other value must be a valid hottok. Values are
    /// not trimmed. The error names the variable, never its value.
    ///
    /// ```
    /// use hotmart_webhook::{Hottok, SECRET_ENV_VAR};
    ///
    /// match Hottok::from_env() {
    ///     Ok(hottok) => println!("accepting {} token(s)", hottok.token_count()),
    ///     Err(err) => {
    ///         // e.g. "environment variable HOTMART_WEBHOOK_SECRET is not set"
    ///         assert!(err.to_string().contains("HOTMART_WEBHOOK_SECRET"));
    ///         assert!(err.variable().starts_with(SECRET_ENV_VAR));
    ///     }
    /// }
    /// ```
    pub fn from_env() -> Result<Hottok, FromEnvError> {
        Hottok::from_lookup(env::var)
    }

    fn from_lookup(
        mut lookup: impl FnMut(&'static str) -> Result<String, VarError>,
    ) -> Result<Hottok, FromEnvError> {
        let read = |variable: &'static str, value: Result<String, VarError>| match value {
            // Cleared when dropped, like the tokens made from it.
            Ok(value) => Ok(Some(Zeroizing::new(value))),
            Err(VarError::NotPresent) => Ok(None),
            Err(VarError::NotUnicode(_)) => Err(FromEnvError {
                variable,
                kind: EnvErrorKind::NotUnicode,
            }),
        };
        let invalid = |variable: &'static str| {
            move |err: InvalidHottok| FromEnvError {
                variable,
                kind: EnvErrorKind::Invalid(err),
            }
        };

        let current = read(SECRET_ENV_VAR, lookup(SECRET_ENV_VAR))?.ok_or(FromEnvError {
            variable: SECRET_ENV_VAR,
            kind: EnvErrorKind::NotSet,
        })?;
        let mut hottok = Hottok::new(&current).map_err(invalid(SECRET_ENV_VAR))?;
        if let Some(previous) = read(PREVIOUS_SECRET_ENV_VAR, lookup(PREVIOUS_SECRET_ENV_VAR))? {
            if !previous.is_empty() {
                hottok = hottok
                    .with_previous(&previous)
                    .map_err(invalid(PREVIOUS_SECRET_ENV_VAR))?;
            }
        }
        Ok(hottok)
    }

    /// How many tokens are accepted (1, or 2 during a change-over).
    ///
    /// This number is not secret: it shows in the time a comparison takes.
    pub fn token_count(&self) -> usize {
        1 + usize::from(self.tokens.previous.is_some())
    }

    /// `true` if `candidate` is exactly one of the accepted tokens: the same
    /// as [`verify`](Hottok::verify)`(candidate).is_some()`.
    ///
    /// Runs in constant time with respect to the tokens and does not allocate.
    /// A candidate longer than [`MAX_HOTTOK_LEN`] is refused at once.
    ///
    /// # What the comparison hides, and what it does not
    ///
    /// Every configured token is stored zero-padded to [`MAX_HOTTOK_LEN`]
    /// bytes, and the candidate is padded the same way on the stack (and
    /// zeroized after). Each token is compared with it by [`subtle`]'s slice
    /// `ct_eq` over the whole padded array, and its length by `ct_eq` too;
    /// the results are [`subtle::Choice`]s, and which token matched is
    /// picked with `conditional_select`. Nothing branches on a token's bytes
    /// or length, and every token is compared on every call, without an
    /// early exit.
    ///
    /// Hidden from an observer who measures response times:
    ///
    /// * the content of every configured token, and the position of the first
    ///   byte where the candidate differs from it;
    /// * the length of every configured token (every comparison covers the whole
    ///   padded buffer);
    /// * which of the rotation tokens matched (both are compared, and the
    ///   answer is selected without a branch).
    ///
    /// Not hidden:
    ///
    /// * the *number* of configured tokens (each one costs one more comparison);
    /// * whether the candidate is longer than [`MAX_HOTTOK_LEN`] (it is refused
    ///   before any comparison);
    /// * the candidate's own length, through the time it takes to copy it (the
    ///   attacker knows it already).
    ///
    /// The final decision is of course visible: the response tells.
    pub fn matches(&self, candidate: &[u8]) -> bool {
        self.verify(candidate).is_some()
    }

    /// Which accepted token `candidate` is, if any. Same comparison, same
    /// guarantees as [`matches`](Hottok::matches): which token matched is
    /// not visible in the time it takes.
    ///
    /// ```
    /// use hotmart_webhook::{Hottok, MatchedToken};
    ///
    /// let hottok = Hottok::new("new-token-0123456789")?;
    /// assert_eq!(hottok.verify(b"new-token-0123456789"), Some(MatchedToken::Current));
    /// assert_eq!(hottok.verify(b"old-token-0123456789"), None);
    /// # Ok::<(), hotmart_webhook::InvalidHottok>(())
    /// ```
    pub fn verify(&self, candidate: &[u8]) -> Option<MatchedToken> {
        if candidate.len() > MAX_HOTTOK_LEN {
            return None;
        }
        let candidate = Padded::new(candidate);
        let current = self.tokens.current.ct_eq(&candidate);
        let previous = match &self.tokens.previous {
            Some(previous) => previous.ct_eq(&candidate),
            None => Choice::from(0),
        };
        // 0: none, 1: current, 2: previous; current wins if both match.
        let which = u8::conditional_select(&u8::conditional_select(&0, &2, previous), &1, current);
        const ANSWERS: [Option<MatchedToken>; 3] = [
            None,
            Some(MatchedToken::Current),
            Some(MatchedToken::Previous),
        ];
        ANSWERS[usize::from(which)]
    }
}

impl FromStr for Hottok {
    type Err = InvalidHottok;

    /// Same as [`Hottok::new`].
    fn from_str(s: &str) -> Result<Hottok, InvalidHottok> {
        Hottok::new(s)
    }
}

impl fmt::Debug for Hottok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Hottok(<redacted>)")
    }
}

/// Why a string is not a usable hottok. Never contains the string.
#[derive(Clone, PartialEq, Eq)]
pub struct InvalidHottok(Invalid);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Invalid {
    Empty,
    TooLong(usize),
    NotVisibleAscii(usize),
}

impl fmt::Display for InvalidHottok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Invalid::Empty => f.write_str("the hottok is empty"),
            Invalid::TooLong(len) => write!(
                f,
                "the hottok is {len} bytes long; at most {MAX_HOTTOK_LEN} are accepted"
            ),
            Invalid::NotVisibleAscii(position) => write!(
                f,
                "the hottok contains a byte outside visible ASCII (0x21..=0x7E) at byte \
                 {position}; whitespace and line breaks are not trimmed"
            ),
        }
    }
}

impl fmt::Debug for InvalidHottok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("InvalidHottok").field(&self.0).finish()
    }
}

impl Error for InvalidHottok {}

/// Why [`Hottok::from_env`] failed. Names the variable, never its value.
#[derive(Clone, PartialEq, Eq)]
pub struct FromEnvError {
    variable: &'static str,
    kind: EnvErrorKind,
}

#[derive(Clone, PartialEq, Eq, Debug)]
enum EnvErrorKind {
    NotSet,
    NotUnicode,
    Invalid(InvalidHottok),
}

impl FromEnvError {
    /// The variable at fault: [`SECRET_ENV_VAR`] or [`PREVIOUS_SECRET_ENV_VAR`].
    pub fn variable(&self) -> &'static str {
        self.variable
    }
}

impl fmt::Display for FromEnvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let variable = self.variable;
        match &self.kind {
            EnvErrorKind::NotSet => write!(f, "environment variable {variable} is not set"),
            EnvErrorKind::NotUnicode => {
                write!(f, "environment variable {variable} is not valid unicode")
            }
            EnvErrorKind::Invalid(err) => {
                write!(
                    f,
                    "environment variable {variable} is not a usable hottok: {err}"
                )
            }
        }
    }
}

impl fmt::Debug for FromEnvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FromEnvError")
            .field("variable", &self.variable)
            .field("kind", &self.kind)
            .finish()
    }
}

impl Error for FromEnvError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match &self.kind {
            EnvErrorKind::Invalid(err) => Some(err),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    const SECRET: &str = "ysewXlAZI1abcdefghijklmnopqrst518471";
    const OLD: &str = "oldXlAZI1abcdefghijklmnopqrst5184711";

    fn lookup<'a>(
        vars: &'a [(&'static str, Result<&'a str, ()>)],
    ) -> impl FnMut(&'static str) -> Result<String, VarError> + 'a {
        move |name| match vars.iter().find(|(n, _)| *n == name) {
            None => Err(VarError::NotPresent),
            Some((_, Ok(v))) => Ok((*v).to_owned()),
            Some((_, Err(()))) => Err(VarError::NotUnicode(OsString::from("x"))),
        }
    }

    #[test]
    fn env_with_only_the_current_secret_accepts_it() {
        let h = Hottok::from_lookup(lookup(&[(SECRET_ENV_VAR, Ok(SECRET))])).unwrap();
        assert_eq!(h.token_count(), 1);
        assert!(h.matches(SECRET.as_bytes()));
    }

    #[test]
    fn env_with_a_previous_secret_accepts_both() {
        let h = Hottok::from_lookup(lookup(&[
            (SECRET_ENV_VAR, Ok(SECRET)),
            (PREVIOUS_SECRET_ENV_VAR, Ok(OLD)),
        ]))
        .unwrap();
        assert_eq!(h.token_count(), 2);
        assert!(h.matches(SECRET.as_bytes()));
        assert!(h.matches(OLD.as_bytes()));
    }

    #[test]
    fn empty_previous_secret_counts_as_unset() {
        let h = Hottok::from_lookup(lookup(&[
            (SECRET_ENV_VAR, Ok(SECRET)),
            (PREVIOUS_SECRET_ENV_VAR, Ok("")),
        ]))
        .unwrap();
        assert_eq!(h.token_count(), 1);
    }

    #[test]
    fn missing_secret_names_the_variable() {
        let err = Hottok::from_lookup(lookup(&[(PREVIOUS_SECRET_ENV_VAR, Ok(OLD))])).unwrap_err();
        assert_eq!(err.variable(), SECRET_ENV_VAR);
        assert_eq!(
            err.to_string(),
            "environment variable HOTMART_WEBHOOK_SECRET is not set"
        );
        assert!(err.source().is_none());
    }

    #[test]
    fn non_unicode_secret_names_the_variable() {
        let err = Hottok::from_lookup(lookup(&[(SECRET_ENV_VAR, Err(()))])).unwrap_err();
        assert_eq!(err.variable(), SECRET_ENV_VAR);
        assert!(err.to_string().contains("not valid unicode"));
    }

    #[test]
    fn secret_with_a_trailing_newline_is_an_error_that_does_not_show_it() {
        let value = format!("{SECRET}\n");
        let err = Hottok::from_lookup(lookup(&[(SECRET_ENV_VAR, Ok(&value))])).unwrap_err();
        assert_eq!(err.variable(), SECRET_ENV_VAR);
        let text = format!("{err} {err:?}");
        assert!(text.contains("HOTMART_WEBHOOK_SECRET"));
        assert!(text.contains("visible ASCII"));
        assert!(!text.contains(SECRET));
        assert!(err.source().is_some());
    }

    #[test]
    fn invalid_previous_secret_names_the_previous_variable() {
        let err = Hottok::from_lookup(lookup(&[
            (SECRET_ENV_VAR, Ok(SECRET)),
            (PREVIOUS_SECRET_ENV_VAR, Ok(" old")),
        ]))
        .unwrap_err();
        assert_eq!(err.variable(), PREVIOUS_SECRET_ENV_VAR);
        assert!(err.to_string().contains("HOTMART_WEBHOOK_SECRET_PREVIOUS"));
    }

    #[test]
    fn padding_keeps_every_byte_of_a_full_length_token() {
        let full = "a".repeat(MAX_HOTTOK_LEN);
        let h = Hottok::new(&full).unwrap();
        assert!(h.matches(full.as_bytes()));
        let mut last_differs = full.clone().into_bytes();
        last_differs[MAX_HOTTOK_LEN - 1] = b'b';
        assert!(!h.matches(&last_differs));
    }

    #[test]
    fn every_token_length_matches_itself_only() {
        let all: String = ('!'..='~').cycle().take(MAX_HOTTOK_LEN + 1).collect();
        for len in 1..=MAX_HOTTOK_LEN {
            let token = &all[..len];
            let h = Hottok::new(token).unwrap();
            assert!(h.matches(token.as_bytes()), "{len}");
            assert!(!h.matches(&all.as_bytes()[..len - 1]), "{len}");
            assert!(!h.matches(&all.as_bytes()[..len + 1]), "{len}");
            for i in 0..len {
                let mut changed = token.as_bytes().to_vec();
                changed[i] ^= 0x01;
                assert!(!h.matches(&changed), "{len} {i}");
            }
        }
    }

    #[test]
    fn trailing_zero_bytes_do_not_match_the_padding() {
        let h = Hottok::new("abc").unwrap();
        assert!(!h.matches(b"abc\0"));
        assert!(!h.matches(b"abc\0\0\0\0\0\0\0\0"));
    }
}
