//! A training space's courses: trainers put learners in a course or take
//! them out (plain posts), export the progress table as CSV; learners
//! "Continue" a course straight into Odoo eLearning, signed in through
//! Hydra. The control plane checks every caller's role and membership.

use app::{
    i18n::locale_from_headers,
    routes::{self, pattern},
};
use axum::{
    extract::{FromRequest, Multipart, Path, Query, State},
    http::header,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Router,
};
use control::{
    domain::{FieldProblem, LearnerProgress, ProgressFilter, Refusal},
    tenancy::{courses::AssignmentChange, learner_imports::MAX_FILE_BYTES},
};
use http::request::Parts;
use serde::Deserialize;

use super::{
    answers::{answer, back_with, done_at, id_in_path, submit, NoFields, Post, PostedForm},
    AppState,
};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(pattern::LEARNER_IMPORTS, post(upload_learners))
        .route(pattern::SEND_LEARNER_IMPORT, post(send_learner_import))
        .route(pattern::COURSES_CSV, get(progress_csv))
        .route(pattern::CONTINUE_COURSE, get(continue_course))
        .route(pattern::COURSE_ASSIGNMENTS, post(change_assignments))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LearnerPost {
    learner: String,
}

async fn change_assignments(
    Path((slug, course, change)): Path<(String, String, String)>,
    post: Post<LearnerPost>,
) -> Response {
    let back = routes::courses(&slug);
    post.submit(post.form(&back), async |caller| {
        let (Ok(course), Ok(change)) = (course.parse::<i64>(), change.parse::<AssignmentChange>()) else {
            return Ok(Err(Refusal::NotFound));
        };
        let Ok(learner) = id_in_path(&post.fields.learner) else {
            return Ok(Err(Refusal::field("learner", FieldProblem::Unknown)));
        };
        let learners = [learner];
        let changed = post
            .state
            .control
            .change_assignments(&caller, &slug, course, &learners, change);
        done_at(changed.await, &back)
    })
    .await
}

/// A learners' CSV file as posted with its CSRF token: uploaded (a
/// multipart form) or pasted (a plain form's `file` field).
#[derive(Default, Deserialize)]
#[serde(default)]
struct PostedFile {
    csrf_token: String,
    #[serde(skip)]
    name: String,
    file: String,
    /// Over the size taken, or a body that could not be read.
    #[serde(skip)]
    unreadable: bool,
}

/// Reads a multipart form's fields (its token comes first).
async fn uploaded_file(mut form: Multipart) -> PostedFile {
    let mut posted = PostedFile {
        name: "learners.csv".into(),
        ..PostedFile::default()
    };
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return posted,
            Err(_) => break,
        };
        match field.name() {
            Some("csrf_token") => match field.text().await {
                Ok(token) => posted.csrf_token = token,
                Err(_) => break,
            },
            Some("file") => {
                if let Some(name) = field.file_name().filter(|name| !name.is_empty()) {
                    posted.name = name.to_owned();
                }
                match field.bytes().await {
                    Ok(bytes) if bytes.len() <= MAX_FILE_BYTES => posted.file = decode_text(&bytes),
                    _ => break,
                }
            }
            _ => {}
        }
    }
    posted.unreadable = true;
    posted
}

/// UTF-8, or else Latin-1 as older spreadsheets save it (every byte a
/// character: a file is never refused for its encoding).
fn decode_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => bytes.iter().map(|byte| char::from(*byte)).collect(),
    }
}

/// Keeps the file and shows its preview.
async fn upload_learners(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    request: axum::extract::Request,
) -> Response {
    let back = format!("{}#import", routes::courses(&slug));
    let (parts, body) = request.into_parts();
    let multipart = parts
        .headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|kind| kind.as_bytes().starts_with(b"multipart/form-data"));
    let request = axum::extract::Request::from_parts(parts.clone(), body);
    let posted = if multipart {
        match Multipart::from_request(request, &state).await {
            Ok(form) => uploaded_file(form).await,
            Err(_) => PostedFile::default(),
        }
    } else {
        match axum::Form::<PostedFile>::from_request(request, &state).await {
            Ok(axum::Form(pasted)) => PostedFile {
                name: "learners.csv".into(),
                unreadable: pasted.file.len() > MAX_FILE_BYTES,
                ..pasted
            },
            Err(_) => PostedFile::default(),
        }
    };
    let form = PostedForm::new(&posted.csrf_token, back);
    submit(&state, &parts, form, async |caller| {
        if posted.unreadable {
            return Ok(Err(Refusal::field("file", FieldProblem::TooLong)));
        }
        let kept = state
            .control
            .upload_learners(&caller, &slug, &posted.name, &posted.file)
            .await;
        kept.map(|kept| kept.map(|id| routes::learner_import(&slug, &id.to_string())))
    })
    .await
}

