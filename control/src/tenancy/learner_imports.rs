//! Learners enrolled in bulk from a CSV file: the trainer uploads it, the
//! preview shows every row with its problems (of the file, and against the
//! organization: unknown course, already a member, already invited) and
//! whether the seats allow the whole file; confirming invites every row
//! without a problem, or nobody. The letters go out through the engine's
//! queue (`provisioning::invitations`), each in its learner's language, so
//! the page does not wait for a thousand mails; each learner is put in the
//! file's courses when they join.

use std::collections::HashSet;

use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{
    domain::{
        names_course, parse_learners_csv, FieldError, FieldProblem, LearnerImport, Locale, Permission,
        Refusal, Role, RowProblem, SeatShortage,
    },
    jobs::{enqueue_in, NewJob},
    or_refuse,
    tenancy::{
        access::{self, Need},
        members::{write_invitation, Letter, NewInvitationRow},
        quotas::{check_seats, live_subscriptions, seat_holders},
    },
    Caller, Control, Outcome, PageChange, Result,
};

/// The kind of the jobs that send a bulk enrolment's invitations.
pub const INVITATION_JOB: &str = "invitations";
/// Their one step.
pub const SEND_INVITATIONS_STEP: &str = "send_invitations";
/// The biggest file taken (about 5,000 learners).
pub const MAX_FILE_BYTES: usize = 1024 * 1024;
/// How long an uploaded file waits for its confirmation.
const KEPT_FOR: Duration = Duration::days(1);

/// A course of the organization, as a file may name it.
struct KnownCourse {
    id: i64,
    code: String,
    name: String,
}

/// What a file's rows are checked against.
struct Organization {
    members: HashSet<String>,
    invited: HashSet<String>,
    courses: Vec<KnownCourse>,
}

async fn organization_facts(
    conn: &mut sqlx::PgConnection,
    organization: Uuid,
    now: OffsetDateTime,
) -> Result<Organization> {
    let members = sqlx::query_scalar!(
        r#"SELECT lower(email) AS "email!" FROM memberships WHERE organization_id = $1"#,
        organization,
    )
    .fetch_all(&mut *conn)
    .await?;
    let invited = sqlx::query_scalar!(
        r#"SELECT lower(email) AS "email!" FROM invitations
            WHERE organization_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2"#,
        organization,
        now,
    )
    .fetch_all(&mut *conn)
    .await?;
    let courses = sqlx::query!(
        "SELECT c.odoo_id, c.name, c.website_path FROM courses c JOIN subscriptions s ON s.id = c.subscription_id
          WHERE s.organization_id = $1 AND s.state <> 'closed' ORDER BY lower(c.name), c.odoo_id",
        organization,
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|course| KnownCourse {
        id: course.odoo_id,
        code: crate::domain::course_code(&course.website_path, course.odoo_id),
        name: course.name,
    })
    .collect();
    Ok(Organization {
        members: members.into_iter().collect(),
        invited: invited.into_iter().collect(),
        courses,
    })
}

/// The preview of `content`: its rows with their problems against the
/// organization, and the seats the valid ones would take; with the
/// organization's courses, which the rows' codes name.
async fn preview(
    conn: &mut sqlx::PgConnection,
    organization: Uuid,
    id: Uuid,
    file_name: String,
    content: &str,
    now: OffsetDateTime,
) -> Result<(LearnerImport, Vec<KnownCourse>)> {
    let facts = organization_facts(conn, organization, now).await?;
    let courses = facts
        .courses
        .iter()
        .map(|course| (course.code.clone(), course.name.clone()))
        .collect();
    let mut import = LearnerImport {
        id: id.to_string(),
        file_name,
        unreadable: None,
        rows: Vec::new(),
        to_invite: 0,
        over_seats: None,
        courses,
    };
    let mut rows = match parse_learners_csv(content) {
        Ok(rows) => rows,
        Err(problem) => {
            import.unreadable = Some(problem);
            return Ok((import, facts.courses));
        }
    };
    for row in &mut rows {
        let key = row.address().map_or_else(
            || row.email.to_lowercase(),
            |address| address.as_str().to_lowercase(),
        );
        if facts.members.contains(&key) {
            row.problems.push(RowProblem::AlreadyMember);
        } else if facts.invited.contains(&key) {
            row.problems.push(RowProblem::AlreadyInvited);
        }
        for code in &row.courses {
            if !facts
                .courses
                .iter()
                .any(|course| names_course(code, &course.code, course.id))
            {
                row.problems.push(RowProblem::UnknownCourse(code.clone()));
            }
        }
    }
    let valid = rows.iter().filter(|row| row.is_valid()).count();
    import.to_invite = u32::try_from(valid).unwrap_or(u32::MAX);
    import.rows = rows;
    let subscriptions = live_subscriptions(conn, organization).await?;
    let holders = seat_holders(conn, organization, now).await?;
    if let Err(Refusal::Quota { limit, requested, .. }) =
        check_seats(&subscriptions, &holders, &vec![Role::Learner; valid], &[])
    {
        import.over_seats = Some(SeatShortage { limit, requested });
    }
    Ok((import, facts.courses))
}

