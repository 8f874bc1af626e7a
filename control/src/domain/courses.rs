//! A training space's courses as its trainers and learners see them: the
//! courses its Odoo has (authored there), who is put in each, and each
//! learner's progress as Odoo last reported it. Pure: the control plane
//! fills these from its tables; the pages and the CSV export read them.

use serde::{Deserialize, Serialize};

use super::{FieldError, FieldProblem};

/// Where a learner stands in a course.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LearnerStatus {
    /// Put in the course; the engine has not enrolled them in Odoo yet.
    Assigning,
    /// Enrolled, nothing done yet.
    NotStarted,
    InProgress,
    Completed,
    /// Taken out of the course; the engine has not ended it in Odoo yet.
    Removing,
    /// Out of the course (or of the organization): their progress kept.
    Left,
}

impl LearnerStatus {
    pub const ALL: [LearnerStatus; 6] = [
        LearnerStatus::Assigning,
        LearnerStatus::NotStarted,
        LearnerStatus::InProgress,
        LearnerStatus::Completed,
        LearnerStatus::Removing,
        LearnerStatus::Left,
    ];

    pub fn code(self) -> &'static str {
        match self {
            LearnerStatus::Assigning => "assigning",
            LearnerStatus::NotStarted => "not_started",
            LearnerStatus::InProgress => "in_progress",
            LearnerStatus::Completed => "completed",
            LearnerStatus::Removing => "removing",
            LearnerStatus::Left => "left",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.code() == code)
    }

    /// From what trainers asked (`assigned`: put in and not taken out
    /// since; `None`: never asked, the learner joined in Odoo) and what Odoo
    /// reported (`enrolled` and `completion`; no report yet: not enrolled).
    pub fn of(assigned: Option<bool>, enrolled: bool, completion: u8) -> Self {
        match (assigned, enrolled) {
            (Some(true), false) => LearnerStatus::Assigning,
            (Some(false), true) => LearnerStatus::Removing,
            (_, false) => LearnerStatus::Left,
            (_, true) if completion >= 100 => LearnerStatus::Completed,
            (_, true) if completion > 0 => LearnerStatus::InProgress,
            (_, true) => LearnerStatus::NotStarted,
        }
    }

    /// Whether trainers have them in the course (to offer "remove").
    pub fn is_assigned(self) -> bool {
        !matches!(self, LearnerStatus::Removing | LearnerStatus::Left)
    }
}

/// One learner in one course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LearnerProgress {
    pub course_id: i64,
    pub course_name: String,
    /// The Kratos identity id.
    pub identity_id: String,
    pub email: String,
    pub status: LearnerStatus,
    /// Percent of the course's contents done.
    pub completion: u8,
    /// UTC, RFC 3339.
    pub completed_at: Option<String>,
    pub last_activity: Option<String>,
    /// Still a member of the organization.
    pub member: bool,
}

/// A course of the training space.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Course {
    /// Its id in Odoo.
    pub id: i64,
    /// What a learners' file names it by ([`course_code`]).
    pub code: String,
    pub name: String,
    /// Its published contents.
    pub contents: u32,
    pub published: bool,
    /// Learners in it now (assigned or enrolled).
    pub learners: u32,
    /// Of them, those who finished it.
    pub completed: u32,
}

/// The code a learners' file names a course by: the last part of its page's
/// path (Odoo's slug, `basics-of-rust-3`), or its id when it has no page.
pub fn course_code(website_path: &str, id: i64) -> String {
    website_path
        .strip_prefix("/slides/")
        .and_then(|rest| rest.split(['/', '?', '#']).next())
        .filter(|slug| !slug.is_empty())
        .map_or_else(|| id.to_string(), str::to_owned)
}

/// Whether `code`, as typed in a learners' file, names `course`: its code
/// or its id, any case.
pub fn names_course(code: &str, course_code: &str, id: i64) -> bool {
    code.eq_ignore_ascii_case(course_code) || code == id.to_string()
}

/// Which progress rows to show.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressFilter {
    pub course: Option<i64>,
    pub status: Option<LearnerStatus>,
    /// Part of the learner's address, any case.
    pub learner: Option<String>,
}

/// A field's text, unless left empty.
fn given(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|value| !value.is_empty())
}

impl ProgressFilter {
    /// The filter form's fields as typed; every problem reported.
    pub fn parse(
        course: Option<&str>,
        status: Option<&str>,
        learner: Option<&str>,
    ) -> Result<Self, Vec<FieldError>> {
        let mut problems = Vec::new();
        let course = given(course).and_then(|text| {
            let id = text.parse::<i64>().ok().filter(|id| *id > 0);
            if id.is_none() {
                problems.push(FieldError::new("course", FieldProblem::Unknown));
            }
            id
        });
        let status = given(status).and_then(|text| {
            let status = LearnerStatus::parse(text);
            if status.is_none() {
                problems.push(FieldError::new("status", FieldProblem::Unknown));
            }
            status
        });
        let learner = given(learner).map(|text| text.chars().take(254).collect::<String>().to_lowercase());
        if problems.is_empty() {
            Ok(Self {
                course,
                status,
                learner,
            })
        } else {
            Err(problems)
        }
    }

