//! Odoo's XML-RPC (odoo/addons/base/controllers/rpc.py): `POST
//! /xmlrpc/2/<service>` answers faults with an integer `faultCode`
//! (`xmlrpc_handle_exception_int`: 4 AccessError, 3 AccessDenied, 2
//! UserError and its kin, 1 anything else with the traceback as
//! `faultString`); the historical `POST /xmlrpc/<service>` with a text one
//! (`xmlrpc_handle_exception_string`). Both reach the same services as
//! `/jsonrpc`, and faults come back with HTTP 200 as `text/xml`.
//!
//! The codec is Python's `xmlrpc.client` (`loads`, `dumps` with
//! `allow_none=False`): `int`/`i4`/`i8`, `boolean`, `double`, `string` (or
//! bare text), `array`, `struct`, `nil`; `dateTime.iso8601` and `base64`
//! arrive as their text.

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::header,
    response::{IntoResponse, Response},
    routing::post,
    Router,
};
use http::StatusCode;
use serde_json::{json, Map, Value};

use super::{
    error::{ExceptionClass, OdooError},
    Failure, Simulator,
};

pub fn routes() -> Router<Simulator> {
    Router::new()
        .route("/xmlrpc/2/{service}", post(integer_faults))
        .route("/xmlrpc/{service}", post(text_faults))
}

/// How a route words its faults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FaultStyle {
    /// `/xmlrpc/2/`: `xmlrpc_handle_exception_int`.
    Integer,
    /// `/xmlrpc/`: `xmlrpc_handle_exception_string`.
    Text,
}

async fn integer_faults(
    State(simulator): State<Simulator>,
    Path(service): Path<String>,
    body: Bytes,
) -> Response {
    serve(simulator, &service, &body, FaultStyle::Integer).await
}

async fn text_faults(
    State(simulator): State<Simulator>,
    Path(service): Path<String>,
    body: Bytes,
) -> Response {
    serve(simulator, &service, &body, FaultStyle::Text).await
}

async fn serve(simulator: Simulator, service: &str, body: &[u8], style: FaultStyle) -> Response {
    let outcome = match parse_method_call(body) {
        Ok((method, params)) => simulator.dispatch(service, &method, &params).await,
        Err(malformed) => Err(Failure::Odoo(malformed)),
    };
    let document = match outcome {
        Ok(result) => method_response(&result).unwrap_or_else(|error| fault_response(&error, style)),
        Err(Failure::Odoo(error)) => fault_response(&error, style),
        Err(Failure::Proxy(status)) => return super::proxy_error(status),
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        document,
    )
        .into_response()
}

/// The fault Odoo makes of an exception: `(faultCode, faultString)`.
fn fault(error: &OdooError, style: FaultStyle) -> (Value, String) {
    let message = error.message();
    match (style, error.class) {
        (FaultStyle::Integer, ExceptionClass::AccessError) => (json!(4), message),
        (FaultStyle::Integer, ExceptionClass::AccessDenied) => (json!(3), message),
        (
            FaultStyle::Integer,
            ExceptionClass::UserError | ExceptionClass::ValidationError | ExceptionClass::MissingError,
        ) => (json!(2), message),
        (FaultStyle::Integer, _) => (json!(1), error.traceback()),
        (FaultStyle::Text, ExceptionClass::MissingError) => (
            json!(format!("warning -- MissingError\n\n{message}")),
            String::new(),
        ),
        (FaultStyle::Text, ExceptionClass::AccessError) => (
            json!(format!("warning -- AccessError\n\n{message}")),
            String::new(),
        ),
        (FaultStyle::Text, ExceptionClass::AccessDenied) => (json!("AccessDenied"), message),
        (FaultStyle::Text, ExceptionClass::UserError | ExceptionClass::ValidationError) => {
            (json!(format!("warning -- UserError\n\n{message}")), String::new())
        }
        // `exception_to_unicode(e)`: the arguments, a KeyError's key unquoted.
        (FaultStyle::Text, _) => (json!(error.argument), error.traceback()),
    }
}

const XML_HEADER: &str = "<?xml version='1.0'?>\n";

