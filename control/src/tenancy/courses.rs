//! A training space's courses (see `domain::courses`): trainers (owners
//! and admins) put members in courses and take them out, the engine makes
//! Odoo's memberships follow (`sync_members`); the courses and everyone's
//! progress are read from Odoo by the engine (with each sync, on the
//! reconciler's rounds, and when a trainer opens the page on a reading
//! older than [`FRESH_FOR`]) and kept here, so that pages never wait for
//! Odoo. Learners see their own courses on "My learning" and continue them
//! in Odoo, signed in through the portal.

use std::collections::BTreeMap;

use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    audit::AuditEvent,
    backends::odoo::ObservedTraining,
    domain::{
        course_code, AuditAction, Course, FieldProblem, LearnerCourse, LearnerProgress, LearnerStatus,
        OfferKind, OrganizationState, Permission, ProgressFilter, Refusal, SubscriptionState, Trainee,
        TrainingView,
    },
    or_refuse,
    tenancy::access::{self, identity_uuid, Need},
    Caller, Control, Error, Outcome, Result,
};

/// How long a reading of Odoo stands before a trainer's visit asks the
/// engine for a fresher one: short, so that a refresh shows a learner's
/// progress within seconds (a reading is three small searches in Odoo).
pub const FRESH_FOR: time::Duration = time::Duration::seconds(10);

/// The channel a trainer's visit asks the engine on to read a training
/// space's Odoo again (the payload: the subscription's id).
pub const COURSES_CHANNEL: &str = "courses_wanted";

/// What a trainer asks of a learner and a course.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignmentChange {
    Assign,
    Remove,
}

impl std::str::FromStr for AssignmentChange {
    type Err = ();

    fn from_str(text: &str) -> std::result::Result<Self, ()> {
        match text {
            "assign" => Ok(Self::Assign),
            "remove" => Ok(Self::Remove),
            _ => Err(()),
        }
    }
}

/// The organization's training space, whatever its state but closed.
struct TrainingSpace {
    id: Uuid,
    state: SubscriptionState,
    read_at: Option<OffsetDateTime>,
}

