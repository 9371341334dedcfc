//! The tenants file: who may use the service, with which token, under which limits.
//!
//! A *tenant* here is one party with a token: the runtime's tenant of the same id
//! runs its tasks, with the limits, quota, concurrency cap, capabilities and priority
//! this file gives. The *admin* token is the operator's: it sees every tenant on the
//! dashboard and in `/metrics`, and submits nothing. Tokens are stored only as their
//! SHA-256 (`sha256:` and 64 hex digits; `host token` makes a token and its hash).
//!
//! ```toml
//! admin-token = "sha256:…"
//!
//! [tenants.alice]
//! token = "sha256:…"
//! max-concurrency = 2          # tasks running at once
//! object-quota = "512M"        # bytes its live results and objects may hold
//! priority = 0                 # of its tasks, unless a call says otherwise
//! allow-read = ["/srv/alice::/data"]
//! rate-limit = 100             # requests per second (bursts of twice that)
//! max-pending = 10000          # tasks submitted and not yet finished
//!
//! [tenants.alice.limits]       # each task's, and the most a call may ask for
//! timeout = "30s"
//! max-memory = "256M"
//! ```
//!
//! Every problem is reported with the file's line and column, and a file with one is
//! refused whole.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;
use wask::Capabilities;
use wask_core::Limits;

use crate::auth::TokenHash;
use crate::units::{Dur, Size};

/// The settings of one tenant, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantSpec {
    pub id: String,
    pub token: TokenHash,
    /// Each task's limits by default, and the most a call may ask for.
    pub limits: Limits,
    pub max_concurrency: usize,
    pub object_quota_bytes: usize,
    pub capabilities: Capabilities,
    /// The priority of its tasks unless a call gives one.
    pub priority: i32,
    /// Requests per second and the burst allowed above it; `None` for no limit.
    pub rate_limit: Option<(f64, f64)>,
    /// Tasks submitted and not finished yet, at most.
    pub max_pending: usize,
    /// Finished tasks remembered (their results kept) before the oldest are forgotten.
    pub max_tasks: usize,
    pub max_components: usize,
    /// The most retries a call may ask for.
    pub max_retries: u32,
}

/// A tenants file, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantsFile {
    pub admin_token: Option<TokenHash>,
    /// In the order of their ids.
    pub tenants: Vec<TenantSpec>,
    /// Whether some tenant has a fuel limit, so the runtime must meter fuel.
    pub needs_fuel: bool,
}

