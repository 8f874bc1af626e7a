//! The pieces of the portal's plain forms: the CSRF field every post
//! carries, labelled fields with their problem under them, and the classes of
//! inputs and selects.

use control::domain::FieldProblem;
use leptos::prelude::*;

use crate::{
    i18n::{t, translator, Msg},
    pages::labels::problem_text,
};

/// A field's label above it.
pub const LABEL: &str = "block text-sm font-medium text-slate-800";
/// A text input the width of its form.
pub const INPUT: &str = "mt-1 block w-full rounded-lg border border-slate-300 px-3 py-2 text-sm focus:border-indigo-600 focus:outline-none focus:ring-2 focus:ring-indigo-600/30";
/// A select the width of its form.
pub const SELECT: &str = "mt-1 block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm";
/// The label of a small field (filters, admin forms).
pub const SMALL_LABEL: &str = "block text-xs font-medium text-slate-700";
/// A small input or select the width of its grid cell.
pub const SMALL_INPUT: &str =
    "mt-1 block w-full rounded-lg border border-slate-300 bg-white px-2 py-1.5 text-sm";
/// A small input or select inline in a row (a short component class of
/// style/main.css).
pub const INLINE_FIELD: &str = "select-field";

/// The hidden field every post of the portal carries: the session's CSRF
/// token. A plain function, not a component: the dashboard has one per form.
pub fn csrf_field(token: &str) -> impl IntoView {
    view! { <input type="hidden" name="csrf_token" value=token.to_owned() /> }
}

/// A field's problem under it.
#[component]
pub fn FieldProblemText(id: String, problem: Option<FieldProblem>) -> impl IntoView {
    let t = translator();
    problem.map(|problem| {
        view! { <p id=id class="mt-1 text-sm text-rose-700" data-problem=problem.as_str()>{t(problem_text(problem))}</p> }
    })
}

/// A labelled, required input with an optional hint and its problem under
/// it; the input names the problem (or else the hint) as its description.
#[component]
pub fn Field(
    id: String,
    name: &'static str,
    label: Msg,
    value: String,
    problem: Option<FieldProblem>,
    input_type: &'static str,
    #[prop(optional)] hint: Option<Msg>,
) -> impl IntoView {
    let problem_id = format!("{id}-problem");
    let hint_id = format!("{id}-hint");
    let described_by = match (problem.is_some(), hint.is_some()) {
        (true, _) => Some(problem_id.clone()),
        (false, true) => Some(hint_id.clone()),
        (false, false) => None,
    };
    view! {
        <div>
            <label for=id.clone() class=LABEL>{t(label)}</label>
            <input id=id type=input_type name=name value=value required=true
                aria-invalid=problem.is_some().then_some("true") aria-describedby=described_by
                class=INPUT />
            {hint.map(|hint| view! { <p id=hint_id class="mt-1 text-sm text-slate-600">{t(hint)}</p> })}
            <FieldProblemText id=problem_id problem />
        </div>
    }
}

/// A small labelled input of a filter or admin form, its problem under it.
#[component]
pub fn SmallField(
    id: String,
    name: &'static str,
    label: String,
    value: String,
    problem: Option<FieldProblem>,
) -> impl IntoView {
    view! {
        <div>
            <label for=id.clone() class=SMALL_LABEL>{label}</label>
            <input id=id.clone() name=name value=value class=SMALL_INPUT aria-invalid=problem.is_some().then_some("true") />
            <FieldProblemText id=format!("{id}-problem") problem />
        </div>
    }
}
