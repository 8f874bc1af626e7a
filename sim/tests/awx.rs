//! Conformance of `control`'s AWX client against the AWX simulator served
//! in-process: launch, idempotence per run key (through the jobs list, as
//! AWX will not filter on `extra_vars`), progress, output, failure, cancel,
//! DRF error shapes and injected faults.

#![allow(clippy::panic)]

mod support;

use support::{assert_refused, assert_transient, set_fault};

use std::time::{Duration, Instant};

use control::backends::awx::{Awx, AwxClient, AwxJobStatus};
use serde_json::{json, Map, Value};
use sim::{
    awx::{Simulator, SurveyQuestion, TemplateSpec},
    faults::Fault,
    Served,
};

const TOKEN: &str = "awx-token";
const TIMEOUT: Duration = Duration::from_secs(1);

type TestResult = Result<(), Box<dyn std::error::Error>>;

async fn start(job_duration: Duration) -> Result<(Simulator, Served, AwxClient), Box<dyn std::error::Error>> {
    let simulator = Simulator::new(TOKEN, job_duration);
    simulator.add_template(TemplateSpec::named("odoo-deploy"));
    let served = sim::serve(simulator.router()).await?;
    let client = AwxClient::new(&served.url(), TOKEN, TIMEOUT)?;
    Ok((simulator, served, client))
}

async fn get(served: &Served, path: &str, token: &str) -> Result<(u16, Value), reqwest::Error> {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", served.url()))
        .bearer_auth(token)
        .send()
        .await?;
    let status = response.status().as_u16();
    Ok((status, response.json().await.unwrap_or(Value::Null)))
}

#[tokio::test]
async fn a_job_is_launched_followed_to_its_end_and_its_output_kept() -> TestResult {
    let (_simulator, served, client) = start(Duration::ZERO).await?;
    let job = client
        .launch("odoo-deploy", "run-1", &json!({"tenant": "acme"}))
        .await?;
    assert_eq!(
        job.status,
        AwxJobStatus::Pending,
        "a launch answers the pending job"
    );
    assert!(!job.finished);

    let done = client.job(job.id).await?;
    assert_eq!(done.status, AwxJobStatus::Successful);
    assert!(done.finished && !done.failed);
    let output = client.stdout(job.id).await?;
    assert!(
        output.contains("PLAY [odoo-deploy]") && output.contains("PLAY RECAP"),
        "{output}"
    );
    assert!(!output.contains('\u{1b}'), "format=txt strips ANSI");

    let (status, detail) = get(&served, &format!("/api/v2/jobs/{}/", job.id), TOKEN).await?;
    assert_eq!(status, 200);
    let extra_vars: Value = serde_json::from_str(detail["extra_vars"].as_str().unwrap_or_default())?;
    assert_eq!(extra_vars, json!({"tenant": "acme", "bibind_run_key": "run-1"}));
    assert_eq!(detail["event_processing_finished"], true);
    Ok(())
}

#[tokio::test]
async fn a_launch_is_idempotent_per_run_key_even_pages_away() -> TestResult {
    let (simulator, served, client) = start(Duration::ZERO).await?;
    let first = client.launch("odoo-deploy", "run-1", &json!({})).await?;
    assert_eq!(
        client.launch("odoo-deploy", "run-1", &json!({})).await?.id,
        first.id
    );
    assert_eq!(simulator.job_count(), 1);

    // 205 later launches push run-1 onto the second page of the newest-first list.
    let http = reqwest::Client::new();
    for index in 0..205 {
        http.post(format!("{}/api/v2/job_templates/5/launch/", served.url()))
            .bearer_auth(TOKEN)
            .json(&json!({"extra_vars": {"bibind_run_key": format!("other-{index}")}}))
            .send()
            .await?
            .error_for_status()?;
    }
    assert_eq!(
        client.launch("odoo-deploy", "run-1", &json!({})).await?.id,
        first.id
    );
    let second = client.launch("odoo-deploy", "run-2", &json!({})).await?;
    assert_ne!(second.id, first.id);
    assert_eq!(simulator.job_count(), 207);
    Ok(())
}

