//! The `format`s a schema may give a value, as far as a call can be held to them: OpenAPI's
//! own (`int32`, `int64`, `byte`, `date`, `date-time`) and JSON Schema's common string formats
//! (`email`, `uuid`, `uri`, `hostname`, `ipv4`, `ipv6`). Any other format (`password`,
//! `binary`, a definition's own name) says nothing a value can break.
//!
//! The gateways hold calls to them ([`crate::checks`]) and the try-it console's samples keep
//! to them ([`crate::sample`]): the same test for both, so the console never offers a value
//! the gateway refuses. No regular expressions: the browser's build carries this too.

use serde_json::Value;
use std::net::{Ipv4Addr, Ipv6Addr};

/// What a value of `format` looks like, when `value` is of the format's type but not of its
/// form: `a date (RFC 3339, like 2026-01-31)`. `None` when it fits, or when the format does
/// not apply to a value of its type (a string's format says nothing of a number).
pub fn misfit(format: &str, value: &Value) -> Option<&'static str> {
    let fits = match (format, value) {
        // A fraction is the type's to refuse (`integer`), not the format's.
        ("int32", Value::Number(n)) => n.is_f64() || n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()),
        ("int64", Value::Number(n)) => n.is_f64() || n.as_i64().is_some(),
        (_, Value::String(s)) => match format {
            "date" => is_date(s.as_bytes()),
            "date-time" => is_date_time(s.as_bytes()),
            "email" => is_email(s),
            "uuid" => is_uuid(s.as_bytes()),
            "uri" => is_uri(s),
            "hostname" => is_hostname(s),
            "ipv4" => s.parse::<Ipv4Addr>().is_ok(),
            "ipv6" => s.parse::<Ipv6Addr>().is_ok(),
            "byte" => is_base64(s.as_bytes()),
            _ => true,
        },
        _ => true,
    };
    match fits {
        true => None,
        false => Some(described(format)),
    }
}

/// A sample string of `format`, for the formats a string can break.
pub fn sample(format: &str) -> Option<&'static str> {
    Some(match format {
        "date" => "2026-01-01",
        "date-time" => "2026-01-01T00:00:00Z",
        "email" => "someone@example.com",
        "uuid" => "00000000-0000-4000-8000-000000000000",
        "uri" | "url" => "https://example.com",
        "hostname" => "example.com",
        "ipv4" => "192.0.2.1",
        "ipv6" => "2001:db8::1",
        // "string", in base64.
        "byte" => "c3RyaW5n",
        _ => return None,
    })
}

fn described(format: &str) -> &'static str {
    match format {
        "int32" => "an integer of 32 bits (int32)",
        "int64" => "an integer of 64 bits (int64)",
        "date" => "a date (RFC 3339, like 2026-01-31)",
        "date-time" => "a date and time (RFC 3339, like 2026-01-31T09:30:00Z)",
        "email" => "an email address",
        "uuid" => "a UUID (like 123e4567-e89b-12d3-a456-426614174000)",
        "uri" => "an absolute URI (like https://example.com/a)",
        "hostname" => "a host name (like api.example.com)",
        "ipv4" => "an IPv4 address",
        "ipv6" => "an IPv6 address",
        "byte" => "base64-encoded bytes",
        _ => "a value of its format",
    }
}