/// Invites the previewed file's learners, in the trainer's language where
/// a line names none.
async fn send_learner_import(Path((slug, import)): Path<(String, String)>, post: Post<NoFields>) -> Response {
    let back = routes::learner_import(&slug, &import);
    let locale = locale_from_headers(&post.parts.headers);
    post.submit(post.form(&back), async |caller| {
        let Ok(import) = id_in_path(&import) else {
            return Ok(Err(Refusal::NotFound));
        };
        let sent = post
            .state
            .control
            .send_learner_invitations(&caller, &slug, import, locale)
            .await;
        sent.map(|sent| sent.map(|count| format!("{}?invited={count}", routes::courses(&slug))))
    })
    .await
}

/// "Continue": the course's page in Odoo, through Hydra's sign-in. Signed
/// out: sign in and come back here; not the caller's course: 403; the
/// space not live (yet): back to "My learning", saying why.
async fn continue_course(
    State(state): State<AppState>,
    parts: Parts,
    Path((slug, course)): Path<(String, String)>,
) -> Response {
    let Ok(course) = course.parse::<i64>() else {
        return back_with(routes::MY_LEARNING, &Refusal::NotFound, &[]).into_response();
    };
    let Some(caller) = app::api::caller_of(&parts) else {
        return Redirect::to(&routes::sign_in_then(&routes::continue_course(&slug, course))).into_response();
    };
    let outcome = state.control.course_sign_in(&caller, &slug, course).await;
    answer(&state.pages, &parts, outcome, routes::MY_LEARNING, &[]).await
}

#[derive(Deserialize)]
struct ProgressQuery {
    course: Option<String>,
    status: Option<String>,
    learner: Option<String>,
}

/// The export's first line.
const PROGRESS_CSV_HEADER: [&str; 8] = [
    "course_id",
    "course",
    "learner",
    "status",
    "completion",
    "completed_at",
    "last_activity",
    "member",
];

fn progress_csv_line(row: &LearnerProgress) -> String {
    super::csv::line(&[
        row.course_id.to_string(),
        row.course_name.clone(),
        row.email.clone(),
        row.status.code().to_owned(),
        row.completion.to_string(),
        row.completed_at.clone().unwrap_or_default(),
        row.last_activity.clone().unwrap_or_default(),
        row.member.to_string(),
    ])
}

/// The progress rows the page's filter keeps, as a CSV file (a training
/// space's rows fit in memory: its seats bound them).
async fn progress_csv(
    State(state): State<AppState>,
    parts: Parts,
    Path(slug): Path<String>,
    Query(query): Query<ProgressQuery>,
) -> Response {
    let page = routes::courses(&slug);
    let Some(caller) = app::api::caller_of(&parts) else {
        return Redirect::to(&routes::sign_in_then(&page)).into_response();
    };
    let filter = match ProgressFilter::parse(
        query.course.as_deref(),
        query.status.as_deref(),
        query.learner.as_deref(),
    ) {
        Ok(filter) => filter,
        Err(errors) => return back_with(&page, &Refusal::Fields(errors), &[]).into_response(),
    };
    let outcome = match state.control.training_page(&caller, &slug, filter).await {
        Ok(Ok(training)) => training,
        other => {
            return answer(
                &state.pages,
                &parts,
                other.map(|o| o.map(|_| page.clone())),
                &page,
                &[],
            )
            .await
        }
    };
    let mut csv = super::csv::line(&PROGRESS_CSV_HEADER);
    for row in &outcome.progress {
        csv.push_str(&progress_csv_line(row));
    }
    let disposition = format!("attachment; filename=\"bibind-progress-{slug}.csv\"");
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        csv,
    )
        .into_response()
}
