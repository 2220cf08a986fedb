//! The secret: what `Hottok` accepts as configuration, what it matches, and
//! that it never shows itself.

use std::borrow::Cow;

use hotmart_webhook::{
    HOTTOK_HEADER, Hottok, InvalidHottok, MAX_HOTTOK_LEN, MatchedToken, PREVIOUS_SECRET_ENV_VAR,
    SECRET_ENV_VAR, mask_hottok,
};

/// Shaped like a real token: 30 alphanumerics and 6 digits.
const SECRET: &str = "ysewXlAZI1qRtYuIoPaSdFgHjKlZxC518471";
/// Shaped like the newer tokens: 30 alphanumerics and a UUID.
const NEWER: &str = "5M9CA6NvtqWeRtYuIoPaSdFgHjKlZx13df093f-77b2-49f9-9ad4-03049ccfccb6";

#[test]
fn constants_name_the_documented_header_and_variables() {
    assert_eq!(HOTTOK_HEADER.as_str(), "x-hotmart-hottok");
    assert_eq!(
        http::HeaderName::from_bytes(b"X-HOTMART-HOTTOK").unwrap(),
        HOTTOK_HEADER
    );
    assert_eq!(SECRET_ENV_VAR, "HOTMART_WEBHOOK_SECRET");
    assert_eq!(PREVIOUS_SECRET_ENV_VAR, "HOTMART_WEBHOOK_SECRET_PREVIOUS");
    assert_eq!(MAX_HOTTOK_LEN, 128);
}

#[test]
fn observed_token_shapes_are_accepted_and_match_themselves() {
    for token in [SECRET, NEWER] {
        let hottok = Hottok::new(token).unwrap();
        assert!(hottok.matches(token.as_bytes()));
        assert_eq!(hottok.token_count(), 1);
    }
}

#[test]
fn empty_secret_is_refused() {
    let err = Hottok::new("").unwrap_err();
    assert_eq!(err.to_string(), "the hottok is empty");
}

#[test]
fn secret_of_the_maximum_length_is_accepted_and_one_byte_more_is_refused() {
    let max = "k".repeat(MAX_HOTTOK_LEN);
    assert!(Hottok::new(&max).unwrap().matches(max.as_bytes()));
    let err = Hottok::new(&format!("{max}k")).unwrap_err();
    assert!(err.to_string().contains("129 bytes"));
}

#[test]
fn whitespace_around_the_secret_is_an_error_not_silently_trimmed() {
    for bad in [
        format!(" {SECRET}"),
        format!("{SECRET} "),
        format!("{SECRET}\n"),
        format!("{SECRET}\r\n"),
        format!("\t{SECRET}"),
        SECRET.replacen('Z', " ", 1),
    ] {
        let err = Hottok::new(&bad).unwrap_err();
        assert!(err.to_string().contains("visible ASCII"), "{err}");
    }
}

#[test]
fn non_ascii_and_control_bytes_in_the_secret_are_refused() {
    for bad in ["tokén-123", "token\u{0}123", "token\u{7f}123", "токен"] {
        assert!(Hottok::new(bad).is_err(), "{bad:?} accepted");
    }
}

#[test]
fn from_str_is_the_same_as_new() {
    let hottok: Hottok = SECRET.parse().unwrap();
    assert!(hottok.matches(SECRET.as_bytes()));
    assert!("".parse::<Hottok>().is_err());
    assert!(" x".parse::<Hottok>().is_err());
}

#[test]
fn during_rotation_old_and_new_tokens_are_accepted_and_a_third_is_refused() {
    let hottok = Hottok::new(NEWER).unwrap().with_previous(SECRET).unwrap();
    assert_eq!(hottok.token_count(), 2);
    assert!(hottok.matches(NEWER.as_bytes()));
    assert!(hottok.matches(SECRET.as_bytes()));
    assert!(!hottok.matches(b"ysewXlAZI1qRtYuIoPaSdFgHjKlZxC518472"));
    assert!(!hottok.matches(b""));
}

#[test]
fn an_invalid_previous_token_is_refused() {
    assert!(Hottok::new(SECRET).unwrap().with_previous("").is_err());
    assert!(Hottok::new(SECRET).unwrap().with_previous("old\n").is_err());
}

#[test]
fn matching_agrees_with_plain_byte_equality_on_a_table_of_cases() {
    let max = "m".repeat(MAX_HOTTOK_LEN);
    let over = "m".repeat(MAX_HOTTOK_LEN + 1);
    let mut last_byte_differs = SECRET.as_bytes().to_vec();
    *last_byte_differs.last_mut().unwrap() ^= 1;
    let mut first_byte_differs = SECRET.as_bytes().to_vec();
    first_byte_differs[0] ^= 1;
    let with_nul = [SECRET.as_bytes(), b"\0"].concat();
    let candidates: Vec<&[u8]> = vec![
        b"",
        b"y",
        &SECRET.as_bytes()[..8],
        &SECRET.as_bytes()[..SECRET.len() - 1],
        SECRET.as_bytes(),
        &last_byte_differs,
        &first_byte_differs,
        &with_nul,
        NEWER.as_bytes(),
        &NEWER.as_bytes()[..SECRET.len()],
        max.as_bytes(),
        over.as_bytes(),
        "ysewXlAZI1qRtYuIoPaSdFgHjKlZxC51847é".as_bytes(),
        b"\xff\xfe\x00\x01",
        b"\0\0\0\0\0\0\0\0",
    ];
    let configured: [&str; 4] = [SECRET, NEWER, &max, "y"];
    for secret in configured {
        let hottok = Hottok::new(secret).unwrap();
        for candidate in &candidates {
            assert_eq!(
                hottok.matches(candidate),
                *candidate == secret.as_bytes(),
                "secret of {} bytes, candidate {:?}",
                secret.len(),
                String::from_utf8_lossy(candidate)
            );
        }
    }
    // The same table against a rotation pair.
    let pair = Hottok::new(SECRET).unwrap().with_previous(&max).unwrap();
    for candidate in &candidates {
        let expected = *candidate == SECRET.as_bytes() || *candidate == max.as_bytes();
        assert_eq!(pair.matches(candidate), expected);
    }
}

