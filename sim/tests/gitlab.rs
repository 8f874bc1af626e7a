//! Conformance of `control`'s GitLab client against the GitLab simulator
//! served in-process: tenant groups under a parent, deploy tokens, delayed
//! deletion (mark, rename, permanent removal of subgroups), error shapes,
//! pagination headers and injected faults.

#![allow(clippy::panic)]

mod support;

use support::{assert_refused, assert_transient, set_fault};

use std::time::{Duration, Instant};

use control::backends::gitlab::{Gitlab, GitlabClient};
use serde_json::{json, Value};
use sim::{faults::Fault, gitlab::Simulator, Served};

const TOKEN: &str = "glpat-test";
const TIMEOUT: Duration = Duration::from_secs(1);
/// The subscription the tests' groups are made for.
const SUBSCRIPTION: uuid::Uuid = uuid::Uuid::from_u128(0xb1b1d);

type TestResult = Result<(), Box<dyn std::error::Error>>;

struct Setup {
    simulator: Simulator,
    served: Served,
    parent: i64,
    client: GitlabClient,
}

async fn start() -> Result<Setup, Box<dyn std::error::Error>> {
    let simulator = Simulator::new(TOKEN);
    let parent = simulator.add_group("clients", None);
    let served = sim::serve(simulator.router()).await?;
    let client = GitlabClient::new(&served.url(), TOKEN, Some(parent), TIMEOUT)?;
    Ok(Setup {
        simulator,
        served,
        parent,
        client,
    })
}

async fn request(
    served: &Served,
    method: reqwest::Method,
    path: &str,
) -> Result<reqwest::Response, reqwest::Error> {
    reqwest::Client::new()
        .request(method, format!("{}/api/v4{path}", served.url()))
        .header("PRIVATE-TOKEN", TOKEN)
        .send()
        .await
}

#[tokio::test]
async fn a_tenant_group_is_created_once_under_the_parent_and_renamed_back() -> TestResult {
    let Setup { served, client, .. } = start().await?;
    let group = client.ensure_group("acme", SUBSCRIPTION, "Acme").await?;
    assert_eq!(group.full_path, "clients/acme");
    assert_eq!(client.ensure_group("acme", SUBSCRIPTION, "Acme").await?, group);

    // Renamed in GitLab by hand: the next run names it as the portal does.
    let response = reqwest::Client::new()
        .put(format!("{}/api/v4/groups/{}", served.url(), group.id))
        .header("PRIVATE-TOKEN", TOKEN)
        .json(&json!({"name": "Hand-edited"}))
        .send()
        .await?;
    assert_eq!(response.status(), 200);
    assert_eq!(client.ensure_group("acme", SUBSCRIPTION, "Acme").await?, group);
    let observed = client.observe("acme").await?.ok_or("no group")?;
    assert_eq!(
        (observed.id, observed.name.as_str(), observed.marked_for_deletion),
        (group.id, "Acme", false)
    );

    let fetched: Value = request(&served, reqwest::Method::GET, "/groups/clients%2Facme")
        .await?
        .json()
        .await?;
    assert_eq!(fetched["id"], group.id);
    assert_eq!(fetched["visibility"], "private");
    Ok(())
}

#[tokio::test]
async fn a_group_that_is_not_ours_is_never_adopted_renamed_or_deleted() -> TestResult {
    let Setup {
        served,
        simulator,
        parent,
        client,
    } = start().await?;
    // Someone else's group at the path Bibind wants, and another
    // subscription's group at another.
    let theirs = simulator.add_group("acme", Some(parent));
    let other = uuid::Uuid::from_u128(0xdead);
    let others = client.ensure_group("beta", other, "Beta").await?;
    for (path, id) in [("acme", theirs), ("beta", others.id)] {
        let before: Value = request(&served, reqwest::Method::GET, &format!("/groups/{id}"))
            .await?
            .json()
            .await?;
        assert_refused(
            client.ensure_group(path, SUBSCRIPTION, "Ours").await,
            "exists and is not ours",
        );
        assert_refused(
            client.remove_group(path, SUBSCRIPTION).await,
            "exists and is not ours",
        );
        let after: Value = request(&served, reqwest::Method::GET, &format!("/groups/{id}"))
            .await?
            .json()
            .await?;
        assert_eq!(after, before, "nothing changed on {path}");
    }
    let marked: Value = request(&served, reqwest::Method::GET, &format!("/groups/{}", others.id))
        .await?
        .json()
        .await?;
    assert_eq!(
        marked["description"],
        format!("Managed by Bibind for subscription {other}")
    );
    client.remove_group("beta", other).await?;
    Ok(())
}

