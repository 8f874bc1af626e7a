//! Odoo 17's eLearning (`website_slides`) behind the ORM: courses
//! (`slide.channel`), their contents (`slide.slide`), memberships
//! (`slide.channel.partner`) and each member's progress per content
//! (`slide.slide.partner`). What Odoo computes is kept up to date after
//! every change (`refresh`), the values that depend on who reads them
//! just before each call (`personalize`); its record rules, SQL
//! constraints and the overrides of `create`, `write` and `unlink` that a
//! client notices are here, and so are the public methods a learner's or a
//! manager's client may call.

use serde_json::{json, Map, Value};

use super::{
    database::{at, now, truthy, Database, Record, GROUP_PUBLIC, PUBLIC_USER, ROOT_USER},
    error::{OdooError, OdooResult},
    orm::{self, Call},
    schema::{self, Field, Grant, Kind, Model, Operation},
};

pub const MODULE: &str = "website_slides";
pub const CHANNEL: &str = "slide.channel";
pub const SLIDE: &str = "slide.slide";
pub const MEMBERSHIP: &str = "slide.channel.partner";
pub const SLIDE_PARTNER: &str = "slide.slide.partner";

const OFFICER: &str = "group_website_slides_officer";
const MANAGER: &str = "group_website_slides_manager";

/// `website.published.mixin`'s refusal.
const PUBLISH_REFUSED: &str = "Publishing is restricted to the responsible of training courses or members of the publisher group for documentation courses";

// ---------------------------------------------------------------------
// Data, groups, users
// ---------------------------------------------------------------------

/// The module's groups (`security/website_slides_security.xml`): the
/// manager implies the officer, and root and the administrator are managers.
pub fn load_data(database: &mut Database) {
    let officer = database.insert("res.groups", json!({"name": "Officer"}));
    database.add_xml_id(MODULE, OFFICER, "res.groups", officer);
    let manager = database.insert("res.groups", json!({"name": "Manager"}));
    database.add_xml_id(MODULE, MANAGER, "res.groups", manager);
    for uid in [ROOT_USER, super::database::ADMIN_USER] {
        if let Some(user) = database.get_mut("res.users", uid) {
            let mut groups: Vec<Value> = at(user, "groups_id").as_array().cloned().unwrap_or_default();
            groups.push(json!(manager));
            user.insert("groups_id".to_owned(), Value::Array(groups));
        }
    }
}

fn group(database: &Database, name: &str) -> Option<i64> {
    database.xml_id(MODULE, name).map(|(_, id)| id)
}

/// What the module adds to the user template (`base.default_user`): new
/// users created without groups are eLearning managers.
pub fn template_user_groups(database: &Database) -> Vec<i64> {
    group(database, MANAGER).into_iter().collect()
}

pub fn is_manager(database: &Database, uid: i64) -> bool {
    group(database, MANAGER).is_some_and(|manager| database.groups_of(uid).contains(&manager))
}

/// Officers, managers included (implied group).
pub fn is_officer(database: &Database, uid: i64) -> bool {
    is_manager(database, uid)
        || group(database, OFFICER).is_some_and(|officer| database.groups_of(uid).contains(&officer))
}

fn is_public(database: &Database, uid: i64) -> bool {
    uid == PUBLIC_USER || database.groups_of(uid).contains(&GROUP_PUBLIC)
}

pub fn partner_of(database: &Database, uid: i64) -> Option<i64> {
    database
        .get("res.users", uid)
        .and_then(|user| at(user, "partner_id").as_i64())
}

/// Whether the eLearning models exist in this database.
pub fn installed(database: &Database) -> bool {
    database.model(CHANNEL).is_some()
}

pub fn owns(model: &Model) -> bool {
    model.module == MODULE
}

fn model(name: &str) -> OdooResult<&'static Model> {
    schema::model(name).ok_or_else(|| OdooError::key_error(name))
}

// ---------------------------------------------------------------------
// Small record helpers
// ---------------------------------------------------------------------

fn id_of(record: &Record, field: &str) -> Option<i64> {
    at(record, field).as_i64()
}

fn text<'a>(record: &'a Record, field: &str) -> &'a str {
    at(record, field).as_str().unwrap_or_default()
}

fn flag(record: &Record, field: &str) -> bool {
    at(record, field) == true
}

fn ids_where(database: &Database, model: &str, keep: impl Fn(&Record) -> bool) -> Vec<i64> {
    database
        .table(model)
        .filter(|(_, record)| keep(record))
        .map(|(id, _)| *id)
        .collect()
}

/// Server-side values, as a stored computed field: no `write_date`.
fn set_computed(database: &mut Database, model: &str, id: i64, values: &[(&str, Value)]) {
    if let Some(record) = database.get_mut(model, id) {
        for (field, value) in values {
            record.insert((*field).to_owned(), value.clone());
        }
    }
}

/// A write by the module's own code: `write_date` moves when a value does.
fn set(database: &mut Database, model: &str, id: i64, values: &[(&str, Value)]) {
    let Some(record) = database.get_mut(model, id) else {
        return;
    };
    let mut changed = false;
    for (field, value) in values {
        if record.get(*field) != Some(value) {
            record.insert((*field).to_owned(), value.clone());
            changed = true;
        }
    }
    if changed {
        record.insert("write_date".to_owned(), now());
    }
}

/// Python's `round()` of a float: halves to the even neighbour.
pub fn python_round(value: f64) -> i64 {
    let floor = value.floor();
    let rounded = match value - floor {
        diff if diff > 0.5 => floor + 1.0,
        diff if diff < 0.5 => floor,
        _ if floor % 2.0 == 0.0 => floor,
        _ => floor + 1.0,
    };
    rounded as i64
}

// ---------------------------------------------------------------------
// URLs
// ---------------------------------------------------------------------

/// `http_routing`'s `slug()`: the slugified name and the id.
pub fn slug(name: &str, id: i64) -> String {
    let slugged = slugify(name);
    let slugged = slugged.trim_matches('-');
    if slugged.is_empty() {
        id.to_string()
    } else {
        format!("{slugged}-{id}")
    }
}

