//! [`ParseError`]: why a body is not a Hotmart webhook.

use std::fmt;

use http::StatusCode;

/// The failure of [`parse`](crate::parse) (a body that is not JSON or a
/// form, or not a Hotmart delivery at all) or of
/// [`parse_strict`](crate::parse_strict) (also any field of an unexpected
/// type).
///
/// It says whether the body was not well-formed at all ([`Category::Syntax`],
/// answer `400`) or well-formed but not shaped as Hotmart's payload
/// ([`Category::Data`], answer `422`), and where: [`path`](Self::path) names
/// the failing field (`data.purchase.price.value`, `commissions[1].value`,
/// or a v1 form field such as `price`).
///
/// The message never contains the hottok (the parser does not read it) nor
/// values of the payload: string and number values quoted by the underlying
/// JSON parser are replaced by `…`.
///
/// ```
/// let err = hotmart_webhook::parse_strict(br#"{"id":"1","event":"PURCHASE_APPROVED","version":"2.0.0",
///     "data":{"purchase":{"price":{"value":"cheap"}}}}"#).unwrap_err();
/// assert!(err.is_data());
/// assert_eq!(err.path(), Some("data.purchase.price.value"));
/// assert_eq!(err.status(), http::StatusCode::UNPROCESSABLE_ENTITY);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ParseError {
    category: Category,
    path: Option<String>,
    message: String,
    position: Option<(usize, usize)>,
}

/// What kind of failure a [`ParseError`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Category {
    /// The body is not well-formed: invalid or truncated JSON, invalid UTF-8,
    /// empty, or neither JSON nor a form.
    Syntax,
    /// Well-formed, but a field has the wrong type or value, or the object is
    /// not a Hotmart payload.
    Data,
}

impl ParseError {
    pub(crate) fn new(
        category: Category,
        path: Option<String>,
        message: impl Into<String>,
    ) -> Self {
        ParseError {
            category,
            path: path.filter(|p| !p.is_empty()),
            message: message.into(),
            position: None,
        }
    }

    /// From a `serde_json` error, with the path of the field being read.
    pub(crate) fn from_json(err: &serde_json::Error, path: Option<String>) -> Self {
        let category = match err.classify() {
            serde_json::error::Category::Data => Category::Data,
            _ => Category::Syntax,
        };
        let mut message = redact(&err.to_string());
        // serde_json appends " at line L column C"; the position is kept apart.
        if let Some(i) = message.rfind(" at line ") {
            message.truncate(i);
        }
        let position = (err.line() > 0).then(|| (err.line(), err.column()));
        ParseError {
            category,
            path: path.filter(|p| !p.is_empty()),
            message,
            position,
        }
    }

    /// Syntax or data.
    pub fn category(&self) -> Category {
        self.category
    }

    /// `true` when the body is not well-formed.
    pub fn is_syntax(&self) -> bool {
        self.category == Category::Syntax
    }

    /// `true` when the body is well-formed but not a valid Hotmart payload.
    pub fn is_data(&self) -> bool {
        self.category == Category::Data
    }

    /// The path of the failing field, when known: `data.purchase.price.value`.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// What went wrong, without the path or position.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Line and column (1-based) in the body, for syntax errors.
    pub fn position(&self) -> Option<(usize, usize)> {
        self.position
    }

