//! Learners enrolled in bulk: a CSV file with one learner a row (e-mail,
//! first name, last name, language, course codes), parsed once into rows
//! that each carry their problems, so that the preview shows every one
//! before anything is sent. What needs the organization (a course it does
//! not have, someone already a member) is added by the control plane.

use serde::{Deserialize, Serialize};

use super::{EmailAddress, Locale};

/// Rows one file may hold (a bigger organization imports in parts).
pub const MAX_ROWS: usize = 5_000;
/// Characters a name may hold.
const MAX_NAME: usize = 80;

/// Why a file cannot be read at all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum CsvProblem {
    /// No header row, or nothing at all.
    Empty,
    /// The header has no column for this (its English name).
    MissingColumn(String),
    /// More rows than [`MAX_ROWS`].
    TooManyRows(usize),
    /// A quoted field left open from this line to the end.
    UnclosedQuote(usize),
}

/// What is wrong with one row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum RowProblem {
    BadEmail,
    /// The same address on an earlier line.
    Duplicate(usize),
    MissingName,
    NameTooLong,
    /// A language the portal does not speak (the text found).
    UnknownLanguage(String),
    /// A course code the organization has no course for.
    UnknownCourse(String),
    /// Already a member of the organization.
    AlreadyMember,
    /// Invited already and the invitation still open: nothing is sent
    /// again (a file uploaded twice invites nobody twice).
    AlreadyInvited,
}

/// One learner of the file, with what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LearnerRow {
    /// The file's line (the header is line 1).
    pub line: usize,
    /// As typed (trimmed), for the preview.
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// The invitation's language; none given: the organization's.
    pub locale: Option<Locale>,
    /// Course codes, in the file's order, each once.
    pub courses: Vec<String>,
    pub problems: Vec<RowProblem>,
}

impl LearnerRow {
    /// The address, when it is one.
    pub fn address(&self) -> Option<EmailAddress> {
        EmailAddress::parse(&self.email)
    }

    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }
}

/// A learners' file as its preview shows it: every row with its problems
/// (those of the file and those against the organization), how many
/// invitations confirming it sends, and whether the seats allow them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LearnerImport {
    pub id: String,
    pub file_name: String,
    /// The file cannot be read at all: no row.
    pub unreadable: Option<CsvProblem>,
    pub rows: Vec<LearnerRow>,
    /// Rows without a problem: each gets an invitation.
    pub to_invite: u32,
    /// Confirming is refused: the seats this file would need (`requested`)
    /// over those the plan allows (`limit`).
    pub over_seats: Option<SeatShortage>,
    /// The codes of the organization's courses, with their names.
    pub courses: Vec<(String, String)>,
}

/// Seats a change would need over those allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatShortage {
    pub limit: u32,
    pub requested: u32,
}

impl LearnerImport {
    /// Whether confirming would send anything.
    pub fn can_send(&self) -> bool {
        self.to_invite > 0 && self.over_seats.is_none()
    }
}

/// The columns the header may name, each under the names people use.
const COLUMNS: [(&str, &[&str]); 5] = [
    (
        "email",
        &[
            "email",
            "e-mail",
            "mail",
            "courriel",
            "adresse e-mail",
            "adresse email",
        ],
    ),
    (
        "first name",
        &[
            "first name",
            "first_name",
            "firstname",
            "given name",
            "prénom",
            "prenom",
        ],
    ),
    (
        "last name",
        &[
            "last name",
            "last_name",
            "lastname",
            "family name",
            "surname",
            "nom",
            "nom de famille",
        ],
    ),
    ("language", &["language", "lang", "locale", "langue"]),
    (
        "courses",
        &[
            "courses",
            "course codes",
            "course",
            "cours",
            "codes",
            "formations",
        ],
    ),
];

/// The rows of a learners' file (UTF-8, a byte-order mark allowed; commas,
/// semicolons, as spreadsheets in French save them, or tabs), each with
/// its own problems: bad address, duplicate, missing or overlong name,
/// unknown language.
pub fn parse_learners_csv(text: &str) -> Result<Vec<LearnerRow>, CsvProblem> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let records = records(text)?;
    let mut records = records
        .into_iter()
        .filter(|(_, fields)| fields.iter().any(|f| !f.trim().is_empty()));
    let Some((_, header)) = records.next() else {
        return Err(CsvProblem::Empty);
    };
    let position = |names: &[&str]| {
        header
            .iter()
            .position(|field| names.contains(&field.trim().to_lowercase().as_str()))
    };
    let mut columns = [0usize; 5];
    for (index, (name, aliases)) in COLUMNS.iter().enumerate() {
        // Courses and language may be left out; an address and names may not.
        match (position(aliases), index) {
            (Some(at), _) => columns[index] = at,
            (None, 3 | 4) => columns[index] = usize::MAX,
            (None, _) => return Err(CsvProblem::MissingColumn((*name).to_owned())),
        }
    }
    let records: Vec<(usize, Vec<String>)> = records.collect();
    if records.len() > MAX_ROWS {
        return Err(CsvProblem::TooManyRows(records.len()));
    }
    let mut seen: Vec<(String, usize)> = Vec::new();
    Ok(records
        .into_iter()
        .map(|(line, fields)| {
            let field = |column: usize| {
                fields
                    .get(column)
                    .map(|f| f.trim().to_owned())
                    .unwrap_or_default()
            };
            let mut row = LearnerRow {
                line,
                email: field(columns[0]),
                first_name: field(columns[1]),
                last_name: field(columns[2]),
                locale: None,
                courses: Vec::new(),
                problems: Vec::new(),
            };
            match EmailAddress::parse(&row.email) {
                None => row.problems.push(RowProblem::BadEmail),
                Some(address) => {
                    let key = address.as_str().to_lowercase();
                    match seen.iter().find(|(known, _)| *known == key) {
                        Some((_, first)) => row.problems.push(RowProblem::Duplicate(*first)),
                        None => seen.push((key, line)),
                    }
                }
            }
            if row.first_name.is_empty() || row.last_name.is_empty() {
                row.problems.push(RowProblem::MissingName);
            } else if row.first_name.chars().count() > MAX_NAME || row.last_name.chars().count() > MAX_NAME {
                row.problems.push(RowProblem::NameTooLong);
            }
            let language = field(columns[3]);
            if !language.is_empty() {
                match locale_of(&language) {
                    Some(locale) => row.locale = Some(locale),
                    None => row.problems.push(RowProblem::UnknownLanguage(language)),
                }
            }
            for code in field(columns[4])
                .split([' ', ',', ';', '|'])
                .filter(|c| !c.is_empty())
            {
                if !row.courses.iter().any(|known| known == code) {
                    row.courses.push(code.to_owned());
                }
            }
            row
        })
        .collect())
}