#[tokio::test]
async fn a_deploy_token_is_shown_once_then_revoked_idempotently() -> TestResult {
    let Setup {
        served: _served,
        client,
        ..
    } = start().await?;
    let group = client.ensure_group("acme", SUBSCRIPTION, "Acme").await?;
    let token = client
        .ensure_deploy_token(group.id, "registry")
        .await?
        .ok_or("no token created")?;
    assert!(token.token.starts_with("gldt-"));
    assert_eq!(token.username, format!("gitlab+deploy-token-{}", token.id));
    assert_eq!(
        client.ensure_deploy_token(group.id, "registry").await?,
        None,
        "its value cannot be read again"
    );
    assert_eq!(
        client.observe("acme").await?.ok_or("no group")?.deploy_tokens,
        vec!["registry".to_owned()]
    );

    client.revoke_deploy_token(group.id, "registry").await?;
    client.revoke_deploy_token(group.id, "registry").await?;
    assert!(client
        .observe("acme")
        .await?
        .ok_or("no group")?
        .deploy_tokens
        .is_empty());
    let again = client
        .ensure_deploy_token(group.id, "registry")
        .await?
        .ok_or("no token created")?;
    assert_ne!(again.token, token.token);

    // No group, nothing to revoke.
    client.revoke_deploy_token(9999, "registry").await?;
    assert_refused(
        client.ensure_deploy_token(9999, "registry").await,
        "does not exist",
    );
    Ok(())
}

#[tokio::test]
async fn a_subgroup_is_marked_then_removed_for_good_and_removal_is_idempotent() -> TestResult {
    let Setup { served, client, .. } = start().await?;
    let group = client.ensure_group("acme", SUBSCRIPTION, "Acme").await?;
    client.remove_group("acme", SUBSCRIPTION).await?;
    assert_eq!(client.observe("acme").await?, None);
    let response = request(&served, reqwest::Method::GET, &format!("/groups/{}", group.id)).await?;
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.json::<Value>().await?,
        json!({"message": "404 Group Not Found"})
    );
    client.remove_group("acme", SUBSCRIPTION).await?;

    // The path is free again: a new tenant of that name gets a new group.
    let recreated = client.ensure_group("acme", SUBSCRIPTION, "Acme").await?;
    assert_ne!(recreated.id, group.id);
    Ok(())
}

#[tokio::test]
async fn a_top_level_group_can_only_be_marked_and_renamed() -> TestResult {
    let Setup {
        served, simulator, ..
    } = start().await?;
    let client = GitlabClient::new(&served.url(), TOKEN, None, TIMEOUT)?;
    let group = client.ensure_group("solo", SUBSCRIPTION, "Solo").await?;
    client.remove_group("solo", SUBSCRIPTION).await?;
    assert_eq!(client.observe("solo").await?, None, "renamed by the mark");
    let marked: Value = request(&served, reqwest::Method::GET, &format!("/groups/{}", group.id))
        .await?
        .json()
        .await?;
    assert_eq!(
        marked["full_path"],
        format!("solo-deletion_scheduled-{}", group.id)
    );
    assert!(marked["marked_for_deletion_on"].is_string());

    let path = format!(
        "/groups/{}?permanently_remove=true&full_path=solo-deletion_scheduled-{}",
        group.id, group.id
    );
    let refused = request(&served, reqwest::Method::DELETE, &path).await?;
    assert_eq!(refused.status(), 400);
    assert_eq!(
        refused.json::<Value>().await?,
        json!({"message": "`permanently_remove` option is only available for subgroups."})
    );
    let again = request(&served, reqwest::Method::DELETE, &format!("/groups/{}", group.id)).await?;
    assert_eq!(
        again.json::<Value>().await?,
        json!({"message": "Group has been already marked for deletion"})
    );
    client.remove_group("solo", SUBSCRIPTION).await?;

    // Without delayed deletion the group goes at once.
    simulator.set_delayed_deletion(false);
    let other = client.ensure_group("other", SUBSCRIPTION, "Other").await?;
    client.remove_group("other", SUBSCRIPTION).await?;
    assert_eq!(
        request(&served, reqwest::Method::GET, &format!("/groups/{}", other.id))
            .await?
            .status(),
        404
    );
    Ok(())
}

