//! Walks every document of the shared OpenAPI corpus (read in place, never copied) and checks
//! the importer against MANIFEST.tsv: valid documents import with the listed operation count;
//! invalid ones are refused or import with warnings that name the problem; nothing panics.

use gatehouse_contract::SourceFormat;
use gatehouse_contract::checks::{Misfit, Schemas};
use gatehouse_contract::sample::{Direction, is_json, sample};
use gatehouse_domain::deploy::bundle::request_shape;
use gatehouse_domain::openapi::bundle::resolve_pointer;
use gatehouse_domain::openapi::emit::to_text;
use gatehouse_domain::openapi::files::DirFiles;
use gatehouse_domain::openapi::import;
use gatehouse_domain::openapi::parse::parse;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

/// The shared corpus beside the checkout. Outside CI a checkout without it skips the corpus
/// tests (with a message); under CI its absence is a failure.
fn corpus_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/openapi");
    if dir.join("MANIFEST.tsv").exists() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("the shared corpus is missing beside the checkout (../shared/corpus/openapi)");
    }
    eprintln!("skipping: ../shared/corpus/openapi not found beside the checkout");
    None
}

/// Where two documents first differ, as a JSON pointer with both values.
fn first_difference(a: &serde_json::Value, b: &serde_json::Value) -> String {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    Some(w) if w == v => {}
                    Some(w) => return format!("/{k}{}", first_difference(v, w)),
                    None => return format!("/{k} (missing)"),
                }
            }
            " (keys added)".into()
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .position(|(v, w)| v != w)
            .map_or(String::new(), |i| format!("/{i}{}", first_difference(&x[i], &y[i]))),
        _ => format!(": {a:?} became {b:?}"),
    }
}

/// A problem the manifest's notes say the document has, and words our finding must contain.
fn expected_problem(dir: &str) -> Option<&'static [&'static str]> {
    Some(match dir {
        "invalid-osv-missing-description" => &["no `description`"],
        "invalid-osv-v2-missing-reference" => &["does not resolve"],
        "invalid-sp-path-placeholder-no-param" => &["{foo}"],
        "invalid-sp-numeric-version" => &["must be a string"],
        "invalid-oai31-server-enum-empty" => &["empty `enum`"],
        "openai" => &["boolean", "more than once"],
        "digitalocean" => &["does not allow a $ref"],
        _ => return None,
    })
}

#[test]
fn corpus_imports_as_the_manifest_says() {
    let Some(root) = corpus_dir() else { return };
    let manifest = std::fs::read_to_string(root.join("MANIFEST.tsv")).expect("read manifest");
    let (mut imported, mut with_warnings, mut refused, mut failures) = (0, 0, 0, Vec::new());
    for line in manifest.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (dir, file, operations, valid) = (cols[0], cols[1], cols[6].parse::<usize>().ok(), cols[7]);
        let files = DirFiles { root: root.join(dir) };
        let started = Instant::now();
        let result = import(&files, file);
        let took = started.elapsed();
        let findings: Vec<String> = match &result {
            Ok(ok) => ok.warnings.iter().map(|w| w.message.clone()).collect(),
            Err(refusal) => refusal.errors.iter().map(|e| e.message.clone()).collect(),
        };
        match &result {
            Ok(ok) => {
                imported += 1;
                if !ok.warnings.is_empty() {
                    with_warnings += 1;
                }
                println!(
                    "{dir:<36} {valid:<7} imported   {:>4} ops {:>3} webhooks {:>4} warnings  {:>6.0} ms",
                    ok.model.operations.len(),
                    ok.model.webhooks.len(),
                    ok.warnings.len(),
                    took.as_secs_f64() * 1000.0
                );
                if let Some(expected) = operations
                    && ok.model.operations.len() != expected
                {
                    failures.push(format!("{dir}: {} operations, manifest says {expected}", ok.model.operations.len()));
                }
                if valid == "no" && ok.warnings.is_empty() {
                    failures.push(format!("{dir}: invalid document imported without a warning"));
                }
                // What the source view shows and saves (a bundled definition is kept as YAML
                // written by us) must read back as the same document.
                let written = to_text(&ok.document, SourceFormat::Yaml);
                match parse(&written) {
                    Ok(again) if again.value == ok.document => {}
                    Ok(again) => failures.push(format!(
                        "{dir}: the YAML written reads back changed at {}",
                        first_difference(&ok.document, &again.value)
                    )),
                    Err(e) => failures.push(format!("{dir}: the YAML written does not parse: {e:?}")),
                }
            }
            Err(refusal) => {
                refused += 1;
                println!(
                    "{dir:<36} {valid:<7} refused    {}  {:>6.0} ms",
                    refusal.summary(),
                    took.as_secs_f64() * 1000.0
                );
                if valid == "yes" {
                    failures.push(format!("{dir}: valid document refused: {}", refusal.summary()));
                }
                for e in &refusal.errors {
                    if e.line == 0 || e.column == 0 {
                        failures.push(format!("{dir}: error without a place: {}", e.message));
                    }
                }
            }
        }
        if let Some(words) = expected_problem(dir) {
            for word in words {
                if !findings.iter().any(|f| f.contains(word)) {
                    failures.push(format!("{dir}: no finding mentions `{word}`; got {findings:?}"));
                }
            }
        }
    }
    println!("corpus: {imported} imported ({with_warnings} with warnings), {refused} refused");
    assert!(failures.is_empty(), "corpus mismatches:\n{}", failures.join("\n"));
}

