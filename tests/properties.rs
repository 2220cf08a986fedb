//! Properties over generated inputs (feature `proptest`): the wire round
//! trip, no panic on any input, zero-copy parsing, constant-time matching
//! that agrees with `==`, and the layer under arbitrary headers and bodies.
//!
//! Failing seeds are kept in `proptest-regressions/` and replayed first.
#![cfg(feature = "proptest")]

use std::convert::Infallible;
use std::fs;
use std::path::Path;
use std::sync::{Arc, LazyLock, Mutex};

use bytes::Bytes;
use hotmart_webhook::{
    Hottok, HottokSource, MAX_HOTTOK_LEN, Verified, VerifiedBody, VerifyHottokLayer, Webhook,
    parse, strategy,
};
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use serde_json::Value;
use tower::{Layer, ServiceExt, service_fn};

/// `parse(body)` must give `expected`; the error says what went wrong.
fn assert_parses_to(body: &[u8], expected: &Webhook<'_>) -> Result<(), TestCaseError> {
    let parsed = parse(body).map_err(|e| {
        TestCaseError::fail(format!(
            "{e} (path {:?}) for {}",
            e.path(),
            String::from_utf8_lossy(body)
        ))
    })?;
    prop_assert_eq!(&parsed, expected, "body {}", String::from_utf8_lossy(body));
    Ok(())
}

