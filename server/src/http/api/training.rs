//! An organization's training space, as its Courses page has it: the
//! courses and who is in each, learners assigned or taken out, and a
//! learners' CSV file uploaded, previewed and sent as invitations.

use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use control::{
    domain::{LearnerImport, ProgressFilter, Refusal, RowProblem},
    tenancy::courses::AssignmentChange,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{auth::ApiCaller, body::ApiJson, problem::ProblemDetail, Answer, BASE};
use crate::http::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(training))
        .routes(routes!(change_assignments))
        .routes(routes!(upload_learners))
        .routes(routes!(learner_import))
        .routes(routes!(send_invitations))
}

/// The training space: its courses, who is in each and how far they are.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Training {
    /// Whether the space is live (courses can be read and assigned).
    live: bool,
    /// When Odoo was last read (RFC 3339).
    read_at: Option<String>,
    courses: Vec<Course>,
    /// Members with an Odoo user, who can be assigned.
    trainees: Vec<Trainee>,
    progress: Vec<Progress>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Course {
    /// Its id in Odoo.
    id: i64,
    /// What a learners' file names it by.
    code: String,
    name: String,
    published: bool,
    learners: u32,
    completed: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Trainee {
    id: String,
    email: String,
}

/// A learner in a course.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Progress {
    course_id: i64,
    learner_id: String,
    email: String,
    /// `assigning`, `not_started`, `in_progress`, `completed`, `removing` or `left`.
    status: String,
    /// Percent of the course done.
    completion: u8,
    completed_at: Option<String>,
    last_activity: Option<String>,
}

/// The training space's courses and learners.
#[utoipa::path(
    get,
    path = "/organizations/{slug}/courses",
    tag = "training",
    params(("slug" = String, Path, description = "The organization's slug")),
    responses(
        (status = 200, description = "The courses and learners", body = Training),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not an owner or admin, or not the token's scope", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["members:read"]))
)]
async fn training(
    State(state): State<AppState>,
    api: ApiCaller,
    Path(slug): Path<String>,
) -> Answer<Json<Training>> {
    let view = api.settle(
        state
            .control
            .training_page(&api.caller, &slug, ProgressFilter::default())
            .await,
    )?;
    Ok(Json(Training {
        live: view.live,
        read_at: view.read_at,
        courses: view
            .courses
            .into_iter()
            .map(|course| Course {
                id: course.id,
                code: course.code,
                name: course.name,
                published: course.published,
                learners: course.learners,
                completed: course.completed,
            })
            .collect(),
        trainees: view
            .trainees
            .into_iter()
            .map(|trainee| Trainee {
                id: trainee.identity_id,
                email: trainee.email,
            })
            .collect(),
        progress: view
            .progress
            .into_iter()
            .map(|row| Progress {
                course_id: row.course_id,
                learner_id: row.identity_id,
                email: row.email,
                status: row.status.code().to_owned(),
                completion: row.completion,
                completed_at: row.completed_at,
                last_activity: row.last_activity,
            })
            .collect(),
    }))
}

/// Members to put in a course or take out.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct LearnersBody {
    /// Members' ids (`trainees` of `GET …/courses`).
    #[schema(min_items = 1)]
    learners: Vec<String>,
}

/// Assigns members to a course (`assign`) or takes them out (`remove`);
/// the engine enrols them in Odoo or ends their membership there.
#[utoipa::path(
    post,
    path = "/organizations/{slug}/courses/{course}/{change}",
    tag = "training",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("course" = i64, Path, description = "The course's id"),
        ("change" = String, Path, description = "`assign` or `remove`"),
    ),
    request_body = LearnersBody,
    responses(
        (status = 204, description = "Done; the engine follows"),
        (status = 400, description = "The body is not the JSON described", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not an owner or admin, or not the token's scope", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown course or change, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 409, description = "The space is not live", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 422, description = "A learner who is not a trainee", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["members:write"]))
)]
async fn change_assignments(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((slug, course, change)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<LearnersBody>,
) -> Answer<StatusCode> {
    let (Ok(course), Ok(change)) = (course.parse::<i64>(), change.parse::<AssignmentChange>()) else {
        return Err(api.refused(&Refusal::NotFound));
    };
    let learners: Vec<Uuid> = body
        .learners
        .iter()
        .map(|id| Uuid::parse_str(id))
        .collect::<Result<_, _>>()
        .map_err(|_| {
            api.refused(&Refusal::field(
                "learners",
                control::domain::FieldProblem::Unknown,
            ))
        })?;
    api.settle(
        state
            .control
            .change_assignments(&api.caller, &slug, course, &learners, change)
            .await,
    )?;
    Ok(StatusCode::NO_CONTENT)
}

/// A learners' file: a header (`email,first_name,last_name,language,courses`)
/// and a row per learner.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct LearnersFile {
    #[schema(example = "learners.csv")]
    file_name: String,
    /// The CSV text, 1 MiB at most.
    #[schema(
        min_length = 1,
        example = "email,first_name,last_name,language,courses\nada@example.com,Ada,Lovelace,fr,ALG"
    )]
    content: String,
}

