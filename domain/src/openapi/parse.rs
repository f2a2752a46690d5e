//! Parse YAML or JSON into a `serde_json::Value`, keeping where every node came from (line and
//! column), with limits on size, depth and alias expansion so hostile input cannot hang us.

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Hard limits on one document.
pub const MAX_BYTES: usize = 25 * 1024 * 1024;
pub const MAX_DEPTH: usize = 256;
pub const MAX_NODES: usize = 5_000_000;

/// Where a node starts, and where its children start.
#[derive(Clone, Debug, Default)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
    pub children: Children,
}

#[derive(Clone, Debug, Default)]
pub enum Children {
    #[default]
    Leaf,
    Seq(Vec<Pos>),
    Map(Vec<(String, Pos)>),
}

impl Pos {
    /// The position of the node at `pointer` (RFC 6901), or of its nearest existing ancestor.
    pub fn locate(&self, pointer: &str) -> (u32, u32) {
        let mut here = self;
        for token in pointer_tokens(pointer) {
            let next = match &here.children {
                Children::Map(entries) => entries.iter().rev().find(|(k, _)| *k == token).map(|(_, p)| p),
                Children::Seq(items) => token.parse::<usize>().ok().and_then(|i| items.get(i)),
                Children::Leaf => None,
            };
            match next {
                Some(p) => here = p,
                None => break,
            }
        }
        (here.line, here.column)
    }
}

/// The unescaped tokens of a JSON pointer (`/a~1b/c` → `a/b`, `c`).
pub fn pointer_tokens(pointer: &str) -> impl Iterator<Item = String> + '_ {
    pointer.split('/').skip(1).map(|t| t.replace("~1", "/").replace("~0", "~"))
}

/// Escape one token for a JSON pointer.
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// A problem that stops parsing, with its place.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// Something odd but survivable, found while parsing (e.g. a duplicate key).
#[derive(Debug, Clone, PartialEq)]
pub struct ParseWarning {
    pub pointer: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

pub struct Parsed {
    pub value: Value,
    pub pos: Pos,
    pub warnings: Vec<ParseWarning>,
}

enum Frame {
    Seq {
        items: Vec<Value>,
        pos: Vec<Pos>,
        start: (u32, u32),
        anchor: usize,
        nodes: usize,
    },
    Map {
        entries: Map<String, Value>,
        pos: Vec<(String, Pos)>,
        key: Option<(String, (u32, u32))>,
        start: (u32, u32),
        anchor: usize,
        nodes: usize,
    },
}

struct Builder {
    stack: Vec<Frame>,
    root: Option<(Value, Pos)>,
    anchors: std::collections::HashMap<usize, (Value, Pos, usize)>,
    nodes: usize,
    error: Option<ParseError>,
    warnings: Vec<ParseWarning>,
}

fn at(mark: &Marker) -> (u32, u32) {
    // yaml-rust2 counts lines from 1 and columns from 0; we report both from 1.
    (mark.line() as u32, mark.col() as u32 + 1)
}

/// YAML 1.2 core schema resolution of a plain scalar.
fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF" | ".nan" | ".NaN"
        | ".NAN" => {
            return Value::String(text.to_string());
        }
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = text.parse::<i64>() {
            return Value::Number(i.into());
        }
        if let Ok(u) = text.parse::<u64>() {
            return Value::Number(u.into());
        }
    }
    if let Some(hex) = text.strip_prefix("0x")
        && let Ok(i) = i64::from_str_radix(hex, 16)
    {
        return Value::Number(i.into());
    }
    if let Some(oct) = text.strip_prefix("0o")
        && let Ok(i) = i64::from_str_radix(oct, 8)
    {
        return Value::Number(i.into());
    }
    let looks_float = digits.bytes().next().is_some_and(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && digits.bytes().any(|b| b.is_ascii_digit());
    if looks_float
        && let Ok(f) = text.parse::<f64>()
        && let Some(n) = Number::from_f64(f)
    {
        return Value::Number(n);
    }
    Value::String(text.to_string())
}

