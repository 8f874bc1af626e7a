//! A live service's site as its organization's pages show it: the address,
//! whether it answered Bibind's last check ("not reachable since 10:42"),
//! and "Open back office" for those who may. The same on the service's
//! card and on the services page.

use control::domain::{OfferKind, SiteCheck, SiteProblem, SubscriptionView};
use leptos::{either::Either, prelude::*};

use crate::{
    components::{button::SMALL_PRIMARY, local_time::LocalTime},
    i18n::{translator, Msg},
};

/// The site line of `subscription` of the organization `slug`, once live.
pub(super) fn site_line(slug: &str, subscription: &SubscriptionView) -> Option<impl IntoView> {
    let t = translator();
    let url = subscription.site_url.clone()?;
    let label = match subscription.offer {
        OfferKind::Training => Msg::SiteTraining,
        _ => Msg::SiteShop,
    };
    let shown = url
        .split_once("://")
        .map_or(url.as_str(), |(_, rest)| rest)
        .to_owned();
    let back_office = subscription.back_office.then(|| {
        let to = crate::routes::back_office(slug, subscription.offer);
        view! { <a href=to rel="external" class=SMALL_PRIMARY data-back-office>{t(Msg::OpenBackOffice)}</a> }
    });
    let check = subscription.site_check.clone().map(site_answer);
    Some(view! {
        <div class="mt-3 flex flex-wrap items-center gap-3 text-sm" data-site>
            <span class="text-slate-700">{t(label)}" "<a href=url rel="external noopener" class="font-medium text-indigo-800 hover:text-indigo-950" data-site-url>{shown}</a></span>
            {check}
            {back_office}
        </div>
    })
}

/// Whether the site answers, and if not since when and why.
fn site_answer(check: SiteCheck) -> impl IntoView {
    let t = translator();
    match check.problem {
        None => Either::Left(view! {
            <span class="rounded-full bg-emerald-50 px-2 py-0.5 text-xs font-medium text-emerald-800" data-site-check="answers">{t(Msg::SiteAnswers)}</span>
        }),
        Some(problem) => {
            let text = t(Msg::SiteUnreachableSince);
            let (head, tail) = text.split_once("{time}").unwrap_or((text, ""));
            let why = match problem {
                SiteProblem::Status(status) => {
                    t(Msg::SiteProblemStatus).replace("{status}", &status.to_string())
                }
                SiteProblem::Timeout => t(Msg::SiteProblemTimeout).to_owned(),
                SiteProblem::NoConnection => t(Msg::SiteProblemNoConnection).to_owned(),
            };
            Either::Right(view! {
                <span class="rounded-full bg-red-50 px-2 py-0.5 text-xs font-medium text-red-800" role="status" data-site-check="unreachable">
                    {head}<LocalTime at=check.since />{tail}" "{why}
                </span>
            })
        }
    }
}
