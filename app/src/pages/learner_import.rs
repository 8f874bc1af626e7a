//! `/orgs/<slug>/learners/imports/<id>`: the preview of a learners' CSV
//! file, every line with its problems, and the one button that invites the
//! lines without any (refused whole when the seats do not allow them).

use control::domain::{
    CsvProblem, LearnerImport, LearnerRow, Locale, MemberView, Role, RowProblem, MAX_ROWS,
};
use leptos::{
    either::{Either, EitherOf3},
    prelude::*,
};
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::{
    api::{learner_import, LearnerImportData},
    components::{
        access::member_refused,
        button::{PRIMARY, SMALL_QUIET},
        classes::PAGE_TITLE,
        form::csrf_field,
        loaded::Loaded,
        navigation::{organization_tabs, OrganizationTab},
        notice::{refusal_in_query, RefusalNotice},
        table::FramedTable,
    },
    i18n::{translator, Msg},
};

#[component]
pub fn LearnerImportPage() -> impl IntoView {
    let params = use_params_map();
    let page = {
        let params = params.read_untracked();
        learner_import(
            params.get("slug").unwrap_or_default(),
            params.get("id").unwrap_or_default(),
        )
    };
    view! {
        <Loaded data=page let:view>
            {
                let params = params.read_untracked();
                let slug = params.get("slug").unwrap_or_default();
                let here = crate::routes::learner_import(&slug, &params.get("id").unwrap_or_default());
                match view {
                    MemberView::Ready(data) => view! { <Preview slug data /> }.into_any(),
                    refused => member_refused(refused, &here),
                }
            }
        </Loaded>
    }
}

/// Why the whole file cannot be read.
fn unreadable_text(problem: &CsvProblem) -> String {
    let t = translator();
    match problem {
        CsvProblem::Empty => t(Msg::ImportUnreadableEmpty).to_owned(),
        CsvProblem::MissingColumn(column) => t(Msg::ImportUnreadableColumn).replace("{column}", column),
        CsvProblem::TooManyRows(count) => t(Msg::ImportUnreadableTooMany)
            .replace("{count}", &count.to_string())
            .replace("{max}", &MAX_ROWS.to_string()),
        CsvProblem::UnclosedQuote(line) => t(Msg::ImportUnreadableQuote).replace("{line}", &line.to_string()),
    }
}

/// A row's problem, in the reader's language.
pub fn row_problem_text(problem: &RowProblem) -> String {
    let t = translator();
    match problem {
        RowProblem::BadEmail => t(Msg::RowBadEmail).to_owned(),
        RowProblem::Duplicate(line) => t(Msg::RowDuplicate).replace("{line}", &line.to_string()),
        RowProblem::MissingName => t(Msg::RowMissingName).to_owned(),
        RowProblem::NameTooLong => t(Msg::RowNameTooLong).to_owned(),
        RowProblem::UnknownLanguage(text) => t(Msg::RowUnknownLanguage).replace("{text}", text),
        RowProblem::UnknownCourse(code) => t(Msg::RowUnknownCourse).replace("{code}", code),
        RowProblem::AlreadyMember => t(Msg::RowAlreadyMember).to_owned(),
        RowProblem::AlreadyInvited => t(Msg::RowAlreadyInvited).to_owned(),
    }
}

#[component]
fn Preview(slug: String, data: LearnerImportData) -> impl IntoView {
    let t = translator();
    let LearnerImportData { import, csrf_token } = data;
    let title = t(Msg::ImportPreviewTitle).replace("{file}", &import.file_name);
    let body = match &import.unreadable {
        Some(problem) => Either::Left(view! {
            <p class="mt-6 rounded-lg bg-red-50 p-3 text-sm text-red-900" role="alert" data-import-unreadable>
                {unreadable_text(problem)}
            </p>
        }),
        None => Either::Right(view! { <Rows slug=slug.clone() import=import.clone() csrf_token /> }),
    };
    view! {
        <Title text=title.clone() />
        <section class="mx-auto max-w-6xl" aria-labelledby="import-title">
            <h1 id="import-title" class=PAGE_TITLE>{title}</h1>
            // Only owners and admins open this page: their tabs.
            {organization_tabs(&slug, OrganizationTab::Courses, Role::Admin)}
            <RefusalNotice refusal=refusal_in_query() />
            {body}
            <p class="mt-6">
                <a href=format!("{}#import", crate::routes::courses(&slug)) class=SMALL_QUIET data-import-another>
                    {t(Msg::ImportAnother)}
                </a>
            </p>
        </section>
    }
}

