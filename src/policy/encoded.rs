//! Policy documents as inputs carry them: a JSON object (AWS CLI output), a JSON string, or a
//! URL-encoded JSON string (the raw IAM API form, and CloudTrail's `policyDocument` parameters).
//! The one decoder every reader of policy documents uses.

use percent_encoding::percent_decode_str;
use serde_json::Value;

/// Decodes a policy document field into a JSON object.
pub fn decode_document(raw: &Value) -> Result<Value, String> {
    match raw {
        Value::Object(_) => Ok(raw.clone()),
        Value::String(s) => decode_document_str(s),
        other => Err(format!(
            "policy document must be a JSON object or a (URL-encoded) JSON string, found {}",
            json_type(other)
        )),
    }
}

/// Decodes a document given as text: plain JSON, or URL-encoded JSON (RFC 3986 `%XX`; a `+` for a
/// space, as form encoders write it, is accepted when the strict reading fails).
pub fn decode_document_str(s: &str) -> Result<Value, String> {
    let trimmed = s.trim();
    if trimmed.starts_with('{') {
        return parse_object(trimmed);
    }
    let strict = percent_decode_str(trimmed)
        .decode_utf8()
        .map_err(|e| format!("URL-encoded policy document is not UTF-8: {e}"))?;
    match parse_object(&strict) {
        Ok(v) => Ok(v),
        Err(first) if trimmed.contains('+') => {
            let spaced = trimmed.replace('+', " ");
            let decoded = percent_decode_str(&spaced)
                .decode_utf8()
                .map_err(|e| format!("URL-encoded policy document is not UTF-8: {e}"))?;
            parse_object(&decoded).map_err(|_| first)
        }
        Err(e) => Err(e),
    }
}

fn parse_object(text: &str) -> Result<Value, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("policy document is not JSON: {e}"))?;
    if v.is_object() {
        Ok(v)
    } else {
        Err(format!("policy document must be a JSON object, found {}", json_type(&v)))
    }
}

pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_all_encodings() {
        let obj = json!({"Version": "2012-10-17", "Statement": []});
        assert_eq!(decode_document(&obj).unwrap(), obj);
        let plain = json!(r#"{"Version":"2012-10-17","Statement":[]}"#);
        assert_eq!(decode_document(&plain).unwrap(), obj);
        let encoded = json!("%7B%22Version%22%3A%20%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D");
        assert_eq!(decode_document(&encoded).unwrap(), obj);
        let form = json!("%7B%22Version%22%3A+%222012-10-17%22%2C+%22Statement%22%3A+%5B%5D%7D");
        assert_eq!(decode_document(&form).unwrap(), obj);
    }

    #[test]
    fn keeps_encoded_plus_signs() {
        let encoded = json!("%7B%22Id%22%3A%22a%2Bb%22%2C%22Statement%22%3A%5B%5D%7D");
        assert_eq!(decode_document(&encoded).unwrap()["Id"], "a+b");
    }

    #[test]
    fn rejects_non_documents() {
        assert!(decode_document(&json!(3)).unwrap_err().contains("a number"));
        assert!(decode_document(&json!("%5B%5D")).unwrap_err().contains("an array"));
        assert!(decode_document(&json!("not json")).unwrap_err().contains("not JSON"));
    }
}
