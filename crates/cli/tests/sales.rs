//! `hotmart sales` against the fake of Hotmart's API, through the real binary.

use std::process::{Command, Output};

use hotmart_api::fake::{FAKE_CLIENT_SECRET, FakeHotmart, FakeSale, Faults};
use serde_json::Value;

const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const HOUR: i64 = 3_600_000;

/// The fake, served by a runtime that lives as long as the test.
fn start(builder: hotmart_api::fake::FakeBuilder) -> (tokio::runtime::Runtime, FakeHotmart) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let fake = runtime.block_on(builder.start()).unwrap();
    (runtime, fake)
}

fn hotmart(fake: &FakeHotmart, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hotmart"));
    command.arg("sales").args(args);
    for var in [
        "HOTMART_CLIENT_ID",
        "HOTMART_CLIENT_SECRET",
        "HOTMART_BASIC",
        "HOTMART_API_URL",
        "HOTMART_AUTH_URL",
    ] {
        command.env_remove(var);
    }
    command.envs(fake.env()).output().unwrap()
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn sales_lists_a_status_as_json_lines_without_buyer_data() {
    let (_rt, fake) = start(
        FakeHotmart::builder()
            .sales((0..7).map(|i| FakeSale::new(format!("HP{i:03}"), "REFUNDED", T0 + i * HOUR)))
            .sale(FakeSale::new("HP_OTHER", "APPROVED", T0 + HOUR))
            .faults(Faults {
                expire_tokens_at: vec![2],
                ..Faults::default()
            }),
    );
    let out = hotmart(
        &fake,
        &[
            "--since",
            "2026-01-01",
            "--until",
            "2026-01-01",
            "--status",
            "refunded",
            "--json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = lines(&out);
    assert_eq!(rows.len(), 7);
    assert_eq!(rows[0]["transaction"], "HP000");
    assert_eq!(rows[0]["status"], "REFUNDED");
    assert_eq!(rows[0]["event"], "PURCHASE_REFUNDED");
    assert_eq!(rows[0]["product_id"], 1_234_567);
    assert_eq!(rows[0]["order_date"], "2026-01-01T00:00:00Z");
    assert_eq!(rows[0]["price"], "97.00");
    let everything = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!everything.contains("@example.com"), "buyer e-mail printed");
    assert!(!everything.contains(FAKE_CLIENT_SECRET));
    for token in fake.issued_tokens() {
        assert!(!everything.contains(&token));
    }
}

#[test]
fn sales_without_a_status_gets_hotmarts_default_and_a_table() {
    let (_rt, fake) = start(
        FakeHotmart::builder()
            .sale(FakeSale::new("HP_APPROVED", "APPROVED", T0 + HOUR))
            .sale(FakeSale::new("HP_COMPLETE", "COMPLETE", T0 + 2 * HOUR))
            .sale(FakeSale::new("HP_REFUNDED", "REFUNDED", T0 + 3 * HOUR)),
    );
    let out = hotmart(
        &fake,
        &["--since", "2026-01-01T00:00:00Z", "--until", "2026-01-02"],
    );
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("TRANSACTION"), "{text}");
    assert!(
        text.contains("HP_APPROVED") && text.contains("HP_COMPLETE"),
        "{text}"
    );
    assert!(!text.contains("HP_REFUNDED"), "{text}");
    assert!(text.contains("2 sale(s)"), "{text}");
}

#[test]
fn refused_credentials_and_bad_dates_exit_2_with_one_line() {
    let (_rt, fake) = start(FakeHotmart::builder());
    let mut command = Command::new(env!("CARGO_BIN_EXE_hotmart"));
    command
        .args(["sales", "--since", "2026-01-01"])
        .envs(fake.env());
    let out = command
        .env("HOTMART_CLIENT_SECRET", "not-the-secret-xyz")
        .env_remove("HOTMART_BASIC")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains("not-the-secret-xyz"), "{err}");

    let out = hotmart(&fake, &["--since", "yesterday"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--since"));

    let mut command = Command::new(env!("CARGO_BIN_EXE_hotmart"));
    let out = command
        .args(["sales", "--since", "2026-01-01"])
        .env_remove("HOTMART_CLIENT_ID")
        .env_remove("HOTMART_CLIENT_SECRET")
        .env_remove("HOTMART_BASIC")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("HOTMART_BASIC"));
}