/// `slugify_one` without python-slugify: accents dropped (NFKD, then
/// ASCII only), anything but letters and digits a separator, lower case,
/// runs of separators one hyphen.
pub fn slugify(text: &str) -> String {
    let mut ascii = String::new();
    for c in text.chars() {
        fold(c, &mut ascii);
    }
    let spaced: String = ascii
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect();
    spaced
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("-")
}

/// The ASCII left of `c` by NFKD and `encode('ascii', 'ignore')`, for the
/// Latin letters (Latin-1 and Latin Extended-A); other letters vanish.
fn fold(c: char, out: &mut String) {
    const LATIN_1: &str = "AAAAAA-CEEEEIIII-NOOOOO--UUUUY--aaaaaa-ceeeeiiii-nooooo--uuuuy-y";
    const EXTENDED_A: &str = "AaAaAaCcCcCcCcDd--EeEeEeEeEeGgGgGgGgHh--IiIiIiIiI---JjKk-LlLlLlLl--NnNnNnn--OoOoOo--RrRrRrSsSsSsSsTtTt--UuUuUuUuUuUuWwYyYZzZzZzs";
    let code = u32::from(c);
    // The ligatures decompose to two letters.
    match code {
        0x132 => out.push_str("IJ"),
        0x133 => out.push_str("ij"),
        0..=0x7f => out.push(c),
        _ => {
            let folded = match code {
                0xc0..=0xff => LATIN_1.chars().nth((code - 0xc0) as usize),
                0x100..=0x17f => EXTENDED_A.chars().nth((code - 0x100) as usize),
                _ => None,
            };
            // `-` marks a letter without an ASCII decomposition.
            if let Some(folded) = folded.filter(|folded| *folded != '-') {
                out.push(folded);
            }
        }
    }
}

/// The id in a route's `<model(...)>` segment (`_UNSLUG_ROUTE_PATTERN`,
/// the whole segment): `name-42` or `42`.
pub fn unslug(segment: &str) -> Option<i64> {
    let pattern = regex::Regex::new(r"^(?:(?:\w{1,2}|\w[A-Za-z0-9\-_]+?\w)-)?(-?\d+)$").ok()?;
    let id: i64 = pattern.captures(segment)?.get(1)?.as_str().parse().ok()?;
    Some(id.abs())
}

// ---------------------------------------------------------------------
// What Odoo computes
// ---------------------------------------------------------------------

/// A user's place in a course (`_compute_membership_values`,
/// `_compute_user_statistics`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub is_member: bool,
    pub is_member_invited: bool,
    pub completed: bool,
    /// Percent.
    pub completion: i64,
}

/// The user's active membership of the course, if any.
fn membership_of(database: &Database, channel: i64, uid: i64) -> Option<(i64, &Record)> {
    let partner = partner_of(database, uid)?;
    database
        .table(MEMBERSHIP)
        .find(|(_, membership)| {
            flag(membership, "active")
                && id_of(membership, "channel_id") == Some(channel)
                && id_of(membership, "partner_id") == Some(partner)
        })
        .map(|(id, membership)| (*id, membership))
}

pub fn progress(database: &Database, channel: i64, uid: i64) -> Progress {
    let membership = membership_of(database, channel, uid).map(|(_, membership)| membership);
    let status = membership.map_or("", |membership| text(membership, "member_status"));
    let public = is_public(database, uid);
    let completed = status == "completed";
    let count = membership
        .and_then(|membership| at(membership, "completed_slides_count").as_i64())
        .unwrap_or(0);
    let total = total_slides(database, channel).max(1);
    Progress {
        is_member: !public && matches!(status, "joined" | "ongoing" | "completed"),
        is_member_invited: !public && status == "invited",
        completed,
        completion: if completed {
            100
        } else {
            python_round(100.0 * count as f64 / total as f64)
        },
    }
}

/// The course's contents that count (`_compute_slides_statistics`):
/// active, published, not sections.
fn counted_slides(database: &Database, channel: i64) -> impl Iterator<Item = &Record> {
    database
        .table(SLIDE)
        .map(|(_, slide)| slide)
        .filter(move |slide| {
            id_of(slide, "channel_id") == Some(channel)
                && flag(slide, "active")
                && flag(slide, "is_published")
                && !flag(slide, "is_category")
        })
}

pub fn total_slides(database: &Database, channel: i64) -> i64 {
    counted_slides(database, channel).count() as i64
}

/// The course's active contents and sections in `_order` (sequence,
/// sections first, id).
pub fn course_slides(database: &Database, channel: i64) -> Vec<i64> {
    let mut slides: Vec<(i64, i64, bool)> = database
        .table(SLIDE)
        .filter(|(_, slide)| id_of(slide, "channel_id") == Some(channel) && flag(slide, "active"))
        .map(|(id, slide)| {
            let sequence = at(slide, "sequence").as_i64().unwrap_or(0);
            (*id, sequence, flag(slide, "is_category"))
        })
        .collect();
    slides.sort_by_key(|(id, sequence, is_category)| (*sequence, *is_category, *id));
    slides.into_iter().map(|(id, _, _)| id).collect()
}

/// The sections of the course, in order.
pub fn sections(database: &Database, channel: i64) -> Vec<i64> {
    course_slides(database, channel)
        .into_iter()
        .filter(|id| {
            database
                .get(SLIDE, *id)
                .is_some_and(|slide| flag(slide, "is_category"))
        })
        .collect()
}

/// Every computed value that does not depend on who reads it, as Odoo's
/// stored computed fields would hold it after the last change.
pub fn refresh(database: &mut Database) {
    if !installed(database) {
        return;
    }
    let base_url = database.web_base_url();
    let channels: Vec<i64> = database.table(CHANNEL).map(|(id, _)| *id).collect();
    for channel in &channels {
        refresh_sections(database, *channel);
    }
    refresh_slides(database, &base_url);
    refresh_slide_partners(database);
    refresh_memberships(database);
    for channel in channels {
        refresh_channel(database, channel, &base_url);
    }
}

/// `_compute_category_id`: each content's section is the last section
/// before it (sequence, sections first).
fn refresh_sections(database: &mut Database, channel: i64) {
    let mut section = Value::Bool(false);
    for id in course_slides(database, channel) {
        let Some(slide) = database.get(SLIDE, id) else {
            continue;
        };
        if flag(slide, "is_category") {
            set_computed(database, SLIDE, id, &[("category_id", json!(false))]);
            section = json!(id);
        } else {
            set_computed(database, SLIDE, id, &[("category_id", section.clone())]);
        }
    }
}

