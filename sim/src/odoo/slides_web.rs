//! The eLearning side of the website (website_slides' `WebsiteSlides`
//! controller, Odoo 17): the courses' home page (`/slides`), a course's
//! page (`/slides/<slug>` or `/slides/<id>`) with its contents and the
//! signed-in attendee's progress, and the JSON routes a learner's browser
//! calls (`/slides/slide/set_completed`, `…/set_uncompleted`,
//! `/slides/channel/join`). Every route is `auth="public"`: no session, or
//! one no longer valid (an archived user's), is the public user.

use axum::{
    body::Bytes,
    extract::{Path, Query, State},
    http::HeaderMap,
    response::{IntoResponse, Response},
    routing::{get, post},
    Router,
};
use http::StatusCode;
use serde_json::{json, Value};

use super::{
    database::{at, Database, Record, PUBLIC_USER},
    error::{OdooError, OdooResult},
    jsonrpc::{respond, JsonRequest},
    not_found_page,
    schema::{self, Operation},
    service::Server,
    session::{self, Current, Denial},
    slides::{self, Enrolment, Progress, CHANNEL, SLIDE},
    web::{self, Params},
    werkzeug_redirect, werkzeug_redirect_with, Failure, Simulator,
};
use crate::escape_html as escape;

pub fn routes() -> Router<Simulator> {
    Router::new()
        .route("/slides", get(home))
        .route("/slides/{channel}", get(course))
        .route("/slides/slide/set_completed", post(set_completed))
        .route("/slides/slide/set_uncompleted", post(set_uncompleted))
        .route("/slides/channel/join", post(join))
}

/// Who asks: the request's session (a new one if none) and database, and
/// the signed-in user or the public user.
struct Visitor {
    current: Current,
    db: String,
    uid: i64,
}

/// The visitor of a website page, or the answer for a request that reaches
/// no database (or one without eLearning: the route does not exist there).
fn visitor(server: &mut Server, headers: &HeaderMap) -> Result<Visitor, Box<Response>> {
    let mut current = Current::find(server, headers);
    let Some(db) = current.db.clone() else {
        return Err(Box::new(web::no_database(&current)));
    };
    let uid = match current.user(server) {
        Ok((_, uid)) => uid,
        Err(Denial::NotFound | Denial::Expired) => PUBLIC_USER,
    };
    if !server.databases.get(&db).is_some_and(slides::installed) {
        return Err(Box::new(current.answer(not_found_page())));
    }
    Ok(Visitor { current, db, uid })
}

fn text<'a>(record: &'a Record, field: &str) -> &'a str {
    at(record, field).as_str().unwrap_or_default()
}

fn flag(record: &Record, field: &str) -> bool {
    at(record, field) == true
}

fn slug_of(record: &Record, id: i64) -> String {
    slides::slug(text(record, "name"), id)
}

// ---------------------------------------------------------------------
// /slides
// ---------------------------------------------------------------------

/// `GET /slides` (`slides_channel_home`): the courses the visitor may see,
/// theirs first when signed in; `invite_error` as the alert Odoo shows.
async fn home(State(simulator): State<Simulator>, headers: HeaderMap, Query(params): Params) -> Response {
    let mut server = simulator.lock();
    let visitor = match visitor(&mut server, &headers) {
        Ok(visitor) => visitor,
        Err(answer) => return *answer,
    };
    let host = session::host(server.proxy_mode, &headers);
    let Some(database) = server.databases.get_mut(&visitor.db) else {
        return visitor.current.answer(not_found_page());
    };
    slides::personalize(database, visitor.uid);
    let body = home_body(
        database,
        visitor.uid,
        params.get("invite_error").map(String::as_str),
    );
    // The page has no `main_object`: the layout titles it with the
    // template's name.
    let page = web::storefront(database, &host, "Odoo Courses Homepage", &body);
    visitor.current.answer(page.into_response())
}

/// `_get_invite_error_msg`.
fn invite_error_message(code: &str) -> Option<&'static str> {
    Some(match code {
        "expired" => "This invitation link has expired.",
        "hash_fail" => "This invitation link has an invalid hash.",
        "identify_fail" => "This identification link does not seem to be valid.",
        "no_channel" => "This course does not exist.",
        "no_partner" => "The contact associated with this invitation does not seem to be valid.",
        "no_rights" => "You do not have permission to access this course.",
        "partner_fail" => "This invitation link is not for this contact.",
        _ => return None,
    })
}