/// The round-trip oracle of the fuzz target, for parsed input: what parses
/// writes back to a body that parses equal (but for the problems, whose
/// fields are not written), and `into_owned` is equal.
fn assert_round_trips(body: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(webhook) = parse(body) {
        prop_assert_eq!(webhook.clone().into_owned(), webhook.clone());
        let mut webhook = webhook;
        webhook.take_problems();
        let wire = webhook.to_wire().unwrap();
        let mut again = parse(&wire).map_err(|e| {
            TestCaseError::fail(format!("{e} for {}", String::from_utf8_lossy(&wire)))
        })?;
        again.take_problems();
        prop_assert_eq!(&again, &webhook, "wire {}", String::from_utf8_lossy(&wire));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Tolerance (issue 10): one field of another type is one problem, nothing more

/// The path (as `Problem::path` writes it) and JSON pointer of every object
/// member at or below `value`, `metadata` (which holds any JSON) excepted.
fn member_paths(value: &Value, path: &str, pointer: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(members) => {
            for (key, member) in members {
                if key == "metadata" {
                    continue;
                }
                let path = format!("{path}.{key}");
                let pointer = format!("{pointer}/{key}");
                out.push((path.clone(), pointer.clone()));
                member_paths(member, &path, &pointer, out);
            }
        }
        Value::Array(elements) => {
            for (i, element) in elements.iter().enumerate() {
                member_paths(
                    element,
                    &format!("{path}[{i}]"),
                    &format!("{pointer}/{i}"),
                    out,
                );
            }
        }
        _ => {}
    }
}

/// A value of another JSON type than `value`, one that no field accepts in
/// place of it: an array for an object, an object for anything else.
fn of_another_type(value: &Value) -> Value {
    match value {
        Value::Object(_) => serde_json::json!([true, "x"]),
        Value::Array(_) => serde_json::json!({"x": true}),
        _ => serde_json::json!({"x": [1]}),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_one_field_of_another_type_is_one_problem_at_its_path_and_changes_nothing_else(
        webhook in strategy::webhook(),
        pick in any::<Index>(),
    ) {
        prop_assume!(matches!(webhook, Webhook::V2(_)) && webhook.is_known());
        let wire: Value = serde_json::from_slice(&webhook.to_wire().unwrap()).unwrap();
        let mut members = Vec::new();
        member_paths(&wire["data"], "data", "/data", &mut members);
        prop_assume!(!members.is_empty());
        let (path, pointer) = pick.get(&members);
        // A `Money`'s `value` is required: without it the `Money` is absent.
        const MONEY: &[&str] = &[
            "price", "full_price", "original_offer_price", "cost",
            "shipping_total_value", "estimate_shipping_cost", "shipping_markup_price",
        ];
        let money_value = path.strip_suffix(".value").filter(|parent| {
            MONEY.iter().any(|m| parent.ends_with(&format!(".{m}")))
        });
        let (path, pointer) = match money_value {
            Some(parent) => (parent.to_owned(), pointer.strip_suffix("/value").unwrap().to_owned()),
            None => (path.clone(), pointer.clone()),
        };
        let target = money_value.map_or(pointer.clone(), |_| format!("{pointer}/value"));

        let mut mutated = wire.clone();
        let field = mutated.pointer_mut(&target).unwrap();
        *field = of_another_type(field);
        let mut removed = wire.clone();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        removed.pointer_mut(parent).unwrap().as_object_mut().unwrap().remove(key);

        let body = serde_json::to_vec(&mutated).unwrap();
        let mut parsed = parse(&body).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        let problems = parsed.take_problems();
        prop_assert_eq!(problems.len(), 1, "{:?} for {}", problems, path);
        prop_assert_eq!(problems[0].path(), path.as_str());
        let value_at = &body[problems[0].offset()..];
        prop_assert!(
            money_value.is_some()
                || value_at.starts_with(b"[true")
                || value_at.starts_with(b"{\"x\""),
            "offset {} does not point at the value", problems[0].offset()
        );
        let removed = serde_json::to_vec(&removed).unwrap();
        let expected = parse(&removed).unwrap();
        prop_assert!(expected.problems().is_empty());
        prop_assert_eq!(parsed, expected);
        prop_assert!(hotmart_webhook::parse_strict(&body).is_err());
    }
}

// ---------------------------------------------------------------------------
// Round trip

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn every_generated_webhook_survives_to_wire_and_serde_json(webhook in strategy::webhook()) {
        assert_parses_to(&webhook.to_wire().unwrap(), &webhook)?;
        let json = serde_json::to_vec(&webhook).unwrap();
        assert_parses_to(&json, &webhook)?;
        prop_assert_eq!(webhook.clone().into_owned(), webhook);
    }

    #[test]
    fn every_generated_v1_postback_survives_the_form_and_the_flat_json(
        purchase in strategy::v1_purchase()
    ) {
        let webhook = Webhook::V1Purchase(purchase);
        let form = webhook.to_wire().unwrap();
        prop_assert!(form.first() != Some(&b'{'), "a form body never opens like JSON");
        assert_parses_to(&form, &webhook)?;
        assert_parses_to(&serde_json::to_vec(&webhook).unwrap(), &webhook)?;
    }
}

// ---------------------------------------------------------------------------
// Never panics

/// Every fixture body, v2 and v1.
static FIXTURES: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut bodies = Vec::new();
    for dir in ["v1", "v2"] {
        let mut paths: Vec<_> = fs::read_dir(root.join(dir))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json" || x == "form"))
            .collect();
        paths.sort();
        bodies.extend(paths.iter().map(|p| fs::read(p).unwrap()));
    }
    assert!(bodies.len() > 40);
    bodies
});

fn fixture() -> impl Strategy<Value = Vec<u8>> {
    (0..FIXTURES.len()).prop_map(|i| FIXTURES[i].clone())
}

/// Every path to a value inside a JSON document (the root excluded).
fn value_paths(value: &Value, prefix: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                prefix.push(PathStep::Key(key.clone()));
                out.push(prefix.clone());
                value_paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                prefix.push(PathStep::Index(i));
                out.push(prefix.clone());
                value_paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum PathStep {
    Key(String),
    Index(usize),
}

/// The parent of `path` and the last step.
fn parent_mut<'v>(root: &'v mut Value, path: &[PathStep]) -> Option<(&'v mut Value, PathStep)> {
    let (last, init) = path.split_last()?;
    let mut node = root;
    for step in init {
        node = match step {
            PathStep::Key(k) => node.get_mut(k.as_str())?,
            PathStep::Index(i) => node.get_mut(*i)?,
        };
    }
    Some((node, last.clone()))
}

#[derive(Clone, Debug)]
enum Mutation {
    /// XOR bytes at positions.
    Flip(Vec<(Index, u8)>),
    /// Keep a prefix.
    Truncate(Index),
    /// Remove one field (a JSON key or array element, a form pair).
    Remove(Index),
    /// Replace one value by a value of another JSON type (or a form value by
    /// garbage).
    Swap(Index, usize),
    /// Insert bytes.
    Insert(Index, Vec<u8>),
}