fn scalar_key(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl Builder {
    fn pointer(&self) -> String {
        let mut out = String::new();
        for frame in &self.stack {
            match frame {
                Frame::Seq { items, .. } => out.push_str(&format!("/{}", items.len())),
                Frame::Map { key: Some((k, _)), .. } => out.push_str(&format!("/{}", escape_token(k))),
                Frame::Map { .. } => {}
            }
        }
        out
    }

    fn fail(&mut self, place: (u32, u32), message: impl Into<String>) {
        if self.error.is_none() {
            self.error = Some(ParseError { line: place.0, column: place.1, message: message.into() });
        }
    }

    fn count(&mut self, n: usize, place: (u32, u32)) {
        self.nodes += n;
        if self.nodes > MAX_NODES {
            self.fail(place, format!("document too large: more than {MAX_NODES} nodes (alias expansion included)"));
        }
    }

    fn push(&mut self, value: Value, pos: Pos, nodes: usize, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, (value.clone(), pos.clone(), nodes));
        }
        match self.stack.last_mut() {
            None => self.root = Some((value, pos)),
            Some(Frame::Seq { items, pos: ps, nodes: n, .. }) => {
                items.push(value);
                ps.push(pos);
                *n += nodes;
            }
            Some(Frame::Map { key, .. }) if key.is_none() => {
                if !matches!(pos.children, Children::Leaf) {
                    let place = (pos.line, pos.column);
                    self.fail(place, "mapping keys must be plain values, not mappings or lists");
                    return;
                }
                if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
                    *key = Some((scalar_key(&value), (pos.line, pos.column)));
                }
            }
            Some(Frame::Map { .. }) => {
                let pointer = self.pointer();
                if let Some(Frame::Map { entries, pos: ps, key, nodes: n, .. }) = self.stack.last_mut()
                    && let Some((k, kpos)) = key.take()
                {
                    if entries.contains_key(&k) {
                        self.warnings.push(ParseWarning {
                            pointer,
                            line: kpos.0,
                            column: kpos.1,
                            message: format!("duplicate key `{k}`: the later value is used"),
                        });
                    }
                    entries.insert(k.clone(), value);
                    // An entry is located at its key, where an editor would point.
                    ps.push((k, Pos { line: kpos.0, column: kpos.1, children: pos.children }));
                    *n += nodes;
                }
            }
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let place = at(&mark);
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, place);
                let is_str_tag = tag.as_ref().is_some_and(|t| t.suffix == "str");
                let value = if style == TScalarStyle::Plain && !is_str_tag {
                    resolve_plain(&text)
                } else {
                    Value::String(text)
                };
                self.push(value, Pos { line: place.0, column: place.1, children: Children::Leaf }, 1, anchor);
            }
            Event::SequenceStart(anchor, _) => {
                if self.stack.len() >= MAX_DEPTH {
                    return self.fail(place, format!("nesting deeper than {MAX_DEPTH} levels"));
                }
                self.count(1, place);
                self.stack.push(Frame::Seq { items: Vec::new(), pos: Vec::new(), start: place, anchor, nodes: 1 });
            }
            Event::MappingStart(anchor, _) => {
                if self.stack.len() >= MAX_DEPTH {
                    return self.fail(place, format!("nesting deeper than {MAX_DEPTH} levels"));
                }
                self.count(1, place);
                self.stack.push(Frame::Map {
                    entries: Map::new(),
                    pos: Vec::new(),
                    key: None,
                    start: place,
                    anchor,
                    nodes: 1,
                });
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq { items, pos, start, anchor, nodes }) = self.stack.pop() {
                    self.push(
                        Value::Array(items),
                        Pos { line: start.0, column: start.1, children: Children::Seq(pos) },
                        nodes,
                        anchor,
                    );
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map { entries, pos, start, anchor, nodes, .. }) = self.stack.pop() {
                    self.push(
                        Value::Object(entries),
                        Pos { line: start.0, column: start.1, children: Children::Map(pos) },
                        nodes,
                        anchor,
                    );
                }
            }
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some((value, pos, nodes)) => {
                    self.count(nodes, place);
                    if self.error.is_none() {
                        self.push(value, pos, nodes, 0);
                    }
                }
                None => self.fail(place, "alias to an unknown anchor"),
            },
            _ => {}
        }
    }
}