/// The courses `uid` may see, in `_order`.
fn visible_channels(database: &Database, uid: i64) -> Vec<i64> {
    let Some(model) = schema::model(CHANNEL) else {
        return Vec::new();
    };
    database
        .search(model, &json!([]), &super::database::Query::default())
        .unwrap_or_default()
        .into_iter()
        .filter(|id| slides::rule_allows(database, model, Operation::Read, uid, *id))
        .collect()
}

fn home_body(database: &Database, uid: i64, invite_error: Option<&str>) -> String {
    let channels = visible_channels(database, uid);
    let public = uid == PUBLIC_USER;
    let mut mine: Vec<(i64, Progress)> = channels
        .iter()
        .map(|id| (*id, slides::progress(database, *id, uid)))
        .filter(|(_, progress)| !public && progress.is_member)
        .collect();
    // Completed courses last, the most advanced first.
    mine.sort_by_key(|(_, progress)| {
        std::cmp::Reverse(if progress.completed {
            0
        } else {
            progress.completion
        })
    });
    let mut newest = channels.clone();
    newest.sort_by_key(|id| std::cmp::Reverse(created(database, *id)));
    let alert = invite_error
        .and_then(invite_error_message)
        .map_or(String::new(), |message| {
            format!(
                "<div role=\"alert\" class=\"o_not_editable alert alert-danger text-center\">{message}</div>"
            )
        });
    let empty = if channels.is_empty() {
        "<div class=\"o_wslides_home_content_section mb-3\"><p class=\"h2\">No Course created yet.</p></div>"
    } else {
        ""
    };
    let mine: Vec<i64> = mine.into_iter().map(|(id, _)| id).collect();
    let sections = [
        section(database, uid, "My courses", "/slides/all?my=1", &mine),
        // Votes are not simulated: all courses are as popular.
        section(database, uid, "Most popular courses", "slides/all", &channels),
        section(database, uid, "Newest courses", "slides/all", &newest),
    ]
    .concat();
    format!(
        "<div id=\"wrap\" class=\"wrap o_wslides_wrap\">\n<div class=\"container o_wslides_home_main\"><div class=\"row\">{aside}<div class=\"col-lg-9 pe-lg-5 order-lg-1\">{alert}{empty}{sections}</div></div></div>\n</div>",
        aside = aside(database, uid),
    )
}

fn created(database: &Database, channel: i64) -> String {
    database
        .get(CHANNEL, channel)
        .map(|record| text(record, "create_date").to_owned())
        .unwrap_or_default()
}

/// The signed-in user's box beside the courses.
fn aside(database: &Database, uid: i64) -> String {
    if uid == PUBLIC_USER {
        return String::new();
    }
    let name = database
        .get("res.users", uid)
        .map_or("", |user| text(user, "name"));
    format!(
        "<div class=\"col-lg-3 order-lg-2\"><div class=\"o_wslides_home_aside_loggedin card p-3 p-lg-0 mb-4\"><div class=\"o_wslides_home_aside_title\"><div class=\"d-flex align-items-center\"><h5 class=\"d-flex flex-grow-1 mb-0\">{}</h5><a class=\"d-none d-lg-block\" href=\"/profile/user/{uid}\">View</a></div></div></div></div>",
        escape(name)
    )
}

/// A section of the home page: its first three courses.
fn section(database: &Database, uid: i64, title: &str, all: &str, channels: &[i64]) -> String {
    if channels.is_empty() {
        return String::new();
    }
    let cards: String = channels
        .iter()
        .take(3)
        .map(|id| {
            format!(
                "<div class=\"col-md-4 col-sm-6 px-2 col-xs-12 d-flex\">{}</div>",
                card(database, uid, *id)
            )
        })
        .collect();
    format!(
        "<div class=\"o_wslides_home_content_section mb-3\"><div class=\"row o_wslides_home_content_section_title align-items-center\"><div class=\"col\"><a href=\"{all}\" class=\"float-end\">View all</a><h5 class=\"m-0\">{title}</h5><hr class=\"mt-2 mb-2\"/></div></div><div class=\"row mx-n2 mt8\">{cards}</div></div>"
    )
}

