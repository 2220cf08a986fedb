//! Runs the real `hotmart inspect` on the library's fixtures (moved from the
//! former `example-inspect`, whose output it keeps byte for byte).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel)
}

fn run(files: &[PathBuf]) -> (Option<i32>, Vec<Value>) {
    let out = Command::new(env!("CARGO_BIN_EXE_hotmart"))
        .arg("inspect")
        .args(files)
        .output()
        .unwrap();
    let lines = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (out.status.code(), lines)
}

#[test]
fn every_fixture_is_one_ok_line_with_its_event_and_payload() {
    let dir = fixture("v2");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files.push(fixture("v1/approved_1.form"));
    let (code, lines) = run(&files);
    assert_eq!(code, Some(0));
    assert_eq!(lines.len(), files.len());
    for (file, line) in files.iter().zip(&lines) {
        assert_eq!(line["file"], file.to_str().unwrap());
        assert_eq!(line["ok"], true, "{line}");
        assert_eq!(line["known"], true, "{line}");
        if file.extension().unwrap() == "json" {
            let original: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
            assert_eq!(line["version"], "2.0.0");
            assert_eq!(line["event"], original["event"]);
            assert_eq!(line["payload"]["id"], original["id"]);
            assert!(
                line["payload"].get("hottok").is_none(),
                "the hottok is never printed"
            );
        } else {
            assert_eq!(line["version"], "1.0.0");
            assert_eq!(line["event"], "purchase");
            assert_eq!(line["payload"]["status"], "approved");
            assert_eq!(line["payload"]["producer_legal_nature"], "Pessoa Física");
            assert!(
                line["payload"].get("hottok").is_none(),
                "the hottok is never printed"
            );
        }
    }
}

#[test]
fn the_output_is_byte_for_byte_what_example_inspect_printed() {
    // `inspect.golden` was written by the former `example-inspect` with these
    // arguments, from this directory. Scripts parse these lines: a change
    // here breaks them. (A change of the library's serialisation of a
    // payload shows here too; regenerate the file only for such a change.)
    let out = Command::new(env!("CARGO_BIN_EXE_hotmart"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "inspect",
            "../../tests/fixtures/v2/CLUB_FIRST_ACCESS_1.json",
            "../../tests/fixtures/v2/CLUB_MODULE_COMPLETED_1.json",
            "../../tests/fixtures/v1/approved_1.form",
            "tests/does-not-exist.json",
        ])
        .output()
        .unwrap();
    let golden =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/inspect.golden"))
            .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), golden);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn unknown_events_are_ok_but_not_known_and_bad_files_fail_the_run() {
    let dir = std::env::temp_dir().join(format!("hotmart-inspect-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let unknown = dir.join("unknown.json");
    std::fs::write(
        &unknown,
        r#"{"id":"1","event":"SUBSCRIPTION_RENEWED","version":"2.0.0","data":{"x":1}}"#,
    )
    .unwrap();
    let broken = dir.join("broken.json");
    std::fs::write(&broken, r#"{"id":"1","event":"PURCHASE_APPROVED","version":"2.0.0","data":{"purchase":{"price":{"value":true}}}}"#).unwrap();
    let missing = dir.join("does-not-exist.json");

    let (code, lines) = run(std::slice::from_ref(&unknown));
    assert_eq!(code, Some(0));
    assert_eq!(lines[0]["known"], false);
    assert_eq!(lines[0]["event"], "SUBSCRIPTION_RENEWED");
    assert_eq!(lines[0]["payload"]["data"], serde_json::json!({"x": 1}));

    let (code, lines) = run(&[unknown, broken, missing]);
    assert_eq!(code, Some(1));
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1]["ok"], false);
    let error = lines[1]["error"].as_str().unwrap();
    assert!(error.contains("data.purchase.price.value"), "{error}");
    assert_eq!(lines[2]["ok"], false);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn no_file_is_bad_usage() {
    let out = Command::new(env!("CARGO_BIN_EXE_hotmart"))
        .arg("inspect")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}
