//! A kubeconfig user's exec credential plugin (`aws eks get-token`, `gke-gcloud-auth-plugin`, …),
//! run by wasmdoctor itself rather than by kube, which would wait for it without a timeout: it is
//! bounded by the cluster timeout and killed with its process group, and what it prints
//! (`ExecCredential` status: a token, or a client certificate and key) takes its place.

use std::path::Path;
use std::time::Duration;

use kube::config::Kubeconfig;
use secrecy::SecretString;
use serde::Deserialize;

use crate::collect::exec::{self, ExecError, Leftovers, Program};
use crate::facts::{Missing, MissingKind};

#[derive(Deserialize)]
struct ExecCredential {
    #[serde(default)]
    status: Option<CredentialStatus>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CredentialStatus {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    client_certificate_data: Option<String>,
    #[serde(default)]
    client_key_data: Option<String>,
}

/// Replace the `exec` of the user the context selects by the credentials its plugin prints.
pub fn resolve(kc: &mut Kubeconfig, context: Option<&str>, timeout: Duration) -> Result<(), Missing> {
    let Some(context) = context.or(kc.current_context.as_deref()).map(String::from) else { return Ok(()) };
    let user =
        kc.contexts.iter().find(|c| c.name == context).and_then(|c| c.context.as_ref()).and_then(|c| c.user.clone());
    let Some(user) = user else { return Ok(()) };
    let Some(auth) = kc.auth_infos.iter_mut().find(|a| a.name == user).and_then(|a| a.auth_info.as_mut()) else {
        return Ok(());
    };
    let Some(plugin) = auth.exec.take() else { return Ok(()) };
    let Some(command) = plugin.command.clone() else {
        return Err(Missing {
            kind: MissingKind::Failed,
            reason: format!("kubeconfig user `{user}`: its exec credential plugin names no command"),
        });
    };
    let info = serde_json::json!({
        "apiVersion": plugin.api_version.as_deref().unwrap_or("client.authentication.k8s.io/v1beta1"),
        "kind": "ExecCredential",
        "spec": {"interactive": false},
    });
    let mut env: Vec<(String, String)> =
        plugin.env.iter().flatten().filter_map(|e| Some((e.get("name")?.clone(), e.get("value")?.clone()))).collect();
    env.push(("KUBERNETES_EXEC_INFO".into(), info.to_string()));
    let args: Vec<&str> = plugin.args.iter().flatten().map(String::as_str).collect();
    let failed = |kind, why: String| Missing {
        kind,
        reason: format!("kubeconfig user `{user}`: the exec credential plugin `{command}` {why}"),
    };
    let out = exec::run_env(Program::Local(Path::new(&command)), &args, &env, timeout, Leftovers::Kill).map_err(
        |e| match e {
            ExecError::Timeout(..) => {
                failed(MissingKind::Timeout, format!("did not finish within {}s and was killed", timeout.as_secs_f32()))
            }
            other => failed(MissingKind::Failed, other.to_string()),
        },
    )?;
    if out.code != Some(0) {
        let said: String = out.stderr.lines().next().unwrap_or("").chars().take(200).collect();
        return Err(failed(MissingKind::Failed, format!("exited with {}: {said}", out.code.unwrap_or(-1))));
    }
    let status = serde_json::from_str::<ExecCredential>(&out.stdout)
        .ok()
        .and_then(|c| c.status)
        .ok_or_else(|| failed(MissingKind::Malformed, "printed no ExecCredential status".into()))?;
    auth.token = status.token.map(SecretString::from);
    auth.client_certificate_data = status.client_certificate_data;
    auth.client_key_data = status.client_key_data.map(SecretString::from);
    Ok(())
}