/// `website_slides.course_card`.
fn card(database: &Database, uid: i64, id: i64) -> String {
    let Some(channel) = database.get(CHANNEL, id) else {
        return String::new();
    };
    let progress = slides::progress(database, id, uid);
    let footer = if progress.is_member && progress.completed {
        "<span class=\"badge rounded-pill text-bg-success pull-right py-1 px-2\"><i class=\"fa fa-check\"></i> Completed</span>".to_owned()
    } else if progress.is_member && text(channel, "channel_type") != "documentation" {
        format!(
            "<div class=\"progress w-50\" style=\"height: 6px\"><div class=\"progress-bar\" role=\"progressbar\" aria-valuenow=\"{c}\" aria-valuemin=\"0\" aria-valuemax=\"100\" style=\"width:{c}%;\"></div></div>",
            c = progress.completion
        )
    } else {
        format!(
            "<small><b>{}</b> steps</small>",
            slides::total_slides(database, id)
        )
    };
    let (unpublished_class, unpublished_badge) = if flag(channel, "is_published") {
        ("", "")
    } else {
        (
            " o_wslides_course_unpublished",
            "<span class=\"badge text-bg-danger p-1\">Unpublished</span>",
        )
    };
    format!(
        "<div class=\"card w-100 o_wslides_course_card mb-4{unpublished_class}\"><a href=\"/slides/{slug}\" title=\"{name}\" style=\"height:120px\"><div class=\"o_wslides_background_image h-100\"></div></a><div class=\"card-body p-3\"><a class=\"card-title h5 mb-2 o_wslides_desc_truncate_2\" href=\"/slides/{slug}\">{name}</a>{unpublished_badge}</div><div class=\"card-footer bg-white text-600 px-3\"><div class=\"d-flex justify-content-between align-items-center\"><div class=\"d-flex flex-grow-1 justify-content-end\">{footer}</div></div></div></div>",
        slug = slug_of(channel, id),
        name = escape(text(channel, "name")),
    )
}

// ---------------------------------------------------------------------
// /slides/<channel>
// ---------------------------------------------------------------------

/// `GET /slides/<model("slide.channel"):channel>` and `/slides/<int:channel_id>`:
/// the course, if the visitor may read it. A slug naming a course they
/// may not see is `handle_wslide_error`'s 302 to `/slides?invite_error=no_rights`
/// (a deleted one a 404); an id, the controller's own 303s.
async fn course(
    State(simulator): State<Simulator>,
    headers: HeaderMap,
    Path(segment): Path<String>,
) -> Response {
    let mut server = simulator.lock();
    let visitor = match visitor(&mut server, &headers) {
        Ok(visitor) => visitor,
        Err(answer) => return *answer,
    };
    let host = session::host(server.proxy_mode, &headers);
    let Some(database) = server.databases.get_mut(&visitor.db) else {
        return visitor.current.answer(not_found_page());
    };
    slides::personalize(database, visitor.uid);
    let answer = course_answer(database, &host, &segment, visitor.uid);
    visitor.current.answer(answer)
}

fn course_answer(database: &Database, host: &str, segment: &str, uid: i64) -> Response {
    let by_id = segment.chars().all(|c| c.is_ascii_digit());
    let (Some(id), Some(model)) = (slides::unslug(segment), schema::model(CHANNEL)) else {
        return not_found_page();
    };
    let Some(channel) = database.get(CHANNEL, id) else {
        return if by_id {
            werkzeug_redirect("/slides?invite_error=no_channel")
        } else {
            not_found_page()
        };
    };
    if !slides::rule_allows(database, model, Operation::Read, uid, id) {
        let target = "/slides?invite_error=no_rights";
        return if by_id {
            werkzeug_redirect(target)
        } else {
            werkzeug_redirect_with(StatusCode::FOUND, target)
        };
    }
    let body = course_body(database, id, channel, uid);
    web::storefront(database, host, text(channel, "name"), &body).into_response()
}