/// `xmlrpc.client.dumps((result,), methodresponse=True, allow_none=False)`.
fn method_response(result: &Value) -> Result<String, OdooError> {
    let mut document = format!("{XML_HEADER}<methodResponse>\n<params>\n<param>\n");
    write_value(&mut document, result)?;
    document.push_str("</param>\n</params>\n</methodResponse>\n");
    Ok(document)
}

fn fault_response(error: &OdooError, style: FaultStyle) -> String {
    let (code, text) = fault(error, style);
    let mut members = Map::new();
    members.insert("faultCode".to_owned(), code);
    members.insert("faultString".to_owned(), Value::String(text));
    let mut document = format!("{XML_HEADER}<methodResponse>\n<fault>\n");
    // A code and a string always marshal.
    let _ = write_value(&mut document, &Value::Object(members));
    document.push_str("</fault>\n</methodResponse>\n");
    document
}

/// Python's `Marshaller.dump` of one value.
fn write_value(out: &mut String, value: &Value) -> Result<(), OdooError> {
    match value {
        Value::Null => {
            return Err(OdooError::type_error(
                "cannot marshal None unless allow_none is enabled",
            ))
        }
        Value::Bool(flag) => {
            out.push_str(&format!(
                "<value><boolean>{}</boolean></value>\n",
                u8::from(*flag)
            ));
        }
        Value::Number(number) => match number.as_i64() {
            Some(integer) if i32::try_from(integer).is_ok() => {
                out.push_str(&format!("<value><int>{integer}</int></value>\n"));
            }
            Some(_) => {
                return Err(OdooError::new(
                    ExceptionClass::OverflowError,
                    "int exceeds XML-RPC limits",
                ))
            }
            None if number.is_u64() => {
                return Err(OdooError::new(
                    ExceptionClass::OverflowError,
                    "int exceeds XML-RPC limits",
                ))
            }
            None => {
                let double = number.as_f64().unwrap_or_default();
                out.push_str(&format!("<value><double>{double:?}</double></value>\n"));
            }
        },
        Value::String(text) => {
            out.push_str(&format!("<value><string>{}</string></value>\n", escape(text)));
        }
        Value::Array(items) => {
            out.push_str("<value><array><data>\n");
            for item in items {
                write_value(out, item)?;
            }
            out.push_str("</data></array></value>\n");
        }
        Value::Object(members) => {
            out.push_str("<value><struct>\n");
            for (name, member) in members {
                out.push_str(&format!("<member>\n<name>{}</name>\n", escape(name)));
                write_value(out, member)?;
                out.push_str("</member>\n");
            }
            out.push_str("</struct></value>\n");
        }
    }
    Ok(())
}

/// `xmlrpc.client.escape`, after Odoo's marshaller drops the control
/// characters XML 1.0 does not allow.
fn escape(text: &str) -> String {
    text.chars()
        .filter(|character| *character >= ' ' || matches!(character, '\t' | '\n' | '\r'))
        .fold(String::with_capacity(text.len()), |mut escaped, character| {
            match character {
                '&' => escaped.push_str("&amp;"),
                '<' => escaped.push_str("&lt;"),
                '>' => escaped.push_str("&gt;"),
                other => escaped.push(other),
            }
            escaped
        })
}

/// What expat raises for a document that is not XML-RPC.
fn malformed() -> OdooError {
    OdooError::new(
        ExceptionClass::MalformedXml,
        "not well-formed (invalid token): line 1, column 0",
    )
}

