//! Masking the hottok in stored bodies: the ONE place that decides how. It
//! is the library's [`hotmart_webhook::mask_hottok`] (JSON escapes and form
//! encodings of the key included, same length, still parses).

/// The body with the value of every `hottok` field replaced by `*`s.
pub fn mask_hottok(body: &[u8]) -> Vec<u8> {
    hotmart_webhook::mask_hottok(body).into_owned()
}

#[cfg(test)]
mod tests {
    use super::mask_hottok;

    #[test]
    fn the_stored_body_never_holds_the_hottok() {
        let json = br#"{"id":"1", "hottok" : "s3cr3t", "data":{"hottok":"x"}}"#;
        let out = mask_hottok(json);
        assert_eq!(out.len(), json.len());
        assert!(!out.windows(6).any(|w| w == b"s3cr3t"));
        assert_eq!(
            mask_hottok(b"status=approved&hottok=s3cr3t&prod=1"),
            b"status=approved&hottok=******&prod=1"
        );
    }
}
