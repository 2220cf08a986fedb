//! Masking the hottok in stored bodies: the ONE place that decides how, so
//! that the library's `hotmart_webhook::mask_hottok` can replace it.

/// The body with the value of every `hottok` field replaced by `*`s of the
/// same length: the rest stays byte for byte, the body still parses, and the
/// database never holds the account's secret (v1 postbacks and some 2.0.0
/// deliveries carry it in the body).
pub fn mask_hottok(body: &[u8]) -> Vec<u8> {
    let mut out = body.to_vec();
    let json = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if json {
        let needle = b"\"hottok\"";
        let mut from = 0;
        while let Some(at) = find(&out[from..], needle) {
            let mut i = from + at + needle.len();
            while out.get(i).is_some_and(u8::is_ascii_whitespace) {
                i += 1;
            }
            if out.get(i) == Some(&b':') {
                i += 1;
                while out.get(i).is_some_and(u8::is_ascii_whitespace) {
                    i += 1;
                }
                if out.get(i) == Some(&b'"') {
                    i += 1;
                    let mut escaped = false;
                    while let Some(&b) = out.get(i) {
                        match b {
                            b'"' if !escaped => break,
                            b'\\' if !escaped => escaped = true,
                            _ => escaped = false,
                        }
                        // Escapes are masked whole (`\"` becomes `**`): the
                        // string stays valid JSON of the same length.
                        out[i] = b'*';
                        i += 1;
                    }
                }
            }
            from = i.max(from + at + 1);
        }
    } else {
        let mut start = 0;
        while start <= out.len() {
            let end = out[start..]
                .iter()
                .position(|&b| b == b'&')
                .map_or(out.len(), |p| start + p);
            if out[start..end].starts_with(b"hottok=") {
                for b in &mut out[start + 7..end] {
                    *b = b'*';
                }
            }
            start = end + 1;
        }
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::mask_hottok;

    fn masked(body: &str) -> String {
        String::from_utf8(mask_hottok(body.as_bytes())).unwrap()
    }

    #[test]
    fn json_hottok_values_are_masked_in_place_and_stay_valid_json() {
        let body = r#"{"id":"1", "hottok" : "ab\"c\\d", "data":{"hottok":"x"},"note":"hottok"}"#;
        let out = masked(body);
        assert_eq!(out.len(), body.len());
        assert_eq!(
            out,
            r#"{"id":"1", "hottok" : "********", "data":{"hottok":"*"},"note":"hottok"}"#
        );
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(json["id"], "1");
        assert!(!out.contains("ab"));
    }

    #[test]
    fn form_hottok_values_are_masked_and_other_fields_kept() {
        assert_eq!(
            masked("status=approved&hottok=s3cr3t&xhottok=keep&hottok="),
            "status=approved&hottok=******&xhottok=keep&hottok="
        );
        assert_eq!(masked("hottok=abc"), "hottok=***");
        assert_eq!(masked("transaction=HP1"), "transaction=HP1");
    }

    #[test]
    fn a_non_string_json_hottok_is_left_alone() {
        assert_eq!(masked(r#"{"hottok":5}"#), r#"{"hottok":5}"#);
    }
}