const REPLACEMENTS: &[&str] = &[
    "null",
    "true",
    "0",
    "-1",
    "1.5",
    "1e400",
    "18446744073709551616",
    "-9223372036854775809",
    "\"\"",
    "\"x\\u00e9\"",
    "\"2023-02-30T00:00:00Z\"",
    "\"0000-01-01T00:00:00+01:00\"",
    "[]",
    "{}",
    "[{}]",
    "0.00000000000000000000000000001",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        vec((any::<Index>(), 1u8..), 1..6).prop_map(Mutation::Flip),
        any::<Index>().prop_map(Mutation::Truncate),
        any::<Index>().prop_map(Mutation::Remove),
        (any::<Index>(), 0..REPLACEMENTS.len()).prop_map(|(i, r)| Mutation::Swap(i, r)),
        (any::<Index>(), vec(any::<u8>(), 1..8)).prop_map(|(i, b)| Mutation::Insert(i, b)),
    ]
}

fn mutate(body: &[u8], mutation: &Mutation) -> Vec<u8> {
    let mut out = body.to_vec();
    if out.is_empty() {
        return out;
    }
    match mutation {
        Mutation::Flip(flips) => {
            for (i, x) in flips {
                let i = i.index(out.len());
                out[i] ^= x;
            }
        }
        Mutation::Truncate(i) => out.truncate(i.index(out.len())),
        Mutation::Insert(i, bytes) => {
            let i = i.index(out.len() + 1);
            out.splice(i..i, bytes.iter().copied());
        }
        Mutation::Remove(i) | Mutation::Swap(i, _) => {
            match serde_json::from_slice::<Value>(body) {
                Ok(mut root) => {
                    let mut paths = Vec::new();
                    value_paths(&root, &mut Vec::new(), &mut paths);
                    if paths.is_empty() {
                        return out;
                    }
                    let path = &paths[i.index(paths.len())];
                    let (parent, last) = parent_mut(&mut root, path).unwrap();
                    match (mutation, last, parent) {
                        (Mutation::Remove(_), PathStep::Key(k), Value::Object(map)) => {
                            map.remove(&k);
                        }
                        (Mutation::Remove(_), PathStep::Index(n), Value::Array(items)) => {
                            items.remove(n);
                        }
                        (Mutation::Swap(_, r), PathStep::Key(k), Value::Object(map)) => {
                            map.insert(
                                k,
                                serde_json::from_str(REPLACEMENTS[*r]).unwrap_or_default(),
                            );
                        }
                        (Mutation::Swap(_, r), PathStep::Index(n), Value::Array(items)) => {
                            items[n] = serde_json::from_str(REPLACEMENTS[*r]).unwrap_or_default();
                        }
                        _ => unreachable!("a path step matches its parent"),
                    }
                    // `1e400` and big integers do not fit a `Value`: write
                    // the replacement text itself once in a while.
                    out = serde_json::to_vec(&root).unwrap();
                    if let Mutation::Swap(_, r) = mutation {
                        if serde_json::from_str::<Value>(REPLACEMENTS[*r]).is_err() {
                            let text = String::from_utf8(out).unwrap();
                            out = text.replacen("null", REPLACEMENTS[*r], 1).into_bytes();
                        }
                    }
                }
                Err(_) => {
                    // A form body: drop a pair, or replace its value.
                    let mut pairs: Vec<Vec<u8>> =
                        body.split(|&b| b == b'&').map(<[u8]>::to_vec).collect();
                    let n = i.index(pairs.len());
                    match mutation {
                        Mutation::Remove(_) => {
                            pairs.remove(n);
                        }
                        Mutation::Swap(_, r) => {
                            let key: Vec<u8> = pairs[n]
                                .split(|&b| b == b'=')
                                .next()
                                .unwrap_or(&[])
                                .to_vec();
                            pairs[n] =
                                [key, b"=".to_vec(), REPLACEMENTS[*r].as_bytes().to_vec()].concat();
                        }
                        _ => unreachable!(),
                    }
                    out = pairs.join(&b'&');
                }
            }
        }
    }
    out
}

