//! Learners enrolled in bulk: a trainer uploads a CSV file (through the
//! portal's multipart form), its preview shows every line with its
//! problems, confirming invites the valid lines through the engine's queue
//! in each learner's language, and a learner who joins is put in the
//! file's courses by the members' sync. Uploading the file again invites
//! nobody twice; a file over the seats is refused whole, nothing written.

use control::{
    domain::{LearnerImport, Locale, OfferKind, QuotaKind, Refusal, RowProblem},
    Caller,
};
use reqwest::StatusCode;

use crate::{
    support::{
        browser::{csrf_token_in, unique_email, Person},
        mail,
        provisioning::Harness,
        tenancy::invitation_token,
    },
    training::{campus, course_in_odoo, enrolled_in_odoo},
};

/// Uploads `content` as the trainer's browser would (multipart form on the
/// Courses page) and returns the preview's id, from where it redirects.
async fn upload(harness: &Harness, trainer: &Person, slug: &str, content: &str) -> uuid::Uuid {
    let courses = trainer
        .browser
        .follow(&harness.app.url(&app::routes::courses(slug)))
        .await;
    assert_eq!(courses.status, StatusCode::OK, "{}", courses.body);
    let token = csrf_token_in(&courses.body);
    let boundary = "----bibind-test-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"learners.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{content}\r\n--{boundary}--\r\n"
    );
    let answer = trainer
        .browser
        .post_raw(
            &harness.app.url(&app::routes::learner_imports(slug)),
            &format!("multipart/form-data; boundary={boundary}"),
            body,
        )
        .await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    let id = location
        .rsplit('/')
        .next()
        .and_then(|id| uuid::Uuid::parse_str(id).ok())
        .unwrap_or_else(|| panic!("redirected to {location}, not a preview"));
    // The preview is a page of its own, in the trainer's language.
    let page = trainer.browser.page_in(&harness.app.url(&location), "fr").await;
    assert!(page.contains("data-import-summary"), "{page}");
    id
}

async fn preview(harness: &Harness, trainer: &Caller, slug: &str, import: uuid::Uuid) -> LearnerImport {
    harness
        .control()
        .learner_import(trainer, slug, import)
        .await
        .unwrap()
        .unwrap()
}