#[tokio::test]
async fn awx_refuses_to_filter_on_extra_vars_and_pages_with_relative_links() -> TestResult {
    let (_simulator, served, client) = start(Duration::ZERO).await?;
    for key in ["a", "b", "c"] {
        client.launch("odoo-deploy", key, &json!({})).await?;
    }
    let (status, body) = get(&served, "/api/v2/jobs/?extra_vars__icontains=a", TOKEN).await?;
    assert_eq!(
        (status, body),
        (403, json!({"detail": "Filtering on extra_vars is not allowed."}))
    );
    let (status, body) = get(&served, "/api/v2/jobs/?colour=blue", TOKEN).await?;
    assert_eq!(
        (status, body),
        (400, json!({"detail": "Job has no field named 'colour'"}))
    );

    let (status, page) = get(&served, "/api/v2/jobs/?page_size=2&order_by=-id", TOKEN).await?;
    assert_eq!(status, 200);
    assert_eq!(page["count"], 3);
    // DRF's `replace_query_param`: keys sorted.
    assert_eq!(page["next"], "/api/v2/jobs/?order_by=-id&page=2&page_size=2");
    assert_eq!(page["previous"], Value::Null);
    assert!(page["results"][0]["id"].as_i64() > page["results"][1]["id"].as_i64());
    let (status, body) = get(&served, "/api/v2/jobs/?page=9", TOKEN).await?;
    assert_eq!((status, body), (404, json!({"detail": "Invalid page."})));
    Ok(())
}

#[tokio::test]
async fn a_missing_or_wrong_token_is_a_401_with_the_login_hint() -> TestResult {
    let (_simulator, served, _) = start(Duration::ZERO).await?;
    let intruder = AwxClient::new(&served.url(), "wrong", TIMEOUT)?;
    assert_refused(intruder.launch("odoo-deploy", "run-1", &json!({})).await, "401");
    let (status, body) = get(&served, "/api/v2/jobs/", "wrong").await?;
    assert_eq!(status, 401);
    assert_eq!(
        body["detail"],
        "Authentication credentials were not provided. To establish a login session, visit /api/login/."
    );
    Ok(())
}

#[tokio::test]
async fn clients_discover_the_api_and_a_read_token_cannot_launch() -> TestResult {
    let (simulator, served, _client) = start(Duration::ZERO).await?;
    simulator.add_read_token("reader");
    let (status, root) = get(&served, "/api/", "").await?;
    assert_eq!((status, &root["current_version"]), (200, &json!("/api/v2/")));
    let (status, version) = get(&served, "/api/v2/", "").await?;
    assert_eq!(
        (status, &version["job_templates"]),
        (200, &json!("/api/v2/job_templates/"))
    );
    let (status, me) = get(&served, "/api/v2/me/", TOKEN).await?;
    assert_eq!((status, &me["results"][0]["username"]), (200, &json!("admin")));
    assert_eq!(get(&served, "/api/v2/config/", "").await?.0, 401);

    // The awx CLI's flags come from OPTIONS; a read token is offered no POST.
    let http = reqwest::Client::new();
    let options = |token: &'static str| {
        http.request(
            reqwest::Method::OPTIONS,
            format!("{}/api/v2/job_templates/1/launch/", served.url()),
        )
        .bearer_auth(token)
        .send()
    };
    let writer = options(TOKEN).await?;
    assert_eq!(
        writer
            .headers()
            .get("allow")
            .and_then(|allow| allow.to_str().ok()),
        Some("GET, POST, HEAD, OPTIONS")
    );
    let writer: Value = writer.json().await?;
    assert_eq!(writer["actions"]["POST"]["extra_vars"]["type"], "json");
    let reader: Value = options("reader").await?.json().await?;
    assert_eq!(reader["actions"]["POST"], Value::Null);

    let refused = http
        .post(format!("{}/api/v2/job_templates/5/launch/", served.url()))
        .bearer_auth("reader")
        .json(&json!({}))
        .send()
        .await?;
    assert_eq!(refused.status().as_u16(), 403);
    assert_eq!(
        refused.json::<Value>().await?,
        json!({"detail": "You do not have permission to perform this action."})
    );
    let put = http
        .put(format!("{}/api/v2/jobs/", served.url()))
        .bearer_auth(TOKEN)
        .send()
        .await?;
    assert_eq!(put.status().as_u16(), 405);
    assert_eq!(
        put.json::<Value>().await?,
        json!({"detail": "Method \"PUT\" not allowed."})
    );
    assert_eq!(simulator.job_count(), 0);
    Ok(())
}