/// Arbitrary bytes, alone or after a prefix that steers the parser into
/// one of its paths.
fn arbitrary_body() -> impl Strategy<Value = Vec<u8>> {
    let prefixes: Vec<&'static [u8]> = vec![
        b"",
        b"{",
        b"{\"event\":\"PURCHASE_APPROVED\",\"id\":\"1\",\"data\":",
        b"{\"affiliate\":true,\"productName\":",
        b"{\"cancellationDate\":",
        b"status=approved&",
        b"callback_type=",
        b"[",
        b" \t\r\n",
    ];
    let prefix = select(prefixes);
    (prefix, vec(any::<u8>(), 0..512)).prop_map(|(p, rest)| [p, &rest[..]].concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn arbitrary_bytes_give_ok_or_an_error_and_what_parses_round_trips(body in arbitrary_body()) {
        assert_round_trips(&body)?;
    }

    #[test]
    fn mutated_fixtures_give_ok_or_an_error_and_what_parses_round_trips(
        body in fixture(),
        mutations in vec(mutation(), 1..4),
    ) {
        let mut body = body;
        for m in &mutations {
            body = mutate(&body, m);
        }
        assert_round_trips(&body)?;
    }
}

// ---------------------------------------------------------------------------
// Zero copy

/// `true` when serde_json writes `s` with an escape.
fn json_escaped(s: &str) -> bool {
    serde_json::to_string(s).unwrap().contains('\\')
}

/// `true` when a form body carries `s` percent-encoded or with `+`.
fn form_escaped(s: &str) -> bool {
    !s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'*' | b'-' | b'.' | b'_'))
}

