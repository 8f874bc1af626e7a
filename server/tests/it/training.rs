//! A training space's courses: the trainer puts a learner in a course of
//! its Odoo, the engine enrols them (`sync_members.training`), the learner
//! finds it on "My learning" and "Continue" lands them on the course page
//! signed in; their progress comes back to the trainer's table; taken out,
//! their membership ends in Odoo and their progress stays on record.
//! Whoever is not the course's learner or the organization's trainer is
//! refused, with nothing written.

use control::{
    domain::{FieldError, FieldProblem, LearnerStatus, OfferKind, ProgressFilter, Refusal, TrainingView},
    tenancy::courses::AssignmentChange,
    Caller,
};
use reqwest::StatusCode;

use crate::{
    support::{browser::Person, odoo::odoo_admin_call, provisioning::Harness},
    tenant_sso::{add_member_by_hand, until_the_pages_know, walk_allowing_consent, ShopBrowser},
};

/// An organization with an active training space: its slug, id and
/// subscription.
pub(crate) async fn campus(harness: &Harness, owner: &Caller) -> (String, uuid::Uuid, uuid::Uuid) {
    campus_named(harness, owner, "Campus").await
}

async fn campus_named(harness: &Harness, owner: &Caller, name: &str) -> (String, uuid::Uuid, uuid::Uuid) {
    let slug = crate::support::provisioning::organization_named(harness, owner, name).await;
    let space = harness.active_subscription(owner, &slug, "learn-class").await;
    let (organization,): (uuid::Uuid,) = sqlx::query_as("SELECT id FROM organizations WHERE slug = $1")
        .bind(&slug)
        .fetch_one(&harness.app.pool)
        .await
        .unwrap();
    (slug, organization, space)
}

/// A published course of `lessons` published contents, written in Odoo by
/// its admin (as a trainer would in the back office): its id and contents.
pub(crate) async fn course_in_odoo(
    harness: &Harness,
    instance: &str,
    name: &str,
    lessons: usize,
) -> (i64, Vec<i64>) {
    let no_options = serde_json::json!({});
    let channel = odoo_admin_call(
        harness,
        instance,
        "slide.channel",
        "create",
        serde_json::json!([{"name": name, "is_published": true, "visibility": "members", "enroll": "invite"}]),
        no_options.clone(),
    )
    .await
    .as_i64()
    .expect("the course's id");
    let mut slides = Vec::new();
    for index in 0..lessons {
        let slide = odoo_admin_call(
            harness,
            instance,
            "slide.slide",
            "create",
            serde_json::json!([{"name": format!("Lesson {}", index + 1), "channel_id": channel,
                                "sequence": index + 1, "is_published": true}]),
            no_options.clone(),
        )
        .await;
        slides.push(slide.as_i64().expect("the content's id"));
    }
    (channel, slides)
}

/// Whether the user `login` has an active membership of `course` in Odoo.
pub(crate) async fn enrolled_in_odoo(harness: &Harness, instance: &str, course: i64, login: &str) -> bool {
    let users = odoo_admin_call(
        harness,
        instance,
        "res.users",
        "search_read",
        serde_json::json!([[["login", "=", login]]]),
        serde_json::json!({"fields": ["partner_id"], "context": {"active_test": false}}),
    )
    .await;
    let partner = users[0]["partner_id"][0].as_i64().expect("the user's partner");
    let memberships = odoo_admin_call(
        harness,
        instance,
        "slide.channel.partner",
        "search_read",
        serde_json::json!([[["channel_id", "=", course], ["partner_id", "=", partner]]]),
        serde_json::json!({"fields": ["active"], "context": {"active_test": false}}),
    )
    .await;
    memberships
        .as_array()
        .is_some_and(|found| found.iter().any(|membership| membership["active"] == true))
}