#[tokio::test]
async fn launches_the_template_cannot_take_are_refused_before_any_job() -> TestResult {
    let (simulator, _served, client) = start(Duration::ZERO).await?;
    let mut silent = TemplateSpec::named("no-prompt");
    silent.ask_variables_on_launch = false;
    simulator.add_template(silent);
    assert_refused(
        client.launch("no-prompt", "run-1", &json!({})).await,
        "ask_variables_on_launch",
    );

    let mut surveyed = TemplateSpec::named("surveyed");
    surveyed.survey = vec![SurveyQuestion {
        variable: "tenant".to_owned(),
        required: true,
        default: None,
    }];
    simulator.add_template(surveyed);
    assert_refused(
        client.launch("surveyed", "run-1", &json!({})).await,
        "'tenant' value missing",
    );
    assert_refused(
        client.launch("nothing-by-that-name", "run-1", &json!({})).await,
        "no job template named",
    );
    assert_refused(client.job(4242).await, "Not found.");
    assert_eq!(simulator.job_count(), 0);
    Ok(())
}

#[tokio::test]
async fn a_failing_template_ends_failed_with_its_output() -> TestResult {
    let (simulator, served, client) = start(Duration::ZERO).await?;
    let mut fragile = TemplateSpec::named("fragile");
    fragile.fail_when = Map::from_iter([("tenant".to_owned(), json!("broken"))]);
    simulator.add_template(fragile);
    let job = client
        .launch("fragile", "run-1", &json!({"tenant": "broken"}))
        .await?;
    let done = client.job(job.id).await?;
    assert_eq!(
        (done.status, done.failed, done.finished),
        (AwxJobStatus::Failed, true, true)
    );
    assert!(client
        .stdout(job.id)
        .await?
        .contains("fatal: [localhost]: FAILED!"));
    let fine = client
        .launch("fragile", "run-2", &json!({"tenant": "acme"}))
        .await?;
    assert_eq!(client.job(fine.id).await?.status, AwxJobStatus::Successful);

    // Or told to by fault injection.
    set_fault(
        &served,
        "job_outcome",
        Fault {
            status: Some(500),
            times: Some(1),
            ..Fault::default()
        },
    )
    .await?;
    let forced = client.launch("odoo-deploy", "run-3", &json!({})).await?;
    assert_eq!(client.job(forced.id).await?.status, AwxJobStatus::Failed);
    Ok(())
}

#[tokio::test]
async fn a_job_moves_through_its_states_and_can_be_canceled() -> TestResult {
    let (_simulator, _served, client) = start(Duration::from_millis(400)).await?;
    let job = client.launch("odoo-deploy", "run-1", &json!({})).await?;
    assert!(!client.job(job.id).await?.finished);
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert_eq!(client.job(job.id).await?.status, AwxJobStatus::Successful);
    // Finished: AWX answers 405, which is done as far as the caller goes.
    client.cancel(job.id).await?;

    let (_simulator, _served, client) = start(Duration::from_secs(30)).await?;
    let job = client.launch("odoo-deploy", "run-1", &json!({})).await?;
    client.cancel(job.id).await?;
    let canceled = client.job(job.id).await?;
    assert_eq!(
        (canceled.status, canceled.failed, canceled.finished),
        (AwxJobStatus::Canceled, true, true)
    );
    client.cancel(job.id).await?;
    Ok(())
}

#[tokio::test]
async fn injected_faults_are_transient() -> TestResult {
    let (simulator, served, client) = start(Duration::ZERO).await?;
    set_fault(
        &served,
        "launch_job",
        Fault {
            status: Some(503),
            times: Some(1),
            ..Fault::default()
        },
    )
    .await?;
    assert_transient(client.launch("odoo-deploy", "run-1", &json!({})).await);
    let (status, body) = {
        set_fault(
            &served,
            "list_jobs",
            Fault {
                status: Some(503),
                times: Some(1),
                ..Fault::default()
            },
        )
        .await?;
        get(&served, "/api/v2/jobs/", TOKEN).await?
    };
    assert_eq!(
        (status, body),
        (
            503,
            json!({"detail": "Service temporarily unavailable, try again later."})
        )
    );
    let job = client.launch("odoo-deploy", "run-1", &json!({})).await?;
    assert_eq!(simulator.job_count(), 1);

    set_fault(
        &served,
        "get_job",
        Fault {
            hang: true,
            times: Some(1),
            ..Fault::default()
        },
    )
    .await?;
    let started = Instant::now();
    assert_transient(client.job(job.id).await);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the client's timeout ends a hang"
    );
    assert_eq!(client.job(job.id).await?.status, AwxJobStatus::Successful);
    Ok(())
}
