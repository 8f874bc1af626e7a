//! Odoo search domains (prefix `&`, `|`, `!` and `[field, operator, value]`
//! leaves, implicitly AND-ed) and x2many write commands.

use serde_json::Value;

use super::error::{python_repr, OdooError, OdooResult};

#[derive(Clone, Debug)]
pub struct Leaf {
    pub field: String,
    pub operator: String,
    pub value: Value,
    /// As written, for error messages.
    pub source: String,
}

#[derive(Clone, Debug)]
pub enum Term {
    And,
    Or,
    Not,
    Leaf(Leaf),
}

const OPERATORS: &[&str] = &[
    "=",
    "!=",
    "<>",
    "in",
    "not in",
    "like",
    "ilike",
    "not like",
    "not ilike",
    "=like",
    "=ilike",
    "<",
    ">",
    "<=",
    ">=",
];

pub fn parse(domain: &Value) -> OdooResult<Vec<Term>> {
    let items = match domain {
        Value::Array(items) => items,
        Value::Bool(false) | Value::Null => return Ok(Vec::new()),
        _ => {
            return Err(OdooError::value_error(format!(
                "Invalid domain: {}",
                python_repr(domain)
            )))
        }
    };
    items
        .iter()
        .map(|item| match item {
            Value::String(operator) if operator == "&" => Ok(Term::And),
            Value::String(operator) if operator == "|" => Ok(Term::Or),
            Value::String(operator) if operator == "!" => Ok(Term::Not),
            Value::Array(leaf) => {
                let invalid = || OdooError::value_error(format!("Invalid leaf {}", python_repr(item)));
                let [field, operator, value] = leaf.as_slice() else {
                    return Err(invalid());
                };
                let (Some(field), Some(operator)) = (field.as_str(), operator.as_str()) else {
                    return Err(invalid());
                };
                if !OPERATORS.contains(&operator) {
                    return Err(invalid());
                }
                Ok(Term::Leaf(Leaf {
                    field: field.to_owned(),
                    operator: operator.to_owned(),
                    value: value.clone(),
                    source: format!("('{field}', '{operator}', {})", python_repr(value)),
                }))
            }
            _ => Err(OdooError::value_error(format!(
                "Invalid leaf {}",
                python_repr(item)
            ))),
        })
        .collect()
}

pub fn leaves(terms: &[Term]) -> impl Iterator<Item = &Leaf> {
    terms.iter().filter_map(|term| match term {
        Term::Leaf(leaf) => Some(leaf),
        _ => None,
    })
}

pub fn mentions(terms: &[Term], field: &str) -> bool {
    leaves(terms).any(|leaf| leaf.field == field)
}

/// Evaluates the prefix expression from its end with a stack, as Odoo
/// normalizes it; what is left on the stack is AND-ed.
pub fn matches(terms: &[Term], id: i64, record: &serde_json::Map<String, Value>) -> bool {
    let mut stack: Vec<bool> = Vec::new();
    for term in terms.iter().rev() {
        let value = match term {
            Term::Leaf(leaf) => leaf_matches(leaf, id, record),
            Term::Not => !stack.pop().unwrap_or(true),
            Term::And => {
                let (a, b) = (stack.pop().unwrap_or(true), stack.pop().unwrap_or(true));
                a && b
            }
            Term::Or => {
                let (a, b) = (stack.pop().unwrap_or(false), stack.pop().unwrap_or(false));
                a || b
            }
        };
        stack.push(value);
    }
    stack.into_iter().all(|value| value)
}

