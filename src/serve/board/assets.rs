//! The board's own files, compiled into the binary: nothing is fetched from anywhere else. Pages
//! link them with a content hash in the query (`/assets/board.css?v=…`), so a browser may keep
//! them a long time and still gets the new ones after an upgrade.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "board.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("assets/board.css"),
    },
    Asset {
        name: "board.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("assets/board.js"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_str!("assets/favicon.svg"),
    },
];

/// A day: the links carry the content hash, so a long life never serves a stale file to a page
/// that asks for the new one.
const CACHE_CONTROL: &str = "public, max-age=86400";

fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// `/assets/NAME?v=HASH`: the path pages use for an embedded file.
pub(super) fn url(name: &'static str) -> &'static str {
    static URLS: OnceLock<Vec<(&'static str, String)>> = OnceLock::new();
    let urls = URLS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| {
                let digest = Sha256::digest(a.body.as_bytes());
                let hash: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
                (a.name, format!("/assets/{}?v={hash}", a.name))
            })
            .collect()
    });
    urls.iter()
        .find(|(n, _)| *n == name)
        .map_or("/assets/missing", |(_, u)| u.as_str())
}

fn serve(asset: &Asset) -> Response {
    let mut response = asset.body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    response
}

pub(super) async fn file(Path(name): Path<String>) -> Response {
    match find(&name) {
        Some(asset) => serve(asset),
        None => super::super::problem::Problem::new(
            StatusCode::NOT_FOUND,
            format!(
                "no board asset {name:?}: the board's files are {}",
                ASSETS.iter().map(|a| a.name).collect::<Vec<_>>().join(", ")
            ),
        )
        .into_response(),
    }
}

/// Browsers ask for `/favicon.ico` whatever the page says; answer with the same icon.
pub(super) async fn favicon() -> Response {
    match find("favicon.svg") {
        Some(asset) => serve(asset),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::{find, url, ASSETS};

    #[test]
    fn every_asset_has_a_versioned_url_and_is_not_empty() {
        for asset in ASSETS {
            assert!(!asset.body.trim().is_empty(), "{}", asset.name);
            let link = url(asset.name);
            assert!(
                link.starts_with(&format!("/assets/{}?v=", asset.name)),
                "{link}"
            );
        }
        assert!(find("board.css").is_some());
        assert!(find("../Cargo.toml").is_none());
    }
}