/// `website_slides.course_main` (training layout): the header, the sidebar
/// with the join button or the attendee's progress, the contents by section.
fn course_body(database: &Database, id: i64, channel: &Record, uid: i64) -> String {
    let progress = slides::progress(database, id, uid);
    let responsible = at(channel, "user_id")
        .as_i64()
        .and_then(|user| database.get("res.users", user))
        .map_or(String::new(), |user| {
            format!(
                "<tr><th class=\"border-top-0\">Responsible</th><td class=\"border-top-0 text-break\"><span>{}</span></td></tr>",
                escape(text(user, "name"))
            )
        });
    format!(
        "<div id=\"wrap\" class=\"wrap mt-0\">\n<div class=\"o_wslides_course_header position-relative pb-md-0 pt-2 pt-md-5 pb-3\"><div class=\"container mt-5 mt-md-3 mt-xl-4\"><div class=\"d-flex flex-column\"><h1>{name}</h1><div class=\"mb-0 mb-xl-3\">{description}</div></div></div></div>\n\
         <div class=\"o_wslides_course_main\"><div class=\"container mb-5\"><div class=\"row\">\n\
         <div class=\"col-12 col-md-4 col-lg-3 mt-3 mt-md-0\"><div class=\"o_wslides_course_sidebar bg-white px-3 py-2 py-md-3 mb-3 mb-md-5\"><div class=\"o_wslides_sidebar_top d-flex justify-content-between\">{join}</div>\
         <div id=\"o_wslides_sidebar_collapse\" class=\"collapse d-md-block\"><table class=\"table table-sm mt-3\">{responsible}<tr><th>Members</th><td>{members}</td></tr></table></div></div></div>\n\
         <div class=\"col-12 col-md-8 col-lg-9 position-relative\"><div class=\"tab-content py-4 o_wslides_tabs_content mb-4\" id=\"courseMainTabContent\"><div class=\"tab-pane fade show active\" id=\"home\" role=\"tabpanel\" aria-labelledby=\"home-tab\">{contents}</div></div></div>\n\
         </div></div></div>\n</div>",
        name = escape(text(channel, "name")),
        description = escape(text(channel, "description")),
        join = join_block(id, channel, &progress, uid),
        members = at(channel, "members_count").as_i64().unwrap_or(0),
        contents = contents(database, id, channel, &progress, uid),
    )
}

/// `website_slides.course_join`: the attendee's progress, the button to
/// join, or the notice of a course on invitation.
fn join_block(id: i64, channel: &Record, progress: &Progress, uid: i64) -> String {
    let enroll = text(channel, "enroll");
    let inner = if progress.is_member {
        member_progress(id, channel, progress)
    } else if enroll == "public" || (progress.is_member_invited && enroll == "invite") {
        let label = if text(channel, "channel_type") == "documentation" {
            "Start this Course"
        } else {
            "Join this Course"
        };
        let invited = if progress.is_member_invited {
            " data-is-member-or-invited=\"True\""
        } else {
            ""
        };
        format!(
            "<a role=\"button\" class=\"btn btn-primary btn-block o_wslides_js_course_join_link\" title=\"Start Course\" aria-label=\"Start Course\" href=\"#\" data-channel-id=\"{id}\" data-channel-enroll=\"{enroll}\"{invited}><span class=\"cta-title text_small_caps\">{label}</span></a>"
        )
    } else if uid == PUBLIC_USER {
        format!(
            "<div class=\"text-center\"><div class=\"alert my-0 bg-100 p-2\" data-channel-id=\"{id}\">Private Course<div><small>Please <a href=\"/web/login?redirect=/slides/{slug}\">sign in</a> to contact responsible</small></div></div></div>",
            slug = slug_of(channel, id)
        )
    } else {
        format!(
            "<div class=\"text-center\"><div class=\"alert my-0 bg-100 p-2 o_wslides_js_channel_enroll\" data-channel-id=\"{id}\">Private Course<div class=\"o_wslides_enroll_msg\"><small><div>Contact Responsible</div></small></div></div></div>"
        )
    };
    format!("<div class=\"o_wslides_js_course_join flex-grow-1 d-grid\">{inner}</div>")
}

