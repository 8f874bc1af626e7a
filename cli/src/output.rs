//! What a command prints on standard output: a table for people, JSON or
//! YAML for scripts (`--output`). Messages go to standard error.

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Yaml,
}

/// A table's column: its heading and the field it shows.
pub type Column = (&'static str, &'static str);

/// Prints `value` as `format` asks; a table shows `columns` of a list, or
/// every field of one object.
pub fn print(value: &Value, format: Format, columns: &[Column]) {
    let text = match format {
        Format::Json => serde_json::to_string_pretty(value).unwrap_or_default() + "\n",
        Format::Yaml => yaml(value),
        Format::Table => table(value, columns),
    };
    write_out(text.as_bytes());
}

/// Writes to standard output; a reader gone (`| head`) is not an error.
pub fn write_out(bytes: &[u8]) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(bytes).and_then(|()| out.flush());
}

fn cell(value: &Value) -> String {
    match value {
        Value::Null => "-".to_owned(),
        Value::String(text) => text.clone(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

fn table(value: &Value, columns: &[Column]) -> String {
    let rows: Vec<Vec<String>> = match value {
        Value::Array(items) => items
            .iter()
            .map(|item| columns.iter().map(|(_, key)| cell(&item[*key])).collect())
            .collect(),
        Value::Object(fields) => {
            let width = fields.keys().map(|key| key.chars().count()).max().unwrap_or(0);
            return fields
                .iter()
                .map(|(key, field)| format!("{key:width$}  {}\n", cell(field)))
                .collect();
        }
        Value::Null => return String::new(),
        other => return format!("{}\n", cell(other)),
    };
    let mut widths: Vec<usize> = columns
        .iter()
        .map(|(heading, _)| heading.chars().count())
        .collect();
    for row in &rows {
        for (width, text) in widths.iter_mut().zip(row) {
            *width = (*width).max(text.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(text, width)| format!("{text:width$}"))
            .collect();
        padded.join("  ").trim_end().to_owned() + "\n"
    };
    let mut out = line(columns.iter().map(|(heading, _)| *heading).collect());
    for row in &rows {
        out += &line(row.iter().map(String::as_str).collect());
    }
    out
}

/// YAML in block style; every string double-quoted (JSON escapes are valid
/// YAML), so that no value is read back as another type.
pub fn yaml(value: &Value) -> String {
    let mut out = String::new();
    write_yaml(value, 0, &mut out);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(text) => serde_json::to_string(text).unwrap_or_default(),
        Value::Array(items) if items.is_empty() => "[]".to_owned(),
        Value::Object(fields) if fields.is_empty() => "{}".to_owned(),
        other => other.to_string(),
    }
}

fn is_block(value: &Value) -> bool {
    match value {
        Value::Array(items) => !items.is_empty(),
        Value::Object(fields) => !fields.is_empty(),
        _ => false,
    }
}

fn write_yaml(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(fields) if !fields.is_empty() => {
            for (key, field) in fields {
                let key = serde_json::to_string(key).unwrap_or_default();
                if is_block(field) {
                    out.push_str(&format!("{pad}{key}:\n"));
                    write_yaml(field, indent + 2, out);
                } else {
                    out.push_str(&format!("{pad}{key}: {}\n", scalar(field)));
                }
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for item in items {
                if is_block(item) {
                    out.push_str(&format!("{pad}-\n"));
                    write_yaml(item, indent + 2, out);
                } else {
                    out.push_str(&format!("{pad}- {}\n", scalar(item)));
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_keeps_types_and_nesting() {
        let value = json!([{"meta": {}, "owner": null, "slug": "acme", "tags": ["a", "yes"], "version": 3}]);
        assert_eq!(
            yaml(&value),
            "-\n  \"meta\": {}\n  \"owner\": null\n  \"slug\": \"acme\"\n  \"tags\":\n    - \"a\"\n    - \"yes\"\n  \"version\": 3\n"
        );
    }

    #[test]
    fn a_table_aligns_its_columns() {
        let value = json!([{"slug": "acme", "name": "ACME"}, {"slug": "b", "name": null}]);
        assert_eq!(
            table(&value, &[("SLUG", "slug"), ("NAME", "name")]),
            "SLUG  NAME\nacme  ACME\nb     -\n"
        );
    }
}
