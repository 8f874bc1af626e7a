//! What a form post tells the page it comes back to: a refusal (in the
//! query, as an alert above the forms) or that it was done.

use control::domain::Refusal;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    i18n::{t, Msg},
    pages::labels::refusal_text,
};

/// The refusal a form post sent back in this page's query, if any.
pub fn refusal_in_query() -> Option<Refusal> {
    let query = use_query_map().read_untracked().clone();
    Refusal::from_query(|name| query.get(name))
}

/// The refusal as an alert above the forms.
#[component]
pub fn RefusalNotice(refusal: Option<Refusal>) -> impl IntoView {
    refusal.map(|refusal| {
        let code = refusal.to_query().first().map(|(_, code)| code.clone());
        // Verifying happens at Kratos: a full navigation, not the router's.
        let verify = (refusal == Refusal::AddressNotVerified).then(|| {
            view! {
                " "
                <a href=crate::routes::VERIFICATION rel="external" data-verify-address class="font-semibold underline">
                    {t(Msg::VerifyAddressLink)}
                </a>
            }
        });
        view! {
            <p role="alert" data-refused=code class="mt-4 rounded-lg border border-rose-200 bg-rose-50 p-3 text-sm text-rose-800">
                {refusal_text(&refusal)}
                {verify}
            </p>
        }
    })
}

/// What a post did, said once the browser is back on the page.
#[component]
pub fn DoneNotice(text: Msg) -> impl IntoView {
    view! { <p role="status" data-notice class="mt-4 rounded-lg border border-emerald-200 bg-emerald-50 p-3 text-sm text-emerald-900">{t(text)}</p> }
}
