//! Percent-encoding for values put into URLs (query parameters, paths in links).

/// Encode everything but unreserved characters and `/`.
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Percent-encodes one path segment: as [`encode`], and `/` too, so a path parameter's value
/// stays one segment.
pub fn encode_segment(value: &str) -> String {
    encode(value).replace('/', "%2F")
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_query_values() {
        assert_eq!(super::encode("GET /pets/{id}"), "GET%20/pets/%7Bid%7D");
        assert_eq!(super::encode("/review/v1.0"), "/review/v1.0");
        assert_eq!(super::encode_segment("a/b c"), "a%2Fb%20c");
    }
}
