//! Writing to the API server: server-side apply with field manager `wasmdoctor` (dry-run first),
//! whether an object exists (for the journal), and undo of what wasmdoctor applied. Each request is
//! bounded by the source timeout; errors are worded as users read them.

use serde_json::json;

use super::FixError;
use super::journal::AppliedObject;
use crate::collect::CollectOptions;
use crate::plan::ApiObject;

/// What an answer about one object may take at most.
const ANSWER_CAP: usize = 4 << 20;

/// Each object's version now (`GET`): `Ok(None)` on 404, the error otherwise.
pub fn versions(opts: &CollectOptions, objects: &[ApiObject]) -> Vec<Result<Option<ObjectVersion>, String>> {
    requests(opts, objects, |o| {
        http::Request::builder()
            .method(http::Method::GET)
            .uri(object_path(o))
            .body(Vec::new())
            .map_err(|e| e.to_string())
    })
    .into_iter()
    .map(|r| match r {
        Ok(body) => Ok(Some(ObjectVersion::of(&body))),
        Err(e) if e.starts_with("HTTP 404") => Ok(None),
        Err(e) => Err(e),
    })
    .collect()
}

/// How an object's changes show: `metadata.generation` (bumped by spec changes only, where the
/// kind has it: a controller writing `status` is not a change of what wasmdoctor applied), else
/// `metadata.resourceVersion` (every write).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectVersion {
    pub resource_version: Option<String>,
    pub generation: Option<i64>,
}

impl ObjectVersion {
    /// The version of the object in a response body.
    pub fn of(body: &str) -> ObjectVersion {
        let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        ObjectVersion {
            resource_version: v.pointer("/metadata/resourceVersion").and_then(|r| r.as_str()).map(String::from),
            generation: v.pointer("/metadata/generation").and_then(serde_json::Value::as_i64),
        }
    }

    /// How `now` differs from this (the version recorded after wasmdoctor's apply), if it does.
    pub fn changed(&self, now: &ObjectVersion) -> Option<String> {
        match (self.generation, now.generation, &self.resource_version, &now.resource_version) {
            (Some(then), Some(now), ..) => (then != now).then(|| format!("generation {then}, now {now}")),
            (_, _, Some(then), Some(now)) => (then != now).then(|| format!("resourceVersion {then}, now {now}")),
            _ => None,
        }
    }
}

/// Undo of applied objects: one wasmdoctor created is deleted; on one it patched, an apply with
/// no fields by field manager `wasmdoctor` removes exactly the fields it set. An object changed
/// since wasmdoctor applied it (another `resourceVersion`) is refused, unless `force`; then nothing
/// is reverted.
pub fn revert(opts: &CollectOptions, applied: &[AppliedObject], force: bool) -> Result<(), FixError> {
    let objects: Vec<ApiObject> = applied
        .iter()
        .map(|a| {
            let mut metadata = json!({"name": a.name});
            if let Some(ns) = &a.namespace {
                metadata["namespace"] = json!(ns);
            }
            ApiObject {
                api_version: a.api_version.clone(),
                kind: a.kind.clone(),
                plural: a.plural.clone(),
                namespace: a.namespace.clone(),
                name: a.name.clone(),
                body: json!({"apiVersion": a.api_version, "kind": a.kind, "metadata": metadata}),
            }
        })
        .collect();
    if !force {
        let mut changed = Vec::new();
        for ((a, o), now) in applied.iter().zip(&objects).zip(versions(opts, &objects)) {
            let now = now.map_err(|message| FixError::Revert { message })?;
            let then = ObjectVersion { resource_version: a.resource_version.clone(), generation: a.generation };
            if let Some(how) = now.and_then(|now| then.changed(&now)) {
                changed.push(format!("{} was changed after wasmdoctor applied it ({how})", o.shown()));
            }
        }
        if !changed.is_empty() {
            return Err(FixError::ObjectsChangedSinceFix { changed: changed.join("; ") });
        }
    }
    let answers = requests(opts, &objects, |o| {
        let created =
            applied.iter().any(|a| a.created && a.name == o.name && a.plural == o.plural && a.namespace == o.namespace);
        if created {
            http::Request::builder()
                .method(http::Method::DELETE)
                .uri(object_path(o))
                .body(Vec::new())
                .map_err(|e| e.to_string())
        } else {
            patch_request(o, false)
        }
    });
    let failed: Vec<String> = objects
        .iter()
        .zip(answers)
        .filter_map(|(o, r)| match r {
            // Deleting what is already gone leaves it as undo wants it.
            Err(e) if e.starts_with("HTTP 404") => None,
            Err(e) => Some(format!("{}: {e}", o.shown())),
            Ok(_) => None,
        })
        .collect();
    if failed.is_empty() { Ok(()) } else { Err(FixError::Revert { message: failed.join("; ") }) }
}

