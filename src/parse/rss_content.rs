//! The full HTML some RSS generators put in a plain `<content type="html">` element of an item
//! (cState does, next to a `<description>` it cuts short). That element is not RSS 2.0, so
//! feed-rs leaves it out, and without it the later updates of an issue are lost. This reads it
//! back, keyed by the item's `<guid>` (feed-rs's entry id), in one pass over the document.

use std::collections::HashMap;

use quick_xml::events::Event;
use quick_xml::Reader;

/// Item guid → the HTML of its `<content>` element. Empty for documents without one, and for
/// anything quick-xml cannot read (feed-rs has read the document already; this only adds).
pub(super) fn item_contents(document: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    // Cheap test first: most documents have no such element at all.
    if !document.contains("<content") {
        return out;
    }
    let mut reader = Reader::from_str(document);
    let mut depth_in_item: Option<usize> = None;
    let mut depth = 0usize;
    let mut field: Option<&'static str> = None;
    let mut guid = String::new();
    let mut content = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                depth += 1;
                let name = e.name();
                let local = name.as_ref();
                if local == b"item" {
                    depth_in_item = Some(depth);
                    guid.clear();
                    content.clear();
                } else if depth_in_item.is_some_and(|d| depth == d + 1) {
                    field = match local {
                        b"guid" => Some("guid"),
                        b"content" => Some("content"),
                        _ => None,
                    };
                }
            }
            Ok(Event::End(e)) => {
                if e.name().as_ref() == b"item" {
                    if !guid.is_empty() && !content.trim().is_empty() {
                        out.insert(guid.trim().to_string(), std::mem::take(&mut content));
                    }
                    depth_in_item = None;
                }
                field = None;
                depth = depth.saturating_sub(1);
            }
            Ok(Event::Text(t)) => {
                let Some(which) = field else { continue };
                let Ok(text) = t.unescape() else { continue };
                match which {
                    "guid" => guid.push_str(&text),
                    _ => content.push_str(&text),
                }
            }
            Ok(Event::CData(c)) => {
                let Some(which) = field else { continue };
                let text = String::from_utf8_lossy(&c);
                match which {
                    "guid" => guid.push_str(&text),
                    _ => content.push_str(&text),
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plain_content_elements_by_guid() {
        let doc = r#"<rss version="2.0"><channel><title>t</title>
            <item><title>a</title><guid>https://x/1</guid><description>cut sh</description>
              <content type="html">&lt;p&gt;Full text&lt;/p&gt;&lt;h2&gt;06.02.2026&lt;/h2&gt;&lt;p&gt;Later.&lt;/p&gt;</content></item>
            <item><title>b</title><guid>https://x/2</guid><content type="html"/></item>
            <item><title>c</title><guid>https://x/3</guid><content type="html"><![CDATA[<p>raw</p>]]></content></item>
            </channel></rss>"#;
        let got = item_contents(doc);
        assert_eq!(
            got["https://x/1"],
            "<p>Full text</p><h2>06.02.2026</h2><p>Later.</p>"
        );
        assert!(!got.contains_key("https://x/2"));
        assert_eq!(got["https://x/3"], "<p>raw</p>");
        assert!(
            item_contents("<rss><channel><item><guid>1</guid></item></channel></rss>").is_empty()
        );
        // Broken XML adds nothing rather than failing.
        assert!(item_contents("<rss><item><guid>1</guid><content>&bogus;").is_empty());
    }
}
