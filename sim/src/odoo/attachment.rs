//! `ir.attachment`'s file content (odoo/addons/base/models/ir_attachment.py):
//! `datas` (base64) written goes to the database's filestore under its
//! SHA-1 (`ab/abcdef…`, `_get_path`), and `store_fname`, `file_size`,
//! `checksum` and `mimetype` follow (`_get_datas_related_values`,
//! `_compute_mimetype`); read back, `datas` is the file's content in
//! base64. A file replaced or deleted stays in the filestore until the
//! garbage collector's cron, which the simulator never runs.

use serde_json::{json, Map, Value};

use super::{
    backup,
    database::{at, Database, Record, GROUP_SYSTEM},
    error::OdooResult,
};

/// What `create` (`creating`) or `write` does with `datas` before the
/// record is stored: `_check_contents` (the mime type, plain text for HTML
/// and XML unless the user may write views), then `_inverse_datas` (the
/// file written, `file_size`, `checksum` and `store_fname` set).
pub fn store(
    database: &mut Database,
    record: &mut Record,
    values: &Map<String, Value>,
    uid: i64,
    creating: bool,
) -> OdooResult<()> {
    // Computed from the content: never stored as such.
    record.remove("datas");
    if !creating && !values.contains_key("datas") && !values.contains_key("mimetype") {
        return Ok(());
    }
    let data = match values.get("datas") {
        None | Some(Value::Bool(false) | Value::Null) => Vec::new(),
        Some(datas) => backup::b64decode(datas)?,
    };
    let mut mimetype = compute_mimetype(values, &data);
    let xml_like = mimetype.contains("ht")
        || (mimetype.contains("xml") && !mimetype.starts_with("application/vnd.openxmlformats"));
    if xml_like && !database.groups_of(uid).contains(&GROUP_SYSTEM) {
        mimetype = "text/plain".to_owned();
    }
    record.insert("mimetype".to_owned(), json!(mimetype));
    if !values.contains_key("datas") || (creating && data.is_empty()) {
        return Ok(());
    }
    let checksum = sha1_hex(&data);
    let store_fname = match checksum.get(..2) {
        Some(directory) if !data.is_empty() => {
            let path = format!("{directory}/{checksum}");
            database.filestore.entry(path.clone()).or_insert(data.clone());
            json!(path)
        }
        _ => Value::Bool(false),
    };
    record.insert("file_size".to_owned(), json!(data.len()));
    record.insert("checksum".to_owned(), json!(checksum));
    record.insert("store_fname".to_owned(), store_fname);
    Ok(())
}

/// `datas` as `read` answers it: the stored file in base64, `False` for
/// none (or an empty one).
pub fn datas(database: &Database, record: &Record) -> Value {
    let content = at(record, "store_fname")
        .as_str()
        .and_then(|path| database.filestore.get(path))
        .filter(|content| !content.is_empty());
    match content {
        Some(content) => json!(base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            content
        )),
        None => Value::Bool(false),
    }
}

/// `_compute_mimetype(values)`: the one given, else the name's (Python's
/// `mimetypes.guess_type`), else the content's (`guess_mimetype`).
fn compute_mimetype(values: &Map<String, Value>, data: &[u8]) -> String {
    let given = |name: &str| {
        values
            .get(name)
            .and_then(Value::as_str)
            .filter(|text| !text.is_empty())
    };
    let mut mimetype = given("mimetype").map(str::to_owned);
    if mimetype.is_none() {
        mimetype = given("name").and_then(guess_type).map(str::to_owned);
    }
    if mimetype.is_none() {
        mimetype = given("url")
            .and_then(|url| guess_type(url.split('?').next().unwrap_or_default()))
            .map(str::to_owned);
    }
    let unknown = mimetype
        .as_deref()
        .is_none_or(|mimetype| mimetype == "application/octet-stream");
    if unknown && !data.is_empty() {
        mimetype = Some(guess_mimetype(data).to_owned());
    }
    mimetype.map_or_else(
        || "application/octet-stream".to_owned(),
        |mimetype| mimetype.to_lowercase(),
    )
}

/// `mimetypes.guess_type(name)[0]` for the usual extensions.
fn guess_type(name: &str) -> Option<&'static str> {
    let extension = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match extension.as_str() {
        "txt" => "text/plain",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "css" => "text/css",
        "js" => "text/javascript",
        "json" => "application/json",
        "xml" => "application/xml",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "webp" => "image/webp",
        "ico" => "image/vnd.microsoft.icon",
        "mp4" => "video/mp4",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => return None,
    })
}

/// odoo/tools/mimetypes.py `guess_mimetype`: the content's signature, else
/// (as python-magic answers for text) plain text, else binary.
fn guess_mimetype(data: &[u8]) -> &'static str {
    const SIGNATURES: &[(&[u8], &str)] = &[
        (b"%PDF", "application/pdf"),
        (b"\xFF\xD8\xFF", "image/jpeg"),
        (b"\x89PNG\r\n\x1A\n", "image/png"),
        (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"),
        (b"BM", "image/bmp"),
        (b"\x00\x00\x01\x00", "image/x-icon"),
        (b"PK\x03\x04", "application/zip"),
    ];
    if let Some((_, mimetype)) = SIGNATURES
        .iter()
        .find(|(signature, _)| data.starts_with(signature))
    {
        return mimetype;
    }
    if data.starts_with(b"<") {
        let head = String::from_utf8_lossy(&data[..data.len().min(1024)]).to_ascii_lowercase();
        return if head.contains("<svg") {
            "image/svg+xml"
        } else {
            "application/xml"
        };
    }
    if std::str::from_utf8(data).is_ok() {
        "text/plain"
    } else {
        "application/octet-stream"
    }
}

/// SHA-1 in hexadecimal, as `hashlib.sha1(data).hexdigest()`.
pub fn sha1_hex(data: &[u8]) -> String {
    use sha1::{Digest, Sha1};
    Sha1::digest(data)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1_is_hashlibs() {
        assert_eq!(sha1_hex(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        let long = vec![b'a'; 1_000];
        assert_eq!(sha1_hex(&long), "291e9a6c66994949b57ba5e650361e98fc36b1ba");
    }

    #[test]
    fn the_mime_type_comes_from_the_name_then_the_content() {
        let values = |pairs: Value| pairs.as_object().cloned().unwrap_or_default();
        assert_eq!(
            compute_mimetype(&values(json!({"name": "notes.txt"})), b""),
            "text/plain"
        );
        assert_eq!(
            compute_mimetype(&values(json!({"name": "logo"})), b"\x89PNG\r\n\x1A\n...."),
            "image/png"
        );
        assert_eq!(
            compute_mimetype(&values(json!({"name": "x"})), b""),
            "application/octet-stream"
        );
    }
}