/// `xmlrpc.client.loads(body)`: the method name and its parameters.
fn parse_method_call(body: &[u8]) -> Result<(String, Vec<Value>), OdooError> {
    let text = std::str::from_utf8(body).map_err(|_| malformed())?;
    let root = parse_document(text)?;
    if root.name != "methodCall" {
        return Err(malformed());
    }
    let method = root.child("methodName").ok_or_else(malformed)?.text();
    let params = match root.child("params") {
        Some(params) => params
            .elements()
            .filter(|param| param.name == "param")
            .map(|param| param.child("value").ok_or_else(malformed).and_then(decode_value))
            .collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    Ok((method.trim().to_owned(), params))
}

/// Python's `Unmarshaller` for one `<value>`.
fn decode_value(value: &Element) -> Result<Value, OdooError> {
    let Some(typed) = value.elements().next() else {
        // A bare `<value>` holds a string.
        return Ok(Value::String(value.text()));
    };
    let text = typed.text();
    match typed.name.as_str() {
        "string" | "dateTime.iso8601" => Ok(Value::String(text)),
        "base64" => Ok(Value::String(text.split_whitespace().collect())),
        "int" | "i4" | "i8" | "i1" | "i2" | "biginteger" => {
            text.trim().parse::<i64>().map(Value::from).map_err(|_| {
                OdooError::value_error(format!("invalid literal for int() with base 10: '{text}'"))
            })
        }
        "boolean" => match text.trim() {
            "0" => Ok(Value::Bool(false)),
            "1" => Ok(Value::Bool(true)),
            _ => Err(OdooError::type_error("bad boolean value")),
        },
        "double" | "float" | "bigdecimal" => text
            .trim()
            .parse::<f64>()
            .map(|double| json!(double))
            .map_err(|_| OdooError::value_error(format!("could not convert string to float: '{text}'"))),
        "nil" => Ok(Value::Null),
        "array" => typed
            .child("data")
            .map(|data| {
                data.elements()
                    .filter(|item| item.name == "value")
                    .map(decode_value)
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()
            .map(|items| Value::Array(items.unwrap_or_default())),
        "struct" => {
            let mut members = Map::new();
            for member in typed.elements().filter(|member| member.name == "member") {
                let name = member.child("name").ok_or_else(malformed)?.text();
                let value = member.child("value").ok_or_else(malformed)?;
                members.insert(name, decode_value(value)?);
            }
            Ok(Value::Object(members))
        }
        _ => Err(malformed()),
    }
}

/// An XML element: its name and content (attributes are not kept).
#[derive(Debug, Default)]
struct Element {
    name: String,
    children: Vec<Node>,
}

#[derive(Debug)]
enum Node {
    Element(Element),
    Text(String),
}

impl Element {
    fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|node| match node {
            Node::Element(element) => Some(element),
            Node::Text(_) => None,
        })
    }

    fn child(&self, name: &str) -> Option<&Element> {
        self.elements().find(|element| element.name == name)
    }

    fn text(&self) -> String {
        self.children
            .iter()
            .filter_map(|node| match node {
                Node::Text(text) => Some(text.as_str()),
                Node::Element(_) => None,
            })
            .collect()
    }
}

/// The document's root element. Enough XML for XML-RPC: the prolog,
/// comments and doctype skipped, CDATA, character and the five predefined
/// entity references.
fn parse_document(text: &str) -> Result<Element, OdooError> {
    let mut open: Vec<Element> = vec![Element::default()];
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("<?") {
            rest = after.split_once("?>").ok_or_else(malformed)?.1;
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.split_once("-->").ok_or_else(malformed)?.1;
        } else if let Some(after) = rest.strip_prefix("<![CDATA[") {
            let (data, after) = after.split_once("]]>").ok_or_else(malformed)?;
            push_text(&mut open, data.to_owned())?;
            rest = after;
        } else if let Some(after) = rest.strip_prefix("<!") {
            rest = after.split_once('>').ok_or_else(malformed)?.1;
        } else if let Some(after) = rest.strip_prefix("</") {
            let (name, after) = after.split_once('>').ok_or_else(malformed)?;
            let closed = open.pop().ok_or_else(malformed)?;
            if closed.name != name.trim() || open.is_empty() {
                return Err(malformed());
            }
            open.last_mut()
                .ok_or_else(malformed)?
                .children
                .push(Node::Element(closed));
            rest = after;
        } else if let Some(after) = rest.strip_prefix('<') {
            let (tag, after) = after.split_once('>').ok_or_else(malformed)?;
            let (tag, empty) = match tag.strip_suffix('/') {
                Some(tag) => (tag, true),
                None => (tag, false),
            };
            let name = tag.split_whitespace().next().ok_or_else(malformed)?;
            let element = Element {
                name: name.to_owned(),
                children: Vec::new(),
            };
            if empty {
                open.last_mut()
                    .ok_or_else(malformed)?
                    .children
                    .push(Node::Element(element));
            } else {
                open.push(element);
            }
            rest = after;
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            let (data, after) = rest.split_at(end);
            push_text(&mut open, decode_entities(data)?)?;
            rest = after;
        }
    }
    let [document] = <[Element; 1]>::try_from(open).map_err(|_| malformed())?;
    let mut roots = document.children.into_iter().filter_map(|node| match node {
        Node::Element(element) => Some(element),
        Node::Text(text) if text.trim().is_empty() => None,
        Node::Text(_) => Some(Element {
            name: String::new(),
            children: Vec::new(),
        }),
    });
    match (roots.next(), roots.next()) {
        (Some(root), None) if !root.name.is_empty() => Ok(root),
        _ => Err(malformed()),
    }
}

