//! Whether a live site answers browsers: each reconciler round asks the
//! home page of every running shop and training space through the ingress
//! (its host in `Host`), and keeps whether it answered and since when, so
//! that its page says "not reachable since 10:42". Only a change of answer
//! reaches the organization's page (migration 22's trigger).

use std::time::Duration;

use reqwest::{header::HOST, redirect::Policy, StatusCode};
use url::Url;
use uuid::Uuid;

use crate::{domain::SiteProblem, Control, PageChange, Result};

/// How long a site has to answer its check.
const PATIENCE: Duration = Duration::from_secs(5);

/// Asks sites whether they answer.
#[derive(Clone, Debug)]
pub(crate) struct SiteProbe {
    http: reqwest::Client,
    /// Where requests go instead of the site's own address.
    ingress: Option<Url>,
}

impl SiteProbe {
    /// A probe sending its requests to `ingress` (the site's host in
    /// `Host`), or to each site's address when `None` or not a URL.
    pub fn new(ingress: Option<&str>) -> Self {
        let http = reqwest::Client::builder()
            .timeout(PATIENCE)
            // A redirect (to the sign-in page, to https) is an answer.
            .redirect(Policy::none())
            .build()
            .unwrap_or_default();
        let ingress = ingress.and_then(|url| Url::parse(url).ok());
        Self { http, ingress }
    }

    /// `None` when the home page at `site_url` answers with a success or
    /// a redirect; why not otherwise.
    pub async fn check(&self, site_url: &str) -> Option<SiteProblem> {
        let Ok(site) = Url::parse(site_url) else {
            return Some(SiteProblem::NoConnection);
        };
        let request = match (&self.ingress, site.host_str()) {
            (Some(ingress), Some(host)) => {
                let authority = match site.port() {
                    Some(port) => format!("{host}:{port}"),
                    None => host.to_owned(),
                };
                let mut target = ingress.clone();
                target.set_path(site.path());
                self.http.get(target).header(HOST, authority)
            }
            _ => self.http.get(site),
        };
        match request.send().await {
            Ok(response) => problem_of(response.status()),
            Err(error) if error.is_timeout() => Some(SiteProblem::Timeout),
            Err(_) => Some(SiteProblem::NoConnection),
        }
    }
}

/// A home page answering with an error is not reachable for its visitors.
fn problem_of(status: StatusCode) -> Option<SiteProblem> {
    (status.is_client_error() || status.is_server_error()).then_some(SiteProblem::Status(status.as_u16()))
}

impl Control {
    /// Keeps the check's outcome; `since` moves only when the answer
    /// changes, and only then is the page this replica keeps forgotten.
    pub(crate) async fn record_site_check(
        &self,
        subscription: Uuid,
        problem: Option<SiteProblem>,
    ) -> Result<()> {
        let problem = problem.map(|problem| serde_json::json!(problem).to_string());
        let now = self.clock.now();
        let changed = sqlx::query_scalar!(
            r#"WITH before AS (SELECT problem FROM site_checks WHERE subscription_id = $1)
               INSERT INTO site_checks (subscription_id, problem, since, checked_at)
               VALUES ($1, $2, $3, $3)
               ON CONFLICT (subscription_id) DO UPDATE
                  SET since = CASE WHEN site_checks.problem IS NOT DISTINCT FROM EXCLUDED.problem
                                   THEN site_checks.since ELSE EXCLUDED.since END,
                      problem = EXCLUDED.problem, checked_at = EXCLUDED.checked_at
               RETURNING NOT EXISTS (SELECT 1 FROM before WHERE problem IS NOT DISTINCT FROM $2) AS "changed!""#,
            subscription,
            problem,
            now,
        )
        .fetch_one(self.db.pool())
        .await?;
        if changed {
            self.page_changed(PageChange::Subscriptions(vec![subscription]));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_problems_and_redirects_answers() {
        assert_eq!(problem_of(StatusCode::OK), None);
        assert_eq!(problem_of(StatusCode::SEE_OTHER), None);
        assert_eq!(problem_of(StatusCode::NOT_FOUND), Some(SiteProblem::Status(404)));
        assert_eq!(
            problem_of(StatusCode::SERVICE_UNAVAILABLE),
            Some(SiteProblem::Status(503))
        );
    }
}
