//! Reading the sandbox's OAuth consent page.

/// Decodes the few entities the sandbox's consent page escapes.
fn html_unescape(s: &str) -> String {
    s.replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// `(name, value)` of every `<input type="hidden" …>` of a page.
pub(super) fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    let attr = |tag: &str, name: &str| {
        let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
        let len = tag[start..].find('"')?;
        Some(html_unescape(&tag[start..start + len]))
    };
    html.split("<input")
        .skip(1)
        .filter_map(|rest| {
            let tag = &rest[..rest.find('>')?];
            if attr(tag, "type")? != "hidden" {
                return None;
            }
            Some((attr(tag, "name")?, attr(tag, "value")?))
        })
        .collect()
}

/// The athlete ids offered by the consent page's `<select name="athlete_id">`.
pub(super) fn athlete_options(html: &str) -> Vec<u64> {
    html.split("<option value=\"").skip(1).filter_map(|rest| rest[..rest.find('"')?].parse().ok()).collect()
}
