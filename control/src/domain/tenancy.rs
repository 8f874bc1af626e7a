//! Organizations (tenants) and their members, as parsed at the edge and
//! shown in the portal. A form's raw text becomes these types once; what
//! does not parse comes back as a [`FieldError`] naming the field.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{EmailAddress, Member, PendingInvitation, SubscriptionView};

/// An organization's display name: 2 to 100 characters once trimmed, no
/// control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgName(String);

/// The organization's address in URLs (`/orgs/<slug>`) and in its services'
/// host names (`<slug>.<offer domain>`): 3 to 40 lowercase letters, digits
/// and inner hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Slug(String);

/// An ISO 3166-1 alpha-2 country code, upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CountryCode([u8; 2]);

/// What a member may do in an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including closing the organization; there is always one.
    Owner,
    /// Members, subscriptions and settings.
    Admin,
    /// Uses the organization's services.
    Member,
    /// Takes the organization's training courses only.
    Learner,
}

/// Where an organization is in its life: waiting for Bibind's approval,
/// open, suspended by Bibind, or closed for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OrganizationState {
    PendingApproval,
    Active,
    Suspended,
    Closed,
}

impl OrganizationState {
    pub const ALL: [OrganizationState; 4] =
        [Self::PendingApproval, Self::Active, Self::Suspended, Self::Closed];

    /// The text the `organizations.state` CHECK constraint allows.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingApproval => "pending_approval",
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Closed => "closed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == raw)
    }

    /// Whether it takes new subscriptions and plan changes.
    pub fn open_for_business(self) -> bool {
        matches!(self, Self::Active | Self::PendingApproval)
    }
}

#[cfg(feature = "server")]
super::jobs::stored_as_text!(OrganizationState);

#[cfg(feature = "server")]
super::jobs::stored_as_text!(Role);

/// Why a form field was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FieldProblem {
    Missing,
    TooShort,
    TooLong,
    BadCharacters,
    Reserved,
    Taken,
    UnknownCountry,
    InvalidEmail,
    /// Names something that does not exist (a plan, a role).
    Unknown,
    /// Not a day written `YYYY-MM-DD`.
    InvalidDate,
    /// Does not match what it must repeat (a typed confirmation).
    Mismatch,
    /// Not a whole number.
    NotANumber,
    /// A number over what the field allows.
    OutOfRange,
    /// Not an amount of euros with at most two decimals.
    InvalidPrice,
    /// Not something the plan offers (a module it neither lists nor lets add).
    NotOffered,
    /// A domain's apex where a subdomain is needed (it cannot be a CNAME).
    NotASubdomain,
    /// Not valid JSON.
    NotJson,
}

/// A refused field of a form: its name and the problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub problem: FieldProblem,
}

impl FieldError {
    pub fn new(field: &str, problem: FieldProblem) -> Self {
        Self {
            field: field.to_owned(),
            problem,
        }
    }
}

/// Slugs that name portal pages rather than organizations.
const RESERVED_SLUGS: &[&str] = &[
    "new", "admin", "api", "auth", "account", "www", "bibind", "settings",
];

/// Every ISO 3166-1 alpha-2 code, officially assigned.
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ \
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR \
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP \
KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT \
MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW \
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG \
UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

