//! The `meta` file: which member and cluster a data directory belongs to, and the bootstrap voters.

use std::path::Path;

use crate::error::{Error, Result};
use crate::fs::Fs;
use crate::storage::fsutil;

const MAGIC: &str = "hecd-raft-meta v1";

/// Identity recorded when a data directory is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Meta {
    pub(crate) member_id: u64,
    pub(crate) cluster_id: u64,
    /// The voters the cluster was bootstrapped with (later changes live in the log and snapshots).
    pub(crate) voters: Vec<u64>,
}

impl Meta {
    fn render(&self) -> String {
        let voters: Vec<String> = self.voters.iter().map(u64::to_string).collect();
        format!(
            "{MAGIC}\nmember_id={:x}\ncluster_id={:x}\nvoters={}\n",
            self.member_id,
            self.cluster_id,
            voters.join(",")
        )
    }

    pub(crate) fn write(&self, fs: &dyn Fs, path: &Path) -> Result<()> {
        fsutil::write_atomic(fs, path, self.render().as_bytes())
    }

    pub(crate) fn read(fs: &dyn Fs, path: &Path) -> Result<Meta> {
        let bytes = fs.read(path).map_err(|e| Error::io(path, e))?;
        let text = String::from_utf8(bytes).map_err(|e| Error::Corrupt {
            path: path.into(),
            offset: e.utf8_error().valid_up_to() as u64,
            reason: "the meta file is not UTF-8".into(),
        })?;
        let corrupt = |reason: &str| Error::Corrupt {
            path: path.into(),
            offset: 0,
            reason: reason.to_owned(),
        };
        let mut lines = text.lines();
        if lines.next() != Some(MAGIC) {
            return Err(corrupt("not a hecd-raft meta file"));
        }
        let (mut member, mut cluster, mut voters) = (None, None, None);
        for line in lines {
            let Some((key, val)) = line.split_once('=') else {
                return Err(corrupt("malformed line"));
            };
            match key {
                "member_id" => member = u64::from_str_radix(val, 16).ok(),
                "cluster_id" => cluster = u64::from_str_radix(val, 16).ok(),
                "voters" => {
                    let parsed: Result<Vec<u64>, _> =
                        val.split(',').filter(|v| !v.is_empty()).map(str::parse).collect();
                    voters = parsed.ok();
                }
                _ => {}
            }
        }
        match (member, cluster, voters) {
            (Some(member_id), Some(cluster_id), Some(voters)) => {
                Ok(Meta { member_id, cluster_id, voters })
            }
            _ => Err(corrupt("missing or malformed member_id, cluster_id or voters")),
        }
    }
}