/// Every string of `parse(body)` that the body carries without an escape
/// borrows from `body`, and every borrowed string points into it.
fn assert_zero_copy(body: &[u8], escaped: fn(&str) -> bool) -> Result<(), TestCaseError> {
    let parsed = parse(body).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let range = body.as_ptr_range();
    for (s, borrowed) in strategy::strings(&parsed) {
        if !escaped(s) {
            prop_assert!(
                borrowed,
                "{:?} was copied from {}",
                s,
                String::from_utf8_lossy(body)
            );
        }
        if borrowed && !s.is_empty() {
            prop_assert!(
                range.contains(&s.as_ptr()),
                "{:?} borrows from elsewhere",
                s
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn strings_without_escapes_on_the_wire_borrow_from_the_body(webhook in strategy::webhook()) {
        let escaped = match webhook {
            Webhook::V1Purchase(_) => form_escaped,
            _ => json_escaped,
        };
        assert_zero_copy(&webhook.to_wire().unwrap(), escaped)?;
        assert_zero_copy(&serde_json::to_vec(&webhook).unwrap(), json_escaped)?;
    }
}

#[test]
fn the_zero_copy_check_fails_on_a_copied_string() {
    // An escape-free string that the parser copied would be caught: the
    // helper reports the copy made for an escaped one.
    let body = br#"{"id":"a","event":"CLUB_FIRST_ACCESS","data":{"user":{"name":"Jo\u00e3o"}}}"#;
    let parsed = parse(body).unwrap();
    let strings = strategy::strings(&parsed);
    assert!(strings.contains(&("João", false)));
    assert!(strings.contains(&("a", true)));
}

// ---------------------------------------------------------------------------
// Hottok matching

/// Secrets of every kind: valid tokens (visible ASCII, up to the maximum),
/// and ones `Hottok::new` refuses (empty, too long, non-ASCII, spaces).
fn secret() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[!-~]{1,128}",
        1 => "[!-~]{120,140}",
        1 => "\\PC{0,12}",
        1 => Just(String::new()),
        1 => "[a-z ]{1,10}",
    ]
}

/// Candidates near `secret` (equal, a prefix, one byte changed, one byte
/// more, zero-padded, case-flipped) and arbitrary bytes.
fn candidate(secret: String) -> impl Strategy<Value = Vec<u8>> {
    let bytes = secret.into_bytes();
    let b = bytes.clone();
    prop_oneof![
        2 => Just(bytes.clone()),
        1 => any::<Index>().prop_map({ let b = b.clone(); move |i| b[..i.index(b.len() + 1)].to_vec() }),
        1 => (any::<Index>(), 1u8..).prop_map({ let b = b.clone(); move |(i, x)| {
            let mut c = b.clone();
            if !c.is_empty() { let n = i.index(c.len()); c[n] ^= x; }
            c
        }}),
        1 => any::<u8>().prop_map({ let b = b.clone(); move |x| [&b[..], &[x]].concat() }),
        1 => (1usize..9).prop_map({ let b = b.clone(); move |n| [&b[..], &vec![0u8; n][..]].concat() }),
        1 => Just(b.to_ascii_uppercase()),
        2 => vec(any::<u8>(), 0..200),
        1 => vec(any::<u8>(), MAX_HOTTOK_LEN - 2..MAX_HOTTOK_LEN + 3),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn matching_agrees_with_byte_equality(
        (secret, candidate) in secret().prop_flat_map(|s| (Just(s.clone()), candidate(s)))
    ) {
        // Secrets that `Hottok::new` refuses cannot be configured: skipped.
        if let Ok(hottok) = Hottok::new(&secret) {
            prop_assert_eq!(hottok.matches(&candidate), candidate == secret.as_bytes());
        }
    }

    #[test]
    fn matching_during_rotation_agrees_with_byte_equality(
        (current, previous, candidate) in (secret(), secret()).prop_flat_map(|(a, b)| {
            let c = prop_oneof![candidate(a.clone()), candidate(b.clone())];
            (Just(a), Just(b), c)
        })
    ) {
        if let Ok(hottok) = Hottok::new(&current).and_then(|h| h.with_previous(&previous)) {
            let expected = candidate == current.as_bytes() || candidate == previous.as_bytes();
            prop_assert_eq!(hottok.matches(&candidate), expected);
        }
    }
}

// ---------------------------------------------------------------------------
// The layer

const SECRET: &str = "ysewXlAZI1qRtYuIoPaSdFgHjKlZxC518471";
const PREVIOUS: &str = "5M9CA6NvtqWeRtYuIoPaSdFgHjKlZx13df093f";

// The scripted bodies (chunks, pending polls, a failure midway, trailers)
// come from `test_util`.
use hotmart_webhook::test_util::{BodyFailed, ScriptedBody, Step};

#[derive(Clone, Debug)]
struct Delivery {
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Vec<u8>,
    script: Vec<Step>,
    fallback: bool,
    limit: usize,
    rotation: bool,
}

impl Delivery {
    fn hottok_headers(&self) -> Vec<&HeaderValue> {
        self.headers
            .iter()
            .filter(|(n, _)| n == "x-hotmart-hottok")
            .map(|(_, v)| v)
            .collect()
    }

    fn fails(&self) -> bool {
        self.script.iter().any(|s| matches!(s, Step::Fail))
    }

    /// The data the script yields before it fails or ends.
    fn data_before_failure(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for step in &self.script {
            match step {
                Step::Data(d) => out.extend_from_slice(d),
                Step::Fail => break,
                _ => {}
            }
        }
        out
    }

    fn tokens(&self) -> Vec<&'static str> {
        if self.rotation {
            vec![SECRET, PREVIOUS]
        } else {
            vec![SECRET]
        }
    }
}

fn hottok_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => Just(SECRET.as_bytes().to_vec()),
        1 => Just(PREVIOUS.as_bytes().to_vec()),
        1 => Just(Vec::new()),
        1 => Just(SECRET.as_bytes()[..10].to_vec()),
        1 => Just([SECRET.as_bytes(), b" "].concat()),
        2 => vec(any::<u8>(), 0..140),
    ]
}