fn refresh_slides(database: &mut Database, base_url: &str) {
    let slides: Vec<(i64, String)> = database
        .table(SLIDE)
        .map(|(id, slide)| (*id, text(slide, "name").to_owned()))
        .collect();
    for (id, name) in slides {
        let url = format!("{base_url}/slides/slide/{}", slug(&name, id));
        set_computed(database, SLIDE, id, &[("website_url", json!(url))]);
    }
}

/// `channel_id`, related to the content's course.
fn refresh_slide_partners(database: &mut Database) {
    let links: Vec<(i64, Value)> = database
        .table(SLIDE_PARTNER)
        .map(|(id, link)| {
            let channel = id_of(link, "slide_id")
                .and_then(|slide| database.get(SLIDE, slide))
                .map_or(json!(false), |slide| at(slide, "channel_id").clone());
            (*id, channel)
        })
        .collect();
    for (id, channel) in links {
        set_computed(database, SLIDE_PARTNER, id, &[("channel_id", channel)]);
    }
}

/// `partner_email`, related to the partner's.
fn refresh_memberships(database: &mut Database) {
    let emails: Vec<(i64, Value)> = database
        .table(MEMBERSHIP)
        .map(|(id, membership)| {
            let email = id_of(membership, "partner_id")
                .and_then(|partner| database.get("res.partner", partner))
                .map_or(json!(false), |partner| at(partner, "email").clone());
            (*id, email)
        })
        .collect();
    for (id, email) in emails {
        set_computed(database, MEMBERSHIP, id, &[("partner_email", email)]);
    }
}

fn refresh_channel(database: &mut Database, channel: i64, base_url: &str) {
    let mut values = statistics(database, channel);
    values.extend(member_counts(database, channel));
    values.push(("slide_ids", json!(course_slides(database, channel))));
    if let Some(record) = database.get(CHANNEL, channel) {
        let url = format!("{base_url}/slides/{}", slug(text(record, "name"), channel));
        values.push(("website_url", json!(url)));
    }
    set_computed(database, CHANNEL, channel, &values);
}

/// `_compute_slides_statistics`: the contents that count, by category.
fn statistics(database: &Database, channel: i64) -> Vec<(&'static str, Value)> {
    let count = |category: &str| {
        counted_slides(database, channel)
            .filter(|slide| text(slide, "slide_category") == category)
            .count()
    };
    vec![
        ("total_slides", json!(total_slides(database, channel))),
        ("nbr_document", json!(count("document"))),
        ("nbr_video", json!(count("video"))),
        ("nbr_infographic", json!(count("infographic"))),
        ("nbr_article", json!(count("article"))),
        ("nbr_quiz", json!(count("quiz"))),
    ]
}

/// `_compute_members_counts`, `_compute_partners` and the enrolled
/// attendees (`channel_partner_ids`: active, not invited).
fn member_counts(database: &Database, channel: i64) -> Vec<(&'static str, Value)> {
    let members: Vec<(i64, &Record)> = database
        .table(MEMBERSHIP)
        .filter(|(_, membership)| {
            id_of(membership, "channel_id") == Some(channel) && flag(membership, "active")
        })
        .map(|(id, membership)| (*id, membership))
        .collect();
    let count = |statuses: &[&str]| {
        members
            .iter()
            .filter(|(_, membership)| statuses.contains(&text(membership, "member_status")))
            .count()
    };
    let enrolled: Vec<(i64, &Record)> = members
        .iter()
        .filter(|(_, membership)| text(membership, "member_status") != "invited")
        .copied()
        .collect();
    let partners: Vec<Value> = enrolled
        .iter()
        .map(|(_, membership)| at(membership, "partner_id").clone())
        .collect();
    vec![
        ("members_invited_count", json!(count(&["invited"]))),
        ("members_engaged_count", json!(count(&["joined", "ongoing"]))),
        ("members_completed_count", json!(count(&["completed"]))),
        ("members_all_count", json!(members.len())),
        ("members_count", json!(enrolled.len())),
        (
            "channel_partner_ids",
            json!(enrolled.iter().map(|(id, _)| *id).collect::<Vec<_>>()),
        ),
        ("partner_ids", Value::Array(partners)),
    ]
}

/// The values that depend on who reads them, for `uid`, put on the
/// records before the call reads or searches them.
pub fn personalize(database: &mut Database, uid: i64) {
    refresh(database);
    if !installed(database) {
        return;
    }
    let channels: Vec<i64> = database.table(CHANNEL).map(|(id, _)| *id).collect();
    for channel in channels {
        let progress = progress(database, channel, uid);
        set_computed(
            database,
            CHANNEL,
            channel,
            &[
                ("is_member", json!(progress.is_member)),
                ("is_member_invited", json!(progress.is_member_invited)),
                ("completed", json!(progress.completed)),
                ("completion", json!(progress.completion)),
            ],
        );
    }
    let partner = partner_of(database, uid);
    let slides: Vec<i64> = database.table(SLIDE).map(|(id, _)| *id).collect();
    for slide in slides {
        let done = partner.is_some_and(|partner| completed_by(database, slide, partner));
        set_computed(database, SLIDE, slide, &[("user_has_completed", json!(done))]);
    }
}

fn slide_link(database: &Database, slide: i64, partner: i64) -> Option<(i64, &Record)> {
    database
        .table(SLIDE_PARTNER)
        .find(|(_, link)| {
            id_of(link, "slide_id") == Some(slide) && id_of(link, "partner_id") == Some(partner)
        })
        .map(|(id, link)| (*id, link))
}

pub fn completed_by(database: &Database, slide: i64, partner: i64) -> bool {
    slide_link(database, slide, partner).is_some_and(|(_, link)| flag(link, "completed"))
}

// ---------------------------------------------------------------------
// Record rules (security/website_slides_security.xml)
// ---------------------------------------------------------------------

