//! Pieces shared by several pages.

pub mod diagnostics;
pub mod diff;
pub mod guard;
pub mod nav;
pub mod notice;
pub mod password;
pub mod schema;

/// "1 API", "3 APIs": a count with its noun in the right number.
pub fn count(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Text that may wrap after each `after` (an email after its `@`, an action after its `.`, a
/// path after its `/`), so long values wrap at a sensible place instead of pushing a table out of
/// its panel.
pub fn wrap_after(text: String, after: char) -> impl leptos::IntoView {
    use leptos::prelude::*;
    text.split_inclusive(after).map(|part| view! { {part.to_string()}<wbr/> }).collect_view()
}

/// How many of an API's tags a list row or catalog card shows.
const TAGS_SHOWN: usize = 5;

/// An API's tags as chips: the first few, then how many more (named in the tooltip), so an API
/// with twenty tags keeps its row and card as short as the others.
pub fn tag_chips(tags: Vec<String>) -> impl leptos::IntoView {
    use leptos::prelude::*;
    let more = (tags.len() > TAGS_SHOWN).then(|| {
        let hidden = &tags[TAGS_SHOWN..];
        view! { <span class="tag more" title=hidden.join(", ")>{format!("+{} more", hidden.len())}</span> }
    });
    view! {
        {tags.into_iter().take(TAGS_SHOWN).map(|t| view! { <span class="tag">{t}</span> }).collect_view()}
        {more}
    }
}

/// The first paragraph of a CommonMark description as plain text, for a catalog card: code
/// spans, emphasis and links keep their text and lose their marks (`**x**`, `` `x` ``,
/// `[x](url)`), and a heading loses its `#`s.
pub fn plain_excerpt(markdown: &str) -> String {
    let paragraph = markdown.trim().split("\n\n").next().unwrap_or_default();
    let mut out = String::with_capacity(paragraph.len());
    let mut rest = paragraph.trim_start_matches('#').trim_start();
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        match c {
            '`' => {}
            '*' | '_' if rest.starts_with(c) => rest = &rest[1..],
            // `[text](url)`: the text stays, the address goes; other brackets stay as written.
            '[' => match link(rest) {
                Some((text, after)) => {
                    out.push_str(text);
                    rest = after;
                }
                None => out.push(c),
            },
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// After a `[`: a link's text and what follows its `(url)`, if that is what comes.
fn link(rest: &str) -> Option<(&str, &str)> {
    let close = rest.find(']')?;
    let url = rest[close + 1..].strip_prefix('(')?;
    let end = url.find(')')?;
    Some((&rest[..close], &url[end + 1..]))
}

#[cfg(test)]
mod tests {
    use super::plain_excerpt;

    #[test]
    fn a_card_shows_the_first_paragraph_without_marks() {
        assert_eq!(
            plain_excerpt(
                "Drive it **all** with `Authorization: Bearer <token>`.\nSee [the docs](https://x.example/a_b).\n\nMore."
            ),
            "Drive it all with Authorization: Bearer <token>. See the docs."
        );
        assert_eq!(plain_excerpt("# Pets\nsnake_case [beta] [stays"), "Pets snake_case [beta] [stays");
        assert_eq!(
            plain_excerpt("Adds a [Part](/docs/part) to an [Upload](/docs/upload) object (`gpt-1`)."),
            "Adds a Part to an Upload object (gpt-1)."
        );
        assert_eq!(plain_excerpt(""), "");
    }
}
