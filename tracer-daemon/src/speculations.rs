//! The consumer's side of speculations in the kernel: freeing an ID once its end is handled, and
//! the speculation drop counters.
//!
//! Generated code moves an ID's state word (`layout::SPECS_MAP`) from active to committing or
//! discarding; nothing in the kernel touches the word again until the consumer, having printed or
//! dropped what the speculation held, sets it free here. So an ID stays busy for `speculation()`
//! until then, as in DTrace.

use tracer_ebpf::layout::{
    SPEC_COMMITTING, SPEC_DISCARDING, SPEC_FREE, SPEC_GEN_SHIFT, SPEC_STATE_MASK, STATS_SPEC_BUSY,
    STATS_SPEC_DROPS, STATS_SPEC_UNAVAIL,
};
use tracer_ebpf::plan::SpecDesc;

use crate::error::EngineError;
use crate::load::Session;
use crate::maps::{BPF_ANY, RawMap};

/// The speculation drop counters, summed over the CPUs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpecDrops {
    /// Speculative records larger than `specsize`.
    pub drops: u64,
    /// `speculation()` calls that found no free ID while some were being committed or discarded.
    pub busy: u64,
    /// `speculation()` calls that found every ID active.
    pub unavail: u64,
}

/// The word that frees `word`, when it is committing or discarding with a generation whose low
/// byte is `generation`; `None` for any other word.
pub fn freed_word(word: u64, generation: u8) -> Option<u64> {
    let state = word & SPEC_STATE_MASK;
    let ended = state == SPEC_COMMITTING || state == SPEC_DISCARDING;
    let same_generation = (word >> SPEC_GEN_SHIFT) as u8 == generation;
    (ended && same_generation).then_some((word & !SPEC_STATE_MASK) | SPEC_FREE)
}

impl Session {
    /// Frees speculation `id` of generation `generation` (its low byte, as records carry it), if
    /// it is still being committed or discarded; returns whether it was.
    pub fn free_speculation(
        &self,
        specs: &SpecDesc,
        id: u8,
        generation: u8,
    ) -> Result<bool, EngineError> {
        let map = RawMap::open(&self.ebpf, &specs.map)?;
        let key = u32::from(id).to_ne_bytes();
        let Some(values) = map.lookup(&key)? else {
            return Ok(false);
        };
        let Some(value) = values.first().and_then(|value| value.get(..8)) else {
            return Err(EngineError::ValueSize {
                map: specs.map.clone(),
                size: map.value_size(),
                expected: 8,
            });
        };
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(value);
        let Some(freed) = freed_word(u64::from_ne_bytes(bytes), generation) else {
            return Ok(false);
        };
        map.update(&key, &freed.to_ne_bytes(), BPF_ANY)?;
        Ok(true)
    }

    /// The speculation drop counters, summed over every CPU.
    pub fn spec_drops(&self) -> Result<SpecDrops, EngineError> {
        let total = |offset| -> Result<u64, EngineError> {
            Ok(self
                .per_cpu_stat(offset)?
                .iter()
                .map(|&(_, count)| count)
                .sum())
        };
        Ok(SpecDrops {
            drops: total(STATS_SPEC_DROPS)?,
            busy: total(STATS_SPEC_BUSY)?,
            unavail: total(STATS_SPEC_UNAVAIL)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use tracer_ebpf::layout::SPEC_ACTIVE;

    use super::*;

    #[test]
    fn only_ended_speculations_of_the_same_generation_are_freed() {
        let word = |generation: u64, state: u64| generation << SPEC_GEN_SHIFT | state;
        assert_eq!(
            freed_word(word(0x105, SPEC_COMMITTING), 5),
            Some(word(0x105, SPEC_FREE))
        );
        assert_eq!(
            freed_word(word(7, SPEC_DISCARDING), 7),
            Some(word(7, SPEC_FREE))
        );
        assert_eq!(freed_word(word(7, SPEC_DISCARDING), 6), None);
        assert_eq!(freed_word(word(7, SPEC_ACTIVE), 7), None);
        assert_eq!(freed_word(word(7, SPEC_FREE), 7), None);
    }
}