#[test]
fn debug_output_is_redacted() {
    let hottok = Hottok::new(SECRET).unwrap();
    assert_eq!(format!("{hottok:?}"), "Hottok(<redacted>)");
    assert_eq!(format!("{hottok:#?}"), "Hottok(<redacted>)");
    let pair = hottok.clone().with_previous(NEWER).unwrap();
    let debug = format!("{pair:?} {pair:#?}");
    assert!(!debug.contains(SECRET) && !debug.contains(NEWER));
    assert!(!debug.contains("ysew") && !debug.contains("5M9C"));
}

#[test]
fn errors_never_contain_the_rejected_secret() {
    let near_misses = [
        format!("{SECRET}\n"),
        format!(" {SECRET}"),
        format!("{SECRET}é"),
        format!("{SECRET}{}", "x".repeat(MAX_HOTTOK_LEN)),
    ];
    for bad in near_misses {
        let err: InvalidHottok = Hottok::new(&bad).unwrap_err();
        let shown = format!("{err} {err:?} {err:#?}");
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(!shown.contains("ysew"), "{shown}");
        let boxed: Box<dyn std::error::Error> = Box::new(err);
        assert!(!boxed.to_string().contains(SECRET));
    }
}

#[test]
fn hottok_can_be_shared_between_threads() {
    fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync_clone::<Hottok>();
    assert_send_sync_clone::<InvalidHottok>();
    assert_send_sync_clone::<hotmart_webhook::FromEnvError>();
}

#[test]
fn verify_names_the_token_that_matched() {
    let hottok = Hottok::new(NEWER).unwrap().with_previous(SECRET).unwrap();
    assert_eq!(hottok.verify(NEWER.as_bytes()), Some(MatchedToken::Current));
    assert_eq!(
        hottok.verify(SECRET.as_bytes()),
        Some(MatchedToken::Previous)
    );
    assert_eq!(hottok.verify(b"neither"), None);
    assert_eq!(hottok.verify(&[b'a'; MAX_HOTTOK_LEN + 1]), None);
    assert_eq!(hottok.token_count(), 2);
}

#[test]
fn the_same_token_twice_counts_as_the_current_one() {
    let hottok = Hottok::new(SECRET).unwrap().with_previous(SECRET).unwrap();
    assert_eq!(
        hottok.verify(SECRET.as_bytes()),
        Some(MatchedToken::Current)
    );
}

#[test]
fn a_second_previous_token_replaces_the_first() {
    let hottok = Hottok::new(NEWER)
        .unwrap()
        .with_previous("first-previous")
        .unwrap()
        .with_previous(SECRET)
        .unwrap();
    assert_eq!(hottok.token_count(), 2);
    assert_eq!(hottok.verify(b"first-previous"), None);
    assert_eq!(
        hottok.verify(SECRET.as_bytes()),
        Some(MatchedToken::Previous)
    );
}

#[test]
fn masked_fixtures_keep_their_length_and_lose_their_token() {
    let fixtures: [(&str, &[u8]); 3] = [
        ("v1 form", include_bytes!("fixtures/v1/approved_1.form")),
        (
            "v2 with hottok",
            include_bytes!("fixtures/v2/PURCHASE_APPROVED_9.json"),
        ),
        (
            "v2 without",
            include_bytes!("fixtures/v2/PURCHASE_APPROVED_3.json"),
        ),
    ];
    for (name, body) in fixtures {
        let masked = mask_hottok(body);
        assert_eq!(masked.len(), body.len(), "{name}");
        let text = String::from_utf8_lossy(&masked);
        if name == "v2 without" {
            assert!(matches!(masked, Cow::Borrowed(_)), "{name}");
            continue;
        }
        assert!(matches!(masked, Cow::Owned(_)), "{name}");
        assert!(text.contains("hottok"), "{name}");
        let original = String::from_utf8_lossy(body);
        let changed: Vec<(char, char)> = original
            .chars()
            .zip(text.chars())
            .filter(|(a, b)| a != b)
            .collect();
        assert!(changed.len() >= 20, "{name}: {changed:?}");
        assert!(changed.iter().all(|(_, b)| *b == '*'), "{name}");
    }
    let json: serde_json::Value = serde_json::from_slice(&mask_hottok(fixtures[1].1)).unwrap();
    let hottok = json
        .pointer("/hottok")
        .or_else(|| json.pointer("/data/hottok"));
    assert!(hottok.is_some_and(|h| h.as_str().is_some_and(|s| s.bytes().all(|b| b == b'*'))));
}