/// Whether the rules let `uid` do `operation` on the record (a missing
/// record is left to the caller).
pub fn rule_allows(database: &Database, model: &Model, operation: Operation, uid: i64, id: i64) -> bool {
    let Some(record) = database.get(model.name, id) else {
        return true;
    };
    if uid == ROOT_USER {
        return true;
    }
    if operation == Operation::Read {
        return match model.name {
            CHANNEL => channel_readable(database, id, record, uid),
            SLIDE => slide_readable(database, record, uid),
            // No rule restricts reading memberships (their access rights do).
            _ => true,
        };
    }
    if is_manager(database, uid) {
        return true;
    }
    // Officers change what belongs to the courses they are responsible for.
    let channel = match model.name {
        CHANNEL => Some(id),
        _ => id_of(record, "channel_id"),
    };
    channel
        .and_then(|channel| database.get(CHANNEL, channel))
        .is_some_and(|channel| id_of(channel, "user_id") == Some(uid))
}

/// Public visitors see published courses shown to everyone; signed-in
/// users also those shown to signed-in users and those they are (invited)
/// attendees of; officers every course.
fn channel_readable(database: &Database, id: i64, channel: &Record, uid: i64) -> bool {
    if is_officer(database, uid) {
        return true;
    }
    let published = flag(channel, "website_published");
    let visibility = text(channel, "visibility");
    if is_public(database, uid) {
        return published && visibility == "public";
    }
    let progress = progress(database, id, uid);
    published
        && (matches!(visibility, "public" | "connected") || progress.is_member || progress.is_member_invited)
}

/// Attendees read the published contents of their course; others only its
/// sections and previews, when they may see the course.
fn slide_readable(database: &Database, slide: &Record, uid: i64) -> bool {
    if is_officer(database, uid) {
        return true;
    }
    let Some((channel_id, channel)) =
        id_of(slide, "channel_id").and_then(|id| database.get(CHANNEL, id).map(|channel| (id, channel)))
    else {
        return false;
    };
    let open = flag(slide, "is_category") || flag(slide, "is_preview");
    let published = flag(slide, "website_published") && flag(channel, "website_published");
    let visibility = text(channel, "visibility");
    if is_public(database, uid) {
        return published && visibility == "public" && open;
    }
    let progress = progress(database, channel_id, uid);
    let own = id_of(slide, "user_id") == Some(uid);
    (own || published)
        && (((matches!(visibility, "public" | "connected") || progress.is_member_invited) && open)
            || progress.is_member)
}

/// `check_access_rule`: the records `uid` may not touch are an
/// `AccessError` in Odoo's words (without debug mode's details).
pub fn check_rules(
    database: &Database,
    model: &Model,
    operation: Operation,
    uid: i64,
    ids: &[i64],
) -> OdooResult<()> {
    if ids
        .iter()
        .all(|id| rule_allows(database, model, operation, uid, *id))
    {
        return Ok(());
    }
    let name = database
        .get("res.users", uid)
        .map_or("", |user| text(user, "name"));
    let operation = match operation {
        Operation::Read => "read",
        Operation::Write => "write",
        Operation::Create => "create",
        Operation::Unlink => "unlink",
    };
    Err(OdooError::access_error(format!(
        "Uh-oh! Looks like you have stumbled upon some top-secret records.\n\nSorry, {name} (id={uid}) doesn't have '{operation}' access to:\n- {} ({})\n\nIf you really, really need access, perhaps you can win over your friendly administrator with a batch of freshly baked cookies.",
        model.description, model.name
    )))
}

// ---------------------------------------------------------------------
// SQL constraints
// ---------------------------------------------------------------------

