use leptos::prelude::*;

use crate::{components::status::StatusPage, i18n::Msg};

/// Shown when a page cannot be rendered (the server answers 500). It never
/// shows the cause: that goes to the logs.
#[component]
pub fn ServerErrorPage() -> impl IntoView {
    view! {
        <StatusPage code=500 title=Msg::ErrorTitle body=Msg::ErrorBody action=Msg::TryAgain href="" role="alert" />
    }
}