/// `fr`, `FR`, `fr-FR`, `français`, `French`… as the portal's locales.
fn locale_of(text: &str) -> Option<Locale> {
    let lower = text.trim().to_lowercase();
    let primary = lower.split(['-', '_']).next().unwrap_or_default();
    match primary {
        "fr" | "fra" | "fre" | "français" | "francais" | "french" => Some(Locale::Fr),
        "en" | "eng" | "english" | "anglais" => Some(Locale::En),
        _ => None,
    }
}

/// The file's records with the line each starts on (RFC 4180: quoted
/// fields may hold separators, doubled quotes and line breaks). The
/// separator is the first of `;`, tab or `,` found outside quotes in the
/// first line.
fn records(text: &str) -> Result<Vec<(usize, Vec<String>)>, CsvProblem> {
    let first_line = text.lines().next().unwrap_or_default();
    let separator = [';', '\t', ',']
        .into_iter()
        .find(|c| first_line.contains(*c))
        .unwrap_or(',');
    let mut records = Vec::new();
    let (mut fields, mut field) = (Vec::new(), String::new());
    let (mut line, mut start, mut quoted) = (1usize, 1usize, false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, '\n') => {
                line += 1;
                field.push('\n');
            }
            (true, c) => field.push(c),
            (false, '"') if field.trim().is_empty() => {
                field.clear();
                quoted = true;
            }
            (false, c) if c == separator => fields.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                fields.push(std::mem::take(&mut field));
                records.push((start, std::mem::take(&mut fields)));
                line += 1;
                start = line;
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err(CsvProblem::UnclosedQuote(start));
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        records.push((start, fields));
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spreadsheets_file_is_read_with_each_rows_problems() {
        let file = "\u{feff}Courriel;Prénom;Nom;Langue;Cours\r\n\
                    ada@example.com;Ada;Lovelace;fr-FR;RUST-101 SQL-1\r\n\
                    not-an-address;Bob;Martin;;\r\n\
                    ADA@example.com;Ada;Again;en;\r\n\
                    \"carla@example.com\";\"Carla; the 2nd\";\"Dupont \"\"CD\"\"\";klingon;RUST-101|RUST-101\r\n\
                    dan@example.com;;Durand;;\r\n";
        let rows = parse_learners_csv(file).unwrap_or_default();
        assert_eq!(rows.len(), 5);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].locale, Some(Locale::Fr));
        assert_eq!(rows[0].courses, ["RUST-101", "SQL-1"]);
        assert!(rows[0].is_valid());
        assert_eq!(rows[1].problems, [RowProblem::BadEmail]);
        assert_eq!(rows[2].problems, [RowProblem::Duplicate(2)]);
        assert_eq!(rows[3].first_name, "Carla; the 2nd");
        assert_eq!(rows[3].last_name, "Dupont \"CD\"");
        assert_eq!(rows[3].courses, ["RUST-101"]);
        assert_eq!(rows[3].problems, [RowProblem::UnknownLanguage("klingon".into())]);
        assert_eq!(rows[4].problems, [RowProblem::MissingName]);
    }

    #[test]
    fn a_file_without_its_columns_or_too_big_is_refused_whole() {
        assert_eq!(parse_learners_csv(""), Err(CsvProblem::Empty));
        assert_eq!(
            parse_learners_csv("email,first name\na@example.com,A\n"),
            Err(CsvProblem::MissingColumn("last name".into()))
        );
        assert_eq!(
            parse_learners_csv("email,first name,last name\n\"a@example.com,A,B\n"),
            Err(CsvProblem::UnclosedQuote(2))
        );
        let big = format!(
            "email,first name,last name\n{}",
            "a@example.com,A,B\n".repeat(MAX_ROWS + 1)
        );
        assert_eq!(
            parse_learners_csv(&big),
            Err(CsvProblem::TooManyRows(MAX_ROWS + 1))
        );
        // Language and courses may be left out; blank lines are skipped.
        let rows = parse_learners_csv("email,first name,last name\n\nb@example.com,B,C").unwrap_or_default();
        assert_eq!((rows.len(), rows[0].line), (1, 3));
    }
}