/// What was wrong with a tenants file, and where.
#[derive(Debug, thiserror::Error)]
pub enum TenantsError {
    #[error("cannot read tenants file {path}: {cause}")]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawFile {
    admin_token: Option<Spanned<String>>,
    #[serde(default)]
    tenants: BTreeMap<Spanned<String>, Spanned<RawTenant>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawTenant {
    token: Spanned<String>,
    #[serde(default)]
    limits: RawLimits,
    max_concurrency: Option<usize>,
    object_quota: Option<Size>,
    #[serde(default)]
    allow_read: Vec<Spanned<String>>,
    random_seed: Option<u64>,
    #[serde(default)]
    priority: i32,
    rate_limit: Option<f64>,
    burst: Option<f64>,
    max_pending: Option<usize>,
    max_tasks: Option<usize>,
    max_components: Option<usize>,
    max_retries: Option<u32>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawLimits {
    timeout: Option<Dur>,
    fuel: Option<u64>,
    max_memory: Option<Size>,
    max_table_elements: Option<usize>,
    max_instances: Option<usize>,
    max_result: Option<Size>,
    max_output: Option<Size>,
}

/// Defaults of the service's own settings of a tenant.
pub const DEFAULT_MAX_PENDING: usize = 100_000;
pub const DEFAULT_MAX_TASKS: usize = 10_000;
pub const DEFAULT_MAX_COMPONENTS: usize = 64;
pub const DEFAULT_MAX_RETRIES: u32 = 10;

impl TenantsFile {
    /// Reads and checks a tenants file.
    pub fn load(path: &Path) -> Result<TenantsFile, TenantsError> {
        let text = std::fs::read_to_string(path).map_err(|cause| TenantsError::Read {
            path: path.to_owned(),
            cause,
        })?;
        Self::parse(path, &text)
    }

    /// Checks the text of a tenants file; `path` names it in errors.
    pub fn parse(path: &Path, text: &str) -> Result<TenantsFile, TenantsError> {
        let at = |span: std::ops::Range<usize>, message: String| {
            let (line, column) = line_column(text, span.start);
            TenantsError::Invalid {
                path: path.to_owned(),
                line,
                column,
                message,
            }
        };
        let raw: RawFile = toml::from_str(text)
            .map_err(|e| at(e.span().unwrap_or(0..0), e.message().trim().to_owned()))?;
        let admin_token = match &raw.admin_token {
            Some(token) => Some(
                token
                    .get_ref()
                    .parse::<TokenHash>()
                    .map_err(|e| at(token.span(), format!("admin-token: {e}")))?,
            ),
            None => None,
        };
        let mut tenants = Vec::new();
        let mut seen_tokens: Vec<(TokenHash, String)> = admin_token
            .iter()
            .map(|t| (*t, "the admin token".to_owned()))
            .collect();
        for (id, tenant) in raw.tenants {
            let spec = check_tenant(id.get_ref(), tenant.get_ref())
                .map_err(|(span, message)| at(span.unwrap_or(id.span()), message))?;
            if let Some((_, other)) = seen_tokens.iter().find(|(t, _)| *t == spec.token) {
                return Err(at(
                    tenant.get_ref().token.span(),
                    format!(
                        "tenant `{}` has the same token as {other}: every token must be different",
                        spec.id
                    ),
                ));
            }
            seen_tokens.push((spec.token, format!("tenant `{}`", spec.id)));
            tenants.push(spec);
        }
        let needs_fuel = tenants.iter().any(|t| t.limits.fuel.is_some());
        Ok(TenantsFile {
            admin_token,
            tenants,
            needs_fuel,
        })
    }
}

type Problem = (Option<std::ops::Range<usize>>, String);

fn check_tenant(id: &str, raw: &RawTenant) -> Result<TenantSpec, Problem> {
    let ok_id = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !ok_id {
        return Err((
            None,
            format!(
                "tenant id `{}` is not allowed: use 1 to 64 letters, digits, `-` or `_`",
                crate::units::shorten(id)
            ),
        ));
    }
    if id == wask::DEFAULT_TENANT {
        return Err((
            None,
            format!("tenant id `{id}` is reserved for the runtime's own tenant: choose another"),
        ));
    }
    let token = raw
        .token
        .get_ref()
        .parse::<TokenHash>()
        .map_err(|e| (Some(raw.token.span()), format!("tenant `{id}`: token: {e}")))?;
    let mut capabilities = Capabilities {
        random_seed: raw.random_seed,
        ..Capabilities::default()
    };
    for entry in &raw.allow_read {
        let text = entry.get_ref();
        let (host, guest) = text.split_once("::").unwrap_or((text, text));
        let problem = match std::fs::metadata(host) {
            Ok(meta) if meta.is_dir() => None,
            Ok(_) => Some("it is not a folder".to_owned()),
            Err(e) => Some(e.to_string()),
        };
        if let Some(problem) = problem {
            return Err((
                Some(entry.span()),
                format!("tenant `{id}`: allow-read `{host}`: {problem}"),
            ));
        }
        if !guest.starts_with('/') {
            return Err((
                Some(entry.span()),
                format!(
                    "tenant `{id}`: allow-read `{text}`: the path tasks see must be absolute, as in `/srv/data::/data`"
                ),
            ));
        }
        capabilities
            .read_only_dirs
            .push((PathBuf::from(host), guest.to_owned()));
    }
    let rate_limit = match raw.rate_limit {
        None => None,
        Some(rate) if rate.is_finite() && rate > 0.0 => {
            let burst = raw.burst.unwrap_or((rate * 2.0).max(1.0));
            if !(burst.is_finite() && burst >= 1.0) {
                return Err((
                    None,
                    format!("tenant `{id}`: burst must be at least 1 request, got {burst}"),
                ));
            }
            Some((rate, burst))
        }
        Some(rate) => {
            return Err((
                None,
                format!(
                    "tenant `{id}`: rate-limit must be a positive number of requests per second, got {rate}"
                ),
            ));
        }
    };
    let max_concurrency = raw.max_concurrency.unwrap_or(usize::MAX);
    if max_concurrency == 0 {
        return Err((
            None,
            format!("tenant `{id}`: max-concurrency must be at least 1"),
        ));
    }
    Ok(TenantSpec {
        id: id.to_owned(),
        token,
        limits: raw.limits.to_limits(),
        max_concurrency,
        object_quota_bytes: raw
            .object_quota
            .map_or(usize::MAX, |s| usize::try_from(s.0).unwrap_or(usize::MAX)),
        capabilities,
        priority: raw.priority,
        rate_limit,
        max_pending: raw.max_pending.unwrap_or(DEFAULT_MAX_PENDING).max(1),
        max_tasks: raw.max_tasks.unwrap_or(DEFAULT_MAX_TASKS),
        max_components: raw.max_components.unwrap_or(DEFAULT_MAX_COMPONENTS),
        max_retries: raw.max_retries.unwrap_or(DEFAULT_MAX_RETRIES),
    })
}

impl RawLimits {
    fn to_limits(&self) -> Limits {
        let mut limits = Limits::default();
        let bytes = |s: Size| usize::try_from(s.0).unwrap_or(usize::MAX);
        if let Some(Dur(t)) = self.timeout {
            limits.deadline = (t > Duration::ZERO).then_some(t);
        }
        limits.fuel = self.fuel;
        if let Some(s) = self.max_memory {
            limits.max_memory_bytes = bytes(s);
        }
        if let Some(n) = self.max_table_elements {
            limits.max_table_elements = n;
        }
        if let Some(n) = self.max_instances {
            limits.max_instances = n;
        }
        if let Some(s) = self.max_result {
            limits.max_result_bytes = bytes(s);
        }
        if let Some(s) = self.max_output {
            limits.max_stdout_bytes = bytes(s);
            limits.max_stderr_bytes = bytes(s);
        }
        limits
    }
}

/// The 1-based line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..text.floor_char_boundary(offset.min(text.len()))];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod test;