impl OrgName {
    pub const MAX: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, FieldProblem> {
        let name = raw.trim();
        let length = name.chars().count();
        if length == 0 {
            Err(FieldProblem::Missing)
        } else if length < 2 {
            Err(FieldProblem::TooShort)
        } else if length > Self::MAX {
            Err(FieldProblem::TooLong)
        } else if name.chars().any(char::is_control) {
            Err(FieldProblem::BadCharacters)
        } else {
            Ok(Self(name.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Slug {
    pub const MAX: usize = 40;

    pub fn parse(raw: &str) -> Result<Self, FieldProblem> {
        let slug = raw.trim().to_lowercase();
        if slug.is_empty() {
            return Err(FieldProblem::Missing);
        }
        if slug.len() < 3 {
            return Err(FieldProblem::TooShort);
        }
        if slug.len() > Self::MAX {
            return Err(FieldProblem::TooLong);
        }
        let allowed = slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !allowed || slug.starts_with('-') || slug.ends_with('-') || slug.contains("--") {
            return Err(FieldProblem::BadCharacters);
        }
        if RESERVED_SLUGS.contains(&slug.as_str()) {
            return Err(FieldProblem::Reserved);
        }
        Ok(Self(slug))
    }

    /// A slug suggested from a name: `Café Dupont & Fils` → `cafe-dupont-fils`.
    pub fn suggest(name: &str) -> String {
        let mut slug = String::new();
        for c in name.trim().to_lowercase().chars() {
            let c = match c {
                'à' | 'â' | 'ä' | 'á' => 'a',
                'é' | 'è' | 'ê' | 'ë' => 'e',
                'î' | 'ï' | 'í' => 'i',
                'ô' | 'ö' | 'ó' => 'o',
                'ù' | 'û' | 'ü' | 'ú' => 'u',
                'ç' => 'c',
                c if c.is_ascii_alphanumeric() => c,
                _ => '-',
            };
            if c != '-' || !(slug.is_empty() || slug.ends_with('-')) {
                slug.push(c);
            }
        }
        slug.trim_end_matches('-').chars().take(Self::MAX).collect()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl CountryCode {
    pub fn parse(raw: &str) -> Result<Self, FieldProblem> {
        let code = raw.trim().to_ascii_uppercase();
        match code.as_bytes() {
            [] => Err(FieldProblem::Missing),
            [a, b] if COUNTRIES.split(' ').any(|c| c == code) => Ok(Self([*a, *b])),
            _ => Err(FieldProblem::UnknownCountry),
        }
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// Every assigned code, for the country list of a form.
    pub fn all() -> impl Iterator<Item = &'static str> {
        COUNTRIES.split(' ')
    }
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Member, Role::Learner];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Learner => "learner",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == raw)
    }
}

/// A new organization as its creation form gives it, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrganization {
    pub name: OrgName,
    pub slug: Slug,
    pub country: CountryCode,
    pub billing_email: EmailAddress,
}

impl NewOrganization {
    /// Parses every field and reports each one that is wrong.
    pub fn parse(
        name: &str,
        slug: &str,
        country: &str,
        billing_email: &str,
    ) -> Result<Self, Vec<FieldError>> {
        let name = OrgName::parse(name).map_err(|p| FieldError::new("name", p));
        let slug = Slug::parse(slug).map_err(|p| FieldError::new("slug", p));
        let country = CountryCode::parse(country).map_err(|p| FieldError::new("country", p));
        let billing_email = match billing_email.trim() {
            "" => Err(FieldError::new("billing_email", FieldProblem::Missing)),
            raw => EmailAddress::parse(raw)
                .ok_or_else(|| FieldError::new("billing_email", FieldProblem::InvalidEmail)),
        };
        match (name, slug, country, billing_email) {
            (Ok(name), Ok(slug), Ok(country), Ok(billing_email)) => Ok(Self {
                name,
                slug,
                country,
                billing_email,
            }),
            (name, slug, country, email) => Err([name.err(), slug.err(), country.err(), email.err()]
                .into_iter()
                .flatten()
                .collect()),
        }
    }
}

/// An organization as its members' pages show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizationSummary {
    pub slug: String,
    pub name: String,
    pub country: String,
    pub state: OrganizationState,
    /// The viewer's role in it.
    pub role: Role,
}

/// An organization's page: the organization, its members, its pending
/// invitations and its subscriptions with their usage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizationOverview {
    pub organization: OrganizationSummary,
    /// Why it is suspended or closed, as Bibind wrote it.
    pub state_reason: Option<String>,
    /// Empty for viewers who may not see members (learners).
    pub billing_email: String,
    /// Only the viewer's own row for viewers who may not see members.
    pub members: Vec<Member>,
    /// Empty for viewers who may not manage members.
    pub invitations: Vec<PendingInvitation>,
    pub subscriptions: Vec<SubscriptionView>,
    /// The viewer's own identity id, so the page offers "leave" on their row.
    pub viewer_id: String,
    pub stamp: OverviewStamp,
}

/// What an [`OrganizationOverview`] was made from, besides who looks: two
/// overviews with equal stamps are equal in everything but `members` and
/// `viewer_id` (the only fields that depend on the viewer rather than on
/// their role). The portal keeps pages it rendered under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OverviewStamp {
    /// The read model's copy of the organization, unique in the process:
    /// every copy loaded from the database gets a new one.
    pub(crate) copy: u64,
    pub(crate) role: Role,
    /// When the next open invitation expires (Unix seconds), the only thing
    /// on the page that changes by itself: until then the open invitations,
    /// and the seats they hold, stay the same.
    pub(crate) until: i64,
    /// No subscription on the page may change soon ([`super::may_change_soon`]):
    /// nothing on it is followed live.
    pub(crate) settled: bool,
}

