//! The `dtrace` provider: `BEGIN`, `END` and `ERROR`.

use super::{Probe, ProbeDesc, ProbeKind};

const PROBES: [(u32, &str, ProbeKind); 3] = [
    (1, "BEGIN", ProbeKind::Begin),
    (2, "END", ProbeKind::End),
    (3, "ERROR", ProbeKind::Error),
];

/// The `dtrace` probes matching `desc`.
pub(super) fn matching(desc: &ProbeDesc) -> Vec<Probe> {
    PROBES
        .iter()
        .filter(|(_, name, _)| desc.matches("dtrace", "", "", name))
        .map(|&(id, name, kind)| Probe {
            id,
            desc: ProbeDesc {
                provider: "dtrace".to_string(),
                module: String::new(),
                function: String::new(),
                name: name.to_string(),
            },
            kind,
            args: Vec::new(),
            sources: Vec::new(),
            uprobes: Vec::new(),
        })
        .collect()
}