/// Its digits as a number; `None` unless every byte is a digit.
fn digits(bytes: &[u8]) -> Option<u32> {
    if bytes.is_empty() {
        return None;
    }
    bytes.iter().try_fold(0u32, |n, b| b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0')))
}

/// RFC 3339's full-date: `2026-01-31`, the day within its month (29 February in leap years).
fn is_date(b: &[u8]) -> bool {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let (Some(year), Some(month), Some(day)) = (digits(&b[..4]), digits(&b[5..7]), digits(&b[8..])) else {
        return false;
    };
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// RFC 3339's date-time: a full-date, `T`, and a full-time with its offset (`Z` or `+01:00`).
fn is_date_time(b: &[u8]) -> bool {
    b.len() > 11 && matches!(b[10], b'T' | b't') && is_date(&b[..10]) && is_full_time(&b[11..])
}

/// `09:30:00`, an optional fraction of a second, and the offset (`Z`, `+01:00`); second 60 is
/// a leap second.
fn is_full_time(b: &[u8]) -> bool {
    let hour_minute = |b: &[u8]| {
        b.len() == 5
            && b[2] == b':'
            && digits(&b[..2]).is_some_and(|h| h <= 23)
            && digits(&b[3..]).is_some_and(|m| m <= 59)
    };
    if b.len() < 9 || !hour_minute(&b[..5]) || b[5] != b':' || digits(&b[6..8]).is_none_or(|s| s > 60) {
        return false;
    }
    let mut rest = &b[8..];
    if let Some(fraction) = rest.strip_prefix(b".") {
        let n = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        rest = &fraction[n..];
    }
    match rest {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', offset @ ..] => hour_minute(offset),
        _ => false,
    }
}

/// `local@domain`: a local part of at most 64 characters with no spaces (an `@` in it only
/// within quotes), and a host name or an address in brackets.
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    let quoted = local.len() >= 2 && local.starts_with('"') && local.ends_with('"');
    let local_fits = !local.is_empty()
        && local.len() <= 64
        && !local.chars().any(|c| c.is_whitespace() || c.is_control())
        && (quoted || !local.contains('@'));
    let domain_fits = match domain.strip_prefix('[').and_then(|d| d.strip_suffix(']')) {
        Some(address) => match address.strip_prefix("IPv6:") {
            Some(v6) => v6.parse::<Ipv6Addr>().is_ok(),
            None => address.parse::<Ipv4Addr>().is_ok(),
        },
        None => is_hostname(domain),
    };
    local_fits && domain_fits
}

/// Eight, four, four, four and twelve hexadecimal digits, joined by hyphens.
fn is_uuid(b: &[u8]) -> bool {
    b.len() == 36
        && b.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// RFC 3986's absolute URI: a scheme and `:`, then only characters a URI may hold, with every
/// `%` escaping two hexadecimal digits.
fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let scheme_fits = scheme.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    let b = rest.as_bytes();
    scheme_fits
        && b.iter().enumerate().all(|(i, c)| match c {
            b'%' => b.len() > i + 2 && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit(),
            c => c.is_ascii_graphic() && !matches!(c, b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'),
        })
}

/// RFC 1123: labels of letters, digits and inner hyphens, at most 63 characters each and 253
/// in all.
fn is_hostname(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// RFC 4648's base64: its alphabet, and `=` only as the last one or two characters (padding
/// may be left out, as many encoders do, but never leaves a single character over).
fn is_base64(b: &[u8]) -> bool {
    let data = b.strip_suffix(b"==").or_else(|| b.strip_suffix(b"=")).unwrap_or(b);
    let padded = data.len() != b.len();
    data.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/'))
        && data.len() % 4 != 1
        && (!padded || b.len().is_multiple_of(4))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_held_to_their_formats() {
        let cases = [
            ("date", json!("2024-02-29"), true),
            ("date", json!("2023-02-29"), false),
            ("date", json!("2026-13-01"), false),
            ("date", json!("2026-1-01"), false),
            ("date", json!("31/01/2026"), false),
            ("date-time", json!("2026-01-31T09:30:00Z"), true),
            ("date-time", json!("2026-01-31t09:30:00.123456+05:30"), true),
            ("date-time", json!("2016-12-31T23:59:60Z"), true),
            ("date-time", json!("2026-01-31 09:30:00Z"), false),
            ("date-time", json!("2026-01-31T09:30:00"), false),
            ("date-time", json!("2026-01-31T24:00:00Z"), false),
            ("date-time", json!("2026-01-31T09:30:00.Z"), false),
            ("date-time", json!("2026-01-31T09:30:00+0530"), false),
            ("date-time", json!("2026-01-31"), false),
            ("email", json!("someone@example.com"), true),
            ("email", json!("\"a@b\"@example.com"), true),
            ("email", json!("root@[192.0.2.1]"), true),
            ("email", json!("someone"), false),
            ("email", json!("some one@example.com"), false),
            ("email", json!("a@b@example.com"), false),
            ("email", json!("someone@-example.com"), false),
            ("uuid", json!("123e4567-e89b-12d3-a456-426614174000"), true),
            ("uuid", json!("123e4567e89b12d3a456426614174000"), false),
            ("uuid", json!("123e4567-e89b-12d3-a456-42661417400g"), false),
            ("uri", json!("https://example.com/a?b=c%20d#e"), true),
            ("uri", json!("urn:isbn:0451450523"), true),
            ("uri", json!("/relative/path"), false),
            ("uri", json!("https://example.com/a b"), false),
            ("uri", json!("https://example.com/%zz"), false),
            ("uri", json!("1http://example.com"), false),
            ("hostname", json!("api.example.com"), true),
            ("hostname", json!("-api.example.com"), false),
            ("hostname", json!("api..example.com"), false),
            ("hostname", json!(format!("{}.com", "a".repeat(64))), false),
            ("ipv4", json!("192.0.2.1"), true),
            ("ipv4", json!("192.0.2.256"), false),
            ("ipv6", json!("2001:db8::1"), true),
            ("ipv6", json!("2001:db8:::1"), false),
            ("byte", json!("c3RyaW5n"), true),
            ("byte", json!("c3RyaW5nIQ=="), true),
            ("byte", json!("c3RyaW5nIQ"), true),
            ("byte", json!("c3RyaW5nI"), false),
            ("byte", json!("c3RyaW5nIQ="), false),
            ("byte", json!("not base64!"), false),
            ("int32", json!(2_147_483_647), true),
            ("int32", json!(2_147_483_648_i64), false),
            ("int32", json!(-2_147_483_649_i64), false),
            ("int64", json!(i64::MAX), true),
            ("int64", json!(u64::MAX), false),
            // A format says nothing of a value of another type, nor does an unknown one.
            ("date", json!(20260131), true),
            ("int32", json!("2147483648"), true),
            ("password", json!("hunter2"), true),
            ("our-own-format", json!("anything"), true),
        ];
        for (format, value, fits) in cases {
            assert_eq!(misfit(format, &value).is_none(), fits, "{format}: {value}");
        }
        assert_eq!(misfit("date", &json!("tomorrow")), Some("a date (RFC 3339, like 2026-01-31)"));
    }

    #[test]
    fn every_sample_fits_its_format() {
        for format in ["date", "date-time", "email", "uuid", "uri", "hostname", "ipv4", "ipv6", "byte"] {
            let sample = sample(format).unwrap_or_else(|| panic!("{format} has a sample"));
            assert_eq!(misfit(format, &json!(sample)), None, "{format}");
        }
    }
}
