use leptos::prelude::*;

use crate::{components::status::StatusPage, i18n::Msg};

/// Any unknown route answers this page with status 404.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! { <StatusPage code=404 title=Msg::NotFoundTitle body=Msg::NotFoundBody action=Msg::BackHome href="/" /> }
}