/// "You're enrolled", then the completion badge or bar and percentage.
fn member_progress(id: i64, channel: &Record, progress: &Progress) -> String {
    let (badge, bar) = if progress.completed {
        ("", "d-none")
    } else {
        ("d-none", "d-flex")
    };
    format!(
        "<button class=\"d-flex align-items-center alert my-0 px-2 px-xl-3 bg-100 w-100 o_wslides_js_channel_unsubscribe\" data-channel-id=\"{id}\" data-enroll=\"{enroll}\" data-visibility=\"{visibility}\"><h6 class=\"d-flex flex-grow-1 my-0\">You're enrolled</h6><i class=\"fa fa-check\"></i><i class=\"fa fa-times\"></i></button>\
         <div class=\"d-flex align-items-center pt-3\"><span class=\"o_wslides_channel_completion_completed badge rounded-pill text-bg-success py-1 px-2 mx-auto {badge}\"><i class=\"fa fa-check\"></i> Completed</span>\
         <div class=\"o_wslides_channel_completion_progressbar {bar} w-100 align-items-center\"><div class=\"progress flex-grow-1 bg-black-50\" style=\"height: 6px;\"><div class=\"progress-bar\" role=\"progressbar\" style=\"width: {c}%\" aria-valuenow=\"{c}\" aria-valuemin=\"0\" aria-valuemax=\"100\"></div></div>\
         <div class=\"ms-3 small\"><span class=\"o_wslides_progress_percentage\">{c}</span> %</div></div></div>",
        enroll = text(channel, "enroll"),
        visibility = text(channel, "visibility"),
        c = progress.completion,
    )
}

/// `_get_channel_slides_base_domain` (as `sudo`): the course's contents,
/// all of them for those who may publish there, else the published ones
/// (and, signed in, one's own uploads).
fn listed_slides(database: &Database, channel_id: i64, channel: &Record, uid: i64) -> Vec<i64> {
    let publisher = at(channel, "user_id").as_i64() == Some(uid) || slides::is_manager(database, uid);
    slides::course_slides(database, channel_id)
        .into_iter()
        .filter(|id| {
            database.get(SLIDE, *id).is_some_and(|slide| {
                !flag(slide, "is_category")
                    && (publisher
                        || flag(slide, "website_published")
                        || (uid != PUBLIC_USER && at(slide, "user_id").as_i64() == Some(uid)))
            })
        })
        .collect()
}

/// `website_slides.course_slides_list`: uncategorized contents first, then
/// each section with its contents (empty ones only for publishers).
fn contents(database: &Database, id: i64, channel: &Record, progress: &Progress, uid: i64) -> String {
    let listed = listed_slides(database, id, channel, uid);
    let publisher = at(channel, "user_id").as_i64() == Some(uid) || slides::is_manager(database, uid);
    let in_section = |section: Option<i64>| -> Vec<i64> {
        listed
            .iter()
            .copied()
            .filter(|slide| {
                database
                    .get(SLIDE, *slide)
                    .is_some_and(|record| at(record, "category_id").as_i64() == section)
            })
            .collect()
    };
    let lessons = Lessons {
        database,
        progress,
        uid,
        publisher,
    };
    let mut items = lessons.section(None, &in_section(None));
    for section in slides::sections(database, id) {
        items.push_str(&lessons.section(Some(section), &in_section(Some(section))));
    }
    format!(
        "<div class=\"mb-5 o_wslides_slides_list\" data-channel-id=\"{id}\"><ul class=\"o_wslides_js_slides_list_container list-unstyled\">{items}</ul></div>"
    )
}

/// What the list of a course's contents is drawn from.
struct Lessons<'a> {
    database: &'a Database,
    progress: &'a Progress,
    uid: i64,
    publisher: bool,
}

