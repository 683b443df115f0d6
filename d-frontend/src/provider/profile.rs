//! The `profile` provider: `profile-N` fires on every CPU, `tick-N` on one, every N units.
//!
//! Probes are created on demand from a literal name, as in DTrace: `tick-100ms`, `profile-97`
//! (no unit means hertz), with units `ns nsec us usec ms msec s sec m min h hour d day hz`.

use super::{Probe, ProbeDesc, ProbeKind, is_glob};

/// DTrace's lower bound on the period: 200 microseconds.
const MIN_PERIOD_NS: u64 = 200_000;

/// The probes that exist before any is asked for, as in DTrace: `profile-N` at these rates (hertz)
/// and `tick-N` at these.
const LISTED_PROFILE_HZ: [u32; 7] = [97, 199, 499, 997, 1999, 4001, 4999];
const LISTED_TICK_HZ: [u32; 6] = [1, 10, 100, 500, 1000, 5000];

/// How many probes [`listed`] returns.
pub(super) const N_LISTED: u32 = (LISTED_PROFILE_HZ.len() + LISTED_TICK_HZ.len()) as u32;

/// The listed profile probes, with IDs from `first_id`.
pub(super) fn listed(first_id: u32) -> Vec<Probe> {
    let names = LISTED_PROFILE_HZ
        .iter()
        .map(|hz| format!("profile-{hz}"))
        .chain(LISTED_TICK_HZ.iter().map(|hz| format!("tick-{hz}")));
    names
        .zip(first_id..)
        .filter_map(|(name, id)| probe(id, name))
        .collect()
}

/// The profile probes matching `desc` among `known` (listed, then created, in ID order); a
/// literal name that is not known yet creates its probe with the ID `next_id` gives.
pub(super) fn matching(
    desc: &ProbeDesc,
    known: &mut Vec<Probe>,
    next_id: impl FnOnce() -> u32,
) -> Vec<Probe> {
    let found: Vec<Probe> = known
        .iter()
        .filter(|probe| desc.matches("profile", "", "", &probe.desc.name))
        .cloned()
        .collect();
    if !found.is_empty() || is_glob(&desc.name) || !super::field_matches(&desc.provider, "profile")
    {
        return found;
    }
    if !desc.module.is_empty() || !desc.function.is_empty() {
        return Vec::new();
    }
    if parse_name(&desc.name).is_none() {
        return Vec::new();
    }
    let Some(probe) = probe(next_id(), desc.name.clone()) else {
        return Vec::new();
    };
    known.push(probe.clone());
    vec![probe]
}

/// The probe called `name`, or `None` when the name is not a profile probe's.
fn probe(id: u32, name: String) -> Option<Probe> {
    let (period_ns, all_cpus) = parse_name(&name)?;
    Some(Probe {
        id,
        desc: ProbeDesc {
            provider: "profile".to_string(),
            module: String::new(),
            function: String::new(),
            name,
        },
        kind: ProbeKind::Profile {
            period_ns,
            all_cpus,
        },
        args: Vec::new(),
        sources: Vec::new(),
        uprobes: Vec::new(),
    })
}

/// Parses `profile-N[unit]` or `tick-N[unit]` into a period and whether it fires on every CPU.
fn parse_name(name: &str) -> Option<(u64, bool)> {
    let (rate, all_cpus) = if let Some(rate) = name.strip_prefix("profile-") {
        (rate, true)
    } else {
        (name.strip_prefix("tick-")?, false)
    };
    let digits_end = rate
        .find(|ch: char| !ch.is_ascii_digit())
        .unwrap_or(rate.len());
    let value: u64 = rate[..digits_end].parse().ok()?;
    if value == 0 {
        return None;
    }
    let unit_ns: u64 = match rate[digits_end..].to_ascii_lowercase().as_str() {
        "ns" | "nsec" => 1,
        "us" | "usec" => 1_000,
        "ms" | "msec" => 1_000_000,
        "s" | "sec" => 1_000_000_000,
        "m" | "min" => 60_000_000_000,
        "h" | "hour" => 3_600_000_000_000,
        "d" | "day" => 86_400_000_000_000,
        "" | "hz" => 0,
        _ => return None,
    };
    let period_ns = if unit_ns == 0 {
        1_000_000_000 / value
    } else {
        value.checked_mul(unit_ns)?
    };
    // DTrace refuses shorter periods rather than stretching them, so the probe does not exist.
    (period_ns >= MIN_PERIOD_NS).then_some((period_ns, all_cpus))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_as_in_dtrace() {
        assert_eq!(parse_name("tick-1s"), Some((1_000_000_000, false)));
        assert_eq!(parse_name("tick-100ms"), Some((100_000_000, false)));
        assert_eq!(parse_name("profile-1000hz"), Some((1_000_000, true)));
        assert_eq!(parse_name("profile-97"), Some((1_000_000_000 / 97, true)));
        assert_eq!(parse_name("tick-200us"), Some((MIN_PERIOD_NS, false)));
        assert_eq!(parse_name("tick-5usec"), None);
        assert_eq!(parse_name("profile-1ns"), None);
        assert_eq!(parse_name("profile-5000hz"), Some((MIN_PERIOD_NS, true)));
        assert_eq!(parse_name("profile-5001hz"), None);
        assert_eq!(parse_name("tick-1MS"), Some((1_000_000, false)));
        assert_eq!(parse_name("tick-1fortnight"), None);
        assert_eq!(parse_name("tick-0"), None);
        assert_eq!(parse_name("tock-1s"), None);
    }
}
