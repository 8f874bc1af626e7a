//! Calls to `/api/v1`: the token sent, the language asked for, a problem
//! detail turned into a [`Failure::Problem`], lists followed to their end
//! through `Link: <…>; rel="next"`, every POST sent with an
//! `Idempotency-Key` (and sent again once with the same key when the
//! answer did not come back, so that it is done once).

use reqwest::{header, Method, StatusCode};
use serde_json::Value;

use crate::{auth, texts::Lang, Failure};

/// A problem detail (RFC 9457), as the API writes it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Problem {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub status: u16,
    #[serde(default)]
    pub detail: String,
    #[serde(default)]
    pub errors: Vec<FieldProblem>,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct FieldProblem {
    pub field: String,
    pub detail: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.title, self.status, self.detail)?;
        for error in &self.errors {
            write!(f, "\n  {}: {}", error.field, error.detail)?;
        }
        Ok(())
    }
}

/// The API of one portal, with one token.
pub struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
    lang: Lang,
}

/// An answer's body and the headers a caller may need.
pub struct Answer {
    pub body: Value,
    pub etag: Option<String>,
}

impl Api {
    pub fn new(http: reqwest::Client, portal: &str, token: String, lang: Lang) -> Self {
        Self {
            http,
            base: format!("{}/api/v1", portal.trim_end_matches('/')),
            token,
            lang,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn request(&self, method: Method, url: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, url)
            .bearer_auth(&self.token)
            .header(header::ACCEPT_LANGUAGE, self.lang.accept_language())
    }

    /// Sends, reads; a problem detail (or any error status) becomes a failure.
    async fn answer(
        &self,
        request: reqwest::RequestBuilder,
        url: &str,
    ) -> Result<(Answer, Option<String>), Failure> {
        let response = request
            .send()
            .await
            .map_err(|e| Failure::Http(format!("{url}: {e}")))?;
        let status = response.status();
        let etag = text_header(&response, header::ETAG);
        let next = text_header(&response, header::LINK).and_then(|link| next_link(&link));
        let bytes = response
            .bytes()
            .await
            .map_err(|e| Failure::Http(format!("{url}: {e}")))?;
        if !status.is_success() {
            return Err(problem_of(status, &bytes));
        }
        let body = if bytes.is_empty() || status == StatusCode::NO_CONTENT {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).map_err(|e| Failure::Http(format!("{url}: {e}")))?
        };
        Ok((Answer { body, etag }, next))
    }

    pub async fn get(&self, path: &str) -> Result<Answer, Failure> {
        let url = self.url(path);
        Ok(self.answer(self.request(Method::GET, &url), &url).await?.0)
    }

    /// Every item of a paged list, following `Link: rel="next"`.
    pub async fn list(&self, path: &str) -> Result<Value, Failure> {
        let mut items = Vec::new();
        let mut url = self.url(path);
        loop {
            let (answer, next) = self.answer(self.request(Method::GET, &url), &url).await?;
            if let Value::Array(page) = answer.body {
                items.extend(page);
            }
            match next {
                // The link is relative to the portal, or absolute.
                Some(next) if next.starts_with('/') => url = format!("{}{next}", self.portal()),
                Some(next) => url = next,
                None => return Ok(Value::Array(items)),
            }
        }
    }

    fn portal(&self) -> &str {
        self.base.trim_end_matches("/api/v1")
    }

    /// A change: `body` as JSON when given, `If-Match` when a version is
    /// named. A POST carries an `Idempotency-Key` and is sent a second time
    /// with it if the first answer was lost.
    pub async fn change(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        if_match: Option<&str>,
    ) -> Result<Answer, Failure> {
        let url = self.url(path);
        let key = if method == Method::POST {
            Some(auth::idempotency_key()?)
        } else {
            None
        };
        let build = || {
            let mut request = self.request(method.clone(), &url);
            if let Some(body) = body {
                request = request.json(body);
            }
            if let Some(version) = if_match {
                request = request.header(header::IF_MATCH, version);
            }
            if let Some(key) = &key {
                request = request.header("Idempotency-Key", key);
            }
            request
        };
        match self.answer(build(), &url).await {
            Err(Failure::Http(_)) if key.is_some() => Ok(self.answer(build(), &url).await?.0),
            other => Ok(other?.0),
        }
    }

    /// The raw response of a GET asking for `accept` (an event stream, CSV),
    /// after its status is checked.
    pub async fn open(&self, path: &str, accept: &str) -> Result<reqwest::Response, Failure> {
        let url = self.url(path);
        let response = self
            .request(Method::GET, &url)
            .header(header::ACCEPT, accept)
            .send()
            .await
            .map_err(|e| Failure::Http(format!("{url}: {e}")))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| Failure::Http(format!("{url}: {e}")))?;
        Err(problem_of(status, &bytes))
    }
}

fn text_header(response: &reqwest::Response, name: header::HeaderName) -> Option<String> {
    response.headers().get(name)?.to_str().ok().map(str::to_owned)
}

fn problem_of(status: StatusCode, body: &[u8]) -> Failure {
    match serde_json::from_slice::<Problem>(body) {
        Ok(problem) if !problem.title.is_empty() => Failure::Problem(problem),
        _ => Failure::Http(format!("{status}: {}", String::from_utf8_lossy(body).trim())),
    }
}

/// The `rel="next"` target of a `Link` header.
fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|param| param.trim().replace(' ', "") == "rel=\"next\"")
            .then(|| {
                target
                    .trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_owned()
            })
    })
}

#[cfg(test)]
mod tests {
    use super::next_link;

    #[test]
    fn the_next_page_is_read_from_the_link_header() {
        assert_eq!(
            next_link("</api/v1/organizations?after=b&limit=2>; rel=\"next\"").as_deref(),
            Some("/api/v1/organizations?after=b&limit=2")
        );
        assert_eq!(
            next_link("<https://x/a>; rel=\"prev\", <https://x/b>; rel=\"next\"").as_deref(),
            Some("https://x/b")
        );
        assert_eq!(next_link("<https://x/a>; rel=\"prev\""), None);
    }
}