impl Lessons<'_> {
    fn section(&self, section: Option<i64>, slides: &[i64]) -> String {
        if slides.is_empty() && !self.publisher {
            return String::new();
        }
        let items: String = slides.iter().map(|slide| self.lesson(*slide, section)).collect();
        match section {
            None => format!(
                "<li class=\"mt-1\"><div class=\"o_wslides_slide_list_category_header position-relative d-flex justify-content-between align-items-center mt8 border-0 py-2\"></div><ul class=\"list-unstyled pb-1 border-top\">{items}</ul></li>"
            ),
            Some(id) => {
                let name = self
                    .database
                    .get(SLIDE, id)
                    .map_or("", |record| text(record, "name"));
                format!(
                    "<li class=\"o_wslides_slide_list_category o_wslides_js_list_item mb-2\" data-slide-id=\"{id}\" data-category-id=\"{id}\"><div data-category-id=\"{id}\" class=\"o_wslides_slide_list_category_header position-relative d-flex justify-content-between align-items-center mt8 bg-white shadow-sm border-bottom-0 py-2\"><div class=\"d-flex align-items-center me-auto ps-3\"><span>{}</span></div></div><ul data-category-id=\"{id}\" class=\"list-unstyled pb-1 border-top\">{items}</ul></li>",
                    escape(name)
                )
            }
        }
    }

    /// `website_slides.course_slides_list_slide`.
    fn lesson(&self, id: i64, section: Option<i64>) -> String {
        let Some(slide) = self.database.get(SLIDE, id) else {
            return String::new();
        };
        let name = escape(text(slide, "name"));
        let reachable = flag(slide, "is_preview") || self.progress.is_member || self.publisher;
        let title = if reachable {
            format!(
                "<a class=\"o_wslides_js_slides_list_slide_link\" href=\"/slides/slide/{}\"><span>{name}</span></a>",
                slug_of(slide, id)
            )
        } else {
            format!("<span><span>{name}</span></span>")
        };
        let mut badges = String::new();
        if flag(slide, "is_preview") && !self.progress.is_member {
            badges.push_str(
                "<span class=\"badge text-bg-success fw-normal px-2 py-1 m-1\"><span>Preview</span></span>",
            );
        }
        if !flag(slide, "website_published") {
            badges
                .push_str("<span class=\"badge text-bg-danger fw-normal px-2 py-1 m-1\">Unpublished</span>");
        }
        let controls = if self.progress.is_member || self.publisher {
            self.done_button(id)
        } else {
            String::new()
        };
        let category = section.map_or(String::new(), |section| {
            format!(" data-category-id=\"{section}\"")
        });
        format!(
            "<li data-slide-id=\"{id}\"{category} class=\"o_wslides_slides_list_slide o_wslides_js_list_item bg-white-50 border-top-0 d-flex align-items-center ps-2 py-1 pe-2\"><i class=\"fa {icon} py-2 mx-2\"></i><div class=\"text-truncate me-auto\">{title}</div><div class=\"d-flex flex-row o_not_editable\">{badges}</div>{controls}</li>",
            icon = icon(slide),
        )
    }

    /// `website_slides.slide_sidebar_done_button`, for attendees.
    fn done_button(&self, id: i64) -> String {
        if !self.progress.is_member {
            return "<div class=\"pt-2 pb-2 border-start ms-2 me-2 ps-2 d-flex flex-row align-items-center o_wslides_slides_list_slide_controls o_not_editable\"></div>".to_owned();
        }
        let completed = slides::partner_of(self.database, self.uid)
            .is_some_and(|partner| slides::completed_by(self.database, id, partner));
        let can_complete = slides::can_self_mark(self.database, id, self.uid, true);
        let can_uncomplete = slides::can_self_mark(self.database, id, self.uid, false);
        let attribute = |name: &str, on: bool| {
            if on {
                format!(" data-{name}=\"True\"")
            } else {
                String::new()
            }
        };
        let active = if completed { can_uncomplete } else { can_complete };
        let icon = match (completed, active) {
            (true, true) => format!("<i class=\"o_wslides_slide_completed fa fa-check-circle fa-fw text-success fa-lg\" data-slide-id=\"{id}\" title=\"Mark as not done\"></i>"),
            (true, false) => format!("<i class=\"o_wslides_slide_completed fa fa-check fa-fw text-success fa-lg\" data-slide-id=\"{id}\" title=\"Can not be marked as not done\"></i>"),
            (false, true) => format!("<i class=\"fa fa-circle-thin fa-fw fa-lg\" data-slide-id=\"{id}\" title=\"Mark as done\"></i>"),
            (false, false) => format!("<i class=\"fa fa-circle-thin fa-fw fa-lg\" data-slide-id=\"{id}\" title=\"Can not be marked as done\"></i>"),
        };
        let button = if active {
            format!("<button class=\"o_wslides_button_complete btn btn-sm\">{icon}</button>")
        } else {
            format!("<button class=\"o_wslides_button_complete o_wslides_button_uncompleted btn btn-sm\" disabled=\"1\">{icon}</button>")
        };
        format!(
            "<div class=\"pt-2 pb-2 border-start ms-2 me-2 ps-2 d-flex flex-row align-items-center o_wslides_slides_list_slide_controls o_not_editable\"><div class=\"o_wslides_sidebar_done_button align-self-start\" data-id=\"{id}\" data-uncompleted-icon=\"fa-circle-thin\"{done}{complete}{uncomplete} data-is-member=\"True\">{button}</div></div>",
            done = attribute("completed", completed),
            complete = attribute("can-self-mark-completed", can_complete),
            uncomplete = attribute("can-self-mark-uncompleted", can_uncomplete),
        )
    }
}

