//! A live service's own domain on the services page: the form that claims
//! one, then the DNS records to create, what the last check found ("TXT
//! record not found yet, last checked 10:42"), "Check now" and "Remove".
//! Plain posts; the reconciler also checks pending domains on its own.

use control::domain::{CustomDomainView, DomainProblem, DomainState, FieldProblem, SubscriptionView};
use leptos::{either::Either, prelude::*};

use super::FormContext;
use crate::{
    components::{
        button::{SMALL_DANGER, SMALL_PRIMARY, SMALL_QUIET},
        form::{csrf_field, FieldProblemText, SMALL_LABEL},
        local_time::LocalTime,
    },
    i18n::{translator, Msg},
};

/// What the services page echoes of a refused domain form.
#[derive(Clone, Debug, Default)]
pub(super) struct DomainEcho {
    pub typed: String,
    pub problem: Option<FieldProblem>,
}

/// The own-domain block of a live service.
pub(super) fn domain_block(
    form: &FormContext,
    subscription: &SubscriptionView,
    echo: &DomainEcho,
) -> impl IntoView {
    match subscription.custom_domain.clone() {
        None => Either::Left(claim_form(form, &subscription.id, echo)),
        Some(domain) => Either::Right(claimed(form, &subscription.id, domain)),
    }
}

fn claim_form(form: &FormContext, subscription: &str, echo: &DomainEcho) -> impl IntoView {
    let t = translator();
    let field = format!("domain-{subscription}");
    view! {
        <form method="post" action=crate::routes::add_domain(&form.slug, subscription) class="mt-3 flex flex-wrap items-end gap-2" data-domain-form>
            {csrf_field(&form.csrf_token)}
            <div>
                <label for=field.clone() class=SMALL_LABEL>{t(Msg::DomainField)}</label>
                <input id=field.clone() name="domain" value=echo.typed.clone() placeholder="shop.example.fr" required=true
                    class="mt-1 rounded-lg border border-slate-300 px-2 py-1.5 text-sm font-mono"
                    aria-invalid=echo.problem.is_some().then_some("true") />
            </div>
            <button type="submit" class=SMALL_QUIET>{t(Msg::DomainAdd)}</button>
            <FieldProblemText id=format!("{field}-problem") problem=echo.problem />
        </form>
    }
}

fn claimed(form: &FormContext, subscription: &str, domain: CustomDomainView) -> impl IntoView {
    let t = translator();
    let (state, state_code) = match domain.state {
        DomainState::Pending => (Msg::DomainPending, "pending"),
        DomainState::Verified => (Msg::DomainVerified, "verified"),
        DomainState::Bound => (Msg::DomainBound, "bound"),
    };
    let records = (domain.state == DomainState::Pending).then(|| {
        let rows = domain
            .records
            .iter()
            .map(|record| {
                view! {
                    <tr data-dns-record=record.kind.clone()>
                        <td class="py-1 pr-3 font-medium">{record.kind.clone()}</td>
                        <td class="py-1 pr-3 font-mono break-all">{record.name.clone()}</td>
                        <td class="py-1 font-mono break-all">{record.value.clone()}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <p class="mt-2 text-sm text-slate-700">{t(Msg::DomainRecordsLead)}</p>
            <table class="mt-1 w-full text-left text-xs">
                <thead><tr class="text-slate-600"><th class="pr-3">{t(Msg::DomainRecordType)}</th><th class="pr-3">{t(Msg::DomainRecordName)}</th><th>{t(Msg::DomainRecordValue)}</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
    });
    let last_check = match (&domain.problem, domain.checked_at.clone()) {
        (Some(problem), Some(at)) => {
            let text = t(Msg::DomainLastChecked);
            let (head, tail) = text.split_once("{time}").unwrap_or((text, ""));
            Some(view! {
                <p class="mt-2 text-sm text-amber-900" role="status" data-domain-problem=problem_code(problem)>
                    {problem_text(problem)}", "{head}<LocalTime at />{tail}
                </p>
            })
        }
        _ => None,
    };
    let check = (domain.state == DomainState::Pending).then(|| {
        view! {
            <form method="post" action=crate::routes::domain_action(&form.slug, subscription, "check")>
                {csrf_field(&form.csrf_token)}
                <button type="submit" class=SMALL_PRIMARY data-domain-check>{t(Msg::DomainCheckNow)}</button>
            </form>
        }
    });
    view! {
        <div class="mt-3 rounded-lg border border-slate-200 p-3" data-domain=domain.domain.clone() data-domain-state=state_code>
            <p class="text-sm"><span class="font-medium font-mono">{domain.domain.clone()}</span>" · "<span class="text-slate-700">{t(state)}</span></p>
            {records}
            {last_check}
            <div class="mt-2 flex flex-wrap gap-2">
                {check}
                <form method="post" action=crate::routes::domain_action(&form.slug, subscription, "remove")>
                    {csrf_field(&form.csrf_token)}
                    <button type="submit" class=SMALL_DANGER data-domain-remove>{t(Msg::DomainRemove)}</button>
                </form>
            </div>
        </div>
    }
}

fn problem_code(problem: &DomainProblem) -> &'static str {
    match problem {
        DomainProblem::TxtMissing => "txt_missing",
        DomainProblem::TxtWrong => "txt_wrong",
        DomainProblem::CnameMissing => "cname_missing",
        DomainProblem::CnameWrong(_) => "cname_wrong",
        DomainProblem::NoAnswer => "no_answer",
    }
}

fn problem_text(problem: &DomainProblem) -> String {
    let t = translator();
    match problem {
        DomainProblem::TxtMissing => t(Msg::DomainTxtMissing).to_owned(),
        DomainProblem::TxtWrong => t(Msg::DomainTxtWrong).to_owned(),
        DomainProblem::CnameMissing => t(Msg::DomainCnameMissing).to_owned(),
        DomainProblem::CnameWrong(found) => t(Msg::DomainCnameWrong).replace("{found}", found),
        DomainProblem::NoAnswer => t(Msg::DomainNoAnswer).to_owned(),
    }
}
