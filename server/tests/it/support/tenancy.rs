//! Organizations arranged through the product's own operations: created by
//! their owner, joined by invitation (the e-mailed link) in the roles a test
//! needs; and platform admins.

use control::{
    domain::{Locale, NewInvitation, NewOrganization, Role, SignedInUser},
    Caller,
};

use super::{mail, TestApp};

/// `owner` creates the organization `slug` (named `name`, in France).
pub async fn create_organization(app: &TestApp, owner: &Caller, name: &str, slug: &str) {
    let new = NewOrganization::parse(name, slug, "FR", "billing@example.com").unwrap();
    app.control
        .create_organization(owner, &new)
        .await
        .unwrap()
        .unwrap();
}

/// `owner` creates the organization `slug`; each of `members` joins it in
/// their role, invited by the owner.
pub async fn organization_with_members(
    app: &TestApp,
    owner: &Caller,
    slug: &str,
    members: &[(&Caller, Role)],
) {
    create_organization(app, owner, "Acme", slug).await;
    for (who, role) in members {
        join(app, owner, slug, who, *role).await;
    }
}

/// `inviter` invites `who` into `slug` with `role`; `who` accepts through
/// the link the invitation mail carries.
pub async fn join(app: &TestApp, inviter: &Caller, slug: &str, who: &Caller, role: Role) {
    let invitation = NewInvitation::parse(&who.email, role.as_str()).unwrap();
    app.control
        .invite_member(inviter, slug, &invitation, Locale::En)
        .await
        .unwrap()
        .unwrap();
    let token = invitation_token(&mail::latest_to(&who.email).await);
    assert_eq!(
        app.control.accept_invitation(who, &token).await.unwrap(),
        Ok(slug.to_owned()),
        "{} joins {slug}",
        who.email
    );
}

/// The token of the invitation link in `mail`.
pub fn invitation_token(mail: &mail::Mail) -> String {
    let link = mail::link(mail, "/invitations/");
    link.rsplit('/').next().unwrap().to_owned()
}

/// Makes `who` a platform admin, signed in with a second factor. Written in
/// the table: `grant_platform_admin` looks the address up in Kratos, where
/// the callers of `support::person` have no account.
pub async fn platform_admin(app: &TestApp, who: &Caller) -> SignedInUser {
    sqlx::query(
        "INSERT INTO platform_admins (identity_id, email, granted_at, granted_by) VALUES ($1::uuid, $2, now(), 'test')",
    )
    .bind(&who.identity_id)
    .bind(&who.email)
    .execute(&app.pool)
    .await
    .unwrap();
    SignedInUser {
        identity_id: who.identity_id.clone(),
        email: who.email.clone(),
        email_verified: true,
        display_name: "Operator".into(),
        assurance_level: "aal2".into(),
    }
}