/// `slide_icon_class` of the content's type (uploaded documents are PDFs;
/// a video without a known source has no type).
fn icon(slide: &Record) -> &'static str {
    match text(slide, "slide_category") {
        "document" => "fa-file-pdf-o",
        "infographic" => "fa-file-picture-o",
        "article" => "fa-file-text-o",
        "quiz" => "fa-question-circle-o",
        _ => "fa-file-o",
    }
}

// ---------------------------------------------------------------------
// JSON routes
// ---------------------------------------------------------------------

/// A `type="json"` route: the request read, the visitor found, the answer
/// in JSON-RPC's envelope (an `Err` in Odoo's error shape).
async fn json_route(
    simulator: &Simulator,
    route: &str,
    headers: &HeaderMap,
    body: &Bytes,
    handler: fn(&mut Database, i64, &JsonRequest) -> OdooResult<Value>,
) -> Response {
    let request = match JsonRequest::read(route, headers, body) {
        Ok(request) => request,
        Err(refused) => return *refused,
    };
    let mut server = simulator.lock();
    let visitor = match visitor(&mut server, headers) {
        Ok(visitor) => visitor,
        Err(answer) => return *answer,
    };
    let outcome = match server.databases.get_mut(&visitor.db) {
        Some(database) => {
            // A refusal undoes what the route wrote, as its transaction would.
            let snapshot = database.clone();
            slides::personalize(database, visitor.uid);
            let outcome = handler(database, visitor.uid, &request);
            if outcome.is_err() {
                *database = snapshot;
            }
            outcome
        }
        None => Err(OdooError::no_database(&visitor.db)),
    };
    visitor
        .current
        .answer(respond(&request.id, outcome.map_err(Failure::Odoo)))
}

async fn set_completed(State(simulator): State<Simulator>, headers: HeaderMap, body: Bytes) -> Response {
    json_route(
        &simulator,
        "/slides/slide/set_completed",
        &headers,
        &body,
        |database, uid, request| mark_slide(database, uid, request, true),
    )
    .await
}

async fn set_uncompleted(State(simulator): State<Simulator>, headers: HeaderMap, body: Bytes) -> Response {
    json_route(
        &simulator,
        "/slides/slide/set_uncompleted",
        &headers,
        &body,
        |database, uid, request| mark_slide(database, uid, request, false),
    )
    .await
}

async fn join(State(simulator): State<Simulator>, headers: HeaderMap, body: Bytes) -> Response {
    json_route(&simulator, "/slides/channel/join", &headers, &body, join_channel).await
}

/// A route's integer argument, as `int(value)` takes it.
fn integer(value: &Value) -> OdooResult<i64> {
    match value {
        Value::Number(number) => number.as_i64().ok_or_else(|| {
            OdooError::value_error(format!("invalid literal for int() with base 10: '{number}'"))
        }),
        Value::String(text) => text
            .trim()
            .parse()
            .map_err(|_| OdooError::value_error(format!("invalid literal for int() with base 10: '{text}'"))),
        other => Err(OdooError::type_error(format!(
            "int() argument must be a string, a bytes-like object or a real number, not '{}'",
            match other {
                Value::Null => "NoneType",
                Value::Bool(_) => "bool",
                Value::Array(_) => "list",
                _ => "dict",
            }
        ))),
    }
}