impl Control {
    /// Keeps a learners' file for its preview (owners and admins); files
    /// nobody confirmed within a day are dropped meanwhile. Returns its id.
    pub async fn upload_learners(
        &self,
        caller: &Caller,
        slug: &str,
        file_name: &str,
        content: &str,
    ) -> Outcome<Uuid> {
        if content.len() > MAX_FILE_BYTES {
            return Ok(Err(Refusal::Fields(vec![FieldError::new(
                "file",
                FieldProblem::TooLong,
            )])));
        }
        let now = self.clock.now();
        let mut tx = self.db.pool().begin().await?;
        let org =
            or_refuse!(access::check(&mut tx, caller, slug, Need::write(Permission::ManageMembers)).await?);
        if content.trim().is_empty() {
            return Ok(Err(Refusal::Fields(vec![FieldError::new(
                "file",
                FieldProblem::Missing,
            )])));
        }
        sqlx::query!(
            "DELETE FROM learner_imports WHERE organization_id = $1 AND uploaded_at < $2",
            org.id,
            now - KEPT_FOR,
        )
        .execute(&mut *tx)
        .await?;
        let id = Uuid::new_v4();
        let file_name: String = file_name.chars().take(255).collect();
        sqlx::query!(
            "INSERT INTO learner_imports (id, organization_id, uploaded_by, uploaded_at, file_name, content)
             VALUES ($1, $2, $3, $4, $5, $6)",
            id,
            org.id,
            org.caller_id,
            now,
            file_name,
            content,
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Ok(id))
    }

    /// The preview of an uploaded file, as the organization is now.
    pub async fn learner_import(&self, caller: &Caller, slug: &str, import: Uuid) -> Outcome<LearnerImport> {
        let now = self.clock.now();
        let mut conn = self.db.pool().acquire().await?;
        let org =
            or_refuse!(access::check(&mut conn, caller, slug, Need::read(Permission::ManageMembers)).await?);
        let Some(file) = sqlx::query!(
            "SELECT file_name, content FROM learner_imports WHERE id = $1 AND organization_id = $2 AND uploaded_at >= $3",
            import,
            org.id,
            now - KEPT_FOR,
        )
        .fetch_optional(&mut *conn)
        .await?
        else {
            return Ok(Err(Refusal::NotFound));
        };
        let (shown, _) = preview(&mut conn, org.id, import, file.file_name, &file.content, now).await?;
        Ok(Ok(shown))
    }

    /// Invites every row of the file without a problem as a learner, or
    /// nobody when the seats do not allow them all; the letters are queued
    /// for the engine, in each row's language (`locale` when it names
    /// none). Returns how many were invited.
    pub async fn send_learner_invitations(
        &self,
        caller: &Caller,
        slug: &str,
        import: Uuid,
        locale: Locale,
    ) -> Outcome<u32> {
        // Refused up front: invitations nobody can send are not kept.
        if self.mailer.is_none() {
            return Err(crate::Error::NotConfigured("SMTP"));
        }
        let now = self.clock.now();
        // Locked: two confirmations of one file, or an invitation meanwhile, wait.
        let (mut tx, org) = or_refuse!(self.begin_change(caller, slug, Permission::ManageMembers).await?);
        let Some(file) = sqlx::query!(
            "DELETE FROM learner_imports WHERE id = $1 AND organization_id = $2 AND uploaded_at >= $3
             RETURNING file_name, content",
            import,
            org.id,
            now - KEPT_FOR,
        )
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(Err(Refusal::NotFound));
        };
        let (checked, courses) = preview(&mut tx, org.id, import, file.file_name, &file.content, now).await?;
        if let Some(SeatShortage { limit, requested }) = checked.over_seats {
            return Ok(Err(Refusal::Quota {
                quota: crate::domain::QuotaKind::Seats,
                limit,
                requested,
            }));
        }
        if checked.to_invite == 0 {
            return Ok(Err(Refusal::Fields(vec![FieldError::new(
                "file",
                FieldProblem::Missing,
            )])));
        }
        let job = enqueue_in(
            &mut tx,
            &NewJob {
                kind: INVITATION_JOB,
                steps: &[SEND_INVITATIONS_STEP],
                subscription_id: None,
            },
            now,
        )
        .await?;
        for row in checked.rows.iter().filter(|row| row.is_valid()) {
            let Some(address) = row.address() else {
                continue;
            };
            let assigned: Vec<i64> = courses
                .iter()
                .filter(|course| {
                    row.courses
                        .iter()
                        .any(|code| names_course(code, &course.code, course.id))
                })
                .map(|course| course.id)
                .collect();
            let invitation = NewInvitationRow {
                email: address.as_str(),
                role: Role::Learner,
                letter: Letter::Queued {
                    job,
                    locale: row.locale.unwrap_or(locale),
                },
                courses: &assigned,
            };
            write_invitation(&mut tx, caller, &org, &invitation, now).await?;
        }
        self.commit_page_change(tx, PageChange::Organization(org.id))
            .await?;
        Ok(Ok(checked.to_invite))
    }
}
