//! `Hottok::matches` and `Hottok::verify` against plain byte equality. The input is split into a
//! secret, an optional previous secret (rotation) and a candidate; secrets
//! that `Hottok::new` refuses are skipped, candidates are any bytes.
#![no_main]

use hotmart_webhook::{Hottok, MatchedToken};
use libfuzzer_sys::fuzz_target;

/// Takes a length byte and that many bytes (or what is left).
fn take<'a>(data: &mut &'a [u8]) -> &'a [u8] {
    let Some((&len, rest)) = data.split_first() else {
        return &[];
    };
    let (taken, rest) = rest.split_at((len as usize).min(rest.len()));
    *data = rest;
    taken
}

fuzz_target!(|data: &[u8]| {
    let mut data = data;
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    data = rest;
    let secret = take(&mut data);
    let previous = if flags & 1 == 1 {
        Some(take(&mut data))
    } else {
        None
    };
    // Bit 1: the candidate is the secret with the rest appended (long
    // shared prefixes are where a comparison goes wrong).
    let candidate: Vec<u8> = if flags & 2 == 2 {
        [secret, data].concat()
    } else {
        data.to_vec()
    };

    let Ok(secret_str) = std::str::from_utf8(secret) else {
        return;
    };
    let Ok(mut hottok) = Hottok::new(secret_str) else {
        return;
    };
    let mut expected = (candidate == secret).then_some(MatchedToken::Current);
    if let Some(previous) = previous {
        let Ok(previous_str) = std::str::from_utf8(previous) else {
            return;
        };
        let Ok(rotated) = hottok.with_previous(previous_str) else {
            return;
        };
        hottok = rotated;
        if expected.is_none() && candidate == previous {
            expected = Some(MatchedToken::Previous);
        }
    }
    assert_eq!(hottok.verify(&candidate), expected);
    assert_eq!(hottok.matches(&candidate), expected.is_some());
});
