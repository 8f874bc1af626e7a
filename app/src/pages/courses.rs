//! `/orgs/<slug>/courses`: a training space's courses (authored in Odoo
//! eLearning), the form that puts a learner in each, and everyone's
//! progress as a table with a bar per row, filtered by a plain GET form and
//! exported as CSV. Owners and admins only; every form is a plain post.

use control::domain::{
    Course, FieldError, LearnerProgress, LearnerStatus, MemberView, Role, Trainee, TrainingView,
};
use leptos::{
    either::{Either, EitherOf3},
    prelude::*,
};
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::{training_page, TrainingPageData},
    components::{
        access::member_refused,
        button::{SMALL_PRIMARY, SMALL_QUIET},
        classes::PAGE_TITLE,
        form::{csrf_field, FieldProblemText, SELECT, SMALL_INPUT, SMALL_LABEL},
        loaded::Loaded,
        local_time::LocalTime,
        navigation::{organization_tabs, OrganizationTab},
        notice::{refusal_in_query, RefusalNotice},
        table::FramedTable,
    },
    i18n::{translator, Msg},
};

#[component]
pub fn CoursesPage() -> impl IntoView {
    let params = use_params_map();
    let page = {
        let query = use_query_map().read_untracked().clone();
        training_page(
            params.read_untracked().get("slug").unwrap_or_default(),
            query.get("course"),
            query.get("status"),
            query.get("learner"),
        )
    };
    view! {
        <Loaded data=page let:view>
            {
                let slug = params.read_untracked().get("slug").unwrap_or_default();
                let here = crate::routes::courses(&slug);
                match view {
                    MemberView::Ready(Ok(data)) => view! { <Training slug data /> }.into_any(),
                    MemberView::Ready(Err(errors)) => view! { <BadFilter slug errors /> }.into_any(),
                    refused => member_refused(refused, &here),
                }
            }
        </Loaded>
    }
}

/// The label of a learner's status.
pub fn status_label(status: LearnerStatus) -> Msg {
    match status {
        LearnerStatus::Assigning => Msg::LearnerAssigning,
        LearnerStatus::NotStarted => Msg::LearnerNotStarted,
        LearnerStatus::InProgress => Msg::LearnerInProgress,
        LearnerStatus::Completed => Msg::LearnerCompleted,
        LearnerStatus::Removing => Msg::LearnerRemoving,
        LearnerStatus::Left => Msg::LearnerLeft,
    }
}

/// A completion as a native bar (accessible, no inline style: the CSP
/// forbids them) and its percentage.
pub fn completion_bar(completion: u8, label: String) -> impl IntoView {
    view! {
        <span class="flex items-center gap-2">
            <progress class="h-2 w-28" max="100" value=completion.to_string() aria-label=label></progress>
            <span class="tabular-nums" data-completion=completion.to_string()>{format!("{completion} %")}</span>
        </span>
    }
}

#[component]
fn Heading(slug: String) -> impl IntoView {
    let t = translator();
    view! {
        <Title text=t(Msg::CoursesTitle) />
        <h1 id="courses-title" class=PAGE_TITLE>{t(Msg::CoursesTitle)}</h1>
        // Only owners and admins open this page: their tabs.
        {organization_tabs(&slug, OrganizationTab::Courses, Role::Admin)}
    }
}

/// A filter that could not be read: the form again, each problem beside its field.
#[component]
fn BadFilter(slug: String, errors: Vec<FieldError>) -> impl IntoView {
    view! {
        <section class="mx-auto max-w-6xl" aria-labelledby="courses-title">
            <Heading slug=slug.clone() />
            <ProgressFilters slug courses=Vec::new() errors />
        </section>
    }
}

#[component]
fn Training(slug: String, data: TrainingPageData) -> impl IntoView {
    let t = translator();
    let TrainingPageData { training, csrf_token } = data;
    let body = match (&training.subscription_id, training.live) {
        (None, _) => EitherOf3::A(view! {
            <p class="mt-6 text-sm text-slate-700" data-no-training>
                {t(Msg::CoursesNoSpace)}" "
                <a href=crate::routes::services(&slug) class="font-medium text-indigo-800">{t(Msg::OrgAddService)}</a>
            </p>
        }),
        (Some(_), false) => EitherOf3::B(view! {
            <p class="mt-6 text-sm text-slate-700" data-training-not-live>{t(Msg::CoursesNotLive)}</p>
        }),
        (Some(_), true) => EitherOf3::C(view! { <Live slug=slug.clone() training csrf_token /> }),
    };
    view! {
        <section class="mx-auto max-w-6xl" aria-labelledby="courses-title">
            <Heading slug=slug.clone() />
            <RefusalNotice refusal=refusal_in_query() />
            {invited_notice()}
            <p class="mt-4 text-sm text-slate-600">{t(Msg::CoursesLead)}</p>
            {body}
        </section>
    }
}