/// `slide_set_completed` / `slide_set_uncompleted`: the public user is
/// told so; `_fetch_slide` answers a missing or unreadable content; then
/// `_slide_mark_(un)completed` (quizzes are done by answering them, and
/// only attendees mark published contents: a 403 otherwise). The answer is
/// the course's new completion for the user and, once a section is done,
/// the next one.
fn mark_slide(
    database: &mut Database,
    uid: i64,
    request: &JsonRequest,
    completed: bool,
) -> OdooResult<Value> {
    let function = if completed {
        "WebsiteSlides.slide_set_completed"
    } else {
        "WebsiteSlides.slide_set_uncompleted"
    };
    let slide_id = request.param(function, "slide_id")?;
    if uid == PUBLIC_USER {
        return Ok(json!({"error": "public_user"}));
    }
    let id = integer(slide_id)?;
    let Some(slide) = database.get(SLIDE, id) else {
        return Ok(json!({"error": "slide_wrong"}));
    };
    let model = schema::model(SLIDE).ok_or_else(|| OdooError::key_error(SLIDE))?;
    if !slides::rule_allows(database, model, Operation::Read, uid, id) {
        return Ok(json!({"error": "slide_access"}));
    }
    let channel = at(slide, "channel_id").as_i64().unwrap_or(0);
    if completed && text(slide, "slide_category") == "quiz" {
        return Err(OdooError::user_error(
            "Slide with questions must be marked as done when submitting all good answers ",
        ));
    }
    if !slides::can_self_mark(database, id, uid, completed) {
        let what = if completed { "completed" } else { "uncompleted" };
        return Err(OdooError::forbidden(&format!(
            "This slide can not be marked as {what}."
        )));
    }
    slides::mark(database, &[id], uid, completed);
    let next = if completed {
        next_section(database, id, uid).map_or(json!(false), Value::from)
    } else {
        json!(false)
    };
    Ok(json!({
        "channel_completion": slides::progress(database, channel, uid).completion,
        "next_category_id": next,
    }))
}

/// `_get_next_category`: the first section once the uncategorized contents
/// are done, or the section after the content's once it is done.
fn next_section(database: &Database, slide: i64, uid: i64) -> Option<i64> {
    let record = database.get(SLIDE, slide)?;
    let channel = at(record, "channel_id").as_i64()?;
    let sections = slides::sections(database, channel);
    let first = *sections.first()?;
    let partner = slides::partner_of(database, uid)?;
    let done_in = |section: Option<i64>| {
        slides::course_slides(database, channel).into_iter().all(|id| {
            database.get(SLIDE, id).is_none_or(|other| {
                flag(other, "is_category")
                    || at(other, "category_id").as_i64() != section
                    || slides::completed_by(database, id, partner)
            })
        })
    };
    match at(record, "category_id").as_i64() {
        None if done_in(None) => Some(first),
        Some(section) if done_in(Some(section)) => {
            let position = sections.iter().position(|id| *id == section)?;
            sections.get(position + 1).copied()
        }
        _ => None,
    }
}

/// `slide_channel_join(channel_id)`: the public user is told so; reading
/// the course needs the rules' leave; an invitation is confirmed (as
/// `sudo`), else the user joins as the course's policy allows. The answer
/// is `{"error": "join_done"}` when nothing changed, else the memberships
/// as Odoo's JSON encoder writes a recordset (`str()`).
fn join_channel(database: &mut Database, uid: i64, request: &JsonRequest) -> OdooResult<Value> {
    let channel_id = request.param("WebsiteSlides.slide_channel_join", "channel_id")?;
    if uid == PUBLIC_USER {
        return Ok(json!({"error": "public_user", "error_signup_allowed": false}));
    }
    let id = integer(channel_id)?;
    let model = schema::model(CHANNEL).ok_or_else(|| OdooError::key_error(CHANNEL))?;
    if database.get(CHANNEL, id).is_none() {
        return Err(OdooError::missing(CHANNEL, id, uid));
    }
    slides::check_rules(database, model, Operation::Read, uid, &[id])?;
    let progress = slides::progress(database, id, uid);
    let invited = database
        .get(CHANNEL, id)
        .is_some_and(|channel| progress.is_member_invited && text(channel, "enroll") == "invite");
    let enrolment = if invited {
        Enrolment::Confirm
    } else {
        Enrolment::Join
    };
    let partner = slides::partner_of(database, uid).unwrap_or(0);
    let touched = slides::add_members(database, &[id], &[partner], uid, enrolment);
    slides::refresh(database);
    if touched.is_empty() {
        return Ok(json!({"error": "join_done"}));
    }
    let ids: Vec<String> = touched.iter().map(i64::to_string).collect();
    let tuple = match ids.as_slice() {
        [only] => format!("({only},)"),
        _ => format!("({})", ids.join(", ")),
    };
    Ok(json!(format!("{}{tuple}", slides::MEMBERSHIP)))
}
