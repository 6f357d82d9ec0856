//! Reads `docker inspect` output: the container's name and the host port bound to a
//! container port (`NetworkSettings.Ports`, else `HostConfig.PortBindings`).

use serde_json::Value;

use crate::{Address, Error, Result};

/// What `docker inspect` says about one container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspected {
    /// The container's name without Docker's leading `/`.
    pub name: String,
    /// The host address its container port is published on.
    pub address: Address,
}

/// Picks the container's name and published address out of `docker inspect` JSON (an array
/// with one container, or one container object).
///
/// `container_port` selects the binding (`80` matches `80/tcp`; `53/udp` may be spelled out);
/// it may be left out when exactly one port is published. `host` overrides the binding's
/// `HostIp`, and is required when the port is published on all interfaces (`0.0.0.0`, `::`).
///
/// # Errors
/// [`Error::Inspect`] saying what is missing or ambiguous.
pub fn from_inspect(
    json: &str,
    container_port: Option<&str>,
    host: Option<&str>,
) -> Result<Inspected> {
    let bad = |m: String| Error::Inspect(m);
    let doc: Value = serde_json::from_str(json).map_err(|e| bad(format!("not JSON: {e}")))?;
    let container = match &doc {
        Value::Array(items) if items.len() == 1 => &items[0],
        Value::Array(items) => {
            return Err(bad(format!(
                "{} containers in the input; inspect exactly one",
                items.len()
            )))
        }
        Value::Object(_) => &doc,
        _ => return Err(bad("expected the JSON array that docker inspect prints".into())),
    };
    let name = container
        .get("Name")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("no \"Name\" field".into()))?
        .trim_start_matches('/')
        .to_owned();
    let mut ports = ports_of(container.pointer("/NetworkSettings/Ports"));
    if ports.is_empty() {
        ports = ports_of(container.pointer("/HostConfig/PortBindings"));
    }
    if ports.is_empty() {
        return Err(bad(format!("container {name} publishes no ports")));
    }
    let (spec, bindings) = match container_port {
        Some(p) => {
            let want = if p.contains('/') { p.to_owned() } else { format!("{p}/tcp") };
            ports.iter().find(|(spec, _)| *spec == want).ok_or_else(|| {
                let known: Vec<&str> = ports.iter().map(|(s, _)| s.as_str()).collect();
                bad(format!(
                    "container {name} does not publish {want} (it publishes {})",
                    known.join(", ")
                ))
            })?
        }
        None if ports.len() == 1 => &ports[0],
        None => {
            let known: Vec<&str> = ports.iter().map(|(s, _)| s.as_str()).collect();
            return Err(bad(format!(
                "container {name} publishes several ports ({}); choose one with --container-port",
                known.join(", ")
            )));
        }
    };
    let (host_ip, host_port) = bindings.first().ok_or_else(|| {
        bad(format!("container port {spec} of {name} is not bound to a host port"))
    })?;
    let host = match host {
        Some(h) => h.to_owned(),
        None if host_ip.is_empty() || host_ip == "0.0.0.0" || host_ip == "::" => {
            return Err(bad(format!(
                "{name} publishes {spec} on all interfaces ({host_ip:?}); give the host's address with --host"
            )))
        }
        None => host_ip.clone(),
    };
    Ok(Inspected { name, address: Address::new(&host, host_port)? })
}

/// `{"80/tcp": [{"HostIp": "...", "HostPort": "..."}], "443/tcp": null}` → sorted specs with
/// their bindings (unbound ports have none).
fn ports_of(v: Option<&Value>) -> Vec<(String, Vec<(String, String)>)> {
    let Some(Value::Object(map)) = v else { return Vec::new() };
    let mut out: Vec<(String, Vec<(String, String)>)> = map
        .iter()
        .map(|(spec, b)| {
            let bindings = b
                .as_array()
                .map(|arr| {
                    arr.iter()
                        .filter_map(|x| {
                            let port = x.get("HostPort")?.as_str()?.to_owned();
                            let ip =
                                x.get("HostIp").and_then(Value::as_str).unwrap_or("").to_owned();
                            (!port.is_empty()).then_some((ip, port))
                        })
                        .collect()
                })
                .unwrap_or_default();
            (spec.clone(), bindings)
        })
        .collect();
    out.sort();
    out
}
