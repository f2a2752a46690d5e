//! Write a document back as YAML or JSON, keeping key order (serde_json's `preserve_order`).

use gatehouse_contract::SourceFormat;
use serde_json::Value;
use yaml_rust2::YamlEmitter;
use yaml_rust2::yaml::{Hash, Yaml};

/// `value` as yaml-rust2's tree. A string a literal block would not read back as itself is
/// replaced by `marker` and its index in `quoted`, to be written quoted afterwards.
fn to_yaml(value: &Value, marker: &str, quoted: &mut Vec<String>) -> Yaml {
    match value {
        Value::Null => Yaml::Null,
        Value::Bool(b) => Yaml::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Yaml::Integer(i),
            None => Yaml::Real(n.to_string()),
        },
        Value::String(s) => string(s, marker, quoted),
        Value::Array(items) => Yaml::Array(items.iter().map(|v| to_yaml(v, marker, quoted)).collect()),
        Value::Object(map) => {
            let mut hash = Hash::new();
            for (k, v) in map {
                let key = string(k, marker, quoted);
                hash.insert(key, to_yaml(v, marker, quoted));
            }
            Yaml::Hash(hash)
        }
    }
}

/// `s` as yaml-rust2 writes it, or a marker for it when it must be written quoted.
fn string(s: &str, marker: &str, quoted: &mut Vec<String>) -> Yaml {
    if survives_literal_block(s) {
        Yaml::String(s.to_string())
    } else {
        quoted.push(s.to_string());
        Yaml::String(format!("{marker}{}", quoted.len() - 1))
    }
}

pub fn to_text(value: &Value, format: SourceFormat) -> String {
    match format {
        SourceFormat::Json => serde_json::to_string_pretty(value).unwrap_or_default() + "\n",
        SourceFormat::Yaml => {
            // A marker no string of the document contains, so every occurrence in the output
            // is one of ours.
            let mut marker = String::from("gatehouse-quoted-");
            while !every_string(value, &|s: &str| !s.contains(&marker)) {
                marker.push('x');
            }
            let mut quoted = Vec::new();
            let tree = to_yaml(value, &marker, &mut quoted);
            let mut out = String::new();
            let mut emitter = YamlEmitter::new(&mut out);
            emitter.multiline_strings(true);
            if emitter.dump(&tree).is_err() {
                return serde_json::to_string_pretty(value).unwrap_or_default();
            }
            let body = out.strip_prefix("---\n").unwrap_or(&out);
            let mut text = with_quoted(body, &marker, &quoted);
            text.push('\n');
            text
        }
    }
}

/// `yaml` with each `marker<i>` replaced by `quoted[i]` as a double-quoted scalar. A JSON
/// string is one (YAML 1.2 reads JSON), with every newline and space kept as written.
fn with_quoted(yaml: &str, marker: &str, quoted: &[String]) -> String {
    let mut parts = yaml.split(marker);
    let mut text = parts.next().unwrap_or_default().to_string();
    for part in parts {
        let digits = part.bytes().take_while(u8::is_ascii_digit).count();
        let string = part[..digits].parse::<usize>().ok().and_then(|i| quoted.get(i));
        text.push_str(&serde_json::to_string(string.map_or("", String::as_str)).unwrap_or_default());
        text.push_str(&part[digits..]);
    }
    text
}

/// Whether yaml-rust2's literal block (`|` or `|-`, what it writes for a string of several
/// lines) reads back as `s`: it writes no `|+` for several trailing newlines (YAML's `>+`
/// descriptions in DigitalOcean's definition have them), no indentation indicator for a first
/// line with text that starts with a space (freee's HTML descriptions, after an empty line:
/// the reader takes those spaces for the block's indentation), and a last line of spaces, or
/// nothing but newlines (OpenAI's example `"\n"`), reads back as nothing. Such strings are written double-quoted instead: a
/// saved definition must read back as the same document, or a review shows changes nobody made.
fn survives_literal_block(s: &str) -> bool {
    let last_line = s.rsplit('\n').next().unwrap_or("");
    let first_text = s.split('\n').find(|line| !line.trim().is_empty()).unwrap_or("");
    !s.contains('\n')
        || !(s.ends_with("\n\n")
            || s.split('\n').take_while(|line| line.trim().is_empty()).any(|line| !line.is_empty())
            || first_text.starts_with(' ')
            || s.chars().all(|c| c == '\n')
            || (!last_line.is_empty() && last_line.trim().is_empty()))
}

/// Whether every string in `value`, keys included, passes `test`.
fn every_string(value: &Value, test: &impl Fn(&str) -> bool) -> bool {
    match value {
        Value::String(s) => test(s),
        Value::Array(items) => items.iter().all(|v| every_string(v, test)),
        Value::Object(map) => map.iter().all(|(k, v)| test(k) && every_string(v, test)),
        _ => true,
    }
}

/// JSON when the text starts like JSON, otherwise YAML.
pub fn detect_format(text: &str) -> SourceFormat {
    if text.trim_start().starts_with(['{', '[']) { SourceFormat::Json } else { SourceFormat::Yaml }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openapi::parse::parse;

    #[test]
    fn yaml_round_trips_in_order() {
        let text = "openapi: 3.1.0\ninfo:\n  title: Pets\n  version: '1.0'\n  description: |\n    Line one\n    Line two\npaths: {}\n";
        let value = parse(text).expect("parses").value;
        let written = to_text(&value, SourceFormat::Yaml);
        let again = parse(&written).expect("re-parses").value;
        assert_eq!(value, again);
        assert!(
            written.find("openapi").unwrap_or(usize::MAX) < written.find("info").unwrap_or(0),
            "order kept: {written}"
        );
        assert_eq!(again["info"]["version"], "1.0", "a string that looks like a number stays a string");
        assert!(written.contains("description: |\n"), "several lines written as a block: {written}");
    }

    #[test]
    fn strings_a_literal_block_would_change_read_back_the_same() {
        for description in [
            "Kept blank line at the end.\n\n",
            " Indented first line\nsecond",
            "\n  Indented after an empty line\nsecond",
            "  \nspaces before the text\nsecond",
            "last line\n   ",
            "\n",
        ] {
            let value = serde_json::json!({ "info": { "title": "T", "description": description } });
            let written = to_text(&value, SourceFormat::Yaml);
            assert_eq!(parse(&written).expect("re-parses").value, value, "{written}");
        }
    }

    #[test]
    fn only_the_strings_a_block_would_change_are_quoted() {
        let value = serde_json::json!({
            "info": { "title": "T", "description": "First line\nsecond line" },
            "paths": { "/a": { "get": { "description": "Kept blank line.\n\n" } } },
            "x-marker": "gatehouse-quoted-0 is plain text here",
            "Key with\n\n": "a key that needs quotes too",
        });
        let written = to_text(&value, SourceFormat::Yaml);
        assert_eq!(parse(&written).expect("re-parses").value, value, "{written}");
        assert!(written.contains("description: |-\n    First line\n    second line\n"), "{written}");
        assert!(written.contains(r#"description: "Kept blank line.\n\n""#), "{written}");
        assert!(written.contains(r#""Key with\n\n": a key that needs quotes too"#), "{written}");
    }
}
