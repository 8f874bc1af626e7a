//! The Odoo simulator's eLearning side (Odoo 17's `website_slides`): a
//! course and its contents made over JSON-RPC by the administrator, a
//! learner enrolled, signed in through the password form, marking contents
//! done through the website's JSON route, and the completion read back
//! over RPC and on the course page; visitors the course is not shown to,
//! an archived learner's session, the rights and rules a client meets.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use control::backends::odoo::{Odoo, OdooClient, OdooInstance};
use reqwest::{header, redirect::Policy, StatusCode};
use serde_json::{json, Value};
use sim::{odoo::Simulator, Served};

const MASTER_PASSWORD: &str = "master-secret";
const DB: &str = "learn-acme";
const ADMIN_PASSWORD: &str = "acme-admin-secret";
const HOST: &str = "acme.learn.example";

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A training space as provisioning leaves it: `website_slides` installed
/// in `learn-acme`, which `acme.learn.example` reaches behind the proxy.
async fn training_space() -> Result<Served, Box<dyn std::error::Error>> {
    let simulator = Simulator::new(MASTER_PASSWORD);
    simulator.set_web(vec!["learn.example=^learn-%d$".parse()?], true);
    let served = sim::serve(simulator.router()).await?;
    let client = OdooClient::new(MASTER_PASSWORD, Duration::from_secs(5))?;
    let instance = OdooInstance {
        url: served.url(),
        database: DB.to_owned(),
        admin_login: "admin".to_owned(),
        admin_password: ADMIN_PASSWORD.to_owned(),
        lang: "en_US".to_owned(),
    };
    client.ensure_database(&instance).await?;
    client.ensure_modules(&instance, &["website_slides"]).await?;
    Ok(served)
}

/// `object.execute_kw` over JSON-RPC: the whole answer (`result` or `error`).
async fn execute(
    served: &Served,
    (uid, password): (i64, &str),
    model: &str,
    method: &str,
    args: Value,
) -> Value {
    execute_kw(served, (uid, password), model, method, args, json!({})).await
}

