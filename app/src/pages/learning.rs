//! `/learning`, "My learning": the signed-in person's courses in every
//! organization that trains them, each labelled with its organization,
//! with their progress and "Continue", a plain link that lands them on the
//! course in Odoo eLearning already signed in (through Hydra, the portal
//! deciding who signs in).

use control::domain::{LearnerCourse, LearnerStatus, MemberView};
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;

use crate::{
    api::my_learning,
    components::{
        access::member_refused,
        button::SMALL_PRIMARY,
        classes::PAGE_TITLE,
        loaded::Loaded,
        local_time::LocalTime,
        notice::{refusal_in_query, RefusalNotice},
    },
    i18n::{translator, Msg},
    pages::courses::{completion_bar, status_label},
};

#[component]
pub fn LearningPage() -> impl IntoView {
    let page = my_learning();
    view! {
        <Loaded data=page let:view>
            {match view {
                MemberView::Ready(courses) => view! { <Learning courses /> }.into_any(),
                refused => member_refused(refused, crate::routes::MY_LEARNING),
            }}
        </Loaded>
    }
}

#[component]
fn Learning(courses: Vec<LearnerCourse>) -> impl IntoView {
    let t = translator();
    let list = if courses.is_empty() {
        Either::Left(
            view! { <p class="mt-6 text-sm text-slate-600" data-no-learning>{t(Msg::LearningNone)}</p> },
        )
    } else {
        Either::Right(
            view! { <ul class="mt-6 grid gap-4 md:grid-cols-2">{courses.into_iter().map(course_card).collect_view()}</ul> },
        )
    };
    view! {
        <Title text=t(Msg::NavLearning) />
        <section class="mx-auto max-w-6xl" aria-labelledby="learning-title">
            <h1 id="learning-title" class=PAGE_TITLE>{t(Msg::NavLearning)}</h1>
            <RefusalNotice refusal=refusal_in_query() />
            <p class="mt-2 text-sm text-slate-600">{t(Msg::LearningLead)}</p>
            {list}
        </section>
    }
}

fn course_card(course: LearnerCourse) -> impl IntoView {
    let t = translator();
    let action = match course.status {
        LearnerStatus::Completed => Msg::LearningReview,
        LearnerStatus::NotStarted | LearnerStatus::Assigning => Msg::LearningStart,
        _ => Msg::LearningContinue,
    };
    let go = course.open().then(|| {
        let to = crate::routes::continue_course(&course.organization_slug, course.course_id);
        view! { <a href=to rel="external" class=SMALL_PRIMARY data-continue>{t(action)}</a> }
    });
    let activity = course.last_activity.clone().map(|at| {
        view! { <span class="text-xs text-slate-600">{t(Msg::ProgressLastActivity)}": "<LocalTime at /></span> }
    });
    let label = course.course_name.clone();
    view! {
        <li class="card" data-learning-course=course.course_id.to_string() data-organization=course.organization_slug.clone()>
            <p class="text-xs font-medium uppercase tracking-wide text-indigo-800">{course.organization_name.clone()}</p>
            <h2 class="mt-1 text-lg font-semibold">{course.course_name.clone()}</h2>
            <p class="mt-1 text-sm text-slate-600">
                {t(Msg::CourseContents).replace("{count}", &course.contents.to_string())}" · "{t(status_label(course.status))}
            </p>
            <div class="mt-3">{completion_bar(course.completion, label)}</div>
            <div class="mt-3 flex flex-wrap items-center justify-between gap-3">
                {activity}
                {go}
            </div>
        </li>
    }
}