fn header() -> impl Strategy<Value = Option<(HeaderName, HeaderValue)>> {
    let name = prop_oneof![
        6 => select(vec!["x-hotmart-hottok", "X-HOTMART-HOTTOK", "X-Hotmart-Hottok"]),
        1 => Just("content-length"),
        1 => Just("content-type"),
        1 => Just("x-other"),
    ];
    (name, hottok_value(), any::<u64>(), 0u8..4).prop_map(|(name, value, n, pick)| {
        let value = match name {
            "content-length" if pick < 2 => n.to_string().into_bytes(),
            "content-length" => (n % 2048).to_string().into_bytes(),
            "content-type" => b"application/x-www-form-urlencoded".to_vec(),
            _ => value,
        };
        // Header values cannot hold every byte; those that cannot be sent
        // are left out.
        Some((
            HeaderName::from_bytes(name.as_bytes()).ok()?,
            HeaderValue::from_bytes(&value).ok()?,
        ))
    })
}

fn delivery_body() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        3 => Just(SECRET.to_owned()),
        1 => Just(PREVIOUS.to_owned()),
        1 => "[!-~]{0,40}",
    ];
    prop_oneof![
        2 => (token.clone(), "[a-z_=&0-9%+]{0,60}")
            .prop_map(|(t, rest)| format!("hottok={t}&{rest}").into_bytes()),
        1 => (token.clone(), "[a-z_=&0-9%+]{0,60}")
            .prop_map(|(rest, t)| format!("{rest}&hottok={t}").into_bytes()),
        2 => (token, fixture()).prop_map(|(t, body)| {
            match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Object(mut map)) => {
                    map.insert("hottok".to_owned(), Value::String(t));
                    serde_json::to_vec(&map).unwrap()
                }
                _ => body,
            }
        }),
        1 => fixture(),
        2 => vec(any::<u8>(), 0..300),
    ]
}

/// Splits `body` into chunks at arbitrary points, with pending polls, an
/// optional failure midway, and optional trailers.
fn script(body: Vec<u8>) -> impl Strategy<Value = (Vec<u8>, Vec<Step>)> {
    let len = body.len();
    (
        vec(any::<Index>(), 0..6),
        vec(any::<Index>(), 0..3),
        prop_oneof![3 => Just(None), 1 => any::<Index>().prop_map(Some)],
        any::<bool>(),
    )
        .prop_map(move |(cuts, pendings, fail, trailers)| {
            let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(len + 1)).collect();
            cuts.push(0);
            cuts.push(len);
            cuts.sort_unstable();
            cuts.dedup();
            let mut steps: Vec<Step> = cuts
                .windows(2)
                .map(|w| Step::Data(Bytes::copy_from_slice(&body[w[0]..w[1]])))
                .collect();
            for p in &pendings {
                let at = p.index(steps.len() + 1);
                steps.insert(at, Step::Pending);
            }
            if let Some(f) = fail {
                let at = f.index(steps.len() + 1);
                steps.truncate(at);
                steps.push(Step::Fail);
            } else if trailers {
                steps.push(Step::Trailers);
            }
            (body.clone(), steps)
        })
}

fn delivery() -> impl Strategy<Value = Delivery> {
    (
        vec(header(), 0..5),
        delivery_body().prop_flat_map(script),
        any::<bool>(),
        prop_oneof![
            Just(0usize),
            Just(16),
            Just(64),
            Just(1024),
            Just(64 * 1024),
            0usize..4096
        ],
        any::<bool>(),
    )
        .prop_map(
            |(headers, (body, script), fallback, limit, rotation)| Delivery {
                headers: headers.into_iter().flatten().collect(),
                body,
                script,
                fallback,
                limit,
                rotation,
            },
        )
}

/// What the inner service saw.
#[derive(Debug, Default)]
struct Seen {
    source: Option<HottokSource>,
    data: Vec<u8>,
    errored: bool,
}

/// The token the body carries, read the way Hotmart writes it: a top-level
/// JSON string or a form field, exactly once.
fn body_token(body: &[u8]) -> Option<String> {
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        let value: Value = serde_json::from_slice(body).ok()?;
        value.get("hottok")?.as_str().map(str::to_owned)
    } else {
        let mut found = form_urlencoded::parse(body).filter(|(k, _)| k == "hottok");
        let (_, token) = found.next()?;
        found.next().is_none().then(|| token.into_owned())
    }
}

fn announced_len(delivery: &Delivery) -> u64 {
    delivery
        .headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.to_str().ok()?.trim().parse().ok())
        .unwrap_or(0)
}

