//! AWX list endpoints: Django field lookups in the query (`name`,
//! `name__icontains`, `not__status`, …) on the fields `OPTIONS` marks
//! filterable, `search`, `order_by`, and DRF page-number pagination
//! (`count`, relative `next`/`previous`, `results`; 25 a page by default,
//! 200 at most).

use axum::{
    response::{IntoResponse, Response},
    Json,
};
use http::StatusCode;
use serde_json::{json, Value};

use super::metadata::Model;

/// Never filters: paging, ordering, output (awx/api/filters.py RESERVED_NAMES).
const RESERVED: [&str; 11] = [
    "page",
    "page_size",
    "format",
    "order",
    "order_by",
    "search",
    "type",
    "host_filter",
    "count_disabled",
    "no_truncate",
    "limit",
];

const LOOKUPS: [&str; 15] = [
    "exact",
    "iexact",
    "contains",
    "icontains",
    "startswith",
    "istartswith",
    "endswith",
    "iendswith",
    "regex",
    "iregex",
    "gt",
    "gte",
    "lt",
    "lte",
    "in",
];

/// Fields AWX marks `prevent_search`.
const PREVENT_SEARCH: [&str; 3] = ["extra_vars", "artifacts", "job_env"];

const DEFAULT_PAGE_SIZE: usize = 25;
pub const MAX_PAGE_SIZE: usize = 200;

/// One page of `items`, filtered and ordered as the query asks.
pub fn page(path: &str, model: &Model, items: Vec<Value>, query: &[(String, String)]) -> Response {
    let mut items = items;
    for (key, value) in query.iter().filter(|(key, _)| !RESERVED.contains(&key.as_str())) {
        let (negate, lookup) = match key.strip_prefix("not__") {
            Some(rest) => (true, rest),
            None => (false, key.as_str()),
        };
        let (field, operator) = match lookup.rsplit_once("__") {
            Some((field, operator)) if LOOKUPS.contains(&operator) || operator == "isnull" => {
                (field, operator)
            }
            _ => (lookup, "exact"),
        };
        let root = field.split("__").next().unwrap_or(field);
        if PREVENT_SEARCH.contains(&root) {
            return error(
                StatusCode::FORBIDDEN,
                &format!("Filtering on {root} is not allowed."),
            );
        }
        if !model.field(field).is_some_and(|field| field.filterable) {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("{} has no field named '{root}'", model.name),
            );
        }
        items.retain(|item| matches(value_of(item, field), operator, value) != negate);
    }
    if let Some((_, term)) = query.iter().find(|(key, _)| key == "search") {
        let term = term.to_lowercase();
        items.retain(|item| {
            model.search_fields.iter().any(|field| {
                item.get(*field)
                    .and_then(Value::as_str)
                    .is_some_and(|text| text.to_lowercase().contains(&term))
            })
        });
    }
    let order = query
        .iter()
        .find(|(key, _)| key == "order_by" || key == "order")
        .map(|(_, value)| value.as_str());
    if let Some(order) = order.and_then(|order| order.split(',').next()) {
        let (descending, field) = match order.strip_prefix('-') {
            Some(field) => (true, field),
            None => (false, order),
        };
        items.sort_by(|a, b| {
            let ordering = compare(value_of(a, field), value_of(b, field));
            if descending {
                ordering.reverse()
            } else {
                ordering
            }
        });
    }
    let number = |key: &str| {
        query
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.parse::<usize>())
    };
    let page_size = match number("page_size") {
        None => DEFAULT_PAGE_SIZE,
        Some(Ok(size)) if size > 0 => size.min(MAX_PAGE_SIZE),
        Some(_) => DEFAULT_PAGE_SIZE,
    };
    let page = match number("page") {
        None => 1,
        Some(Ok(page)) if page > 0 => page,
        Some(_) => return error(StatusCode::NOT_FOUND, "Invalid page."),
    };
    let count = items.len();
    let pages = count.div_ceil(page_size).max(1);
    if page > pages {
        return error(StatusCode::NOT_FOUND, "Invalid page.");
    }
    // DRF's `replace_query_param`: the request's query with `page` set,
    // keys sorted, `page_size` capped.
    let link = |target: usize| {
        let mut pairs: Vec<(&str, String)> = query
            .iter()
            .filter(|(key, _)| key != "page")
            .map(|(key, value)| match key.as_str() {
                "page_size" if value.parse::<usize>().is_ok_and(|size| size > MAX_PAGE_SIZE) => {
                    (key.as_str(), MAX_PAGE_SIZE.to_string())
                }
                _ => (key.as_str(), value.clone()),
            })
            .collect();
        pairs.push(("page", target.to_string()));
        pairs.sort_by(|a, b| a.0.cmp(b.0));
        let encoded: Vec<String> = pairs
            .iter()
            .map(|(key, value)| format!("{}={}", encode(key), encode(value)))
            .collect();
        format!("{path}?{}", encoded.join("&"))
    };
    let results: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * page_size)
        .take(page_size)
        .collect();
    Json(json!({
        "count": count,
        "next": (page < pages).then(|| link(page + 1)),
        "previous": (page > 1).then(|| link(page - 1)),
        "results": results,
    }))
    .into_response()
}

fn error(status: StatusCode, detail: &str) -> Response {
    (status, Json(json!({"detail": detail}))).into_response()
}

/// Python's `quote_plus`, as `urlencode` writes query values.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (byte as char).to_string(),
            b' ' => "+".to_owned(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

fn value_of<'a>(item: &'a Value, field: &str) -> &'a Value {
    item.get(field).unwrap_or(&Value::Null)
}

fn as_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn matches(stored: &Value, operator: &str, wanted: &str) -> bool {
    let text = as_text(stored);
    let same = |candidate: &str| match stored {
        Value::Bool(flag) => {
            let candidate = candidate.to_lowercase();
            (*flag && (candidate == "true" || candidate == "1"))
                || (!*flag && (candidate == "false" || candidate == "0"))
        }
        _ => text == candidate,
    };
    match operator {
        "exact" => same(wanted),
        "iexact" => text.eq_ignore_ascii_case(wanted),
        "contains" => text.contains(wanted),
        "icontains" => text.to_lowercase().contains(&wanted.to_lowercase()),
        "startswith" => text.starts_with(wanted),
        "istartswith" => text.to_lowercase().starts_with(&wanted.to_lowercase()),
        "endswith" => text.ends_with(wanted),
        "iendswith" => text.to_lowercase().ends_with(&wanted.to_lowercase()),
        "in" => wanted.split(',').any(same),
        "isnull" => stored.is_null() == wanted.eq_ignore_ascii_case("true"),
        "gt" | "gte" | "lt" | "lte" => {
            let ordering = match (stored.as_f64(), wanted.parse::<f64>().ok()) {
                (Some(a), Some(b)) => a.partial_cmp(&b),
                _ => Some(text.as_str().cmp(wanted)),
            };
            ordering.is_some_and(|ordering| match operator {
                "gt" => ordering.is_gt(),
                "gte" => ordering.is_ge(),
                "lt" => ordering.is_lt(),
                _ => ordering.is_le(),
            })
        }
        // Regular expressions are not simulated: nothing matches.
        _ => false,
    }
}

fn compare(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a.as_f64(), b.as_f64()) {
        (Some(a), Some(b)) => a.partial_cmp(&b).unwrap_or(std::cmp::Ordering::Equal),
        _ => as_text(a).cmp(&as_text(b)),
    }
}
