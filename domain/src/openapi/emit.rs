//! Write a document back as YAML or JSON, keeping key order (serde_json's `preserve_order`).

use gatehouse_contract::SourceFormat;
use serde_json::Value;
use yaml_rust2::YamlEmitter;
use yaml_rust2::yaml::{Hash, Yaml};

fn to_yaml(value: &Value) -> Yaml {
    match value {
        Value::Null => Yaml::Null,
        Value::Bool(b) => Yaml::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Yaml::Integer(i),
            None => Yaml::Real(n.to_string()),
        },
        Value::String(s) => Yaml::String(s.clone()),
        Value::Array(items) => Yaml::Array(items.iter().map(to_yaml).collect()),
        Value::Object(map) => {
            let mut hash = Hash::new();
            for (k, v) in map {
                hash.insert(Yaml::String(k.clone()), to_yaml(v));
            }
            Yaml::Hash(hash)
        }
    }
}

pub fn to_text(value: &Value, format: SourceFormat) -> String {
    match format {
        SourceFormat::Json => serde_json::to_string_pretty(value).unwrap_or_default() + "\n",
        SourceFormat::Yaml => {
            let mut out = String::new();
            let mut emitter = YamlEmitter::new(&mut out);
            emitter.multiline_strings(every_string(value, &survives_literal_block));
            if emitter.dump(&to_yaml(value)).is_err() {
                return serde_json::to_string_pretty(value).unwrap_or_default();
            }
            let body = out.strip_prefix("---\n").unwrap_or(&out).to_string();
            body + "\n"
        }
    }
}

/// Whether yaml-rust2's literal block (`|` or `|-`, what it writes for a string of several
/// lines) reads back as `s`: it writes no `|+` for several trailing newlines (YAML's `>+`
/// descriptions in DigitalOcean's definition have them), no indentation indicator for a first
/// line that starts with a space, and a last line of spaces, or nothing but newlines (OpenAI's
/// example `"\n"`), reads back as nothing.
fn survives_literal_block(s: &str) -> bool {
    let last_line = s.rsplit('\n').next().unwrap_or("");
    !s.contains('\n')
        || !(s.ends_with("\n\n")
            || s.starts_with(' ')
            || s.chars().all(|c| c == '\n')
            || (!last_line.is_empty() && last_line.trim().is_empty()))
}

/// Whether every string in `value`, keys included, passes `test`. When one would not survive a
/// literal block, the whole document is written with quoted strings: less readable, but a
/// saved definition must read back as the same document (or a review shows changes nobody made).
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
        for description in ["Kept blank line at the end.\n\n", " Indented first line\nsecond", "last line\n   ", "\n"] {
            let value = serde_json::json!({ "info": { "title": "T", "description": description } });
            let written = to_text(&value, SourceFormat::Yaml);
            assert_eq!(parse(&written).expect("re-parses").value, value, "{written}");
        }
    }
}
