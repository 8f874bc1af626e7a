//! An organization's pages: the overview (its state and its subscriptions
//! with their usage), its members and invitations, and the catalog of
//! services to add. They share a header and tabs. Every form is a plain post
//! (works without JavaScript); what the viewer's role does not allow is not
//! offered, and the server refuses it anyway.

mod domains;
mod members;
mod modules;
#[cfg(feature = "ssr")]
mod rendered;
mod services;
mod sites;
mod subscriptions;

use control::domain::{MemberView, OrganizationOverview, Permission, Refusal};
use leptos::{
    either::{Either, EitherOf3, EitherOf4},
    prelude::*,
};
use leptos_meta::Title;
use leptos_router::{
    hooks::{use_params_map, use_query_map},
    params::ParamsMap,
};

use crate::{
    api::{organization_page, OrganizationPageData},
    components::{
        access::member_refused,
        classes::PAGE_TITLE,
        loaded::Loaded,
        navigation::{organization_tabs, OrganizationTab},
        notice::{DoneNotice, RefusalNotice},
    },
    i18n::{country_name, translator, use_locale, Msg},
    pages::labels::{organization_state_label, role_label},
};
use members::MembersSection;
use modules::ModulesSection;
use services::AddService;
use subscriptions::Cards;

/// Which of the organization's pages is shown.
use crate::api::OrganizationSection as Section;

/// Each page's tab label (where it is: `crate::routes`).
impl Section {
    fn label(self) -> Msg {
        match self {
            Section::Overview => Msg::OrgTabOverview,
            Section::Members => Msg::OrgMembers,
            Section::Services => Msg::OrgAddService,
            Section::Modules => Msg::OrgTabModules,
        }
    }
}

#[component]
pub fn OrganizationPage(section: crate::api::OrganizationSection) -> impl IntoView {
    let slug = use_params_map().read_untracked().get("slug").unwrap_or_default();
    // A page that shows the answer to a form (its query) is made each time.
    let plain = use_query_map()
        .read_untracked()
        .clone()
        .into_iter()
        .next()
        .is_none();
    let locale = use_locale();
    let shown_slug = slug.clone();
    let page = async move {
        #[cfg(feature = "ssr")]
        if plain {
            if let Some(page) = kept_page(&slug, section, locale).await {
                return Ok(Shown::Kept(page));
            }
        }
        #[cfg(not(feature = "ssr"))]
        let _ = (locale, plain);
        organization_page(slug, Some(section))
            .await
            .map(|view| Shown::Made(Box::new(view)))
    };
    view! {
        <Loaded data=page let:shown>
            // The page itself stays typed (see `Cards::view`).
            {match shown {
                Shown::Kept((title, html)) => EitherOf3::A(view! {
                    <Title text=title />
                    {section_frame::<()>(shown_slug.clone(), section, Either::Left(html))}
                }),
                Shown::Made(made) => match *made {
                    MemberView::Ready(data) => EitherOf3::B(view! { <OrganizationDetails data keep=plain /> }),
                    refused => EitherOf3::C(member_refused(refused, crate::routes::ORGANIZATIONS)),
                },
            }}
        </Loaded>
    }
}

/// The page served: kept (its title and HTML), or made from its data.
enum Shown {
    // Pages are kept on the server only.
    #[cfg_attr(not(feature = "ssr"), allow(dead_code))]
    Kept((String, String)),
    Made(Box<MemberView<OrganizationPageData>>),
}

/// The page kept from the origin `slug`'s `section` would be made from
/// now, with this request's CSRF token: its title and HTML.
#[cfg(feature = "ssr")]
async fn kept_page(
    slug: &str,
    section: Section,
    locale: control::domain::Locale,
) -> Option<(String, String)> {
    let origin = crate::api::organization_page_origin(slug, section).await?;
    let page = rendered::kept(&rendered::Key::new(origin, locale))?;
    Some((page.title.clone(), page.with_token(&crate::csrf::issue())))
}

/// The `<section>` every organization page is drawn in.
fn section_frame<V: IntoView>(slug: String, section: Section, contents: Either<String, V>) -> impl IntoView {
    let section_name = format!("{section:?}").to_lowercase();
    match contents {
        Either::Left(html) => Either::Left(view! {
            <section class="mx-auto max-w-4xl" aria-labelledby="org-title" data-organization=slug data-section=section_name inner_html=html></section>
        }),
        Either::Right(contents) => Either::Right(view! {
            <section class="mx-auto max-w-4xl" aria-labelledby="org-title" data-organization=slug data-section=section_name>{contents}</section>
        }),
    }
}

/// Shared by every form of the page: where it posts and its CSRF token.
#[derive(Clone)]
struct FormContext {
    slug: String,
    csrf_token: String,
}

/// The page's CSRF token, looked up once per component rather than per form.
fn csrf_token() -> String {
    use_context::<FormContext>()
        .map(|form| form.csrf_token)
        .unwrap_or_default()
}

/// `keep`: the page may be kept (it does not show the answer to a form).
#[component]
fn OrganizationDetails(data: OrganizationPageData, keep: bool) -> impl IntoView {
    let locale = use_locale();
    let query = use_query_map().read_untracked().clone();
    let section = data.section;
    let slug = data.overview.organization.slug.clone();
    let name = &data.overview.organization.name;
    let title = match section {
        Section::Overview => name.clone(),
        other => format!("{} · {}", other.label().text(locale), name),
    };
    // A page with an origin is rendered once for all who see it the same
    // and kept (`rendered`), unless it shows the answer to a form.
    #[cfg(feature = "ssr")]
    let page: Result<String, OrganizationPageData> = match data.made_from {
        Some(origin) if keep => {
            let token = data.csrf_token.clone();
            let query = query.clone();
            let key = rendered::Key::new(origin, locale);
            Ok(rendered::keep(key, title.clone(), &token, move |stand_in| {
                let data = OrganizationPageData {
                    csrf_token: stand_in,
                    ..data
                };
                details(data, &query).to_html()
            }))
        }
        _ => Err(data),
    };
    #[cfg(not(feature = "ssr"))]
    let page: Result<String, OrganizationPageData> = {
        let _ = keep;
        Err(data)
    };
    let contents = match page {
        Ok(html) => Either::Left(html),
        Err(data) => Either::Right(details(data, &query)),
    };
    view! {
        <Title text=title />
        {section_frame(slug, section, contents)}
    }
}