/// The models' `_sql_constraints`, worded as `_as_validation_error` does.
pub fn check_constraints(
    database: &Database,
    model: &Model,
    own_id: Option<i64>,
    record: &Record,
) -> OdooResult<()> {
    let refused = |message: &str| {
        Err(OdooError::validation(format!(
            "The operation cannot be completed: {message}"
        )))
    };
    let taken = |key: &str| {
        database.table(model.name).any(|(id, other)| {
            Some(*id) != own_id
                && at(other, key) == at(record, key)
                && at(other, "partner_id") == at(record, "partner_id")
        })
    };
    match model.name {
        MEMBERSHIP if taken("channel_id") => refused("A partner membership to a channel must be unique!"),
        MEMBERSHIP if !(0..=100).contains(&at(record, "completion").as_i64().unwrap_or(0)) => {
            refused("The completion of a channel is a percentage and should be between 0% and 100.")
        }
        SLIDE_PARTNER if taken("slide_id") => refused("A partner membership to a slide must be unique!"),
        SLIDE_PARTNER if !(-1..=1).contains(&at(record, "vote").as_i64().unwrap_or(0)) => {
            refused("The vote must be 1, 0 or -1.")
        }
        CHANNEL if text(record, "visibility") == "members" && text(record, "enroll") != "invite" => refused(
            "The Enroll Policy should be set to 'On Invitation' when visibility is set to 'Course Attendees'",
        ),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------
// create, write, unlink
// ---------------------------------------------------------------------

/// One2many values, applied once the record exists.
struct Nested {
    field: Field,
    commands: Value,
}

fn split_one2many(database: &Database, model: &Model, values: &Map<String, Value>) -> (Record, Vec<Nested>) {
    let mut plain = Record::new();
    let mut nested = Vec::new();
    for (name, value) in values {
        match database.field(model, name) {
            Some(field) if matches!(field.kind, Kind::One2many(..)) => nested.push(Nested {
                field,
                commands: value.clone(),
            }),
            _ => {
                plain.insert(name.clone(), value.clone());
            }
        }
    }
    (plain, nested)
}

/// `is_published` and `website_published` are one value (the latter
/// related, or computed without a website of its own).
fn sync_published(values: &mut Record) {
    if let Some(published) = values.get("website_published").cloned() {
        values.entry("is_published").or_insert(published);
    }
    if let Some(published) = values.get("is_published").map(truthy) {
        values.insert("is_published".to_owned(), json!(published));
        values.insert("website_published".to_owned(), json!(published));
    }
}

/// `create` of an eLearning model as `uid` (access rights checked by the
/// caller, record rules here).
pub fn create(database: &mut Database, model: &'static Model, values: &Value, uid: i64) -> OdooResult<i64> {
    let Some(values) = values.as_object() else {
        return database.create(model, values);
    };
    let (mut plain, mut nested) = split_one2many(database, model, values);
    prepare_create(database, model, &mut plain, &mut nested, uid);
    let id = database.create(model, &Value::Object(plain.clone()))?;
    let stamp = now();
    set_computed(
        database,
        model.name,
        id,
        &[("create_date", stamp.clone()), ("write_date", stamp)],
    );
    for one2many in nested {
        apply_one2many(database, one2many.field, id, &one2many.commands, uid)?;
    }
    after_create(database, model, id, &plain, uid)?;
    refresh(database);
    check_rules(database, model, Operation::Create, uid, &[id])?;
    Ok(id)
}

fn prepare_create(
    database: &Database,
    model: &Model,
    values: &mut Record,
    nested: &mut Vec<Nested>,
    uid: i64,
) {
    match model.name {
        CHANNEL => {
            values.entry("user_id").or_insert(json!(uid));
            sync_published(values);
            // The creator attends the course (not the superuser).
            let members = nested
                .iter()
                .find(|one2many| one2many.field.name == "channel_partner_ids")
                .is_some_and(|one2many| truthy(&one2many.commands));
            if members || uid == ROOT_USER {
                return;
            }
            let creator = partner_of(database, uid);
            if let (Some(partner), Some(field)) = (creator, database.field(model, "channel_partner_ids")) {
                nested.retain(|one2many| one2many.field.name != "channel_partner_ids");
                nested.push(Nested {
                    field,
                    commands: json!([[0, 0, {"partner_id": partner}]]),
                });
            }
        }
        SLIDE => {
            values.entry("user_id").or_insert(json!(uid));
            if values.get("is_category").is_some_and(truthy) {
                values.insert("is_preview".to_owned(), json!(true));
                values.insert("is_published".to_owned(), json!(true));
            }
            sync_published(values);
        }
        _ => {}
    }
}

fn after_create(
    database: &mut Database,
    model: &Model,
    id: i64,
    values: &Record,
    uid: i64,
) -> OdooResult<()> {
    match model.name {
        CHANNEL => {
            let responsible = values
                .get("user_id")
                .and_then(Value::as_i64)
                .and_then(|user| partner_of(database, user));
            if let Some(partner) = responsible {
                add_members(database, &[id], &[partner], uid, Enrolment::Join);
            }
        }
        SLIDE => {
            let Some(slide) = database.get(SLIDE, id) else {
                return Ok(());
            };
            let (published, section) = (flag(slide, "is_published"), flag(slide, "is_category"));
            let channel = id_of(slide, "channel_id").unwrap_or(0);
            if published {
                set_computed(database, SLIDE, id, &[("date_published", now())]);
                if !can_publish(database, channel, uid) {
                    return Err(OdooError::access_error(PUBLISH_REFUSED));
                }
                if !section {
                    recompute_completion(database, &enrolled(database, channel));
                }
            }
        }
        SLIDE_PARTNER => {
            refresh_slide_partners(database);
            if database
                .get(SLIDE_PARTNER, id)
                .is_some_and(|link| flag(link, "completed"))
            {
                recompute_links(database, &[id]);
            }
        }
        _ => {}
    }
    Ok(())
}

/// `write` of eLearning records as `uid`: rules first, then the ORM and
/// what Odoo's overrides do after it.
pub fn write(
    database: &mut Database,
    model: &'static Model,
    ids: &[i64],
    values: &Value,
    uid: i64,
) -> OdooResult<()> {
    let Some(values) = values.as_object() else {
        return database.write(model, ids, values, uid);
    };
    check_rules(database, model, Operation::Write, uid, ids)?;
    let (mut plain, nested) = split_one2many(database, model, values);
    let changed_links = prepare_write(database, model, ids, &mut plain, uid)?;
    database.write(model, ids, &Value::Object(plain.clone()), uid)?;
    for id in ids {
        set_computed(database, model.name, *id, &[("write_date", now())]);
        for one2many in &nested {
            apply_one2many(database, one2many.field, *id, &one2many.commands, uid)?;
        }
    }
    after_write(database, model, ids, &plain, uid);
    recompute_links(database, &changed_links);
    refresh(database);
    Ok(())
}

/// The values as the overrides complete them; for progress records, those
/// whose `completed` changes (their course's completion follows).
fn prepare_write(
    database: &Database,
    model: &Model,
    ids: &[i64],
    values: &mut Record,
    uid: i64,
) -> OdooResult<Vec<i64>> {
    match model.name {
        CHANNEL => {
            sync_published(values);
            if values.get("visibility").and_then(Value::as_str) == Some("members") {
                values.entry("enroll").or_insert(json!("invite"));
            }
        }
        SLIDE => {
            if values.get("is_category").is_some_and(truthy) {
                values.insert("is_preview".to_owned(), json!(true));
                values.insert("is_published".to_owned(), json!(true));
            }
            sync_published(values);
            let refused = values.contains_key("is_published")
                && ids.iter().any(|id| {
                    let channel = database
                        .get(SLIDE, *id)
                        .and_then(|slide| id_of(slide, "channel_id"))
                        .unwrap_or(0);
                    !can_publish(database, channel, uid)
                });
            if refused {
                return Err(OdooError::access_error(PUBLISH_REFUSED));
            }
        }
        SLIDE_PARTNER => {
            if let Some(completed) = values.get("completed").map(truthy) {
                let changed = ids.iter().copied().filter(|id| {
                    database
                        .get(SLIDE_PARTNER, *id)
                        .is_some_and(|link| flag(link, "completed") != completed)
                });
                return Ok(changed.collect());
            }
        }
        _ => {}
    }
    Ok(Vec::new())
}

fn after_write(database: &mut Database, model: &Model, ids: &[i64], values: &Record, uid: i64) {
    match model.name {
        CHANNEL => {
            let responsible = values
                .get("user_id")
                .and_then(Value::as_i64)
                .and_then(|user| partner_of(database, user));
            if let Some(partner) = responsible {
                add_members(database, ids, &[partner], uid, Enrolment::Join);
            }
        }
        SLIDE => {
            if values.get("is_published").is_some_and(truthy) {
                for id in ids {
                    set_computed(database, SLIDE, *id, &[("date_published", now())]);
                }
            }
            if values.contains_key("is_published") || values.contains_key("active") {
                for channel in channels_of(database, ids) {
                    recompute_completion(database, &enrolled(database, channel));
                }
            }
        }
        _ => {}
    }
}

/// `unlink`: what goes with the records (contents and memberships with
/// their course, progress with its content or membership), then the
/// completion of those who stay.
pub fn unlink(database: &mut Database, model: &'static Model, ids: &[i64], uid: i64) -> OdooResult<()> {
    if let Some(id) = ids.iter().find(|id| database.get(model.name, **id).is_none()) {
        if model.record_rules {
            return Err(OdooError::missing(model.name, *id, uid));
        }
    }
    check_rules(database, model, Operation::Unlink, uid, ids)?;
    let channels = match model.name {
        SLIDE => channels_of(database, ids),
        _ => Vec::new(),
    };
    for id in ids {
        remove_dependents(database, model.name, *id);
    }
    database.unlink(model, ids, uid)?;
    for channel in channels {
        recompute_completion(database, &enrolled(database, channel));
    }
    refresh(database);
    Ok(())
}

fn remove_dependents(database: &mut Database, model: &str, id: i64) {
    let doomed: Vec<(&str, i64)> = match model {
        CHANNEL => {
            let slides = ids_where(database, SLIDE, |slide| id_of(slide, "channel_id") == Some(id));
            let memberships = ids_where(database, MEMBERSHIP, |membership| {
                id_of(membership, "channel_id") == Some(id)
            });
            let links = ids_where(database, SLIDE_PARTNER, |link| {
                id_of(link, "slide_id").is_some_and(|slide| slides.contains(&slide))
            });
            let slides = slides.into_iter().map(|slide| (SLIDE, slide));
            let memberships = memberships.into_iter().map(|membership| (MEMBERSHIP, membership));
            slides
                .chain(memberships)
                .chain(links.into_iter().map(|link| (SLIDE_PARTNER, link)))
                .collect()
        }
        SLIDE => ids_where(database, SLIDE_PARTNER, |link| {
            id_of(link, "slide_id") == Some(id)
        })
        .into_iter()
        .map(|link| (SLIDE_PARTNER, link))
        .collect(),
        MEMBERSHIP => {
            let Some(membership) = database.get(MEMBERSHIP, id) else {
                return;
            };
            let (channel, partner) = (id_of(membership, "channel_id"), id_of(membership, "partner_id"));
            ids_where(database, SLIDE_PARTNER, |link| {
                id_of(link, "partner_id") == partner && id_of(link, "channel_id") == channel
            })
            .into_iter()
            .map(|link| (SLIDE_PARTNER, link))
            .collect()
        }
        _ => Vec::new(),
    };
    for (model, id) in doomed {
        database.remove(model, id);
    }
}

fn channels_of(database: &Database, slides: &[i64]) -> Vec<i64> {
    let mut channels: Vec<i64> = slides
        .iter()
        .filter_map(|slide| database.get(SLIDE, *slide))
        .filter_map(|slide| id_of(slide, "channel_id"))
        .collect();
    channels.sort_unstable();
    channels.dedup();
    channels
}

/// One2many commands on `parent`'s `field`: 0 create, 1 update, 2 delete,
/// 3 and 5 remove (deleted: the inverse cascades), 4 link, 6 replace.
fn apply_one2many(
    database: &mut Database,
    field: Field,
    parent: i64,
    commands: &Value,
    uid: i64,
) -> OdooResult<()> {
    let Kind::One2many(target, inverse) = field.kind else {
        return Ok(());
    };
    let comodel = model(target)?;
    let invalid = || OdooError::value_error(format!("Invalid one2many commands: {commands}"));
    for command in commands.as_array().ok_or_else(invalid)? {
        let command = command.as_array().ok_or_else(invalid)?;
        let id = command.get(1).and_then(Value::as_i64).unwrap_or(0);
        match command.first().and_then(Value::as_i64) {
            Some(0) => {
                let mut values = command
                    .get(2)
                    .and_then(Value::as_object)
                    .cloned()
                    .ok_or_else(invalid)?;
                values.insert(inverse.to_owned(), json!(parent));
                orm::check_access(database, uid, comodel, Operation::Create)?;
                create(database, comodel, &Value::Object(values), uid)?;
            }
            Some(1) => {
                orm::check_access(database, uid, comodel, Operation::Write)?;
                write(
                    database,
                    comodel,
                    &[id],
                    command.get(2).unwrap_or(&json!({})),
                    uid,
                )?;
            }
            Some(2 | 3) => {
                orm::check_access(database, uid, comodel, Operation::Unlink)?;
                unlink(database, comodel, &[id], uid)?;
            }
            Some(4) => {
                orm::check_access(database, uid, comodel, Operation::Write)?;
                write(database, comodel, &[id], &json!({inverse: parent}), uid)?;
            }
            Some(5 | 6) => replace_children(database, comodel, inverse, parent, command, uid)?,
            _ => return Err(invalid()),
        }
    }
    Ok(())
}

/// `[5]` and `[6, 0, ids]`: the children not kept are deleted, the others linked.
fn replace_children(
    database: &mut Database,
    comodel: &'static Model,
    inverse: &str,
    parent: i64,
    command: &[Value],
    uid: i64,
) -> OdooResult<()> {
    let kept: Vec<i64> = command
        .get(2)
        .and_then(Value::as_array)
        .map(|ids| ids.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default();
    let current = ids_where(database, comodel.name, |child| {
        id_of(child, inverse) == Some(parent)
    });
    let dropped: Vec<i64> = current.into_iter().filter(|id| !kept.contains(id)).collect();
    if !dropped.is_empty() {
        orm::check_access(database, uid, comodel, Operation::Unlink)?;
        unlink(database, comodel, &dropped, uid)?;
    }
    if !kept.is_empty() {
        orm::check_access(database, uid, comodel, Operation::Write)?;
        write(database, comodel, &kept, &json!({inverse: parent}), uid)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------
// Memberships and progress
// ---------------------------------------------------------------------

/// `can_publish` of a course's contents: its responsible or a manager.
fn can_publish(database: &Database, channel: i64, uid: i64) -> bool {
    let responsible = database
        .get(CHANNEL, channel)
        .and_then(|channel| id_of(channel, "user_id"));
    responsible == Some(uid) || is_manager(database, uid)
}

/// Whether `uid` may change the course (access rights and rules).
fn can_write(database: &Database, channel: i64, uid: i64) -> bool {
    let Some(channel_model) = schema::model(CHANNEL) else {
        return false;
    };
    uid == ROOT_USER
        || (Grant::SlidesPublisher.allows(database, uid)
            && rule_allows(database, channel_model, Operation::Write, uid, channel))
}

/// How `_action_add_members` is called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enrolment {
    /// As the user: a course on invitation needs the right to change it.
    Join,
    /// `sudo()`: an invited attendee confirming their invitation.
    Confirm,
}

/// `_action_add_members(partners)` (as attendees, `joined`): new
/// memberships, archived ones restored, invitations confirmed; the
/// memberships touched.
pub fn add_members(
    database: &mut Database,
    channels: &[i64],
    partners: &[i64],
    uid: i64,
    enrolment: Enrolment,
) -> Vec<i64> {
    let allowed: Vec<i64> = channels
        .iter()
        .copied()
        .filter(|channel| {
            let open = database
                .get(CHANNEL, *channel)
                .is_some_and(|record| text(record, "enroll") == "public");
            open || enrolment == Enrolment::Confirm || can_write(database, *channel, uid)
        })
        .collect();
    let mut touched = Vec::new();
    for channel in allowed {
        for partner in partners {
            if let Some(id) = enrol(database, channel, *partner) {
                touched.push(id);
            }
        }
    }
    touched
}

/// One partner into one course; the membership, unless it was already one.
fn enrol(database: &mut Database, channel: i64, partner: i64) -> Option<i64> {
    let existing = database
        .table(MEMBERSHIP)
        .find(|(_, membership)| {
            id_of(membership, "channel_id") == Some(channel)
                && id_of(membership, "partner_id") == Some(partner)
        })
        .map(|(id, membership)| {
            (
                *id,
                flag(membership, "active"),
                text(membership, "member_status") == "invited",
            )
        });
    match existing {
        Some((id, false, _)) => {
            set(
                database,
                MEMBERSHIP,
                id,
                &[("active", json!(true)), ("member_status", json!("joined"))],
            );
            recompute_completion(database, &[id]);
            Some(id)
        }
        Some((id, true, true)) => {
            set(database, MEMBERSHIP, id, &[("member_status", json!("joined"))]);
            recompute_completion(database, &[id]);
            Some(id)
        }
        Some(_) => None,
        None => {
            let membership_model = schema::model(MEMBERSHIP)?;
            let values = json!({"channel_id": channel, "partner_id": partner, "member_status": "joined"});
            let id = database.create(membership_model, &values).ok()?;
            let stamp = now();
            set_computed(
                database,
                MEMBERSHIP,
                id,
                &[("create_date", stamp.clone()), ("write_date", stamp)],
            );
            Some(id)
        }
    }
}

/// The course's enrolled attendees (`channel_partner_ids`).
fn enrolled(database: &Database, channel: i64) -> Vec<i64> {
    ids_where(database, MEMBERSHIP, |membership| {
        id_of(membership, "channel_id") == Some(channel)
            && flag(membership, "active")
            && text(membership, "member_status") != "invited"
    })
}

/// `slide.slide.partner._recompute_completion`: the memberships of those
/// progress records' partners in their courses.
fn recompute_links(database: &mut Database, links: &[i64]) {
    let pairs: Vec<(Option<i64>, Option<i64>)> = links
        .iter()
        .filter_map(|link| database.get(SLIDE_PARTNER, *link))
        .map(|link| (id_of(link, "channel_id"), id_of(link, "partner_id")))
        .collect();
    let memberships = ids_where(database, MEMBERSHIP, |membership| {
        flag(membership, "active")
            && pairs.contains(&(id_of(membership, "channel_id"), id_of(membership, "partner_id")))
    });
    recompute_completion(database, &memberships);
}

/// `slide.channel.partner._recompute_completion`: the published, active
/// contents done over those the course counts, rounded as Python does;
/// `completed` at 100 % (and kept so), `joined` at 0, else `ongoing`.
/// Invitations and completed memberships are left as they are.
fn recompute_completion(database: &mut Database, memberships: &[i64]) {
    for id in memberships {
        let Some(membership) = database.get(MEMBERSHIP, *id) else {
            continue;
        };
        if matches!(text(membership, "member_status"), "completed" | "invited") {
            continue;
        }
        let (Some(channel), Some(partner)) =
            (id_of(membership, "channel_id"), id_of(membership, "partner_id"))
        else {
            continue;
        };
        let done = done_count(database, channel, partner);
        let completion = python_round(100.0 * done as f64 / total_slides(database, channel).max(1) as f64);
        let mut values = vec![
            ("completed_slides_count", json!(done)),
            ("completion", json!(completion)),
        ];
        if database
            .get(CHANNEL, channel)
            .is_some_and(|channel| flag(channel, "active"))
        {
            let status = match completion {
                100 => "completed",
                0 => "joined",
                _ => "ongoing",
            };
            values.push(("member_status", json!(status)));
        }
        set(database, MEMBERSHIP, *id, &values);
    }
}

/// The partner's completed contents of the course that are published and active.
fn done_count(database: &Database, channel: i64, partner: i64) -> i64 {
    database
        .table(SLIDE_PARTNER)
        .map(|(_, link)| link)
        .filter(|link| {
            id_of(link, "partner_id") == Some(partner) && flag(link, "completed") && {
                let slide = id_of(link, "slide_id").and_then(|slide| database.get(SLIDE, slide));
                slide.is_some_and(|slide| {
                    id_of(slide, "channel_id") == Some(channel)
                        && flag(slide, "is_published")
                        && flag(slide, "active")
                })
            }
        })
        .count() as i64
}

/// `can_self_mark_completed` (`uncompleted`: any published content of a
/// course one attends; completed: not a quiz either).
pub fn can_self_mark(database: &Database, slide: i64, uid: i64, completed: bool) -> bool {
    let Some(record) = database.get(SLIDE, slide) else {
        return false;
    };
    let member =
        id_of(record, "channel_id").is_some_and(|channel| progress(database, channel, uid).is_member);
    let quiz = text(record, "slide_category") == "quiz";
    flag(record, "website_published") && member && !(completed && quiz)
}

/// `_action_mark_completed` / `action_mark_uncompleted` for the user's
/// partner (as `sudo`): the progress records written or created.
pub fn mark(database: &mut Database, slides: &[i64], uid: i64, completed: bool) {
    let Some(partner) = partner_of(database, uid) else {
        return;
    };
    let mut changed = Vec::new();
    for slide in slides {
        let state = slide_link(database, *slide, partner).map(|(id, link)| (id, flag(link, "completed")));
        match state {
            Some((id, done)) if done != completed => {
                set(database, SLIDE_PARTNER, id, &[("completed", json!(completed))]);
                changed.push(id);
            }
            Some(_) => {}
            None if completed => {
                if let Some(id) = new_link(database, *slide, partner, true) {
                    changed.push(id);
                }
            }
            None => {}
        }
    }
    refresh_slide_partners(database);
    recompute_links(database, &changed);
    refresh(database);
}

/// `_action_set_viewed`: a progress record for each content not seen yet.
fn set_viewed(database: &mut Database, slides: &[i64], uid: i64) -> bool {
    let Some(partner) = partner_of(database, uid) else {
        return false;
    };
    let mut created = false;
    for slide in slides {
        if slide_link(database, *slide, partner).is_none() {
            created |= new_link(database, *slide, partner, false).is_some();
        }
    }
    refresh(database);
    created
}

fn new_link(database: &mut Database, slide: i64, partner: i64, completed: bool) -> Option<i64> {
    let link_model = schema::model(SLIDE_PARTNER)?;
    let values = json!({"slide_id": slide, "partner_id": partner, "completed": completed, "vote": 0});
    let id = database.create(link_model, &values).ok()?;
    let stamp = now();
    set_computed(
        database,
        SLIDE_PARTNER,
        id,
        &[("create_date", stamp.clone()), ("write_date", stamp)],
    );
    Some(id)
}

// ---------------------------------------------------------------------
// Public methods a client calls
// ---------------------------------------------------------------------

/// The model's public methods the simulator has; `None` for the others.
pub fn call_method(database: &mut Database, call: &Call) -> Option<OdooResult<Value>> {
    let outcome = match (call.model.name, call.method) {
        (CHANNEL, "action_grant_access") => grant_access(database, call),
        (SLIDE, "action_mark_completed") => learner_action(database, call, Learner::Complete),
        (SLIDE, "action_mark_uncompleted") => learner_action(database, call, Learner::Uncomplete),
        (SLIDE, "action_set_viewed") => learner_action(database, call, Learner::View),
        _ => return None,
    };
    Some(outcome)
}

/// The records exist and the user may read them (browsing then reading a
/// field: `MissingError`, then the rules' `AccessError`).
fn check_readable(database: &Database, model: &Model, ids: &[i64], uid: i64) -> OdooResult<()> {
    if let Some(id) = ids.iter().find(|id| database.get(model.name, **id).is_none()) {
        return Err(OdooError::missing(model.name, *id, uid));
    }
    check_rules(database, model, Operation::Read, uid, ids)
}

/// `slide.channel.action_grant_access(partner_id)`: the partner enrolled
/// (a course on invitation needs the right to change it); the access
/// request's activity is then closed, which only employees may do.
fn grant_access(database: &mut Database, call: &Call) -> OdooResult<Value> {
    let ids = call.ids()?;
    let partner = call
        .argument(1, "partner_id")
        .ok_or_else(|| OdooError::missing_argument("Channel.action_grant_access", "partner_id"))?;
    check_readable(database, call.model, &ids, call.uid)?;
    let Some(partner) = partner
        .as_i64()
        .filter(|id| database.get("res.partner", *id).is_some())
    else {
        return Ok(Value::Null);
    };
    let touched = add_members(database, &ids, &[partner], call.uid, Enrolment::Join);
    if !touched.is_empty() && !Grant::InternalUser.allows(database, call.uid) {
        return Err(orm::access_error(
            Operation::Read,
            "Activity",
            "mail.activity",
            Grant::InternalUser,
        ));
    }
    refresh(database);
    Ok(Value::Null)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Learner {
    Complete,
    Uncomplete,
    View,
}

/// `action_mark_completed`, `action_mark_uncompleted`, `action_set_viewed`
/// on the learner's own progress.
fn learner_action(database: &mut Database, call: &Call, action: Learner) -> OdooResult<Value> {
    let ids = call.ids()?;
    check_readable(database, call.model, &ids, call.uid)?;
    let allowed = |slide: &i64| match action {
        Learner::Complete => can_self_mark(database, *slide, call.uid, true),
        Learner::Uncomplete => can_self_mark(database, *slide, call.uid, false),
        Learner::View => database
            .get(SLIDE, *slide)
            .and_then(|slide| id_of(slide, "channel_id"))
            .is_some_and(|channel| progress(database, channel, call.uid).is_member),
    };
    if !ids.iter().all(allowed) {
        let what = match action {
            Learner::Complete => "completed",
            Learner::Uncomplete => "uncompleted",
            Learner::View => "viewed",
        };
        return Err(OdooError::user_error(format!(
            "You cannot mark a slide as {what} if you are not among its members."
        )));
    }
    match action {
        Learner::Complete => mark(database, &ids, call.uid, true),
        Learner::Uncomplete => mark(database, &ids, call.uid, false),
        Learner::View => return Ok(json!(set_viewed(database, &ids, call.uid))),
    }
    Ok(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_odoos() {
        assert_eq!(slug("Python basics", 5), "python-basics-5");
        assert_eq!(slug("  Élan & Café — 2e édition!", 12), "elan-cafe-2e-edition-12");
        assert_eq!(slug("snake_case--name", 3), "snake-case-name-3");
        assert_eq!(slug("æøß", 7), "7");
        assert_eq!(unslug("python-basics-5"), Some(5));
        assert_eq!(unslug("7"), Some(7));
        assert_eq!(unslug("python-basics"), None);
        assert_eq!(unslug("a-5x"), None);
    }

    #[test]
    fn rounding_is_pythons() {
        assert_eq!(python_round(12.5), 12);
        assert_eq!(python_round(37.5), 38);
        assert_eq!(python_round(33.333), 33);
        assert_eq!(python_round(66.666), 67);
        assert_eq!(python_round(50.0), 50);
    }
}