#[component]
fn Rows(slug: String, import: LearnerImport, csrf_token: String) -> impl IntoView {
    let t = translator();
    let left = import.rows.len().saturating_sub(import.to_invite as usize);
    let summary = t(Msg::ImportSummary)
        .replace("{count}", &import.to_invite.to_string())
        .replace("{left}", &left.to_string());
    let verdict = match (import.over_seats, import.can_send()) {
        (Some(shortage), _) => EitherOf3::A(view! {
            <p class="mt-4 rounded-lg bg-red-50 p-3 text-sm text-red-900" role="alert" data-import-over-seats>
                {t(Msg::ImportOverSeats)
                    .replace("{requested}", &shortage.requested.to_string())
                    .replace("{limit}", &shortage.limit.to_string())}
            </p>
        }),
        (None, false) => EitherOf3::B(view! {
            <p class="mt-4 rounded-lg bg-amber-50 p-3 text-sm text-amber-900" role="alert" data-import-nothing>
                {t(Msg::ImportNothingToSend)}
            </p>
        }),
        (None, true) => EitherOf3::C(view! {
            <form method="post" action=crate::routes::send_learner_import(&slug, &import.id) class="mt-4">
                {csrf_field(&csrf_token)}
                <button type="submit" class=PRIMARY data-import-send>
                    {t(Msg::ImportSend).replace("{count}", &import.to_invite.to_string())}
                </button>
            </form>
        }),
    };
    let codes = (!import.courses.is_empty()).then(|| {
        let list = import
            .courses
            .iter()
            .map(|(code, name)| format!("{code} ({name})"))
            .collect::<Vec<_>>()
            .join(", ");
        view! { <p class="mt-2 text-xs text-slate-600" data-course-codes>{t(Msg::ImportCodesLead)}" "{list}</p> }
    });
    let columns = vec![
        t(Msg::ImportLine),
        t(Msg::FieldEmail),
        t(Msg::ImportName),
        t(Msg::ImportLanguage),
        t(Msg::ImportCourses),
        t(Msg::ImportProblems),
    ];
    let lines = import.rows.into_iter().map(row_line).collect_view();
    view! {
        <p class="mt-4 text-sm text-slate-700" data-import-summary>{summary}</p>
        {verdict}
        {codes}
        <FramedTable margin="mt-4" columns>{lines}</FramedTable>
    }
}

fn row_line(row: LearnerRow) -> impl IntoView {
    let t = translator();
    let problems = if row.problems.is_empty() {
        Either::Left(view! { <span class="text-emerald-800">{t(Msg::ImportRowReady)}</span> })
    } else {
        let text = row
            .problems
            .iter()
            .map(row_problem_text)
            .collect::<Vec<_>>()
            .join(" · ");
        Either::Right(view! { <span class="text-red-800">{text}</span> })
    };
    let language = row.locale.map(Locale::tag).unwrap_or_default();
    view! {
        <tr data-import-line=row.line.to_string() data-valid=row.problems.is_empty().to_string()>
            <td class="px-3 py-2 tabular-nums">{row.line}</td>
            <td class="px-3 py-2 wrap-anywhere">{row.email}</td>
            <td class="px-3 py-2">{format!("{} {}", row.first_name, row.last_name)}</td>
            <td class="px-3 py-2">{language}</td>
            <td class="px-3 py-2">{row.courses.join(" ")}</td>
            <td class="px-3 py-2">{problems}</td>
        </tr>
    }
}