async fn execute_kw(
    served: &Served,
    (uid, password): (i64, &str),
    model: &str,
    method: &str,
    args: Value,
    kwargs: Value,
) -> Value {
    let params = json!([DB, uid, password, model, method, args, kwargs]);
    let body = json!({"jsonrpc": "2.0", "method": "call", "params": {"service": "object", "method": "execute_kw", "args": params}, "id": 1});
    reqwest::Client::new()
        .post(format!("{}/jsonrpc", served.url()))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

const ADMIN: (i64, &str) = (2, ADMIN_PASSWORD);

/// The administrator's call, which must succeed.
async fn admin(served: &Served, model: &str, method: &str, args: Value) -> Value {
    let answer = execute(served, ADMIN, model, method, args).await;
    assert!(answer.get("error").is_none(), "{model}.{method}: {answer}");
    answer["result"].clone()
}

/// A user created by the administrator with these groups (external ids);
/// its uid and partner.
async fn user(served: &Served, login: &str, name: &str, groups: &[&str]) -> (i64, i64) {
    let mut ids = Vec::new();
    for xml_id in groups {
        let (module, name) = xml_id.split_once('.').unwrap();
        let found = admin(
            served,
            "ir.model.data",
            "check_object_reference",
            json!([module, name]),
        )
        .await;
        ids.push(found[1].clone());
    }
    let uid = admin(
        served,
        "res.users",
        "create",
        json!([{"login": login, "name": name, "email": login, "password": format!("{login}-secret"), "groups_id": [[6, 0, ids]]}]),
    )
    .await
    .as_i64()
    .unwrap();
    let read = admin(served, "res.users", "read", json!([[uid], ["partner_id"]])).await;
    (uid, read[0]["partner_id"][0].as_i64().unwrap())
}

/// A [`user`] given access to `channel` (`action_grant_access`, as a
/// trainer enrols a learner).
async fn enrolled(served: &Served, channel: i64, login: &str, name: &str, groups: &[&str]) -> (i64, i64) {
    let (uid, partner) = user(served, login, name, groups).await;
    admin(
        served,
        "slide.channel",
        "action_grant_access",
        json!([[channel], partner]),
    )
    .await;
    (uid, partner)
}

/// A published course shown to signed-in users, with `lessons` published
/// contents of several kinds; its id and its contents'.
async fn course(served: &Served, name: &str, lessons: usize) -> (i64, Vec<i64>) {
    let channel = admin(
        served,
        "slide.channel",
        "create",
        json!([{"name": name, "description": "<p>From zero</p>", "is_published": true, "visibility": "connected"}]),
    )
    .await
    .as_i64()
    .unwrap();
    let mut slides = Vec::new();
    for (index, category) in ["document", "video", "article", "infographic"]
        .iter()
        .cycle()
        .take(lessons)
        .enumerate()
    {
        let slide = admin(
            served,
            "slide.slide",
            "create",
            json!([{"name": format!("Lesson {}", index + 1), "channel_id": channel, "sequence": index + 1, "slide_category": category, "is_published": true}]),
        )
        .await;
        slides.push(slide.as_i64().unwrap());
    }
    (channel, slides)
}

/// A browser at `HOST`, through the proxy, keeping its session cookie.
struct Browser {
    base: String,
    client: reqwest::Client,
    cookie: std::sync::Mutex<Option<String>>,
}

struct Page {
    status: StatusCode,
    location: Option<String>,
    body: String,
}

impl Browser {
    fn new(served: &Served) -> Self {
        Self {
            base: served.url(),
            client: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .unwrap(),
            cookie: std::sync::Mutex::new(None),
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Page {
        let mut request = request
            .header("X-Forwarded-Host", HOST)
            .header("X-Forwarded-Proto", "https");
        if let Some(cookie) = self.cookie.lock().unwrap().clone() {
            request = request.header(header::COOKIE, cookie);
        }
        let response = request.send().await.unwrap();
        if let Some(cookie) = response
            .headers()
            .get(header::SET_COOKIE)
            .and_then(|value| value.to_str().ok())
        {
            *self.cookie.lock().unwrap() = cookie.split(';').next().map(str::to_owned);
        }
        Page {
            status: response.status(),
            location: response
                .headers()
                .get(header::LOCATION)
                .map(|value| value.to_str().unwrap().to_owned()),
            body: response.text().await.unwrap(),
        }
    }

    async fn get(&self, path: &str) -> Page {
        self.send(self.client.get(format!("{}{path}", self.base))).await
    }

    /// A `type="json"` route, as the website's JavaScript calls it.
    async fn json(&self, path: &str, params: Value) -> Value {
        let body = json!({"jsonrpc": "2.0", "method": "call", "params": params, "id": 3});
        let page = self
            .send(self.client.post(format!("{}{path}", self.base)).json(&body))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        serde_json::from_str(&page.body).unwrap()
    }

    /// The password form, going on to `redirect`.
    async fn sign_in(&self, login: &str, password: &str, redirect: &str) -> Page {
        let form = self.get("/web/login").await;
        let token = form
            .body
            .split("name=\"csrf_token\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a CSRF token")
            .to_owned();
        let fields = [
            ("login", login),
            ("password", password),
            ("redirect", redirect),
            ("csrf_token", &token),
        ];
        self.send(self.client.post(format!("{}/web/login", self.base)).form(&fields))
            .await
    }
}

/// The completion the course page shows its attendee.
fn shown_completion(page: &str) -> Option<i64> {
    page.split("<span class=\"o_wslides_progress_percentage\">")
        .nth(1)?
        .split('<')
        .next()?
        .parse()
        .ok()
}

#[tokio::test]
async fn a_learner_completes_half_a_course_through_the_website() -> TestResult {
    let served = training_space().await?;
    let (channel, slides) = course(&served, "Python basics", 4).await;
    let read = admin(
        &served,
        "slide.channel",
        "read",
        json!([
            [channel],
            [
                "total_slides",
                "members_count",
                "website_url",
                "website_published",
                "enroll"
            ]
        ]),
    )
    .await;
    assert_eq!(read[0]["total_slides"], 4);
    assert_eq!(read[0]["members_count"], 1, "its creator attends it");
    assert_eq!(
        read[0]["website_url"],
        format!("http://localhost:8069/slides/python-basics-{channel}")
    );
    assert_eq!(read[0]["website_published"], true);
    assert_eq!(read[0]["enroll"], "public");

    let (ann, ann_partner) = user(&served, "ann@acme.example", "Ann Learner", &["base.group_portal"]).await;
    let membership = admin(
        &served,
        "slide.channel.partner",
        "create",
        json!([{"channel_id": channel, "partner_id": ann_partner}]),
    )
    .await;
    let fields = json!([
        "member_status",
        "completion",
        "completed_slides_count",
        "partner_email",
        "display_name"
    ]);
    let before = admin(
        &served,
        "slide.channel.partner",
        "read",
        json!([[membership], fields]),
    )
    .await;
    assert_eq!(before[0]["member_status"], "joined");
    assert_eq!(before[0]["completion"], 0);
    assert_eq!(before[0]["partner_email"], "ann@acme.example");
    assert_eq!(before[0]["display_name"], "Ann Learner");

    let browser = Browser::new(&served);
    let path = format!("/slides/python-basics-{channel}");
    let signed_in = browser
        .sign_in("ann@acme.example", "ann@acme.example-secret", &path)
        .await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    assert_eq!(signed_in.location.as_deref(), Some(path.as_str()));
    let page = browser.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("<title>Python basics | My Website</title>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("You're enrolled"), "{}", page.body);
    assert_eq!(shown_completion(&page.body), Some(0));
    assert_eq!(
        page.body
            .matches("o_wslides_slides_list_slide o_wslides_js_list_item")
            .count(),
        4
    );

    for (slide, expected) in slides.iter().take(2).zip([25, 50]) {
        let done = browser
            .json("/slides/slide/set_completed", json!({"slide_id": slide}))
            .await;
        assert_eq!(
            done["result"],
            json!({"channel_completion": expected, "next_category_id": false}),
            "{done}"
        );
    }
    // Marking it again changes nothing.
    let again = browser
        .json("/slides/slide/set_completed", json!({"slide_id": slides[0]}))
        .await;
    assert_eq!(again["result"]["channel_completion"], 50);

    let after = admin(
        &served,
        "slide.channel.partner",
        "read",
        json!([[membership], fields]),
    )
    .await;
    assert_eq!(after[0]["completion"], 50);
    assert_eq!(after[0]["completed_slides_count"], 2);
    assert_eq!(after[0]["member_status"], "ongoing");
    let progress = admin(
        &served,
        "slide.slide.partner",
        "search_read",
        json!([
            [["partner_id", "=", ann_partner]],
            ["slide_id", "channel_id", "completed"]
        ]),
    )
    .await;
    assert_eq!(progress.as_array().map(Vec::len), Some(2));
    assert_eq!(progress[0]["channel_id"][0], channel);
    assert_eq!(progress[0]["completed"], true);

    // The learner's own view: over RPC, and on the pages.
    let ann_login = (ann, "ann@acme.example-secret");
    let mine = execute(
        &served,
        ann_login,
        "slide.channel",
        "search_read",
        json!([
            [["is_member", "=", true]],
            ["name", "completion", "completed", "is_member"]
        ]),
    )
    .await;
    assert_eq!(
        mine["result"],
        json!([{"id": channel, "name": "Python basics", "completion": 50, "completed": false, "is_member": true}])
    );
    let page = browser.get(&path).await;
    assert_eq!(shown_completion(&page.body), Some(50), "{}", page.body);
    assert_eq!(page.body.matches("data-completed=\"True\"").count(), 2);
    let home = browser.get("/slides").await;
    assert!(
        home.body
            .contains("<title>Odoo Courses Homepage | My Website</title>"),
        "{}",
        home.body
    );
    assert!(home.body.contains("<h5 class=\"m-0\">My courses</h5>"));
    assert!(home.body.contains("aria-valuenow=\"50\""), "{}", home.body);
    assert!(home.body.contains("Ann Learner"));

    // Done with every content: completed, and it stays so.
    for slide in &slides[2..] {
        browser
            .json("/slides/slide/set_completed", json!({"slide_id": slide}))
            .await;
    }
    let done = admin(
        &served,
        "slide.channel.partner",
        "read",
        json!([[membership], fields]),
    )
    .await;
    assert_eq!(
        (done[0]["completion"].clone(), done[0]["member_status"].clone()),
        (json!(100), json!("completed"))
    );
    let undone = browser
        .json("/slides/slide/set_uncompleted", json!({"slide_id": slides[0]}))
        .await;
    assert_eq!(undone["result"]["channel_completion"], 100, "{undone}");
    let page = browser.get(&path).await;
    assert!(page.body.contains(
        "o_wslides_channel_completion_completed badge rounded-pill text-bg-success py-1 px-2 mx-auto \""
    ));

    // An administrator's web sign-in moves `web.base.url`, and the URLs with it.
    Browser::new(&served)
        .sign_in("admin", ADMIN_PASSWORD, "/web")
        .await;
    let read = admin(
        &served,
        "slide.channel",
        "read",
        json!([[channel], ["website_url"]]),
    )
    .await;
    assert_eq!(
        read[0]["website_url"],
        format!("https://{HOST}/slides/python-basics-{channel}")
    );
    Ok(())
}

#[tokio::test]
async fn completion_is_rounded_as_odoo_rounds_and_follows_the_published_contents() -> TestResult {
    let served = training_space().await?;
    let (channel, slides) = course(&served, "Three steps", 3).await;
    let (ann, ann_partner) =
        enrolled(&served, channel, "ann@acme.example", "Ann", &["base.group_user"]).await;
    let ann_login = (ann, "ann@acme.example-secret");
    let completion = || async {
        let read = admin(
            &served,
            "slide.channel.partner",
            "search_read",
            json!([[["partner_id", "=", ann_partner]], ["completion"]]),
        )
        .await;
        read[0]["completion"].as_i64().unwrap()
    };
    // The learner's own client marks a content done.
    let marked = execute(
        &served,
        ann_login,
        "slide.slide",
        "action_mark_completed",
        json!([[slides[0]]]),
    )
    .await;
    assert!(
        marked.get("error").is_none() && marked.get("result").is_none(),
        "{marked}"
    );
    assert_eq!(completion().await, 33);
    execute(
        &served,
        ann_login,
        "slide.slide",
        "action_mark_completed",
        json!([[slides[1]]]),
    )
    .await;
    assert_eq!(completion().await, 67);
    // A content unpublished no longer counts, on either side.
    admin(
        &served,
        "slide.slide",
        "write",
        json!([[slides[2]], {"is_published": false}]),
    )
    .await;
    assert_eq!(completion().await, 100);
    let read = admin(
        &served,
        "slide.channel",
        "read",
        json!([[channel], ["total_slides"]]),
    )
    .await;
    assert_eq!(read[0]["total_slides"], 2);
    Ok(())
}

#[tokio::test]
async fn visitors_the_course_is_not_shown_to_go_back_to_the_course_list() -> TestResult {
    let served = training_space().await?;
    let (channel, slides) = course(&served, "Python basics", 4).await;
    let path = format!("/slides/python-basics-{channel}");

    // Anonymous: the course is for signed-in users.
    let anonymous = Browser::new(&served);
    let refused = anonymous.get(&path).await;
    assert_eq!(refused.status, StatusCode::FOUND);
    assert_eq!(
        refused.location.as_deref(),
        Some("/slides?invite_error=no_rights")
    );
    let by_id = anonymous.get(&format!("/slides/{channel}")).await;
    assert_eq!(by_id.status, StatusCode::SEE_OTHER);
    assert_eq!(by_id.location.as_deref(), Some("/slides?invite_error=no_rights"));
    let list = anonymous.get("/slides?invite_error=no_rights").await;
    assert!(list
        .body
        .contains("You do not have permission to access this course."));
    assert!(
        list.body.contains("No Course created yet."),
        "nothing shown to the public"
    );
    let public = anonymous
        .json("/slides/slide/set_completed", json!({"slide_id": slides[0]}))
        .await;
    assert_eq!(public["result"], json!({"error": "public_user"}));
    assert_eq!(
        anonymous.get("/slides/nothing-here").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        anonymous.get("/slides/python-basics-999").await.status,
        StatusCode::NOT_FOUND
    );

    // Signed in, not an attendee: the course and a button to join it; its
    // contents are not theirs to mark, a preview is not either.
    admin(
        &served,
        "slide.slide",
        "write",
        json!([[slides[3]], {"is_preview": true}]),
    )
    .await;
    let (_, carl_partner) = user(&served, "carl@acme.example", "Carl", &["base.group_portal"]).await;
    let carl = Browser::new(&served);
    carl.sign_in("carl@acme.example", "carl@acme.example-secret", "/slides")
        .await;
    let page = carl.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Join this Course"), "{}", page.body);
    assert_eq!(shown_completion(&page.body), None);
    let hidden = carl
        .json("/slides/slide/set_completed", json!({"slide_id": slides[0]}))
        .await;
    assert_eq!(hidden["result"], json!({"error": "slide_access"}));
    let preview = carl
        .json("/slides/slide/set_completed", json!({"slide_id": slides[3]}))
        .await;
    assert_eq!(preview["error"]["data"]["name"], "werkzeug.exceptions.Forbidden");
    assert_eq!(
        preview["error"]["data"]["message"],
        "403 Forbidden: This slide can not be marked as completed."
    );
    // Joining an open course.
    let joined = carl
        .json("/slides/channel/join", json!({"channel_id": channel}))
        .await;
    let membership = admin(
        &served,
        "slide.channel.partner",
        "search",
        json!([[["partner_id", "=", carl_partner]]]),
    )
    .await;
    assert_eq!(
        joined["result"],
        format!("slide.channel.partner({},)", membership[0])
    );
    let twice = carl
        .json("/slides/channel/join", json!({"channel_id": channel}))
        .await;
    assert_eq!(twice["result"], json!({"error": "join_done"}));

    // For attendees only: someone else is sent back to the list.
    admin(
        &served,
        "slide.channel",
        "write",
        json!([[channel], {"visibility": "members"}]),
    )
    .await;
    let read = admin(&served, "slide.channel", "read", json!([[channel], ["enroll"]])).await;
    assert_eq!(read[0]["enroll"], "invite", "computed from the visibility");
    assert_eq!(carl.get(&path).await.status, StatusCode::OK, "Carl attends it");
    let (_, _) = user(&served, "dan@acme.example", "Dan", &["base.group_user"]).await;
    let dan = Browser::new(&served);
    dan.sign_in("dan@acme.example", "dan@acme.example-secret", "/slides")
        .await;
    let refused = dan.get(&path).await;
    assert_eq!(
        refused.location.as_deref(),
        Some("/slides?invite_error=no_rights")
    );
    let join = dan
        .json("/slides/channel/join", json!({"channel_id": channel}))
        .await;
    assert_eq!(
        join["error"]["data"]["name"], "odoo.exceptions.AccessError",
        "{join}"
    );
    Ok(())
}

#[tokio::test]
async fn an_archived_learners_session_no_longer_counts() -> TestResult {
    let served = training_space().await?;
    let (channel, slides) = course(&served, "Python basics", 4).await;
    let (ann, ann_partner) = enrolled(
        &served,
        channel,
        "ann@acme.example",
        "Ann",
        &["base.group_portal"],
    )
    .await;
    let path = format!("/slides/python-basics-{channel}");
    // Two browsers signed in as Ann.
    let (page_browser, route_browser) = (Browser::new(&served), Browser::new(&served));
    for browser in [&page_browser, &route_browser] {
        browser
            .sign_in("ann@acme.example", "ann@acme.example-secret", &path)
            .await;
        assert_eq!(browser.get(&path).await.status, StatusCode::OK);
    }
    let cookie = page_browser.cookie.lock().unwrap().clone();

    admin(&served, "res.users", "write", json!([[ann], {"active": false}])).await;
    let refused = page_browser.get(&path).await;
    assert_eq!(
        refused.location.as_deref(),
        Some("/slides?invite_error=no_rights")
    );
    assert_ne!(*page_browser.cookie.lock().unwrap(), cookie, "the session ends");
    let done = route_browser
        .json("/slides/slide/set_completed", json!({"slide_id": slides[0]}))
        .await;
    assert_eq!(done["result"], json!({"error": "public_user"}));
    let read = admin(
        &served,
        "slide.channel.partner",
        "search_read",
        json!([[["partner_id", "=", ann_partner]], ["completion"]]),
    )
    .await;
    assert_eq!(read[0]["completion"], 0);
    Ok(())
}

#[tokio::test]
async fn memberships_rights_and_rules_are_odoo_17s() -> TestResult {
    let served = training_space().await?;
    let (channel, slides) = course(&served, "Python basics", 2).await;
    let (ann, ann_partner) = user(&served, "ann@acme.example", "Ann", &["base.group_user"]).await;
    let ann_login = (ann, "ann@acme.example-secret");

    // `_action_add_members` is private; `action_grant_access` is the public way.
    let private = execute(
        &served,
        ADMIN,
        "slide.channel",
        "_action_add_members",
        json!([[channel], [ann_partner]]),
    )
    .await;
    assert_eq!(private["error"]["data"]["name"], "odoo.exceptions.AccessError");
    assert_eq!(
        private["error"]["data"]["message"],
        "Private methods (such as _action_add_members) cannot be called remotely."
    );
    let granted = execute(
        &served,
        ADMIN,
        "slide.channel",
        "action_grant_access",
        json!([[channel], ann_partner]),
    )
    .await;
    assert!(
        granted.get("error").is_none() && granted.get("result").is_none(),
        "{granted}"
    );
    let read = admin(
        &served,
        "slide.channel",
        "read",
        json!([[channel], ["members_count", "partner_ids"]]),
    )
    .await;
    assert_eq!(read[0]["members_count"], 2);
    let taken = execute(
        &served,
        ADMIN,
        "slide.channel.partner",
        "create",
        json!([{"channel_id": channel, "partner_id": ann_partner}]),
    )
    .await;
    assert_eq!(taken["error"]["data"]["name"], "odoo.exceptions.ValidationError");
    assert_eq!(
        taken["error"]["data"]["message"],
        "The operation cannot be completed: A partner membership to a channel must be unique!"
    );

    // An employee reads courses, neither memberships nor who attends.
    let memberships = execute(
        &served,
        ann_login,
        "slide.channel.partner",
        "search_read",
        json!([[]]),
    )
    .await;
    assert_eq!(
        memberships["error"]["data"]["message"],
        "You are not allowed to access 'Channel / Partners (Members)' (slide.channel.partner) records.\n\nThis operation is allowed for the following groups:\n\t- eLearning/Officer\n\nContact your administrator to request access if necessary."
    );
    let fields = execute_kw(
        &served,
        ann_login,
        "slide.channel",
        "fields_get",
        json!([]),
        json!({"attributes": ["type"]}),
    )
    .await;
    assert!(fields["result"].get("channel_partner_ids").is_none());
    assert_eq!(fields["result"]["total_slides"]["type"], "integer");
    let attendees = execute(
        &served,
        ann_login,
        "slide.channel",
        "read",
        json!([[channel], ["channel_partner_ids"]]),
    )
    .await;
    assert_eq!(
        attendees["error"]["data"]["message"],
        "You do not have enough rights to access the fields \"channel_partner_ids\" on Course (slide.channel). Please contact your system administrator.\n\n(Operation: read)"
    );
    let renamed = execute(
        &served,
        ann_login,
        "slide.channel",
        "write",
        json!([[channel], {"name": "Mine"}]),
    )
    .await;
    assert_eq!(
        renamed["error"]["data"]["message"],
        "You are not allowed to modify 'Course' (slide.channel) records.\n\nThis operation is allowed for the following groups:\n\t- eLearning/Manager\n\t- eLearning/Officer\n\nContact your administrator to request access if necessary."
    );

    // A course for attendees only, which Ann does not attend: hidden.
    let private_course = admin(
        &served,
        "slide.channel",
        "create",
        json!([{"name": "Staff only", "is_published": true, "visibility": "members", "enroll": "invite"}]),
    )
    .await;
    let visible = execute(
        &served,
        ann_login,
        "slide.channel",
        "search_read",
        json!([[], ["name"]]),
    )
    .await;
    assert_eq!(
        visible["result"],
        json!([{"id": channel, "name": "Python basics"}])
    );
    let hidden = execute(
        &served,
        ann_login,
        "slide.channel",
        "read",
        json!([[private_course], ["name"]]),
    )
    .await;
    assert_eq!(hidden["error"]["data"]["name"], "odoo.exceptions.AccessError");
    assert!(
        hidden["error"]["data"]["message"]
            .as_str()
            .unwrap()
            .contains("Sorry, Ann (id="),
        "{hidden}"
    );
    // On invitation: granting needs the right to change the course.
    let (_, bob_partner) = user(&served, "bob@acme.example", "Bob", &["base.group_user"]).await;
    let refused = execute(
        &served,
        ann_login,
        "slide.channel",
        "action_grant_access",
        json!([[private_course], bob_partner]),
    )
    .await;
    assert_eq!(refused["error"]["data"]["name"], "odoo.exceptions.AccessError");
    let members_only = execute(
        &served,
        ADMIN,
        "slide.channel",
        "create",
        json!([{"name": "Invalid", "visibility": "members"}]),
    )
    .await;
    assert_eq!(
        members_only["error"]["data"]["message"],
        "The operation cannot be completed: The Enroll Policy should be set to 'On Invitation' when visibility is set to 'Course Attendees'"
    );

    // A user created without groups is an eLearning manager (the user
    // template has the group once the module is installed).
    let manager = admin(
        &served,
        "res.users",
        "create",
        json!([{"login": "eve@acme.example", "name": "Eve", "password": "eve-secret"}]),
    )
    .await
    .as_i64()
    .unwrap();
    let created = execute(
        &served,
        (manager, "eve-secret"),
        "slide.channel",
        "create",
        json!([{"name": "Eve's"}]),
    )
    .await;
    assert!(created["result"].is_i64(), "{created}");

    // Leaving a course takes the progress in it along.
    execute(
        &served,
        ann_login,
        "slide.slide",
        "action_mark_completed",
        json!([[slides[0]]]),
    )
    .await;
    let membership = admin(
        &served,
        "slide.channel.partner",
        "search",
        json!([[["partner_id", "=", ann_partner], ["channel_id", "=", channel]]]),
    )
    .await;
    admin(&served, "slide.channel.partner", "unlink", json!([membership])).await;
    let left = admin(
        &served,
        "slide.slide.partner",
        "search_count",
        json!([[["partner_id", "=", ann_partner]]]),
    )
    .await;
    assert_eq!(left, 0);
    let not_member = execute(
        &served,
        ann_login,
        "slide.slide",
        "action_mark_completed",
        json!([[slides[1]]]),
    )
    .await;
    assert_eq!(
        not_member["error"]["data"]["name"], "odoo.exceptions.AccessError",
        "the content is hidden again"
    );
    Ok(())
}