/// Server-side apply of each object (`dry_run`: `dryRun=All`), in order, with field manager
/// `wasmdoctor` and without `force`: a field another manager owns is a conflict, reported. Each
/// answer is the object's version after the apply.
pub fn server_apply(opts: &CollectOptions, objects: &[ApiObject], dry_run: bool) -> Vec<Result<ObjectVersion, String>> {
    requests(opts, objects, |o| patch_request(o, dry_run))
        .into_iter()
        .map(|r| r.map(|b| ObjectVersion::of(&b)))
        .collect()
}

/// One request per object, in order, each bounded by the source timeout; the response bodies, or
/// errors as users read them.
fn requests(
    opts: &CollectOptions,
    objects: &[ApiObject],
    build: impl Fn(&ApiObject) -> Result<http::Request<Vec<u8>>, String>,
) -> Vec<Result<String, String>> {
    let copts = opts.cluster_options();
    let run = async {
        let crate::collect::cluster::Connected { client, server, .. } =
            match crate::collect::cluster::connect(&copts).await {
                Ok(c) => c,
                Err(m) => return objects.iter().map(|_| Err(m.reason.clone())).collect(),
            };
        let mut out = Vec::new();
        for o in objects {
            let req = match build(o) {
                Ok(r) => r,
                Err(e) => {
                    out.push(Err(e));
                    continue;
                }
            };
            let verb = req.method().as_str().to_ascii_lowercase();
            let answer = tokio::time::timeout(
                copts.timeout,
                crate::collect::cluster::bounded::request(&client, req, ANSWER_CAP),
            )
            .await;
            out.push(match answer {
                Ok(Ok(answer)) => Ok(answer.text),
                Ok(Err(kube::Error::Api(s))) if s.code == 403 => Err(format!(
                    "forbidden: wasmdoctor may not `{verb}` `{}` ({}): {}",
                    o.plural, o.api_version, s.message
                )),
                Ok(Err(kube::Error::Api(s))) if s.code == 409 => {
                    Err(format!("conflict: another field manager owns these fields: {}", s.message))
                }
                Ok(Err(kube::Error::Api(s))) => Err(format!("HTTP {} {}: {}", s.code, s.reason, s.message)),
                Ok(Err(e)) => Err(format!("{server}: {e}")),
                Err(_) => Err(format!("{server} did not answer within {}s", copts.timeout.as_secs())),
            });
        }
        out
    };
    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt.block_on(run),
        Err(e) => objects.iter().map(|_| Err(format!("could not start an async runtime: {e}"))).collect(),
    }
}

fn object_path(o: &ApiObject) -> String {
    let base = if o.api_version.contains('/') {
        format!("/apis/{}", o.api_version)
    } else {
        format!("/api/{}", o.api_version)
    };
    let scope = o.namespace.as_ref().map(|ns| format!("/namespaces/{ns}")).unwrap_or_default();
    format!("{base}{scope}/{}/{}", o.plural, o.name)
}

fn patch_request(o: &ApiObject, dry_run: bool) -> Result<http::Request<Vec<u8>>, String> {
    let dry = if dry_run { "&dryRun=All" } else { "" };
    let uri = format!("{}?fieldManager=wasmdoctor{dry}", object_path(o));
    let body = serde_json::to_vec(&o.body).map_err(|e| e.to_string())?;
    http::Request::builder()
        .method(http::Method::PATCH)
        .uri(uri)
        .header(http::header::CONTENT_TYPE, "application/apply-patch+yaml")
        .body(body)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_write_is_not_a_change_a_spec_write_is() {
        let then = ObjectVersion::of(r#"{"metadata": {"resourceVersion": "10", "generation": 2}}"#);
        let status = ObjectVersion::of(r#"{"metadata": {"resourceVersion": "11", "generation": 2}}"#);
        let spec = ObjectVersion::of(r#"{"metadata": {"resourceVersion": "12", "generation": 3}}"#);
        assert_eq!(then.changed(&status), None);
        assert_eq!(then.changed(&spec).as_deref(), Some("generation 2, now 3"));
        // A kind without a generation: every write counts.
        let rc = ObjectVersion::of(r#"{"metadata": {"resourceVersion": "10"}}"#);
        let edited = ObjectVersion::of(r#"{"metadata": {"resourceVersion": "13"}}"#);
        assert_eq!(rc.changed(&rc), None);
        assert_eq!(rc.changed(&edited).as_deref(), Some("resourceVersion 10, now 13"));
    }
}
