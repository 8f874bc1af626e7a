//! GitLab's offset pagination: `page` and `per_page` (20 by default, 100
//! at most) in, `x-total`, `x-total-pages`, `x-page`, `x-per-page`,
//! `x-next-page`, `x-prev-page` and `Link` headers out.

use http::{HeaderMap, HeaderValue};

const DEFAULT_PER_PAGE: usize = 20;
const MAX_PER_PAGE: usize = 100;

/// The items of the page the query asks for, and the headers that say
/// where the others are. `base` is the absolute URL of the list.
pub fn paginate<T>(items: Vec<T>, query: &[(String, String)], base: &str) -> (HeaderMap, Vec<T>) {
    let number = |key: &str| {
        query
            .iter()
            .find(|(name, _)| name == key)
            .and_then(|(_, value)| value.parse::<usize>().ok())
            .filter(|value| *value > 0)
    };
    let per_page = number("per_page").unwrap_or(DEFAULT_PER_PAGE).min(MAX_PER_PAGE);
    let page = number("page").unwrap_or(1);
    let total = items.len();
    let pages = total.div_ceil(per_page).max(1);
    let next = (page < pages).then_some(page + 1);
    let previous = (page > 1).then(|| (page - 1).min(pages));
    let link = |target: usize| {
        let mut pairs: Vec<String> = query
            .iter()
            .filter(|(key, _)| key != "page" && key != "per_page")
            .map(|(key, value)| format!("{key}={value}"))
            .collect();
        pairs.push(format!("page={target}"));
        pairs.push(format!("per_page={per_page}"));
        format!("{base}?{}", pairs.join("&"))
    };
    let mut links = Vec::new();
    if let Some(previous) = previous {
        links.push(format!("<{}>; rel=\"prev\"", link(previous)));
    }
    if let Some(next) = next {
        links.push(format!("<{}>; rel=\"next\"", link(next)));
    }
    links.push(format!("<{}>; rel=\"first\"", link(1)));
    links.push(format!("<{}>; rel=\"last\"", link(pages)));
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    set("x-total", total.to_string());
    set("x-total-pages", pages.to_string());
    set("x-page", page.to_string());
    set("x-per-page", per_page.to_string());
    set(
        "x-next-page",
        next.map(|page| page.to_string()).unwrap_or_default(),
    );
    set(
        "x-prev-page",
        previous.map(|page| page.to_string()).unwrap_or_default(),
    );
    set("link", links.join(", "));
    let items = items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    (headers, items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_headers_point_to_the_next_page() {
        let query = vec![("per_page".to_owned(), "2".to_owned())];
        let (headers, items) = paginate(vec![1, 2, 3], &query, "http://gitlab/api/v4/groups");
        assert_eq!(items, vec![1, 2]);
        assert_eq!(headers["x-next-page"], "2");
        assert_eq!(headers["x-total-pages"], "2");
        assert_eq!(headers["x-prev-page"], "");
    }
}
