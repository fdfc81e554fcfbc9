//! Compares a server's responses with the reference before anything is
//! measured: status, exact body and the scenario's relevant headers.

use super::client::{self, Response};
use super::scenario::{Case, Expect, HeaderRule, Request};

/// Differences between a response and its reference (empty when equal).
#[must_use]
pub fn compare(res: &Response, expect: &Expect) -> Vec<String> {
    let mut diffs = Vec::new();
    if res.status != expect.status {
        diffs.push(format!("status {} != {}", res.status, expect.status));
    }
    if let Some(body) = &expect.body
        && res.body != body.as_bytes()
    {
        diffs.push(format!(
            "body {:?} != {body:?}",
            String::from_utf8_lossy(&res.body)
        ));
    }
    for (name, rule) in &expect.headers {
        let got = res.header(name);
        let ok = match (rule, &got) {
            (HeaderRule::Exact(v), Some(g)) => g == v,
            (HeaderRule::Present, Some(g)) => !g.is_empty(),
            (HeaderRule::HasToken(t), Some(g)) => {
                g.split(',').any(|x| x.trim().eq_ignore_ascii_case(t))
            }
            (HeaderRule::Absent, None) => true,
            _ => false,
        };
        if !ok {
            diffs.push(format!("header {name}: {got:?} does not satisfy {rule:?}"));
        }
    }
    diffs
}

/// Sends one request and compares its response with the reference.
///
/// # Errors
/// A description of the failure: the request failed, or what differed.
pub fn check_request(port: u16, req: &Request) -> Result<(), String> {
    let res = client::send(port, &req.path, &req.headers, req.body.as_deref())
        .map_err(|e| format!("{} {}: request failed: {e}", req.name, req.path))?;
    let diffs = compare(&res, &req.expect);
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(format!("{} {}: {}", req.name, req.path, diffs.join("; ")))
    }
}

/// Checks every endpoint and extra check of a case.
///
/// # Errors
/// Every failure, one per line.
pub fn check_case(port: u16, case: &Case) -> Result<(), String> {
    let failures: Vec<String> = case
        .endpoints
        .iter()
        .chain(&case.checks)
        .filter_map(|r| check_request(port, r).err())
        .collect();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

/// A test of one JSON value's type (`Value::is_string`, ...).
pub type IsType = fn(&serde_json::Value) -> bool;

/// Whether every field of `v` named in `fields` has its type; the error
/// names the first that does not, as `what.name`.
///
/// # Errors
/// The first field of the wrong type (or missing).
pub fn json_shape(
    what: &str,
    v: &serde_json::Value,
    fields: &[(&str, IsType)],
) -> Result<(), String> {
    for (name, ok) in fields {
        if !ok(&v[name]) {
            return Err(format!("{what}.{name} is {} in {v}", v[name]));
        }
    }
    Ok(())
}

/// `Ok` when `cond` holds, else an error with `what` and the value seen.
///
/// # Errors
/// When `cond` is false.
pub fn json_check(what: &str, cond: bool, v: &serde_json::Value) -> Result<(), String> {
    if cond {
        Ok(())
    } else {
        Err(format!("{what}: {v}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        Response {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn rules_are_applied() {
        let expect = Expect {
            status: 200,
            body: Some("hi".into()),
            headers: vec![
                ("a".into(), HeaderRule::Exact("1".into())),
                ("vary".into(), HeaderRule::HasToken("origin".into())),
                ("x".into(), HeaderRule::Present),
                ("z".into(), HeaderRule::Absent),
            ],
        };
        let good = res(
            200,
            &[("a", "1"), ("vary", "Origin, Foo"), ("x", "id")],
            "hi",
        );
        assert!(compare(&good, &expect).is_empty());
        let bad = res(201, &[("a", "2"), ("vary", "originx"), ("z", "1")], "ho");
        assert_eq!(compare(&bad, &expect).len(), 6);
    }
}