/// The page inside its `<section>`.
fn details(data: OrganizationPageData, query: &ParamsMap) -> impl IntoView {
    let locale = use_locale();
    let t = move |msg: Msg| msg.text(locale);
    let OrganizationPageData {
        section,
        overview,
        member_count,
        invitation_count,
        catalog,
        csrf_token,
        made_from: _,
    } = data;
    let OrganizationOverview {
        organization: org,
        state_reason,
        billing_email,
        members,
        invitations,
        subscriptions,
        viewer_id,
        stamp: _,
    } = overview;
    let role = org.role;
    let manage_subscriptions = role.allows(Permission::ManageSubscriptions);
    let form = FormContext {
        slug: org.slug.clone(),
        csrf_token,
    };
    provide_context(form.clone());
    let refusal = Refusal::from_query(|name| query.get(name));
    let notice = if query.get("invited").is_some() {
        Some(Msg::OrgInvited)
    } else if query.get("joined").is_some() {
        Some(Msg::OrgJoined)
    } else {
        None
    };
    let reason = state_reason.map(|reason| {
        view! { <p class="mt-2 rounded-lg border border-amber-200 bg-amber-50 p-3 text-sm text-amber-900" data-state-reason>{t(Msg::OrgStateReason)}" "{reason}</p> }
    });
    let body = match section {
        Section::Overview => {
            let members_summary = MembersSummary {
                members: member_count,
                invitations: role.allows(Permission::ManageMembers).then_some(invitation_count),
            };
            let cards = Cards {
                locale,
                form,
                manage: manage_subscriptions,
                use_services: role.allows(Permission::UseServices),
                device_problem: refusal.as_ref().and_then(|refusal| refusal.problem_of("name")),
                typed_device: query.get("device").unwrap_or_default(),
            };
            EitherOf4::A(view! {
                <h2 id="subscriptions" class="mt-8 text-xl font-semibold">{t(Msg::OrgSubscriptions)}</h2>
                {cards.view(subscriptions, &catalog)}
                {role.allows(Permission::SeeMembers).then(|| members_summary.view(&org.slug))}
            })
        }
        Section::Members => EitherOf4::B(
            view! { <MembersSection members invitations viewer_id role refusal=refusal.clone() /> },
        ),
        Section::Services => {
            let domain = domains::DomainEcho {
                typed: query.get("domain").unwrap_or_default(),
                problem: refusal.as_ref().and_then(|refusal| refusal.problem_of("domain")),
            };
            EitherOf4::C(view! { <AddService offers=catalog subscriptions domain /> })
        }
        Section::Modules => EitherOf4::D(view! { <ModulesSection subscriptions /> }),
    };
    view! {
        <h1 id="org-title" class=format!("{PAGE_TITLE} wrap-anywhere")>{org.name}</h1>
        <dl class="mt-4 grid grid-cols-1 gap-2 text-sm sm:grid-cols-3">
            <div><dt class="text-slate-600">{t(Msg::OrgYourRole)}</dt><dd class="font-medium" data-your-role=role.as_str()>{t(role_label(role))}</dd></div>
            <div><dt class="text-slate-600">{t(Msg::OrgFieldCountry)}</dt><dd class="font-medium" data-country=org.country.clone()>{country_name(locale, &org.country).to_owned()}</dd></div>
            {role.allows(Permission::SeeMembers).then(|| view! { <div><dt class="text-slate-600">{t(Msg::OrgBilling)}</dt><dd class="font-medium wrap-anywhere">{billing_email}</dd></div> })}
        </dl>
        <p class="mt-2 text-sm text-slate-600">{t(Msg::OrgStatus)}" "<span class="font-medium text-slate-900" data-state=org.state.as_str()>{t(organization_state_label(org.state))}</span></p>
        {reason}
        {notice.map(|msg| view! { <DoneNotice text=msg /> })}
        <RefusalNotice refusal />
        {organization_tabs(&org.slug, OrganizationTab::from(section), role)}
        {body}
    }
}

/// The overview's word on members: how many, and where to manage them.
struct MembersSummary {
    members: usize,
    /// Pending invitations, for those who may see them.
    invitations: Option<usize>,
}

impl MembersSummary {
    fn view(self, slug: &str) -> impl IntoView {
        let t = translator();
        let invitations = self.invitations.map(|count| {
            view! { <div><dt class="text-slate-600">{t(Msg::OrgPendingInvitations)}</dt><dd class="font-medium" data-invitation-count=count>{count}</dd></div> }
        });
        view! {
            <h2 id="members" class="mt-10 text-xl font-semibold">{t(Msg::OrgMembers)}</h2>
            <dl class="mt-4 flex flex-wrap gap-8 text-sm">
                <div><dt class="text-slate-600">{t(Msg::OrgMemberCount)}</dt><dd class="font-medium" data-member-count=self.members>{self.members}</dd></div>
                {invitations}
            </dl>
            <a href=Section::Members.path(slug) class="mt-3 inline-block text-sm font-medium text-indigo-800 hover:text-indigo-950">{t(Msg::OrgSeeMembers)}</a>
        }
    }
}