#[component]
fn Live(slug: String, training: TrainingView, csrf_token: String) -> impl IntoView {
    let t = translator();
    let read = match &training.read_at {
        Some(at) => {
            let text = t(Msg::CoursesReadAt);
            let (head, tail) = text.split_once("{time}").unwrap_or((text, ""));
            Either::Left(view! { <span>{head}<LocalTime at=at.clone() />{tail}</span> })
        }
        None => Either::Right(view! { <span>{t(Msg::CoursesNeverRead)}</span> }),
    };
    let refreshing = training
        .refreshing
        .then(|| view! { <span role="status" data-courses-refreshing>" "{t(Msg::CoursesRefreshing)}</span> });
    let courses = if training.courses.is_empty() {
        Either::Left(
            view! { <p class="mt-4 text-sm text-slate-600" data-no-courses>{t(Msg::CoursesNone)}</p> },
        )
    } else {
        let cards = training
            .courses
            .iter()
            .map(|course| course_card(&slug, &csrf_token, course, &training))
            .collect_view();
        Either::Right(view! { <ul class="mt-4 grid gap-4 md:grid-cols-2">{cards}</ul> })
    };
    let choices: Vec<(i64, String)> = training
        .courses
        .iter()
        .map(|course| (course.id, course.name.clone()))
        .collect();
    view! {
        <p class="mt-2 text-xs text-slate-600" data-courses-read>{read}{refreshing}</p>
        {courses}
        <ImportForm slug=slug.clone() csrf_token=csrf_token.clone() />
        <h2 id="progress" class="mt-10 text-xl font-semibold">{t(Msg::ProgressTitle)}</h2>
        <ProgressFilters slug=slug.clone() courses=choices errors=Vec::new() />
        <ProgressTable slug rows=training.progress csrf_token />
    }
}

/// A course: its contents and learners, and the form that puts one more in.
fn course_card(slug: &str, csrf_token: &str, course: &Course, training: &TrainingView) -> impl IntoView {
    let t = translator();
    let unpublished = (!course.published).then(|| {
        view! { <span class="ml-2 rounded-full bg-amber-50 px-2 py-0.5 text-xs font-medium text-amber-900">{t(Msg::CourseUnpublished)}</span> }
    });
    // Those not in it already.
    let candidates: Vec<&Trainee> = training
        .trainees
        .iter()
        .filter(|trainee| {
            !training.progress.iter().any(|row| {
                row.course_id == course.id
                    && row.identity_id == trainee.identity_id
                    && row.status.is_assigned()
            })
        })
        .collect();
    let select_id = format!("learner-{}", course.id);
    let form = (!candidates.is_empty()).then(|| {
        let options = candidates
            .iter()
            .map(|trainee| view! { <option value=trainee.identity_id.clone()>{trainee.email.clone()}</option> })
            .collect_view();
        view! {
            <form method="post" action=crate::routes::course_assignments(slug, course.id, "assign") class="mt-3 flex flex-wrap items-end gap-2">
                {csrf_field(csrf_token)}
                <label class="min-w-48 flex-1">
                    <span class=SMALL_LABEL>{t(Msg::CourseLearner)}</span>
                    <select id=select_id name="learner" class=SELECT>{options}</select>
                </label>
                <button type="submit" class=SMALL_PRIMARY data-assign>{t(Msg::CourseAssign)}</button>
            </form>
        }
    });
    let learners = t(Msg::CourseLearners)
        .replace("{count}", &course.learners.to_string())
        .replace("{done}", &course.completed.to_string());
    view! {
        <li class="card" data-course=course.id.to_string()>
            <h3 class="text-lg font-semibold">{course.name.clone()}{unpublished}</h3>
            <p class="mt-1 text-sm text-slate-600">
                {t(Msg::CourseContents).replace("{count}", &course.contents.to_string())}" · "{learners}
            </p>
            <p class="mt-1 text-xs text-slate-600" data-course-code=course.code.clone()>
                {t(Msg::CourseCode).replace("{code}", &course.code)}
            </p>
            {form}
        </li>
    }
}

/// Learners in bulk: a CSV file, previewed on a page of its own.
#[component]
fn ImportForm(slug: String, csrf_token: String) -> impl IntoView {
    let t = translator();
    view! {
        <h2 id="import" class="mt-10 text-xl font-semibold">{t(Msg::ImportTitle)}</h2>
        <p class="mt-2 text-sm text-slate-600">{t(Msg::ImportLead)}</p>
        <form method="post" enctype="multipart/form-data" action=crate::routes::learner_imports(&slug)
            class="mt-3 flex flex-wrap items-end gap-2" data-import-form>
            {csrf_field(&csrf_token)}
            <label class="min-w-48 flex-1">
                <span class=SMALL_LABEL>{t(Msg::ImportFile)}</span>
                <input type="file" name="file" accept=".csv,text/csv,text/plain" required class=SMALL_INPUT />
            </label>
            <button type="submit" class=SMALL_PRIMARY data-import-upload>{t(Msg::ImportUpload)}</button>
        </form>
    }
}