fn send(delivery: &Delivery) -> (StatusCode, bool, Option<Seen>) {
    let mut hottok = Hottok::new(SECRET).unwrap();
    if delivery.rotation {
        hottok = hottok.with_previous(PREVIOUS).unwrap();
    }
    let layer = VerifyHottokLayer::new(hottok)
        .body_fallback(delivery.fallback)
        .body_limit(delivery.limit);
    let seen: Arc<Mutex<Option<Seen>>> = Arc::default();
    let record = Arc::clone(&seen);
    let inner = service_fn(move |req: Request<VerifiedBody<ScriptedBody>>| {
        let record = Arc::clone(&record);
        async move {
            let mut seen = Seen {
                source: req.extensions().get::<Verified>().map(Verified::source),
                ..Seen::default()
            };
            let mut body = req.into_body();
            while let Some(frame) = body.frame().await {
                match frame {
                    Ok(frame) => {
                        if let Ok(data) = frame.into_data() {
                            seen.data.extend_from_slice(&data);
                        }
                    }
                    Err(BodyFailed) => {
                        seen.errored = true;
                        break;
                    }
                }
            }
            *record.lock().unwrap() = Some(seen);
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"inner"))))
        }
    });
    let mut request = Request::post("/hotmart")
        .body(ScriptedBody::new(delivery.script.iter().cloned()))
        .unwrap();
    for (name, value) in &delivery.headers {
        request.headers_mut().append(name, value.clone());
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let response = runtime
        .block_on(layer.layer(inner).oneshot(request))
        .unwrap();
    let rejected = response.body().is_rejection();
    let status = response.status();
    let seen = seen.lock().unwrap().take();
    (status, rejected, seen)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn the_layer_answers_every_delivery_and_hands_on_exactly_the_bytes_sent(
        delivery in delivery()
    ) {
        let (status, rejected, seen) = send(&delivery);
        let tokens = delivery.tokens();
        let headers = delivery.hottok_headers();
        prop_assert!(
            [StatusCode::OK, StatusCode::UNAUTHORIZED, StatusCode::PAYLOAD_TOO_LARGE, StatusCode::BAD_REQUEST]
                .contains(&status),
            "status {}", status
        );
        prop_assert_eq!(rejected, seen.is_none(), "a rejection is the layer's, an answer the inner's");
        prop_assert_eq!(status == StatusCode::OK, seen.is_some());
        match headers.as_slice() {
            [one] => {
                // The header alone decides, and the body streams through.
                let accepted = tokens.iter().any(|t| one.as_bytes() == t.as_bytes());
                prop_assert_eq!(seen.is_some(), accepted);
                if !accepted {
                    prop_assert_eq!(status, StatusCode::UNAUTHORIZED);
                }
                if let Some(seen) = seen {
                    prop_assert_eq!(seen.source, Some(HottokSource::Header));
                    prop_assert_eq!(seen.errored, delivery.fails());
                    prop_assert_eq!(seen.data, delivery.data_before_failure());
                }
            }
            [] if !delivery.fallback => prop_assert_eq!(status, StatusCode::UNAUTHORIZED),
            [] => {
                let oversized = announced_len(&delivery) > delivery.limit as u64
                    || delivery.data_before_failure().len() > delivery.limit;
                if status == StatusCode::PAYLOAD_TOO_LARGE {
                    prop_assert!(oversized);
                }
                if status == StatusCode::BAD_REQUEST {
                    prop_assert!(delivery.fails());
                }
                if !delivery.fails() && !oversized {
                    let accepted = body_token(&delivery.body)
                        .is_some_and(|t| tokens.contains(&t.as_str()));
                    prop_assert_eq!(seen.is_some(), accepted, "body {:?}", String::from_utf8_lossy(&delivery.body));
                }
                if let Some(seen) = seen {
                    // Read whole, verified, and handed on unchanged.
                    prop_assert!(!delivery.fails() && !oversized);
                    prop_assert_eq!(seen.source, Some(HottokSource::Body));
                    prop_assert!(!seen.errored);
                    prop_assert_eq!(seen.data, delivery.body);
                }
            }
            _ => prop_assert_eq!(status, StatusCode::UNAUTHORIZED, "a duplicated header"),
        }
    }
}