/// Parse one YAML or JSON document (JSON is read as YAML 1.2, of which it is a subset).
pub fn parse(text: &str) -> Result<Parsed, ParseError> {
    if text.len() > MAX_BYTES {
        return Err(ParseError {
            line: 1,
            column: 1,
            message: format!("document larger than {} MiB", MAX_BYTES / 1024 / 1024),
        });
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut builder = Builder {
        stack: Vec::new(),
        root: None,
        anchors: Default::default(),
        nodes: 0,
        error: None,
        warnings: Vec::new(),
    };
    let mut parser = Parser::new_from_str(text);
    if let Err(e) = parser.load(&mut builder, false) {
        let (line, column) = at(e.marker());
        return Err(ParseError { line, column, message: format!("not valid YAML or JSON: {}", e.info()) });
    }
    if let Some(e) = builder.error {
        return Err(e);
    }
    let (value, pos) = builder.root.unwrap_or((Value::Null, Pos { line: 1, column: 1, children: Children::Leaf }));
    Ok(Parsed { value, pos, warnings: builder.warnings })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_scalars_follow_the_core_schema() {
        let parsed = parse("a: 1\nb: 2.0\nc: '2.0'\nd: true\ne: ~\nf: yes\n200: ok\ng: 0x1F\n").expect("parses");
        let v = parsed.value;
        assert_eq!(v["a"], 1);
        assert_eq!(v["b"], 2.0);
        assert_eq!(v["c"], "2.0");
        assert_eq!(v["d"], true);
        assert_eq!(v["e"], Value::Null);
        assert_eq!(v["f"], "yes", "YAML 1.2: yes is a string");
        assert_eq!(v["200"], "ok", "integer keys become strings");
        assert_eq!(v["g"], 31);
    }

    #[test]
    fn positions_are_one_based_and_locate_pointers() {
        let parsed = parse("openapi: 3.0.0\npaths:\n  /pets:\n    get:\n      summary: x\n").expect("parses");
        assert_eq!(parsed.pos.locate("/paths/~1pets/get/summary"), (5, 7));
        assert_eq!(parsed.pos.locate("/paths/~1pets"), (3, 3));
        // A missing child falls back to the nearest ancestor.
        assert_eq!(parsed.pos.locate("/paths/~1pets/post"), (3, 3));
    }

    #[test]
    fn json_parses_with_positions() {
        let parsed = parse("{\n  \"a\": [1, {\"b\": \"c\"}]\n}").expect("parses");
        assert_eq!(parsed.value["a"][1]["b"], "c");
        assert_eq!(parsed.pos.locate("/a/1/b").0, 2);
    }

    #[test]
    fn syntax_errors_are_located() {
        let err = parse("a: [1, 2\nb: 3\n").err().expect("fails");
        assert!(err.line >= 1 && err.message.contains("not valid YAML"));
    }

    #[test]
    fn alias_bombs_are_stopped() {
        let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            doc.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n",
                p = i - 1
            ));
        }
        let err = parse(&doc).err().expect("refused");
        assert!(err.message.contains("too large"), "{}", err.message);
    }

    #[test]
    fn duplicate_keys_warn() {
        let parsed = parse("a: 1\na: 2\n").expect("parses");
        assert_eq!(parsed.value["a"], 2);
        assert_eq!(parsed.warnings.len(), 1);
    }

    #[test]
    fn deep_nesting_is_refused() {
        let doc = "[".repeat(MAX_DEPTH + 5) + &"]".repeat(MAX_DEPTH + 5);
        assert!(parse(&doc).is_err());
    }
}