fn push_text(open: &mut [Element], text: String) -> Result<(), OdooError> {
    open.last_mut()
        .ok_or_else(malformed)?
        .children
        .push(Node::Text(text));
    Ok(())
}

fn decode_entities(data: &str) -> Result<String, OdooError> {
    let mut decoded = String::with_capacity(data.len());
    let mut rest = data;
    while let Some((before, after)) = rest.split_once('&') {
        decoded.push_str(before);
        let (entity, after) = after.split_once(';').ok_or_else(malformed)?;
        let character = match entity {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(hex) = entity.strip_prefix("#x") {
                    u32::from_str_radix(hex, 16).ok()
                } else {
                    entity.strip_prefix('#').and_then(|decimal| decimal.parse().ok())
                };
                code.and_then(char::from_u32).ok_or_else(malformed)?
            }
        };
        decoded.push(character);
        rest = after;
    }
    decoded.push_str(rest);
    Ok(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_as_python_writes_it_is_read_back() -> Result<(), OdooError> {
        let body = "<?xml version='1.0'?>\n<methodCall>\n<methodName>execute_kw</methodName>\n<params>\n<param>\n<value><string>acme</string></value>\n</param>\n<param>\n<value><int>2</int></value>\n</param>\n<param>\n<value><array><data>\n<value><array><data>\n<value><string>login</string></value>\n<value><string>=</string></value>\n<value><string>a&amp;b &lt;c&gt;</string></value>\n</data></array></value>\n</data></array></value>\n</param>\n<param>\n<value><struct>\n<member>\n<name>limit</name>\n<value><int>5</int></value>\n</member>\n<member>\n<name>flag</name>\n<value><boolean>1</boolean></value>\n</member>\n<member>\n<name>bare</name>\n<value>text</value>\n</member>\n</struct></value>\n</param>\n</params>\n</methodCall>\n";
        let (method, params) = parse_method_call(body.as_bytes())?;
        assert_eq!(method, "execute_kw");
        assert_eq!(
            params,
            vec![
                json!("acme"),
                json!(2),
                json!([["login", "=", "a&b <c>"]]),
                json!({"limit": 5, "flag": true, "bare": "text"}),
            ]
        );
        Ok(())
    }

    #[test]
    fn answers_and_faults_are_written_as_python_dumps_them() -> Result<(), OdooError> {
        let written = method_response(&json!({"a": [1, false, "x<y"]}))?;
        assert_eq!(
            written,
            "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><struct>\n<member>\n<name>a</name>\n<value><array><data>\n<value><int>1</int></value>\n<value><boolean>0</boolean></value>\n<value><string>x&lt;y</string></value>\n</data></array></value>\n</member>\n</struct></value>\n</param>\n</params>\n</methodResponse>\n"
        );
        assert!(method_response(&Value::Null).is_err(), "allow_none is off");
        let denied = fault_response(&OdooError::access_denied(), FaultStyle::Integer);
        assert!(denied.contains("<name>faultCode</name>\n<value><int>3</int></value>"));
        let text = fault_response(&OdooError::access_denied(), FaultStyle::Text);
        assert!(text.contains("<value><string>AccessDenied</string></value>"));
        Ok(())
    }

    #[test]
    fn malformed_documents_are_refused() {
        for body in [
            "",
            "<methodCall>",
            "<methodCall></methodName>",
            "not xml",
            "<a/><b/>",
        ] {
            assert!(parse_method_call(body.as_bytes()).is_err(), "{body:?}");
        }
    }
}