/// A file's preview: each row and what is wrong with it.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ImportPreview {
    id: String,
    file_name: String,
    /// Why the file cannot be read at all, if so.
    unreadable: Option<String>,
    /// Rows without a problem: each gets an invitation when sent.
    to_invite: u32,
    /// Sending is refused: the seats it needs over those the plan allows.
    over_seats: Option<Seats>,
    rows: Vec<Row>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Seats {
    limit: u32,
    requested: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Row {
    /// The file's line (the header is line 1).
    line: usize,
    email: String,
    first_name: String,
    last_name: String,
    courses: Vec<String>,
    /// `bad_email`, `duplicate:<line>`, `missing_name`, `name_too_long`,
    /// `unknown_language:<text>`, `unknown_course:<code>`,
    /// `already_member`, `already_invited`.
    problems: Vec<String>,
}

/// A row problem's stable code.
fn problem_code(problem: &RowProblem) -> String {
    match problem {
        RowProblem::BadEmail => "bad_email".to_owned(),
        RowProblem::Duplicate(line) => format!("duplicate:{line}"),
        RowProblem::MissingName => "missing_name".to_owned(),
        RowProblem::NameTooLong => "name_too_long".to_owned(),
        RowProblem::UnknownLanguage(text) => format!("unknown_language:{text}"),
        RowProblem::UnknownCourse(code) => format!("unknown_course:{code}"),
        RowProblem::AlreadyMember => "already_member".to_owned(),
        RowProblem::AlreadyInvited => "already_invited".to_owned(),
    }
}

impl From<LearnerImport> for ImportPreview {
    fn from(import: LearnerImport) -> Self {
        Self {
            id: import.id,
            file_name: import.file_name,
            unreadable: import.unreadable.map(|problem| {
                serde_json::to_value(problem).map_or_else(|_| String::new(), |v| v.to_string())
            }),
            to_invite: import.to_invite,
            over_seats: import.over_seats.map(|shortage| Seats {
                limit: shortage.limit,
                requested: shortage.requested,
            }),
            rows: import
                .rows
                .into_iter()
                .map(|row| Row {
                    line: row.line,
                    email: row.email,
                    first_name: row.first_name,
                    last_name: row.last_name,
                    courses: row.courses,
                    problems: row.problems.iter().map(problem_code).collect(),
                })
                .collect(),
        }
    }
}

/// Uploads a learners' file for its preview (kept a day); nobody is
/// invited until it is sent.
#[utoipa::path(
    post,
    path = "/organizations/{slug}/learner-imports",
    tag = "training",
    params(("slug" = String, Path, description = "The organization's slug")),
    request_body = LearnersFile,
    responses(
        (status = 201, description = "Kept; `Location` names its preview", body = ImportPreview),
        (status = 400, description = "The body is not the JSON described", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not an owner or admin, or not the token's scope", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 409, description = "No live training space", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 422, description = "A file too long", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["members:write"]))
)]
async fn upload_learners(
    State(state): State<AppState>,
    api: ApiCaller,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<LearnersFile>,
) -> Answer<Response> {
    let id = api.settle(
        state
            .control
            .upload_learners(&api.caller, &slug, &body.file_name, &body.content)
            .await,
    )?;
    let preview = api.settle(state.control.learner_import(&api.caller, &slug, id).await)?;
    let location = format!("{BASE}/organizations/{slug}/learner-imports/{id}");
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(ImportPreview::from(preview)),
    )
        .into_response())
}

fn import_id(api: &ApiCaller, id: &str) -> Answer<Uuid> {
    Uuid::parse_str(id).map_err(|_| api.refused(&Refusal::NotFound))
}

/// A file's preview, as the organization is now.
#[utoipa::path(
    get,
    path = "/organizations/{slug}/learner-imports/{id}",
    tag = "training",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("id" = String, Path, description = "The file's id"),
    ),
    responses(
        (status = 200, description = "Its preview", body = ImportPreview),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not an owner or admin, or not the token's scope", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, sent, expired, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["members:read"]))
)]
async fn learner_import(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((slug, id)): Path<(String, String)>,
) -> Answer<Json<ImportPreview>> {
    let import = import_id(&api, &id)?;
    let preview = api.settle(state.control.learner_import(&api.caller, &slug, import).await)?;
    Ok(Json(preview.into()))
}

/// How many were invited.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Invited {
    invited: u32,
}

/// Invites every row without a problem as a learner (or nobody, when the
/// seats do not allow them all); each letter in its row's language, else
/// the request's (`Accept-Language`).
#[utoipa::path(
    post,
    path = "/organizations/{slug}/learner-imports/{id}/send",
    tag = "training",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("id" = String, Path, description = "The file's id"),
    ),
    responses(
        (status = 200, description = "Sent", body = Invited),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not an owner or admin, or not the token's scope", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, sent, expired, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 409, description = "Over the plan's seats", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 422, description = "Nothing in the file to send", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["members:write"]))
)]
async fn send_invitations(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((slug, id)): Path<(String, String)>,
) -> Answer<Json<Invited>> {
    let import = import_id(&api, &id)?;
    let invited = api.settle(
        state
            .control
            .send_learner_invitations(&api.caller, &slug, import, api.locale)
            .await,
    )?;
    Ok(Json(Invited { invited }))
}
