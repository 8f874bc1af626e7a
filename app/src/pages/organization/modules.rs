//! The Modules page: for each shop or training space, what its plan
//! includes and what it lets the customer add, with whether each is
//! installed in its Odoo; owners and admins add and remove the optional
//! ones (plain posts; the engine installs or uninstalls them).

use control::domain::{ModuleView, SubscriptionState, SubscriptionView};
use leptos::{either::Either, prelude::*};

use super::FormContext;
use crate::{
    components::{
        button::{SMALL_PRIMARY, SMALL_QUIET},
        form::csrf_field,
    },
    i18n::{translator, use_locale, Msg},
    pages::labels::module_text,
};

#[component]
pub(super) fn ModulesSection(subscriptions: Vec<SubscriptionView>) -> impl IntoView {
    let t = translator();
    let locale = use_locale();
    let form = use_context::<FormContext>().unwrap_or(FormContext {
        slug: String::new(),
        csrf_token: String::new(),
    });
    if subscriptions.is_empty() {
        return Either::Left(view! {
            <h2 id="modules" class="mt-8 text-xl font-semibold">{t(Msg::OrgTabModules)}</h2>
            <p class="mt-2 text-sm text-slate-600" data-no-modules>{t(Msg::ModulesNone)}</p>
        });
    }
    let services = subscriptions
        .into_iter()
        .map(|subscription| {
            let active = subscription.state == SubscriptionState::Active;
            let changing = subscription.modules_changing.then(|| {
                view! { <p class="mt-2 text-sm text-indigo-900" role="status" data-modules-changing>{t(Msg::ModulesChanging)}</p> }
            });
            let rows = subscription
                .modules
                .iter()
                .map(|module| module_row(&form, &subscription.id, module, active))
                .collect_view();
            let empty = subscription.modules.is_empty().then(|| {
                view! { <p class="mt-2 text-sm text-slate-600">{t(Msg::ModulesNoneInPlan)}</p> }
            });
            view! {
                <section class="card mt-4" data-modules=subscription.offer.code()>
                    <h3 class="text-lg font-semibold">{subscription.offer_name.get(locale).to_owned()}" · "{subscription.plan_name.get(locale).to_owned()}</h3>
                    {changing}
                    {empty}
                    <ul class="mt-2 divide-y divide-slate-100">{rows}</ul>
                </section>
            }
        })
        .collect_view();
    Either::Right(view! {
        <h2 id="modules" class="mt-8 text-xl font-semibold">{t(Msg::OrgTabModules)}</h2>
        <p class="mt-1 text-sm text-slate-600">{t(Msg::ModulesLead)}</p>
        {services}
    })
}

/// One module: its name and purpose, where it comes from, its state in
/// Odoo, and the button that adds or removes it.
fn module_row(form: &FormContext, subscription: &str, module: &ModuleView, active: bool) -> impl IntoView {
    let t = translator();
    let (name, purpose) = module_text(module.module);
    let origin = if module.included {
        Msg::ModuleIncluded
    } else {
        Msg::ModuleOptional
    };
    let (state, state_code) = match (module.wanted, module.installed) {
        (true, Some(true)) => (Msg::ModuleInstalled, "installed"),
        (false, Some(false) | None) => (Msg::ModuleNotInstalled, "uninstalled"),
        (true, _) => (Msg::ModuleInstalling, "installing"),
        (false, Some(true)) => (Msg::ModuleRemoving, "removing"),
    };
    let action = (active && !module.included).then(|| {
        let (change, label, class) = if module.wanted {
            ("remove", Msg::ModuleRemove, SMALL_QUIET)
        } else {
            ("add", Msg::ModuleAdd, SMALL_PRIMARY)
        };
        view! {
            <form method="post" action=crate::routes::change_module(&form.slug, subscription, module.module, change)>
                {csrf_field(&form.csrf_token)}
                <button type="submit" class=class data-module-change=change>{t(label)}</button>
            </form>
        }
    });
    view! {
        <li class="flex flex-wrap items-center justify-between gap-3 py-3" data-module=module.module.technical_name() data-module-state=state_code>
            <span class="text-sm">
                <span class="font-medium">{t(name)}</span>
                <span class="ml-2 text-xs text-slate-500">{t(origin)}</span>
                <span class="block text-slate-600">{t(purpose)}</span>
            </span>
            <span class="flex items-center gap-3 text-sm">
                <span class="text-slate-700">{t(state)}</span>
                {action}
            </span>
        </li>
    }
}