    /// The status to answer with: `400 Bad Request` for syntax errors,
    /// `422 Unprocessable Entity` for data errors.
    pub fn status(&self) -> StatusCode {
        match self.category {
            Category::Syntax => StatusCode::BAD_REQUEST,
            Category::Data => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    /// The answer the integration guide documents for a body that does not
    /// validate: [`status`](Self::status), `content-type: application/json`
    /// and `{"success":false,"error":{"code":"WEBHOOK_VALIDATION_FAILED",
    /// "message":"Webhook validation failed","errors":["…"]}}`, where the one
    /// error is this error's [`Display`](fmt::Display) (message, path,
    /// position: never payload values).
    ///
    /// ```
    /// let err = hotmart_webhook::parse(b"").unwrap_err();
    /// let response = err.to_response();
    /// assert_eq!(response.status(), 400);
    /// let json: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
    /// assert_eq!(json["error"]["code"], "WEBHOOK_VALIDATION_FAILED");
    /// assert_eq!(json["error"]["errors"][0], "empty body");
    /// ```
    pub fn to_response(&self) -> http::Response<bytes::Bytes> {
        let body = serde_json::json!({
            "success": false,
            "error": {
                "code": "WEBHOOK_VALIDATION_FAILED",
                "message": "Webhook validation failed",
                "errors": [self.to_string()],
            }
        });
        let mut response = http::Response::new(bytes::Bytes::from(body.to_string()));
        *response.status_mut() = self.status();
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        response
    }

    /// Moves a position measured inside `part` (a sub-slice of `body`, such
    /// as the envelope's `data`) to a position in the whole body.
    pub(crate) fn with_position_in(mut self, body: &[u8], part: &str) -> Self {
        let offset = (part.as_ptr() as usize).wrapping_sub(body.as_ptr() as usize);
        let Some(prefix) = body.get(..offset) else {
            self.position = None;
            return self;
        };
        if let Some((line, column)) = self.position {
            let lines_before = prefix.iter().filter(|&&b| b == b'\n').count();
            let line_start = prefix
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            let column = if line == 1 {
                offset - line_start + column
            } else {
                column
            };
            self.position = Some((line + lines_before, column));
        }
        self
    }

    pub(crate) fn with_path_prefix(mut self, prefix: &str) -> Self {
        self.path = Some(match self.path.take() {
            Some(p) if p.starts_with('[') => format!("{prefix}{p}"),
            Some(p) => format!("{prefix}.{p}"),
            None => prefix.to_owned(),
        });
        self
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(path) = &self.path {
            write!(f, " at `{path}`")?;
        }
        if let Some((line, column)) = self.position {
            write!(f, " (line {line}, column {column})")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParseError")
            .field("category", &self.category)
            .field("path", &self.path)
            .field("message", &self.message)
            .field("position", &self.position)
            .finish()
    }
}

impl std::error::Error for ParseError {}

/// Replaces payload values that serde quotes in its messages
/// (`string "…"`, ``integer `5` ``) with `…`; field names in backticks
/// (``missing field `id` ``) are kept.
pub(crate) fn redact(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find(['"', '`']) {
        let (before, from_quote) = rest.split_at(i);
        out.push_str(before);
        let quote = from_quote.as_bytes()[0] as char;
        let body = &from_quote[1..];
        let value_context = quote == '"'
            || [
                "integer ",
                "floating point ",
                "boolean ",
                "character ",
                "string ",
            ]
            .iter()
            .any(|w| before.ends_with(w));
        // Find the closing quote, skipping backslash escapes.
        let mut end = None;
        let mut escaped = false;
        for (j, c) in body.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                c if c == quote && !escaped => {
                    end = Some(j);
                    break;
                }
                _ => escaped = false,
            }
        }
        match end {
            Some(j) => {
                out.push(quote);
                if value_context {
                    out.push('…');
                } else {
                    out.push_str(&body[..j]);
                }
                out.push(quote);
                rest = &body[j + 1..];
            }
            None => {
                out.push(quote);
                if !value_context {
                    out.push_str(body);
                }
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn quoted_values_are_redacted_and_field_names_kept() {
        assert_eq!(
            redact(r#"invalid type: string "ana@example.com", expected a boolean"#),
            r#"invalid type: string "…", expected a boolean"#
        );
        assert_eq!(
            redact("invalid type: integer `12345`, expected a string"),
            "invalid type: integer `…`, expected a string"
        );
        assert_eq!(redact("missing field `id`"), "missing field `id`");
        assert_eq!(
            redact(r#"invalid type: string "a\"b", expected x"#),
            r#"invalid type: string "…", expected x"#
        );
        assert_eq!(redact(r#"string "unterminated"#), r#"string ""#);
    }
}