#[tokio::test]
async fn errors_come_back_in_gitlab_shapes() -> TestResult {
    let Setup {
        served,
        parent,
        client,
        ..
    } = start().await?;
    assert_refused(
        client.ensure_group("-bad path", SUBSCRIPTION, "Bad").await,
        "Failed to save group {:path=>",
    );
    let intruder = GitlabClient::new(&served.url(), "wrong", Some(parent), TIMEOUT)?;
    assert_refused(
        intruder.ensure_group("acme", SUBSCRIPTION, "Acme").await,
        "401 Unauthorized",
    );

    let response = reqwest::Client::new()
        .post(format!("{}/api/v4/groups", served.url()))
        .header("PRIVATE-TOKEN", TOKEN)
        .json(&json!({"visibility": "private"}))
        .send()
        .await?;
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await?,
        json!({"error": "name is missing, path is missing"})
    );

    let orphan = GitlabClient::new(&served.url(), TOKEN, Some(4242), TIMEOUT)?;
    assert_refused(
        orphan.ensure_group("acme", SUBSCRIPTION, "Acme").await,
        "parent group 4242 does not exist",
    );
    Ok(())
}

#[tokio::test]
async fn lists_carry_gitlab_pagination_headers() -> TestResult {
    let Setup { served, client, .. } = start().await?;
    let group = client.ensure_group("acme", SUBSCRIPTION, "Acme").await?;
    for name in ["a", "b", "c"] {
        client.ensure_deploy_token(group.id, name).await?;
    }
    let response = request(
        &served,
        reqwest::Method::GET,
        &format!("/groups/{}/deploy_tokens?per_page=2", group.id),
    )
    .await?;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(header("x-total").as_deref(), Some("3"));
    assert_eq!(header("x-total-pages").as_deref(), Some("2"));
    assert_eq!(header("x-next-page").as_deref(), Some("2"));
    assert!(header("link").is_some_and(|link| link.contains("rel=\"next\"")));
    let tokens: Vec<Value> = response.json().await?;
    assert_eq!(tokens.len(), 2);
    assert!(
        tokens.iter().all(|token| token.get("token").is_none()),
        "values are never listed"
    );
    assert_eq!(
        client.observe("acme").await?.ok_or("no group")?.deploy_tokens,
        vec!["a", "b", "c"]
    );
    Ok(())
}

#[tokio::test]
async fn injected_faults_are_transient_and_a_retry_does_not_duplicate() -> TestResult {
    let Setup { served, client, .. } = start().await?;
    set_fault(
        &served,
        "create_group",
        Fault {
            status: Some(503),
            times: Some(1),
            ..Fault::default()
        },
    )
    .await?;
    assert_transient(client.ensure_group("acme", SUBSCRIPTION, "Acme").await);
    set_fault(
        &served,
        "get_group",
        Fault {
            status: Some(429),
            times: Some(1),
            ..Fault::default()
        },
    )
    .await?;
    assert_transient(client.ensure_group("acme", SUBSCRIPTION, "Acme").await);
    let group = client.ensure_group("acme", SUBSCRIPTION, "Acme").await?;

    set_fault(
        &served,
        "create_deploy_token",
        Fault {
            status: Some(500),
            times: Some(1),
            ..Fault::default()
        },
    )
    .await?;
    assert_transient(client.ensure_deploy_token(group.id, "registry").await);
    client
        .ensure_deploy_token(group.id, "registry")
        .await?
        .ok_or("no token created")?;
    assert_eq!(
        client.observe("acme").await?.ok_or("no group")?.deploy_tokens,
        vec!["registry".to_owned()]
    );

    set_fault(
        &served,
        "get_group",
        Fault {
            hang: true,
            times: Some(1),
            ..Fault::default()
        },
    )
    .await?;
    let started = Instant::now();
    assert_transient(client.observe("acme").await);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the client's timeout ends a hang"
    );
    Ok(())
}