async fn page(harness: &Harness, who: &Caller, slug: &str) -> TrainingView {
    harness
        .control()
        .training_page(who, slug, ProgressFilter::default())
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_learner_put_in_a_course_continues_it_signed_in_and_the_trainer_sees_their_progress() {
    let harness = Harness::for_browsers().await;
    let owner = Person::signed_in(&harness.app.base_url, "trainer").await.caller();
    let (slug, organization, space) = campus(&harness, &owner).await;
    let instance = control::domain::instance_name(&slug, OfferKind::Training);
    let (course, slides) = course_in_odoo(&harness, &instance, "Python basics", 3).await;

    // A learner joins: the members' sync gives them an Odoo user.
    let learner = Person::signed_in(&harness.app.base_url, "learner").await;
    add_member_by_hand(&harness, organization, &learner, "learner").await;
    harness.settle().await;
    until_the_pages_know(&harness, &learner.caller(), &slug).await;

    // The trainer's page lists the course once the engine has read Odoo.
    harness.runner.read_training(space).await.unwrap();
    let seen = page(&harness, &owner, &slug).await;
    assert!(seen.live);
    assert_eq!(seen.courses.len(), 1, "{seen:?}");
    assert_eq!(
        (
            seen.courses[0].id,
            seen.courses[0].name.as_str(),
            seen.courses[0].contents
        ),
        (course, "Python basics", 3)
    );
    assert!(seen.trainees.iter().any(|t| t.email == learner.email));

    // Put in the course: waiting for the engine, then enrolled in Odoo.
    let learner_id: uuid::Uuid = learner.identity_id.parse().unwrap();
    let assigned = harness
        .control()
        .change_assignments(&owner, &slug, course, &[learner_id], AssignmentChange::Assign)
        .await
        .unwrap();
    assert_eq!(assigned, Ok(()));
    let waiting = page(&harness, &owner, &slug).await;
    assert_eq!(waiting.progress.len(), 1);
    assert_eq!(waiting.progress[0].status, LearnerStatus::Assigning);
    harness.settle().await;
    assert!(enrolled_in_odoo(&harness, &instance, course, &learner.email).await);
    let kinds: Vec<String> = sqlx::query_scalar(
        "SELECT kind FROM jobs WHERE subscription_id = $1 AND state = 'succeeded' ORDER BY seq",
    )
    .bind(space)
    .fetch_all(&harness.app.pool)
    .await
    .unwrap();
    assert_eq!(kinds.last().map(String::as_str), Some("sync_members.training"));
    let enrolled = page(&harness, &owner, &slug).await;
    assert_eq!(enrolled.progress[0].status, LearnerStatus::NotStarted);
    assert_eq!(enrolled.courses[0].learners, 1);

    // "My learning" lists it; "Continue" lands on the course, signed in.
    let mine = harness.control().my_learning(&learner.caller()).await.unwrap();
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(
        (
            mine[0].organization_slug.as_str(),
            mine[0].course_id,
            mine[0].open()
        ),
        (slug.as_str(), course, true)
    );
    let host = format!("{slug}.{}", harness.stack.settings.training_domain);
    let callback_root = format!("https://{host}/auth_oauth/signin");
    let at_odoo = |next: &str| next.starts_with(&callback_root);
    let continue_url = harness
        .app
        .url(&format!("/orgs/{slug}/courses/{course}/continue"));
    let landed = walk_allowing_consent(&harness, &learner.browser, &continue_url, at_odoo).await;
    let space_browser = ShopBrowser::new(&harness.stack.urls.odoo, &host);
    let (status, location, _) = space_browser
        .get(landed.url.strip_prefix(&format!("https://{host}")).unwrap())
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let course_page = location.expect("sent on to the course");
    assert!(
        course_page.ends_with(&format!("/slides/python-basics-{course}")),
        "{course_page}"
    );
    let path = course_page
        .strip_prefix(&format!("https://{host}"))
        .unwrap_or(&course_page);
    let (status, _, body) = space_browser.get(path).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The attendee's own progress block: the session is theirs.
    assert!(body.contains("o_wslides_progress_percentage"), "{body}");

    // Two of three contents done, as the course page's buttons do.
    for slide in &slides[..2] {
        let answer = space_browser
            .json(
                "/slides/slide/set_completed",
                serde_json::json!({"slide_id": slide}),
            )
            .await;
        assert!(answer.get("error").is_none(), "{answer}");
    }
    harness.runner.read_training(space).await.unwrap();
    let progressed = page(&harness, &owner, &slug).await;
    let row = &progressed.progress[0];
    assert_eq!((row.status, row.completion), (LearnerStatus::InProgress, 67));
    assert!(row.last_activity.is_some());
    assert_eq!(
        harness.control().my_learning(&learner.caller()).await.unwrap()[0].completion,
        67
    );

    // Ended behind the engine's back: the reconciler enrols them again.
    let membership = odoo_admin_call(
        &harness,
        &instance,
        "slide.channel.partner",
        "search",
        serde_json::json!([[["channel_id", "=", course]]]),
        serde_json::json!({}),
    )
    .await;
    odoo_admin_call(
        &harness,
        &instance,
        "slide.channel.partner",
        "write",
        serde_json::json!([membership, {"active": false}]),
        serde_json::json!({}),
    )
    .await;
    harness.reconcile().await;
    harness.settle().await;
    assert!(enrolled_in_odoo(&harness, &instance, course, &learner.email).await);

    // Taken out: their membership ends in Odoo, their progress is kept.
    let removed = harness
        .control()
        .change_assignments(&owner, &slug, course, &[learner_id], AssignmentChange::Remove)
        .await
        .unwrap();
    assert_eq!(removed, Ok(()));
    harness.settle().await;
    assert!(!enrolled_in_odoo(&harness, &instance, course, &learner.email).await);
    let after = page(&harness, &owner, &slug).await;
    assert_eq!(
        (after.progress[0].status, after.progress[0].completion),
        (LearnerStatus::Left, 67)
    );
    assert!(harness
        .control()
        .my_learning(&learner.caller())
        .await
        .unwrap()
        .is_empty());

    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_events WHERE organization_id = $1 AND action LIKE 'course.%' ORDER BY id",
    )
    .bind(organization)
    .fetch_all(&harness.app.pool)
    .await
    .unwrap();
    assert_eq!(actions, ["course.assign", "course.remove"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_trainers_assign_only_their_learners_to_their_courses_and_only_learners_continue_them() {
    let harness = Harness::for_browsers().await;
    let owner = Person::signed_in(&harness.app.base_url, "trainer").await.caller();
    let (slug, organization, space) = campus(&harness, &owner).await;
    let instance = control::domain::instance_name(&slug, OfferKind::Training);
    let (course, _) = course_in_odoo(&harness, &instance, "Rust", 1).await;
    harness.runner.read_training(space).await.unwrap();
    let learner = Person::signed_in(&harness.app.base_url, "learner").await;
    add_member_by_hand(&harness, organization, &learner, "learner").await;
    let stranger = Person::signed_in(&harness.app.base_url, "stranger").await;
    let learner_id: uuid::Uuid = learner.identity_id.parse().unwrap();
    let stranger_id: uuid::Uuid = stranger.identity_id.parse().unwrap();
    let control = harness.control();
    let assign = |who: Caller, course: i64, whom: uuid::Uuid| {
        let slug = slug.clone();
        async move {
            control
                .change_assignments(&who, &slug, course, &[whom], AssignmentChange::Assign)
                .await
                .unwrap()
        }
    };

    // A learner neither sees the page nor assigns; a stranger sees nothing.
    assert_eq!(
        control
            .training_page(&learner.caller(), &slug, ProgressFilter::default())
            .await
            .unwrap(),
        Err(Refusal::Forbidden)
    );
    assert_eq!(
        assign(learner.caller(), course, learner_id).await,
        Err(Refusal::Forbidden)
    );
    assert_eq!(
        assign(stranger.caller(), course, stranger_id).await,
        Err(Refusal::NotFound)
    );
    // Only members, only the space's courses.
    assert_eq!(
        assign(owner.clone(), course, stranger_id).await,
        Err(Refusal::Fields(vec![FieldError::new(
            "learners",
            FieldProblem::Unknown
        )]))
    );
    assert_eq!(
        assign(owner.clone(), course + 1000, learner_id).await,
        Err(Refusal::Fields(vec![FieldError::new(
            "course",
            FieldProblem::Unknown
        )]))
    );
    let written: i64 =
        sqlx::query_scalar("SELECT count(*) FROM course_assignments WHERE subscription_id = $1")
            .bind(space)
            .fetch_one(&harness.app.pool)
            .await
            .unwrap();
    assert_eq!(written, 0);

    // Not in the course: no way in through the portal; a stranger's link
    // to the organization's course is not found.
    assert_eq!(
        control
            .course_sign_in(&learner.caller(), &slug, course)
            .await
            .unwrap(),
        Err(Refusal::Forbidden)
    );
    assert_eq!(
        control
            .course_sign_in(&stranger.caller(), &slug, course)
            .await
            .unwrap(),
        Err(Refusal::NotFound)
    );
    let refused = stranger
        .browser
        .follow(
            &harness
                .app
                .url(&format!("/orgs/{slug}/courses/{course}/continue")),
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "{}", refused.url);
    // The trainer may open any course of theirs.
    let trainer_link = control.course_sign_in(&owner, &slug, course).await.unwrap();
    assert!(trainer_link.is_ok_and(|url| url.contains("oauth2/auth")));

    // A bad filter is reported field by field.
    assert_eq!(
        ProgressFilter::parse(Some("x"), Some("finished"), None),
        Err(vec![
            FieldError::new("course", FieldProblem::Unknown),
            FieldError::new("status", FieldProblem::Unknown)
        ])
    );
}

#[tokio::test]
async fn a_learner_of_two_organizations_sees_both_and_a_third_ones_odoo_refuses_them_at_login() {
    let harness = Harness::for_browsers().await;
    let learner = Person::signed_in(&harness.app.base_url, "learner").await;
    let learner_id: uuid::Uuid = learner.identity_id.parse().unwrap();
    let mut campuses = Vec::new();
    for (name, course_name) in [("Campus Nord", "Rust"), ("Campus Sud", "SQL")] {
        let trainer = Person::signed_in(&harness.app.base_url, "trainer").await.caller();
        let (slug, organization, space) = campus_named(&harness, &trainer, name).await;
        let instance = control::domain::instance_name(&slug, OfferKind::Training);
        let (course, _) = course_in_odoo(&harness, &instance, course_name, 1).await;
        add_member_by_hand(&harness, organization, &learner, "learner").await;
        harness.settle().await;
        harness.runner.read_training(space).await.unwrap();
        let assigned = harness
            .control()
            .change_assignments(&trainer, &slug, course, &[learner_id], AssignmentChange::Assign)
            .await
            .unwrap();
        assert_eq!(assigned, Ok(()));
        campuses.push((slug, course));
    }
    harness.settle().await;

    // Both courses, each labelled with its organization.
    let mine = harness.control().my_learning(&learner.caller()).await.unwrap();
    let labels: Vec<(&str, &str, &str)> = mine
        .iter()
        .map(|course| {
            (
                course.organization_name.as_str(),
                course.organization_slug.as_str(),
                course.course_name.as_str(),
            )
        })
        .collect();
    assert_eq!(
        labels,
        [
            ("Campus Nord", campuses[0].0.as_str(), "Rust"),
            ("Campus Sud", campuses[1].0.as_str(), "SQL")
        ]
    );
    assert!(mine.iter().all(|course| course.open()), "{mine:?}");

    // A third organization's training space, which the learner is not in:
    // their own course link, edited to its Odoo, stops at the portal's login.
    let outsider_owner = Person::signed_in(&harness.app.base_url, "owner").await.caller();
    let (elsewhere, _, _) = campus_named(&harness, &outsider_owner, "Campus Ouest").await;
    let (nord, course) = &campuses[0];
    let link = harness
        .control()
        .course_sign_in(&learner.caller(), nord, *course)
        .await
        .unwrap()
        .unwrap();
    assert!(link.contains(nord.as_str()), "{link}");
    let edited = link.replace(nord.as_str(), &elsewhere);
    let refused = learner
        .browser
        .walk(&edited, |next| next.contains(&format!("{elsewhere}.")))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.url);
    assert!(
        refused.url.contains("/auth/login?login_challenge="),
        "{}",
        refused.url
    );
    assert!(refused.body.contains("Campus Ouest"), "{}", refused.body);
}
