//! `hotmart inspect FILE…`: what the parser understood of captured bodies.
//!
//! For each file it prints one line of JSON:
//! `{"file":…,"ok":true,"version":"2.0.0","event":"PURCHASE_APPROVED","known":true,"payload":{…}}`
//! where `payload` is the parsed value written back with the crate's own
//! `Serialize` (Hotmart's wire names; the body `hottok` is never kept), or
//! `{"file":…,"ok":false,"error":"… at `data.purchase.price.value`"}`.
//! Scripts rely on this output: keep it byte-for-byte stable. It parses
//! strictly (`parse_strict`): a field of an unexpected type is an error line
//! naming its path, as it always was, where the receiving path would record
//! it as a problem and go on. It exits 0
//! when every file parsed, 1 when one did not (clap exits 2 without files).

use std::io::Write;
use std::process::ExitCode;

use serde_json::{Value, json};

/// Inspects every file in order, one line each.
pub(crate) fn run(files: &[String]) -> ExitCode {
    let mut out = std::io::stdout().lock();
    let mut all_ok = true;
    for file in files {
        let (line, ok) = inspect(file);
        all_ok &= ok;
        if writeln!(out, "{line}").is_err() {
            return ExitCode::FAILURE;
        }
    }
    if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// One output line, fields in the documented order, and whether it parsed.
fn inspect(file: &str) -> (String, bool) {
    let name = Value::from(file);
    let failure = |error: String| {
        (
            json!({ "file": file, "ok": false, "error": error }).to_string(),
            false,
        )
    };
    let body = match std::fs::read(file) {
        Ok(body) => body,
        Err(e) => return failure(format!("cannot read the file: {e}")),
    };
    match hotmart_webhook::parse_strict(&body) {
        Ok(webhook) => match serde_json::to_string(&webhook) {
            Ok(payload) => (
                format!(
                    r#"{{"file":{name},"ok":true,"version":{},"event":{},"known":{},"payload":{payload}}}"#,
                    Value::from(webhook.version()),
                    Value::from(webhook.event_name()),
                    webhook.is_known(),
                ),
                true,
            ),
            Err(e) => failure(format!("cannot serialise the parsed value: {e}")),
        },
        Err(e) => failure(e.to_string()),
    }
}