/// The model without its schemas (the conversion rewrites them; its unit tests say how, and the
/// OpenAPI 3 structure check below reads every one).
fn without_schemas(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(fields) => {
            fields.remove("schema");
            fields.values_mut().for_each(without_schemas);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(without_schemas),
        _ => {}
    }
}

#[test]
fn swagger2_documents_convert_to_openapi3_with_the_same_model() {
    use gatehouse_contract::SpecVersion;
    use gatehouse_domain::openapi::convert::swagger2_to_openapi3;
    use gatehouse_domain::openapi::files::MemoryFiles;
    let Some(root) = corpus_dir() else { return };
    let manifest = std::fs::read_to_string(root.join("MANIFEST.tsv")).expect("read manifest");
    let (mut converted, mut failures) = (0, Vec::new());
    for line in manifest.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (dir, file) = (cols[0], cols[1]);
        let Ok(original) = import(&DirFiles { root: root.join(dir) }, file) else { continue };
        if original.spec_version != SpecVersion::Swagger2 {
            continue;
        }
        let text = to_text(&swagger2_to_openapi3(&original.document), SourceFormat::Json);
        let again = match import(&MemoryFiles::single("converted.json", text.into_bytes()), "converted.json") {
            Ok(again) => again,
            Err(refusal) => {
                failures.push(format!("{dir}: the converted document is refused: {}", refusal.summary()));
                continue;
            }
        };
        converted += 1;
        if again.spec_version != SpecVersion::OpenApi30 {
            failures.push(format!("{dir}: converted to {:?}", again.spec_version));
        }
        let mut before = serde_json::to_value(&original.model).expect("a model serializes");
        let mut after = serde_json::to_value(&again.model).expect("a model serializes");
        without_schemas(&mut before);
        without_schemas(&mut after);
        if before != after {
            failures.push(format!("{dir}: the model differs at {}", first_difference(&before, &after)));
        }
        // Problems the converted document has that the original did not (by message, as the
        // places differ).
        let known: Vec<&str> = original.warnings.iter().map(|w| w.message.as_str()).collect();
        for warning in again.warnings.iter().filter(|w| !known.contains(&w.message.as_str())) {
            failures.push(format!("{dir}: new warning at {}: {}", warning.pointer, warning.message));
        }
        println!("{dir:<36} converted: {} operations, {} warnings", again.model.operations.len(), again.warnings.len());
    }
    assert!(converted >= 3, "the corpus holds at least three Swagger 2.0 documents that import; {converted} converted");
    assert!(failures.is_empty(), "conversion mismatches:\n{}", failures.join("\n"));
}

/// Operations whose definitions require a property they describe nowhere: no sample can fit
/// those schemas, and a gateway checking their calls refuses every one, as it should — the
/// definition must be mended before its API has calls checked.
const REQUIRES_WHAT_IT_DOES_NOT_DESCRIBE: [(&str, &str); 3] = [
    // `lock` requires `type`; its one property of that meaning is called `access`.
    ("box", "PUT /files/{file_id}"),
    // `actionable_by` requires `id` and describes only `login`.
    ("box", "POST /invites"),
    // Requires `method`, which `check_updatable` does not have.
    ("digitalocean", "POST /v2/uptime/checks"),
];

/// Over the whole corpus, the body the portal's try-it console starts from — a sample made
/// from the operation's JSON schema — fits the gateway's check of that schema: an API that has
/// its calls checked never refuses what its own portal offers a consumer to send.
#[test]
fn the_consoles_sample_bodies_fit_the_gateways_checks() {
    let Some(root) = corpus_dir() else { return };
    let manifest = std::fs::read_to_string(root.join("MANIFEST.tsv")).expect("read manifest");
    let (mut checked, mut failures) = (0, Vec::new());
    for line in manifest.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let Ok(imported) = import(&DirFiles { root: root.join(cols[0]) }, cols[1]) else { continue };
        let document = &imported.document;
        let mut by_ref = BTreeMap::new();
        let shapes: Vec<_> =
            imported.model.operations.iter().map(|op| (op.key(), request_shape(document, op, &mut by_ref))).collect();
        let schemas = Schemas::new(by_ref, shapes.iter().map(|(_, shape)| shape));
        let resolve = |reference: &str| resolve_pointer(document, reference.strip_prefix('#')?);
        for (operation, body) in shapes.iter().filter_map(|(key, shape)| Some((key, shape.body.as_ref()?))) {
            for media in body.media.iter().filter(|m| is_json(&m.content_type)) {
                let sent = serde_json::to_vec(&sample(&media.schema, &resolve, Direction::Request)).expect("json");
                checked += 1;
                let defective = REQUIRES_WHAT_IT_DOES_NOT_DESCRIBE.contains(&(cols[0], operation.as_str()));
                match schemas.check_body(body, Some(&media.content_type), &sent) {
                    Err(Misfit::Invalid(why)) if defective && why.contains("is required") => {}
                    Ok(()) if defective => failures.push(format!("{} {operation}: fits now; off the list", cols[0])),
                    Ok(()) => {}
                    Err(misfit) => {
                        failures.push(format!("{} {operation} ({}): {misfit:?}", cols[0], media.content_type))
                    }
                }
            }
        }
    }
    println!("{checked} sample bodies checked");
    assert!(checked > 400, "the corpus's JSON bodies were checked: {checked}");
    assert!(failures.is_empty(), "{} of {checked} samples refused:\n{}", failures.len(), failures.join("\n"));
}
