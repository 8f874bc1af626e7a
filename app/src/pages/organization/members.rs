//! The members page: who belongs to the organization with their roles,
//! pending invitations, and the invitation form.

use control::domain::{Member, PendingInvitation, Permission, Refusal, Role};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::{csrf_token, FormContext};
use crate::{
    components::{
        button::{SMALL_PRIMARY, SMALL_QUIET},
        classes::LIST,
        form::{csrf_field, FieldProblemText, INLINE_FIELD, INPUT, LABEL},
    },
    i18n::{translator, Msg},
    pages::labels::role_label,
};

#[component]
pub(super) fn MembersSection(
    members: Vec<Member>,
    invitations: Vec<PendingInvitation>,
    viewer_id: String,
    role: Role,
    refusal: Option<Refusal>,
) -> impl IntoView {
    let t = translator();
    view! {
        <h2 id="members" class="mt-8 text-xl font-semibold">{t(Msg::OrgMembers)}</h2>
        <Members members viewer_id role />
        {role.allows(Permission::ManageMembers).then(|| view! {
            <Invitations invitations />
            <InviteForm role refusal />
        })}
    }
}

#[component]
fn Members(members: Vec<Member>, viewer_id: String, role: Role) -> impl IntoView {
    let token = csrf_token();
    let t = translator();
    let form = use_context::<FormContext>();
    let rows = members
        .into_iter()
        .map(|member| {
            let form = form.clone();
            let is_viewer = member.identity_id == viewer_id;
            let may_change = role.allows(Permission::ManageMembers)
                && (role.allows(Permission::ManageOwners) || member.role != Role::Owner);
            let shown = member.email.clone();
            let controls = form.map(|form| {
                let role_action = crate::routes::member_role(&form.slug, &member.identity_id);
                let remove_action = crate::routes::remove_member(&form.slug, &member.identity_id);
                let choices = Role::ALL
                    .into_iter()
                    .filter(|choice| *choice != Role::Owner || role.allows(Permission::ManageOwners))
                    .map(|choice| view! { <option value=choice.as_str() selected=choice == member.role>{t(role_label(choice))}</option> })
                    .collect_view();
                let remove_label = if is_viewer { Msg::OrgLeave } else { Msg::OrgRemoveMember };
                view! {
                    {(may_change && !is_viewer).then(|| view! {
                        <form method="post" action=role_action class="flex items-center gap-2">
                            {csrf_field(&token)}
                            <label class="sr-only" for=format!("role-{}", member.identity_id)>{t(Msg::OrgFieldRole)}</label>
                            <select id=format!("role-{}", member.identity_id) name="role" class=INLINE_FIELD>{choices}</select>
                            <button type="submit" class=SMALL_QUIET>{t(Msg::OrgChangeRole)}</button>
                        </form>
                    })}
                    {(may_change || is_viewer).then(|| view! {
                        <form method="post" action=remove_action>
                            {csrf_field(&token)}
                            <button type="submit" class=SMALL_QUIET data-remove=member.email.clone()>{t(remove_label)}</button>
                        </form>
                    })}
                }
            });
            view! {
                <li class="flex flex-wrap items-center justify-between gap-3 p-4" data-member=member.email.clone() data-role=member.role.as_str()>
                    <span class="min-w-0 text-sm text-slate-900 wrap-anywhere">
                        {shown}
                        {is_viewer.then(|| view! { <span class="text-slate-500">" ("{t(Msg::OrgYou)}")"</span> })}
                    </span>
                    <span class="flex flex-wrap items-center gap-3">
                        <span class="text-sm text-slate-600">{t(role_label(member.role))}</span>
                        {controls}
                    </span>
                </li>
            }
        })
        .collect_view();
    view! { <ul class=format!("mt-4 {LIST}")>{rows}</ul> }.into_any()
}

#[component]
fn Invitations(invitations: Vec<PendingInvitation>) -> impl IntoView {
    let token = csrf_token();
    let t = translator();
    if invitations.is_empty() {
        return ().into_any();
    }
    let form = use_context::<FormContext>();
    let rows = invitations
        .into_iter()
        .map(|invitation| {
            let action = form
                .as_ref()
                .map(|form| crate::routes::revoke_invitation(&form.slug, &invitation.id))
                .unwrap_or_default();
            let marker = invitation.email.clone();
            view! {
                <li class="flex flex-wrap items-center justify-between gap-3 p-4" data-invitation=marker>
                    <span class="min-w-0 text-sm text-slate-900 wrap-anywhere">{invitation.email}</span>
                    <span class="flex flex-wrap items-center gap-3 text-sm text-slate-600">
                        {t(role_label(invitation.role))}" · "{t(Msg::OrgInvitationExpires)}" "{invitation.expires_on}
                        <form method="post" action=action>
                            {csrf_field(&token)}
                            <button type="submit" class=SMALL_QUIET>{t(Msg::OrgRevokeInvitation)}</button>
                        </form>
                    </span>
                </li>
            }
        })
        .collect_view();
    view! {
        <h3 class="mt-6 text-lg font-semibold">{t(Msg::OrgPendingInvitations)}</h3>
        <ul class=format!("mt-3 {LIST}")>{rows}</ul>
    }
    .into_any()
}

#[component]
fn InviteForm(role: Role, refusal: Option<Refusal>) -> impl IntoView {
    let token = csrf_token();
    let t = translator();
    let form = use_context::<FormContext>();
    let action = form
        .as_ref()
        .map(|form| crate::routes::invite(&form.slug))
        .unwrap_or_default();
    let query = use_query_map().read_untracked().clone();
    let typed = query.get("email").unwrap_or_default();
    let typed_role = query
        .get("role")
        .and_then(|r| Role::parse(&r))
        .unwrap_or(Role::Member);
    let problem = |field: &str| refusal.as_ref().and_then(|r| r.problem_of(field));
    let choices = Role::ALL
        .into_iter()
        .filter(|choice| *choice != Role::Owner || role.allows(Permission::ManageOwners))
        .map(|choice| view! { <option value=choice.as_str() selected=choice == typed_role>{t(role_label(choice))}</option> })
        .collect_view();
    view! {
        <form method="post" action=action class="card mt-6" data-invite-form>
            <h3 class="text-lg font-semibold">{t(Msg::OrgInviteTitle)}</h3>
            <p class="mt-1 text-sm text-slate-600">{t(Msg::OrgInviteLead)}</p>
            {csrf_field(&token)}
            <div class="mt-4 flex flex-wrap items-end gap-3">
                <div class="min-w-64 flex-1">
                    <label for="invite-email" class=LABEL>{t(Msg::FieldEmail)}</label>
                    <input id="invite-email" type="email" name="email" value=typed required=true
                        aria-invalid=problem("email").is_some().then_some("true") aria-describedby="invite-email-problem"
                        class=INPUT />
                </div>
                <div>
                    <label for="invite-role" class=LABEL>{t(Msg::OrgFieldRole)}</label>
                    <select id="invite-role" name="role" class=format!("mt-1 {INLINE_FIELD}")>{choices}</select>
                </div>
                <button type="submit" class=SMALL_PRIMARY>{t(Msg::OrgInviteSubmit)}</button>
            </div>
            <FieldProblemText id="invite-email-problem".to_owned() problem=problem("email") />
            <FieldProblemText id="invite-role-problem".to_owned() problem=problem("role") />
        </form>
    }
    .into_any()
}