async fn training_space(conn: &mut sqlx::PgConnection, organization: Uuid) -> Result<Option<TrainingSpace>> {
    let found = sqlx::query!(
        r#"SELECT id, state AS "state: SubscriptionState", courses_read_at
             FROM subscriptions
            WHERE organization_id = $1 AND offer_kind = $2 AND state <> 'closed'"#,
        organization,
        OfferKind::Training.code(),
    )
    .fetch_optional(conn)
    .await?;
    Ok(found.map(|row| TrainingSpace {
        id: row.id,
        state: row.state,
        read_at: row.courses_read_at,
    }))
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn percent(completion: i32) -> u8 {
    u8::try_from(completion.clamp(0, 100)).unwrap_or(0)
}

impl Control {
    /// The Courses page: the training space's courses, who is in each and
    /// how far they are (the rows `filter` keeps), for owners and admins.
    /// A reading of Odoo older than [`FRESH_FOR`] asks the engine for a
    /// new one; the page shows the one it has meanwhile.
    pub async fn training_page(
        &self,
        caller: &Caller,
        slug: &str,
        filter: ProgressFilter,
    ) -> Outcome<TrainingView> {
        let now = self.clock.now();
        let mut conn = self.db.pool().acquire().await?;
        let org =
            or_refuse!(access::check(&mut conn, caller, slug, Need::read(Permission::ManageMembers)).await?);
        let trainees: Vec<Trainee> = sqlx::query!(
            "SELECT identity_id, email FROM memberships WHERE organization_id = $1 ORDER BY lower(email)",
            org.id,
        )
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|member| Trainee {
            identity_id: member.identity_id.to_string(),
            email: member.email,
        })
        .collect();
        let Some(space) = training_space(&mut conn, org.id).await? else {
            return Ok(Ok(TrainingView::without_space(trainees, filter)));
        };
        let courses = sqlx::query!(
            "SELECT odoo_id, name, contents, published, website_path FROM courses
              WHERE subscription_id = $1 ORDER BY lower(name), odoo_id",
            space.id,
        )
        .fetch_all(&mut *conn)
        .await?;
        let names: BTreeMap<i64, String> = courses
            .iter()
            .map(|course| (course.odoo_id, course.name.clone()))
            .collect();
        let everyone = self.progress_rows(&mut conn, space.id, &names).await?;
        let live = space.state == SubscriptionState::Active;
        let stale = space.read_at.is_none_or(|at| now - at > FRESH_FOR);
        if live && stale {
            sqlx::query!("SELECT pg_notify($1, $2)", COURSES_CHANNEL, space.id.to_string())
                .execute(&mut *conn)
                .await?;
        }
        let courses = courses
            .into_iter()
            .map(|course| {
                let current = everyone
                    .iter()
                    .filter(|row| row.course_id == course.odoo_id && row.status.is_assigned());
                let (learners, completed) = current.fold((0, 0), |(all, done), row| {
                    (all + 1, done + u32::from(row.status == LearnerStatus::Completed))
                });
                Course {
                    id: course.odoo_id,
                    code: course_code(&course.website_path, course.odoo_id),
                    name: course.name,
                    contents: u32::try_from(course.contents).unwrap_or(0),
                    published: course.published,
                    learners,
                    completed,
                }
            })
            .collect();
        Ok(Ok(TrainingView {
            subscription_id: Some(space.id.to_string()),
            live,
            courses,
            progress: everyone.into_iter().filter(|row| filter.keeps(row)).collect(),
            trainees,
            read_at: space.read_at.map(rfc3339),
            refreshing: live && stale,
            filter,
        }))
    }

    /// Everyone trainers put in a course or Odoo reported in one, by
    /// course then address.
    async fn progress_rows(
        &self,
        conn: &mut sqlx::PgConnection,
        subscription: Uuid,
        names: &BTreeMap<i64, String>,
    ) -> Result<Vec<LearnerProgress>> {
        let rows = sqlx::query!(
            r#"SELECT coalesce(a.course_id, p.course_id) AS "course_id!",
                      coalesce(a.identity_id, p.identity_id) AS "identity_id!",
                      coalesce(m.email, p.email) AS "email!",
                      a.identity_id IS NOT NULL AND a.removed_at IS NULL AS "assigned!",
                      a.identity_id IS NOT NULL AS "asked!",
                      coalesce(p.enrolled, false) AS "enrolled!",
                      coalesce(p.completion, 0) AS "completion!",
                      p.completed_at, p.last_activity,
                      m.identity_id IS NOT NULL AS "member!"
                 FROM (SELECT * FROM course_assignments WHERE subscription_id = $1) a
                 FULL JOIN (SELECT * FROM course_progress WHERE subscription_id = $1) p
                   ON p.course_id = a.course_id AND p.identity_id = a.identity_id
                 LEFT JOIN memberships m
                   ON m.identity_id = coalesce(a.identity_id, p.identity_id)
                  AND m.organization_id = (SELECT organization_id FROM subscriptions WHERE id = $1)"#,
            subscription,
        )
        .fetch_all(&mut *conn)
        .await?;
        let mut progress: Vec<LearnerProgress> = rows
            .into_iter()
            .filter_map(|row| {
                let course_name = names.get(&row.course_id)?.clone();
                let completion = percent(row.completion);
                let asked = row.asked.then_some(row.assigned);
                // Someone who left the organization is out of its courses.
                let status = if row.member {
                    LearnerStatus::of(asked, row.enrolled, completion)
                } else {
                    LearnerStatus::Left
                };
                Some(LearnerProgress {
                    course_id: row.course_id,
                    course_name,
                    identity_id: row.identity_id.to_string(),
                    email: row.email,
                    status,
                    completion,
                    completed_at: row.completed_at.map(rfc3339),
                    last_activity: row.last_activity.map(rfc3339),
                    member: row.member,
                })
            })
            .collect();
        progress.sort_by(|a, b| {
            (a.course_name.to_lowercase(), a.course_id, a.email.to_lowercase()).cmp(&(
                b.course_name.to_lowercase(),
                b.course_id,
                b.email.to_lowercase(),
            ))
        });
        Ok(progress)
    }

    /// Puts the members `learners` in course `course` of the organization's
    /// training space, or takes them out; the engine then enrols them in
    /// Odoo or ends their membership there (their progress stays).
    pub async fn change_assignments(
        &self,
        caller: &Caller,
        slug: &str,
        course: i64,
        learners: &[Uuid],
        change: AssignmentChange,
    ) -> Outcome<()> {
        if learners.is_empty() {
            return Ok(Err(Refusal::field("learners", FieldProblem::Missing)));
        }
        let now = self.clock.now();
        let (mut tx, org) = or_refuse!(self.begin_change(caller, slug, Permission::ManageMembers).await?);
        let Some(space) = training_space(&mut tx, org.id).await? else {
            return Ok(Err(Refusal::NotFound));
        };
        if org.state != OrganizationState::Active || space.state != SubscriptionState::Active {
            return Ok(Err(Refusal::WrongState));
        }
        let Some(course_name) = sqlx::query_scalar!(
            "SELECT name FROM courses WHERE subscription_id = $1 AND odoo_id = $2",
            space.id,
            course,
        )
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(Err(Refusal::field("course", FieldProblem::Unknown)));
        };
        let members = sqlx::query!(
            "SELECT identity_id, email FROM memberships WHERE organization_id = $1 AND identity_id = ANY($2)",
            org.id,
            learners,
        )
        .fetch_all(&mut *tx)
        .await?;
        if members.len() != learners.iter().collect::<std::collections::BTreeSet<_>>().len() {
            return Ok(Err(Refusal::field("learners", FieldProblem::Unknown)));
        }
        let ids: Vec<Uuid> = members.iter().map(|member| member.identity_id).collect();
        let changed = match change {
            AssignmentChange::Assign => {
                sqlx::query_scalar!(
                    r#"INSERT INTO course_assignments (subscription_id, course_id, organization_id, identity_id, assigned_at)
                       SELECT $1, $2, $3, identity, $5 FROM unnest($4::uuid[]) AS t (identity)
                       ON CONFLICT (subscription_id, course_id, identity_id) DO UPDATE
                          SET removed_at = NULL, assigned_at = EXCLUDED.assigned_at
                        WHERE course_assignments.removed_at IS NOT NULL
                       RETURNING identity_id"#,
                    space.id,
                    course,
                    org.id,
                    &ids,
                    now,
                )
                .fetch_all(&mut *tx)
                .await?
            }
            AssignmentChange::Remove => {
                sqlx::query_scalar!(
                    "UPDATE course_assignments SET removed_at = $4
                      WHERE subscription_id = $1 AND course_id = $2 AND identity_id = ANY($3) AND removed_at IS NULL
                     RETURNING identity_id",
                    space.id,
                    course,
                    &ids,
                    now,
                )
                .fetch_all(&mut *tx)
                .await?
            }
        };
        // Asked twice (a form posted again): done already.
        if changed.is_empty() {
            return Ok(Ok(()));
        }
        let emails: Vec<&str> = members
            .iter()
            .filter(|member| changed.contains(&member.identity_id))
            .map(|member| member.email.as_str())
            .collect();
        let record = json!({ "course": course, "name": course_name, "learners": emails });
        let target = format!("course:{course_name}");
        let event = match change {
            AssignmentChange::Assign => {
                AuditEvent::new(Some(org.id), AuditAction::CourseAssign, target).after(record)
            }
            AssignmentChange::Remove => {
                AuditEvent::new(Some(org.id), AuditAction::CourseRemove, target).before(record)
            }
        };
        self.commit_change(tx, caller, now, event).await
    }

    /// The caller's courses in every organization they learn in, with
    /// their progress: "My learning".
    pub async fn my_learning(&self, caller: &Caller) -> Result<Vec<LearnerCourse>> {
        let identity = identity_uuid(caller)?;
        let rows = sqlx::query!(
            r#"SELECT o.name AS organization_name, o.slug, c.odoo_id, c.name, c.contents,
                      a.identity_id IS NOT NULL AS "asked!",
                      a.identity_id IS NOT NULL AND a.removed_at IS NULL AS "assigned!",
                      coalesce(p.enrolled, false) AS "enrolled!",
                      coalesce(p.completion, 0) AS "completion!",
                      p.last_activity
                 FROM courses c
                 JOIN subscriptions s ON s.id = c.subscription_id AND s.state = 'active'
                 JOIN organizations o ON o.id = s.organization_id AND o.state = 'active'
                 JOIN memberships m ON m.organization_id = o.id AND m.identity_id = $1
                 LEFT JOIN course_assignments a
                   ON a.subscription_id = c.subscription_id AND a.course_id = c.odoo_id AND a.identity_id = $1
                 LEFT JOIN course_progress p
                   ON p.subscription_id = c.subscription_id AND p.course_id = c.odoo_id AND p.identity_id = $1
                WHERE (a.identity_id IS NOT NULL AND a.removed_at IS NULL) OR p.enrolled
             ORDER BY lower(o.name), lower(c.name), c.odoo_id"#,
            identity,
        )
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let completion = percent(row.completion);
                LearnerCourse {
                    organization_name: row.organization_name,
                    organization_slug: row.slug,
                    course_id: row.odoo_id,
                    course_name: row.name,
                    contents: u32::try_from(row.contents).unwrap_or(0),
                    status: LearnerStatus::of(row.asked.then_some(row.assigned), row.enrolled, completion),
                    completion,
                    last_activity: row.last_activity.map(rfc3339),
                }
            })
            .collect())
    }

    /// Where "Continue" sends the caller: the sign-in into the training
    /// space of `slug`, landing on course `course`. The caller must be in
    /// the course (or train the organization); who signs in is checked
    /// again by the portal at the sign-in.
    pub async fn course_sign_in(&self, caller: &Caller, slug: &str, course: i64) -> Outcome<String> {
        let identity = identity_uuid(caller)?;
        let mut conn = self.db.pool().acquire().await?;
        let org = or_refuse!(access::check(&mut conn, caller, slug, Need::read(Permission::View)).await?);
        let Some(space) = training_space(&mut conn, org.id).await? else {
            return Ok(Err(Refusal::NotFound));
        };
        let found = sqlx::query!(
            r#"SELECT c.website_path,
                      EXISTS (SELECT 1 FROM course_assignments a
                               WHERE a.subscription_id = c.subscription_id AND a.course_id = c.odoo_id
                                 AND a.identity_id = $3 AND a.removed_at IS NULL)
                      OR EXISTS (SELECT 1 FROM course_progress p
                                  WHERE p.subscription_id = c.subscription_id AND p.course_id = c.odoo_id
                                    AND p.identity_id = $3 AND p.enrolled) AS "theirs!"
                 FROM courses c WHERE c.subscription_id = $1 AND c.odoo_id = $2"#,
            space.id,
            course,
            identity,
        )
        .fetch_optional(&mut *conn)
        .await?;
        let Some(found) = found else {
            return Ok(Err(Refusal::NotFound));
        };
        if !found.theirs && !org.role.allows(Permission::ManageMembers) {
            return Ok(Err(Refusal::Forbidden));
        }
        if org.state != OrganizationState::Active || space.state != SubscriptionState::Active {
            return Ok(Err(Refusal::WrongState));
        }
        drop(conn);
        let sites = self.sites.as_ref().ok_or(Error::NotConfigured("provisioning"))?;
        let land = format!("{}{}", sites.url(slug, OfferKind::Training), found.website_path);
        Ok(self
            .odoo_sign_in_url(slug, OfferKind::Training, space.id, &land)
            .await?
            .ok_or(Refusal::WrongState))
    }

    /// Keeps what the engine read of a training space's Odoo: its courses
    /// (those gone from Odoo go, with their assignments and progress) and
    /// the progress of its members, matched by their subject (`Bibind`
    /// provider's users only: `provider`).
    pub(crate) async fn record_training(
        &self,
        subscription: Uuid,
        observed: &ObservedTraining,
        provider: &str,
    ) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.db.pool().begin().await?;
        let ids: Vec<i64> = observed.courses.iter().map(|course| course.id).collect();
        let names: Vec<String> = observed
            .courses
            .iter()
            .map(|course| course.name.clone())
            .collect();
        let contents: Vec<i32> = observed
            .courses
            .iter()
            .map(|course| i32::try_from(course.contents).unwrap_or(i32::MAX))
            .collect();
        let paths: Vec<String> = observed
            .courses
            .iter()
            .map(|course| course.website_path.clone())
            .collect();
        let published: Vec<bool> = observed.courses.iter().map(|course| course.published).collect();
        sqlx::query!(
            "DELETE FROM courses WHERE subscription_id = $1 AND NOT (odoo_id = ANY($2))",
            subscription,
            &ids,
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "INSERT INTO courses (subscription_id, odoo_id, name, contents, website_path, published)
             SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::int[], $5::text[], $6::bool[])
             ON CONFLICT (subscription_id, odoo_id) DO UPDATE
                SET name = EXCLUDED.name, contents = EXCLUDED.contents,
                    website_path = EXCLUDED.website_path, published = EXCLUDED.published",
            subscription,
            &ids,
            &names,
            &contents,
            &paths,
            &published,
        )
        .execute(&mut *tx)
        .await?;
        let ours: Vec<_> = observed
            .enrolments
            .iter()
            .filter(|enrolment| enrolment.provider == provider && ids.contains(&enrolment.course_id))
            .filter_map(|enrolment| Some((enrolment, Uuid::parse_str(&enrolment.oauth_uid).ok()?)))
            .collect();
        let courses: Vec<i64> = ours.iter().map(|(enrolment, _)| enrolment.course_id).collect();
        let people: Vec<Uuid> = ours.iter().map(|(_, identity)| *identity).collect();
        let completion: Vec<i32> = ours
            .iter()
            .map(|(enrolment, _)| i32::from(enrolment.completion))
            .collect();
        let activity: Vec<Option<OffsetDateTime>> = ours
            .iter()
            .map(|(enrolment, _)| enrolment.last_activity)
            .collect();
        let enrolled: Vec<bool> = ours.iter().map(|(enrolment, _)| enrolment.active).collect();
        // Memberships no longer reported are no longer enrolments.
        sqlx::query!(
            "UPDATE course_progress p SET enrolled = false
              WHERE p.subscription_id = $1 AND p.enrolled
                AND NOT EXISTS (SELECT 1 FROM unnest($2::bigint[], $3::uuid[]) AS t (course, identity)
                                 WHERE t.course = p.course_id AND t.identity = p.identity_id)",
            subscription,
            &courses,
            &people,
        )
        .execute(&mut *tx)
        .await?;
        // Only members' progress is taken in; a new row needs their address.
        sqlx::query!(
            "INSERT INTO course_progress
                    (subscription_id, course_id, identity_id, email, completion, completed_at, last_activity, enrolled)
             SELECT $1, t.course, t.identity, m.email, t.completion,
                    CASE WHEN t.completion >= 100 THEN coalesce(t.activity, $7) END, t.activity, t.enrolled
               FROM unnest($2::bigint[], $3::uuid[], $4::int[], $5::timestamptz[], $6::bool[])
                    AS t (course, identity, completion, activity, enrolled)
               JOIN subscriptions s ON s.id = $1
               JOIN memberships m ON m.organization_id = s.organization_id AND m.identity_id = t.identity
             ON CONFLICT (subscription_id, course_id, identity_id) DO UPDATE
                SET completion = EXCLUDED.completion,
                    completed_at = CASE WHEN EXCLUDED.completion < 100 THEN NULL
                                        ELSE coalesce(course_progress.completed_at, EXCLUDED.completed_at) END,
                    last_activity = EXCLUDED.last_activity,
                    enrolled = EXCLUDED.enrolled",
            subscription,
            &courses,
            &people,
            &completion,
            &activity as &[Option<OffsetDateTime>],
            &enrolled,
            now,
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "UPDATE subscriptions SET courses_read_at = $2 WHERE id = $1",
            subscription,
            now,
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The assignments the engine applies: each course's members in and out.
    pub(crate) async fn course_assignments(&self, subscription: Uuid) -> Result<Vec<(i64, Uuid, bool)>> {
        let rows = sqlx::query!(
            "SELECT course_id, identity_id, removed_at IS NULL AS \"assigned!\"
               FROM course_assignments WHERE subscription_id = $1 ORDER BY course_id, identity_id",
            subscription,
        )
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| (row.course_id, row.identity_id, row.assigned))
            .collect())
    }
}