fn leaf_matches(leaf: &Leaf, id: i64, record: &serde_json::Map<String, Value>) -> bool {
    let id_value = Value::from(id);
    let stored = if leaf.field == "id" {
        &id_value
    } else {
        record.get(&leaf.field).unwrap_or(&Value::Null)
    };
    let wanted = &leaf.value;
    // A many2many holds ids: it matches when any of them does.
    if let Value::Array(ids) = stored {
        let any = |check: &dyn Fn(&Value) -> bool| ids.iter().any(check);
        return match leaf.operator.as_str() {
            "=" | "in" => any(&|item| equal_or_in(item, wanted)),
            "!=" | "<>" | "not in" => !any(&|item| equal_or_in(item, wanted)),
            _ => false,
        };
    }
    match leaf.operator.as_str() {
        "=" => same(stored, wanted),
        "!=" | "<>" => !same(stored, wanted),
        "in" => equal_or_in(stored, wanted),
        "not in" => !equal_or_in(stored, wanted),
        "like" | "=like" => text(stored).contains(&text(wanted)),
        "ilike" | "=ilike" => text(stored).to_lowercase().contains(&text(wanted).to_lowercase()),
        "not like" => !text(stored).contains(&text(wanted)),
        "not ilike" => !text(stored).to_lowercase().contains(&text(wanted).to_lowercase()),
        operator => compare(stored, wanted, operator),
    }
}

/// `false` and an unset value are one in Odoo.
fn same(stored: &Value, wanted: &Value) -> bool {
    let unset = |value: &Value| matches!(value, Value::Null | Value::Bool(false));
    stored == wanted || (unset(stored) && unset(wanted))
}

fn equal_or_in(stored: &Value, wanted: &Value) -> bool {
    match wanted {
        Value::Array(options) => options.iter().any(|option| same(stored, option)),
        single => same(stored, single),
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        _ => String::new(),
    }
}

fn compare(stored: &Value, wanted: &Value, operator: &str) -> bool {
    let ordering = match (stored.as_f64(), wanted.as_f64()) {
        (Some(a), Some(b)) => a.partial_cmp(&b),
        _ => Some(text(stored).cmp(&text(wanted))),
    };
    let Some(ordering) = ordering else { return false };
    match operator {
        "<" => ordering.is_lt(),
        ">" => ordering.is_gt(),
        "<=" => ordering.is_le(),
        ">=" => ordering.is_ge(),
        _ => false,
    }
}

/// Applies x2many commands (`[4, id]` link, `[3, id]` unlink, `[5]` clear,
/// `[6, 0, ids]` replace; a plain list of ids replaces too).
pub fn apply_x2many_commands(mut ids: Vec<i64>, commands: &Value) -> OdooResult<Vec<i64>> {
    let invalid = || OdooError::value_error(format!("Invalid x2many commands: {commands}"));
    let commands = commands.as_array().ok_or_else(invalid)?;
    if commands.iter().all(Value::is_i64) {
        return Ok(commands.iter().filter_map(Value::as_i64).collect());
    }
    for command in commands {
        let command = command.as_array().ok_or_else(invalid)?;
        match (
            command.first().and_then(Value::as_i64),
            command.get(1).and_then(Value::as_i64),
        ) {
            (Some(4), Some(id)) => {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            (Some(3), Some(id)) => ids.retain(|existing| *existing != id),
            (Some(5), _) => ids.clear(),
            (Some(6), _) => {
                let replacement = command.get(2).and_then(Value::as_array).ok_or_else(invalid)?;
                ids = replacement.iter().filter_map(Value::as_i64).collect();
            }
            _ => return Err(invalid()),
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn record(value: Value) -> serde_json::Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn prefix_operators_combine_leaves() -> OdooResult<()> {
        let user = record(json!({"login": "ann", "share": false, "groups_id": [1, 2]}));
        let either = parse(&json!(["|", ["login", "=", "bob"], ["share", "=", false]]))?;
        assert!(matches(&either, 7, &user));
        let both = parse(&json!([["login", "=", "bob"], ["share", "=", false]]))?;
        assert!(!matches(&both, 7, &user));
        let group = parse(&json!([["groups_id", "in", [2]], ["id", "=", 7]]))?;
        assert!(matches(&group, 7, &user));
        Ok(())
    }

    #[test]
    fn commands_link_and_replace() -> OdooResult<()> {
        assert_eq!(
            apply_x2many_commands(vec![1], &json!([[4, 2], [4, 1]]))?,
            vec![1, 2]
        );
        assert_eq!(apply_x2many_commands(vec![1], &json!([[6, 0, [3]]]))?, vec![3]);
        Ok(())
    }
}