async fn invitations(harness: &Harness, organization: uuid::Uuid) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM invitations WHERE organization_id = $1")
        .bind(organization)
        .fetch_one(&harness.app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_trainers_file_invites_its_valid_lines_once_each_in_their_language_into_their_courses() {
    let harness = Harness::for_browsers().await;
    let trainer = Person::signed_in(&harness.app.base_url, "trainer").await;
    let owner = trainer.caller();
    let (slug, organization, space) = campus(&harness, &owner).await;
    let instance = control::domain::instance_name(&slug, OfferKind::Training);
    let (course, _) = course_in_odoo(&harness, &instance, "Python basics", 2).await;
    harness.runner.read_training(space).await.unwrap();
    let training = harness
        .control()
        .training_page(&owner, &slug, Default::default())
        .await
        .unwrap()
        .unwrap();
    let code = training.courses[0].code.clone();
    assert_eq!(training.courses[0].id, course);

    let ada = Person::signed_in(&harness.app.base_url, "ada").await;
    let bob_email = unique_email("bob");
    let file = format!(
        "email;prénom;nom;langue;cours\n\
         {ada};Ada;Lovelace;fr;{code}\n\
         {bob_email};Bob;Martin;en;\n\
         not-an-address;Carl;Nobody;;\n\
         {other};Dan;Durand;;nope-9\n\
         {owner_email};Tina;Trainer;;\n",
        ada = ada.email,
        other = unique_email("dan"),
        owner_email = owner.email,
    );
    let import = upload(&harness, &trainer, &slug, &file).await;
    let shown = preview(&harness, &owner, &slug, import).await;
    let problems: Vec<&[RowProblem]> = shown.rows.iter().map(|row| row.problems.as_slice()).collect();
    assert_eq!(
        problems,
        [
            &[][..],
            &[][..],
            &[RowProblem::BadEmail][..],
            &[RowProblem::UnknownCourse("nope-9".into())][..],
            &[RowProblem::AlreadyMember][..],
        ]
    );
    assert_eq!((shown.to_invite, shown.over_seats), (2, None));
    // Nothing is sent before the trainer confirms.
    assert_eq!(invitations(&harness, organization).await, 0);

    let sent = harness
        .control()
        .send_learner_invitations(&owner, &slug, import, Locale::En)
        .await
        .unwrap();
    assert_eq!(sent, Ok(2));
    harness.settle().await;
    let letter = mail::latest_to(&ada.email).await;
    assert!(letter.subject.contains("vous invite"), "{}", letter.subject);
    let bobs = mail::latest_to(&bob_email).await;
    assert!(bobs.subject.contains("invites you"), "{}", bobs.subject);
    // Only the tokens' hashes are kept.
    let stored: Vec<Option<Vec<u8>>> =
        sqlx::query_scalar("SELECT token_sha256 FROM invitations WHERE organization_id = $1")
            .bind(organization)
            .fetch_all(&harness.app.pool)
            .await
            .unwrap();
    let token = invitation_token(&letter);
    assert!(stored
        .iter()
        .all(|hash| hash.as_ref().is_some_and(|h| h != token.as_bytes())));

    // The same file again: both are invited already, nothing is sent.
    let again = upload(&harness, &trainer, &slug, &file).await;
    let shown = preview(&harness, &owner, &slug, again).await;
    assert_eq!(shown.rows[0].problems, [RowProblem::AlreadyInvited]);
    assert_eq!(shown.rows[1].problems, [RowProblem::AlreadyInvited]);
    assert!(!shown.can_send());
    let refused = harness
        .control()
        .send_learner_invitations(&owner, &slug, again, Locale::En)
        .await
        .unwrap();
    assert!(matches!(refused, Err(Refusal::Fields(_))), "{refused:?}");
    assert_eq!(invitations(&harness, organization).await, 2);
    harness.settle().await;
    assert_eq!(mail::subjects_to(&ada.email).await.len(), 1);

    // Ada joins: the members' sync gives her a user and enrols her.
    assert_eq!(
        harness
            .control()
            .accept_invitation(&ada.caller(), &token)
            .await
            .unwrap(),
        Ok(slug.clone())
    );
    harness.settle().await;
    assert!(enrolled_in_odoo(&harness, &instance, course, &ada.email).await);
}

#[tokio::test]
async fn a_file_over_the_seats_is_refused_whole() {
    let harness = Harness::for_browsers().await;
    let trainer = Person::signed_in(&harness.app.base_url, "trainer").await;
    let owner = trainer.caller();
    let (slug, organization, _) = campus(&harness, &owner).await;
    let mut file = String::from("email,first name,last name\n");
    for index in 0..200 {
        file.push_str(&format!("{},Learner,Number {index}\n", unique_email("many")));
    }
    let import = upload(&harness, &trainer, &slug, &file).await;
    let shown = preview(&harness, &owner, &slug, import).await;
    assert_eq!(shown.to_invite, 200);
    let shortage = shown.over_seats.expect("over the seats");
    assert!(shortage.requested > shortage.limit, "{shortage:?}");
    let refused = harness
        .control()
        .send_learner_invitations(&owner, &slug, import, Locale::En)
        .await
        .unwrap();
    assert_eq!(
        refused,
        Err(Refusal::Quota {
            quota: QuotaKind::Seats,
            limit: shortage.limit,
            requested: shortage.requested,
        })
    );
    assert_eq!(invitations(&harness, organization).await, 0);
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE kind = 'invitations'")
        .fetch_one(&harness.app.pool)
        .await
        .unwrap();
    assert_eq!(queued, 0);
    // The file is still there to preview, and someone else's organization cannot see it.
    assert!(harness
        .control()
        .learner_import(&owner, &slug, import)
        .await
        .unwrap()
        .is_ok());
    let stranger = Person::signed_in(&harness.app.base_url, "stranger")
        .await
        .caller();
    let other = crate::support::provisioning::organization_named(&harness, &stranger, "Other").await;
    assert_eq!(
        harness
            .control()
            .learner_import(&stranger, &other, import)
            .await
            .unwrap(),
        Err(Refusal::NotFound)
    );
    assert!(harness
        .control()
        .learner_import(&stranger, &slug, import)
        .await
        .unwrap()
        .is_err());
}