/// How many invitations a confirmed file sends, as its redirect says.
fn invited_notice() -> Option<impl IntoView> {
    let t = translator();
    let count = use_query_map()
        .read_untracked()
        .get("invited")?
        .parse::<u32>()
        .ok()?;
    Some(view! {
        <p class="mt-4 rounded-lg bg-emerald-50 p-3 text-sm text-emerald-900" role="status" data-import-sent>
            {t(Msg::ImportSent).replace("{count}", &count.to_string())}
        </p>
    })
}

/// The progress filters: a GET form on the page, refilled from the query.
#[component]
fn ProgressFilters(slug: String, courses: Vec<(i64, String)>, errors: Vec<FieldError>) -> impl IntoView {
    let t = translator();
    let query = use_query_map().read_untracked().clone();
    let problem = |field: &str| errors.iter().find(|e| e.field == field).map(|e| e.problem);
    let chosen_course = query.get("course").unwrap_or_default();
    let chosen_status = query.get("status").unwrap_or_default();
    let course_options = courses
        .into_iter()
        .map(|(id, name)| {
            let value = id.to_string();
            let selected = value == chosen_course;
            view! { <option value=value selected=selected>{name}</option> }
        })
        .collect_view();
    let status_options = LearnerStatus::ALL
        .into_iter()
        .map(|status| {
            let selected = status.code() == chosen_status;
            view! { <option value=status.code() selected=selected>{t(status_label(status))}</option> }
        })
        .collect_view();
    let export = crate::routes::courses_csv(
        &slug,
        &serde_urlencoded::to_string(
            ["course", "status", "learner"]
                .iter()
                .filter_map(|name| query.get(name).map(|value| (*name, value)))
                .collect::<Vec<_>>(),
        )
        .unwrap_or_default(),
    );
    view! {
        <form method="get" action=format!("{}#progress", crate::routes::courses(&slug)) class="mt-4 grid grid-cols-2 gap-3 md:grid-cols-5 md:items-end" data-progress-filters>
            <label>
                <span class=SMALL_LABEL>{t(Msg::ProgressCourse)}</span>
                <select name="course" class=SELECT aria-describedby="filter-course-problem">
                    <option value="">{t(Msg::ProgressAllCourses)}</option>
                    {course_options}
                </select>
                <FieldProblemText id="filter-course-problem".to_owned() problem=problem("course") />
            </label>
            <label>
                <span class=SMALL_LABEL>{t(Msg::ProgressStatus)}</span>
                <select name="status" class=SELECT aria-describedby="filter-status-problem">
                    <option value="">{t(Msg::ProgressAllStatuses)}</option>
                    {status_options}
                </select>
                <FieldProblemText id="filter-status-problem".to_owned() problem=problem("status") />
            </label>
            <label>
                <span class=SMALL_LABEL>{t(Msg::ProgressLearnerSearch)}</span>
                <input type="search" name="learner" class=SMALL_INPUT value=query.get("learner").unwrap_or_default() />
            </label>
            <button type="submit" class=SMALL_PRIMARY>{t(Msg::ProgressFilterApply)}</button>
            <a href=export rel="external" class=SMALL_QUIET data-progress-export>{t(Msg::ProgressExport)}</a>
        </form>
    }
}

#[component]
fn ProgressTable(slug: String, rows: Vec<LearnerProgress>, csrf_token: String) -> impl IntoView {
    let t = translator();
    if rows.is_empty() {
        return Either::Left(
            view! { <p class="mt-4 text-sm text-slate-600" data-progress-empty>{t(Msg::ProgressEmpty)}</p> },
        );
    }
    let columns = vec![
        t(Msg::ProgressCourse),
        t(Msg::CourseLearner),
        t(Msg::ProgressStatus),
        t(Msg::ProgressCompletion),
        t(Msg::ProgressCompletedAt),
        t(Msg::ProgressLastActivity),
        t(Msg::ProgressAction),
    ];
    let lines = rows
        .into_iter()
        .map(|row| {
            let remove = row.status.is_assigned().then(|| {
                view! {
                    <form method="post" action=crate::routes::course_assignments(&slug, row.course_id, "remove")>
                        {csrf_field(&csrf_token)}
                        <input type="hidden" name="learner" value=row.identity_id.clone() />
                        <button type="submit" class=SMALL_QUIET data-unassign>{t(Msg::CourseRemove)}</button>
                    </form>
                }
            });
            let label = format!("{} · {}", row.email, row.course_name);
            view! {
                <tr data-progress-row=row.email.clone() data-progress-course=row.course_id.to_string() data-status=row.status.code()>
                    <td class="px-3 py-2">{row.course_name.clone()}</td>
                    <td class="px-3 py-2 wrap-anywhere">{row.email.clone()}</td>
                    <td class="px-3 py-2">{t(status_label(row.status))}</td>
                    <td class="px-3 py-2">{completion_bar(row.completion, label)}</td>
                    <td class="px-3 py-2">{row.completed_at.map(|at| view! { <LocalTime at /> })}</td>
                    <td class="px-3 py-2">{row.last_activity.map(|at| view! { <LocalTime at /> })}</td>
                    <td class="px-3 py-2">{remove}</td>
                </tr>
            }
        })
        .collect_view();
    Either::Right(view! { <FramedTable margin="mt-4" columns>{lines}</FramedTable> })
}