impl OverviewStamp {
    /// The viewer's role in the organization.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Whether nothing on the page is followed live: such a page is plain
    /// HTML, the same until the organization changes.
    pub fn settled(&self) -> bool {
        self.settled
    }
}

/// A page about one organization, as its visitor may see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MemberView<T> {
    SignInRequired,
    /// Unknown, or not theirs: the same answer, so existence does not leak.
    NotFound,
    /// Theirs, but their role does not open this page.
    Forbidden,
    Ready(T),
}

impl FieldProblem {
    pub const ALL: [FieldProblem; 17] = [
        Self::Missing,
        Self::TooShort,
        Self::TooLong,
        Self::BadCharacters,
        Self::Reserved,
        Self::Taken,
        Self::UnknownCountry,
        Self::InvalidEmail,
        Self::Unknown,
        Self::InvalidDate,
        Self::Mismatch,
        Self::NotANumber,
        Self::OutOfRange,
        Self::InvalidPrice,
        Self::NotOffered,
        Self::NotASubdomain,
        Self::NotJson,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::TooShort => "too_short",
            Self::TooLong => "too_long",
            Self::BadCharacters => "bad_characters",
            Self::Reserved => "reserved",
            Self::Taken => "taken",
            Self::UnknownCountry => "unknown_country",
            Self::InvalidEmail => "invalid_email",
            Self::Unknown => "unknown",
            Self::InvalidDate => "invalid_date",
            Self::Mismatch => "mismatch",
            Self::NotANumber => "not_a_number",
            Self::OutOfRange => "out_of_range",
            Self::InvalidPrice => "invalid_price",
            Self::NotOffered => "not_offered",
            Self::NotASubdomain => "not_a_subdomain",
            Self::NotJson => "not_json",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|problem| problem.as_str() == raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            OrgName::parse("  Acme  ").map(|n| n.as_str().to_owned()),
            Ok("Acme".into())
        );
        assert_eq!(OrgName::parse("   "), Err(FieldProblem::Missing));
        assert_eq!(OrgName::parse("A"), Err(FieldProblem::TooShort));
        assert_eq!(OrgName::parse(&"x".repeat(101)), Err(FieldProblem::TooLong));
        assert_eq!(OrgName::parse("Ac\u{7}me"), Err(FieldProblem::BadCharacters));
    }

    #[test]
    fn slugs_are_lowercase_words_with_inner_hyphens() {
        assert_eq!(
            Slug::parse(" Acme-Shop ").map(|s| s.to_string()),
            Ok("acme-shop".into())
        );
        assert_eq!(Slug::parse("ab"), Err(FieldProblem::TooShort));
        assert_eq!(Slug::parse("-acme"), Err(FieldProblem::BadCharacters));
        assert_eq!(Slug::parse("ac--me"), Err(FieldProblem::BadCharacters));
        assert_eq!(Slug::parse("acmé"), Err(FieldProblem::BadCharacters));
        assert_eq!(Slug::parse("admin"), Err(FieldProblem::Reserved));
        assert_eq!(Slug::parse(&"a".repeat(41)), Err(FieldProblem::TooLong));
        assert_eq!(Slug::suggest("Café Dupont & Fils"), "cafe-dupont-fils");
    }

    #[test]
    fn countries_are_assigned_codes() {
        assert_eq!(
            CountryCode::parse("fr").map(|c| c.as_str().to_owned()),
            Ok("FR".into())
        );
        assert_eq!(CountryCode::parse("XX"), Err(FieldProblem::UnknownCountry));
        assert_eq!(CountryCode::parse(""), Err(FieldProblem::Missing));
        assert_eq!(CountryCode::all().count(), 249);
    }

    #[test]
    fn a_form_reports_every_wrong_field() {
        let errors = NewOrganization::parse("", "x", "ZZ", "not-an-email")
            .err()
            .unwrap_or_default();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "slug", "country", "billing_email"]);
        assert!(NewOrganization::parse("Acme", "acme", "FR", "billing@acme.fr").is_ok());
    }
}
