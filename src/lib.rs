//! Receive [Hotmart](https://hotmart.com) webhooks safely.
//!
//! Hotmart notifies a seller's server of purchases, refunds, subscriptions and
//! members-area activity by HTTP `POST`. This crate gives you the two halves of
//! a correct receiver:
//!
//! * **Authenticity**: Hotmart signs nothing; the only proof that a request is
//!   Hotmart's is the account's *hottok*, sent in the `X-HOTMART-HOTTOK`
//!   header (v2.0.0) or as the `hottok` body field (v1). The crate checks it in
//!   constant time and fails closed.
//! * **Parsing**: one `parse(&[u8])` for every payload version, into strongly
//!   typed values that borrow from the body ([`Text`]).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod hottok;
mod layer;
mod text;

pub use hottok::{
    FromEnvError, HOTTOK_HEADER, Hottok, InvalidHottok, MAX_HOTTOK_LEN, PREVIOUS_SECRET_ENV_VAR,
    SECRET_ENV_VAR,
};
pub use layer::{
    DEFAULT_BODY_LIMIT, HottokSource, Rejection, RejectionReason, ResponseBody, ResponseFuture,
    Verified, VerifiedBody, VerifyHottok, VerifyHottokLayer,
};
pub use text::Text;