    pub fn keeps(&self, row: &LearnerProgress) -> bool {
        self.course.is_none_or(|course| course == row.course_id)
            && self.status.is_none_or(|status| status == row.status)
            && self
                .learner
                .as_deref()
                .is_none_or(|part| row.email.to_lowercase().contains(part))
    }

    pub fn is_empty(&self) -> bool {
        self.course.is_none() && self.status.is_none() && self.learner.is_none()
    }
}

/// A member trainers may put in a course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trainee {
    pub identity_id: String,
    pub email: String,
}

/// The Courses page of a training space.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingView {
    /// The training space's subscription; `None`: the organization has none.
    pub subscription_id: Option<String>,
    /// Whether the space is live (courses can be read and assigned).
    pub live: bool,
    pub courses: Vec<Course>,
    /// The rows the filter keeps, by course then address.
    pub progress: Vec<LearnerProgress>,
    /// Members with an Odoo user, for the assignment form.
    pub trainees: Vec<Trainee>,
    /// When Odoo was last read (UTC, RFC 3339); `None`: not yet.
    pub read_at: Option<String>,
    /// A fresher reading was asked of the engine.
    pub refreshing: bool,
    pub filter: ProgressFilter,
}

/// One course on a learner's "My learning" page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LearnerCourse {
    pub organization_name: String,
    pub organization_slug: String,
    pub course_id: i64,
    pub course_name: String,
    pub contents: u32,
    pub status: LearnerStatus,
    pub completion: u8,
    pub last_activity: Option<String>,
}

impl TrainingView {
    /// The page of an organization without a training space.
    pub fn without_space(trainees: Vec<Trainee>, filter: ProgressFilter) -> Self {
        Self {
            subscription_id: None,
            live: false,
            courses: Vec::new(),
            progress: Vec::new(),
            trainees,
            read_at: None,
            refreshing: false,
            filter,
        }
    }
}

impl LearnerCourse {
    /// Whether "Continue" leads anywhere: the course is theirs in Odoo
    /// (or about to be).
    pub fn open(&self) -> bool {
        self.status.is_assigned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_course_is_named_by_its_slug_or_its_id() {
        assert_eq!(course_code("/slides/basics-of-rust-3", 3), "basics-of-rust-3");
        assert_eq!(
            course_code("/slides/basics-of-rust-3?fullscreen=1", 3),
            "basics-of-rust-3"
        );
        assert_eq!(course_code("/slides/", 7), "7");
        assert!(names_course("Basics-Of-Rust-3", "basics-of-rust-3", 3));
        assert!(names_course("3", "basics-of-rust-3", 3));
        assert!(!names_course("basics", "basics-of-rust-3", 3));
    }

    #[test]
    fn a_status_follows_what_was_asked_and_what_odoo_reports() {
        assert_eq!(LearnerStatus::of(Some(true), false, 0), LearnerStatus::Assigning);
        assert_eq!(LearnerStatus::of(Some(true), true, 0), LearnerStatus::NotStarted);
        assert_eq!(LearnerStatus::of(Some(true), true, 40), LearnerStatus::InProgress);
        assert_eq!(LearnerStatus::of(None, true, 100), LearnerStatus::Completed);
        assert_eq!(LearnerStatus::of(Some(false), true, 40), LearnerStatus::Removing);
        assert_eq!(LearnerStatus::of(Some(false), false, 40), LearnerStatus::Left);
        assert_eq!(LearnerStatus::of(None, false, 40), LearnerStatus::Left);
        for status in LearnerStatus::ALL {
            assert_eq!(LearnerStatus::parse(status.code()), Some(status));
        }
    }

    #[test]
    fn the_filter_reports_each_bad_field_and_keeps_matching_rows() {
        assert_eq!(
            ProgressFilter::parse(Some("x"), Some("done"), None),
            Err(vec![
                FieldError::new("course", FieldProblem::Unknown),
                FieldError::new("status", FieldProblem::Unknown)
            ])
        );
        let filter = ProgressFilter::parse(Some(" 7 "), Some("in_progress"), Some("ANA")).unwrap_or_default();
        let row = LearnerProgress {
            course_id: 7,
            course_name: "Python".into(),
            identity_id: "id".into(),
            email: "ana@example.fr".into(),
            status: LearnerStatus::InProgress,
            completion: 50,
            completed_at: None,
            last_activity: None,
            member: true,
        };
        assert!(filter.keeps(&row));
        assert!(!filter.keeps(&LearnerProgress {
            course_id: 8,
            ..row.clone()
        }));
        assert!(!filter.keeps(&LearnerProgress {
            email: "bob@example.fr".into(),
            ..row
        }));
        assert!(ProgressFilter::parse(Some(""), None, Some("  ")).is_ok_and(|f| f.is_empty()));
    }
}
